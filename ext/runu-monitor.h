/*
 * The sandbox monitor: a small process beside the sandbox that
 *   turns "ready" from the guest (its control line) into the ready file and the events log,
 *   notices the kernel's exit (its end of a pipe closes) and logs "stopped",
 *   wards the seccomp allow-list (runu-seccomp.h): logs a call outside it, kills the sandbox,
 *   serves agent.sock (RUNU_FD_AGENT_LISTEN, if open) over the agent line (runu-agenthub.h).
 */
#ifndef RUNU_MONITOR_H
#define RUNU_MONITOR_H

struct monitor_setup {
	const char *container_id;
	unsigned int host_ids;  /* it runs as this host uid and gid, without capabilities */
	int learn;              /* seccomp learning mode: names to RUNU_FD_SECCOMP_LEARNED */
	int log_json;           /* the runtime log (RUNU_FD_RUNTIME_LOG, if open) is JSON lines */
	int relay_control;      /* the kernel's control line is one socket both ways (an emulator's) */
};

/*
 * Fork the monitor with the ready file (RUNU_FD_READY), the events log (RUNU_FD_EVENTS_LOG),
 * kernel.log and, when open, the runtime log, the learned-calls file and agent.sock
 * (runu-abi.h). Afterwards RUNU_FD_READY is the pipe into it (with relay_control, a socket
 * that also carries what the control fifo, RUNU_FD_CONTROL, then the monitor's alone, says
 * to the guest), what it alone uses is closed,
 * RUNU_FD_AGENT is the kernel's end of the agent line, and the returned socket is where it
 * learns the kernel's pid and takes the seccomp listener.
 */
int monitor_start(const struct monitor_setup *setup);

/* The kernel's host pid, for the warden to kill. */
void monitor_tell_kernel(int warden, int pid);

/* The seccomp listener (closed here); closing `warden` without it: nothing to ward. */
void monitor_hand_listener(int warden, int listener);

/* Tell the monitor the kernel is about to run: only a launched sandbox logs "stopped". */
void monitor_launched(void);

#endif
