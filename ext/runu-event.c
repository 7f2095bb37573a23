/* One line of --root's events log (runu/events.py reads it). */
#include "runu-event.h"

#include <stdio.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

int append_event(int log, const char *id, const char *event)
{
	char line[512], stamp[40];
	struct timeval tv;
	struct tm tm;
	int n;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	/* One write per line: appends from many containers never interleave. Ids are
	 * checked names ([A-Za-z0-9_+.-]), so nothing needs escaping. */
	n = snprintf(line, sizeof(line),
		     "{\"time\": \"%s.%06ldZ\", \"id\": \"%s\", \"event\": \"%s\"}\n",
		     stamp, (long)tv.tv_usec, id, event);
	if (n <= 0 || n >= (int)sizeof(line))
		return -1;
	return write(log, line, n) == n ? 0 : -1;
}
