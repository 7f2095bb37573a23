/*
 * The control line as a guest's init (runu-init, runu-lklinit) reads it: lines from the host,
 * "start" first, then signals: a number, with "a" before it for every process.
 */
#ifndef RUNU_CONTROL_H
#define RUNU_CONTROL_H

#include <sys/types.h>

/* The line's next whole line into `line` (longer ones cut at 63 bytes): 1, or 0 when none is
 * there yet (`fd` is non-blocking). */
int control_line(int fd, char line[64]);

/* Deliver a signal line: to `child`, or with "a" to every process the caller may signal. */
void control_signal(const char *line, pid_t child);

#endif
