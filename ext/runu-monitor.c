#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "runu-abi.h"
#include "runu-monitor.h"

static void log_event(int log, const char *id, const char *event)
{
	char line[512], stamp[40];
	struct timeval tv;
	struct tm tm;
	int n;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	/* One write per line: appends from many containers never interleave. */
	n = snprintf(line, sizeof(line),
		     "{\"time\": \"%s.%06ldZ\", \"id\": \"%s\", \"event\": \"%s\"}\n",
		     stamp, (long)tv.tv_usec, id, event);
	if (n > 0 && n < (int)sizeof(line) && write(log, line, n) != n)
		_exit(1);
}

static void monitor(int guest, int ready_file, int log, const char *id)
{
	char buf[256];
	ssize_t n;
	int said_ready = 0;

	while ((n = read(guest, buf, sizeof(buf))) > 0) {
		if (said_ready || !memmem(buf, n, "ready", 5))
			continue;
		said_ready = 1;
		if (write(ready_file, "ready\n", 6) != 6)
			_exit(1);
		log_event(log, id, "ready");
	}
	log_event(log, id, "stopped");
	_exit(0);
}

void monitor_start(const char *container_id)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0 || (pid = fork()) < 0)
		_exit(126);
	if (pid == 0) {
		close(p[1]);
		monitor(p[0], RUNU_FD_READY, RUNU_FD_EVENTS_LOG, container_id);
	}
	close(p[0]);
	close(RUNU_FD_EVENTS_LOG);
	if (dup2(p[1], RUNU_FD_READY) < 0)
		_exit(126);
	close(p[1]);
}
