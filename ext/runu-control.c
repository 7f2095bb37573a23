#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runu-control.h"

int control_line(int fd, char line[64])
{
	static char buf[64];
	static size_t used;
	char c;

	while (read(fd, &c, 1) == 1) {
		if (c != '\n') {
			if (used < sizeof(buf) - 1)
				buf[used++] = c;
			continue;
		}
		buf[used] = '\0';
		used = 0;
		memcpy(line, buf, sizeof(buf));
		return 1;
	}
	return 0;
}

void control_signal(const char *line, pid_t child)
{
	if (line[0] == 'a')
		kill(-1, atoi(line + 1));
	else if (child > 0)
		kill(child, atoi(line));
}
