/*
 * The sandbox monitor: a small child of the sandbox process that turns what
 * the guest says on its control line into lifecycle events, and notices the
 * kernel's exit (its end of a pipe closes).
 *   "ready" from the guest -> the container's ready file and the events log
 *   the kernel gone        -> "stopped" in the events log
 */
#ifndef RUNU_MONITOR_H
#define RUNU_MONITOR_H

/*
 * Fork the monitor with the ready file (RUNU_FD_READY) and the events log
 * (RUNU_FD_EVENTS_LOG, runu-abi.h); afterwards RUNU_FD_READY is the pipe into
 * it and RUNU_FD_EVENTS_LOG is closed.
 */
void monitor_start(const char *container_id);

#endif
