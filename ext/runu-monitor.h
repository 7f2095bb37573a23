/*
 * The sandbox monitor: a small child of the sandbox process that turns what
 * the guest says on its control line into lifecycle events, and notices the
 * kernel's exit (its end of a pipe closes).
 *   "ready" from the guest -> the container's ready file and the events log
 *   the kernel gone        -> "stopped" in the events log
 */
#ifndef RUNU_MONITOR_H
#define RUNU_MONITOR_H

#define GUEST_EVENTS_FD 9 /* the kernel writes the guest's control output here */
#define READY_FILE_FD 9   /* before the monitor starts: the container's ready file */
#define EVENTS_LOG_FD 10  /* before the monitor starts: --root's events log */

/* Fork the monitor; afterwards fd 9 is the pipe to it and fd 10 is closed. */
void monitor_start(const char *container_id);

#endif
