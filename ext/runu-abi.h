/*
 * The contract between runu's Python side and its C parts, defined once:
 * the descriptors runu-sandbox is started with (runu/launcher.py sets them
 * up) and hands on to the kernel, and the guest's channels (in a UML guest,
 * console lines) that the kernel's command line maps to those descriptors.
 * runu/abi.py mirrors every RUNU_ number; tests/unit/test_abi.py fails when
 * the two disagree.
 */
#ifndef RUNU_ABI_H
#define RUNU_ABI_H

/* Descriptors of the sandbox process. */
#define RUNU_FD_STATUS 3      /* it writes "ok" or one line of error, then closes */
#define RUNU_FD_COMMIT 4      /* it reads one byte to stay; EOF means give up */
#define RUNU_FD_LAUNCH 5      /* it reads the launch message from `runu create` */
#define RUNU_FD_CONTROL 6     /* the kernel reads the host's signals for the guest */
#define RUNU_FD_KERNEL_LOG 7  /* the kernel writes its messages (kernel.log) */
#define RUNU_FD_STDIN_ACK 8   /* the kernel writes the guest's stdin go-ahead */
/*
 * The container's ready file, until the monitor starts; from then on the pipe
 * into the monitor, where the kernel writes what the guest says ("ready").
 */
#define RUNU_FD_READY 9
#define RUNU_FD_EVENTS_LOG 10 /* --root's events log, for the monitor */
#define RUNU_FD_RUNTIME_LOG 11     /* --log, if given: the monitor logs seccomp violations */
#define RUNU_FD_SECCOMP_LEARNED 12 /* learning mode: the monitor writes each call's name */
#define RUNU_FD_AGENT 13           /* the kernel's end of the agent line; the monitor holds the other */
#define RUNU_FD_AGENT_LISTEN 14    /* agent.sock, listening: the monitor serves `runu exec`, `ps` */
/*
 * A kernel that cannot end with the guest's status (a VM's ends as its
 * emulator does) writes it here; the sandbox's init ends with it (--emulator).
 */
#define RUNU_FD_EXIT 15
#define RUNU_FD_EMULATOR_STDIO 16  /* an emulator's copies of 0, 1, 2: 16, 17, 18 (--emulator) */
/* The control fifo's writing end: the sandbox's init sends a terminal's size (--emulator --tty). */
#define RUNU_FD_CONTROL_WRITER 19
#define RUNU_FD_ARGS 20            /* --more-args: a socket bringing the other arguments and descriptors */

/*
 * The front end (ext/runu-front.c) and the Python CLI: the spec version `state`
 * reports. The control line's command that lets a booted guest run the
 * container's process (`start`; the other lines are signal numbers).
 */
#define RUNU_OCI_VERSION "1.1.0"
#define RUNU_CONTROL_START "start"
#define RUNU_CONTROL_NETWORK "network"  /* the network is handed over (a guest booted before it) */
#define RUNU_CONTROL_WINSIZE "winsize"  /* "winsize ROWS COLUMNS": the terminal's size */
/* create's cgroup lock warmer (runu-front.c), the front's child: its pid, for Python to end it */
#define RUNU_LOCK_WARMER_ENV "RUNU_LOCK_WARMER"
/*
 * create served by a warm Python (runu/warm.py) over RUNU_WARM_DIR/KEY.sock, a SOCK_SEQPACKET
 * socket; each message is NUL-separated words. The front sends RUNU_WARM_REQUEST UMASK ARGC
 * ARGV... ENV... with its stdin, stdout, stderr and working directory. The answer is
 * RUNU_WARM_DEFER (nothing was done: the front runs the Python CLI itself), or RUNU_WARM_GO and
 * then the worker's messages: RUNU_WARM_SPAWN ARGC ARGV... TARGET... with one descriptor per
 * target (the front spawns that program, with an empty environment, as its own child: the
 * container's process must descend from runu's caller) and answers RUNU_WARM_PID PID or
 * RUNU_WARM_ERROR ERRNO; at the end RUNU_WARM_EXIT STATUS, create's exit status.
 */
#define RUNU_WARM_DIR "/run/runu-warm"
#define RUNU_WARM_VERB "warm"  /* the Python CLI's verb that serves (the front starts it) */
#define RUNU_WARM_REQUEST "request"
#define RUNU_WARM_DEFER "defer"
#define RUNU_WARM_GO "go"
#define RUNU_WARM_SPAWN "spawn"
#define RUNU_WARM_PID "pid"
#define RUNU_WARM_ERROR "error"
#define RUNU_WARM_EXIT "exit"

/*
 * Host id ranges (runu/idrange.py): range N starts at RUNU_ID_RANGE_BASE + N *
 * RUNU_ID_COUNT (runu-privdrop.h); its lease is the file N in RUNU_ID_LEASES, or
 * in the directory the environment's RUNU_ID_LEASES names. Delete removes it.
 */
#define RUNU_ID_RANGE_BASE 268435456
#define RUNU_ID_LEASES "/run/runu-ids"

/*
 * The guest's channels to the host, in the order the sandbox kind lists their
 * devices on the kernel command line (runu.lines=DEV,DEV,...).
 */
#define RUNU_LINE_STDOUT 1    /* stdout, or the terminal */
#define RUNU_LINE_STDERR 2
#define RUNU_LINE_CONTROL 3   /* signals in; "ready" out */
#define RUNU_LINE_STDIN 4     /* framed stdin in; the go-ahead out */
#define RUNU_LINE_AGENT 5     /* agent frames both ways (below) */
#define RUNU_LINE_COUNT 5

/*
 * Agent frames: a 12-byte header (little-endian u32 session, u16 type, u16
 * zero, u32 payload length), then the payload. On agent.sock a client sends
 * and receives one frame per SOCK_SEQPACKET message with session 0; the
 * monitor gives each connection its session and carries its frames over the
 * agent line, a byte stream the guest's init parses.
 */
#define RUNU_AGENT_HEADER 12
#define RUNU_AGENT_MAX_PAYLOAD 65536
/* Host to guest. */
#define RUNU_AGENT_EXEC 1     /* a process description (the process fields of /meta/process) */
#define RUNU_AGENT_STDIN 2    /* bytes for its stdin; an empty payload closes it */
#define RUNU_AGENT_RESIZE 3   /* u16 rows, u16 columns of its terminal */
#define RUNU_AGENT_SIGNAL 4   /* u32 signal number for it */
#define RUNU_AGENT_PS 5       /* list the guest's processes */
#define RUNU_AGENT_HANGUP 6   /* the client is gone (the monitor says so): kill its process */
#define RUNU_AGENT_STATS 7    /* the guest's memory and CPU use */
#define RUNU_AGENT_CONTAINER 8 /* a container of the pod: "stdio MODE root PATH" then its description */
/* Guest to host. */
#define RUNU_AGENT_STARTED 16 /* u32 guest pid: the process runs its program */
#define RUNU_AGENT_STDOUT 17
#define RUNU_AGENT_STDERR 18
#define RUNU_AGENT_EXIT 19    /* u32 status (128+N for signal N); the session ends */
#define RUNU_AGENT_ERROR 20   /* one line: the request failed; the session ends */
#define RUNU_AGENT_PS_TABLE 21 /* lines "pid ppid uid cmdline", tab-separated; EXIT 0 ends them */
#define RUNU_AGENT_STATS_TABLE 22 /* lines "name value" (meminfo kB, /proc/stat ticks); EXIT 0 */

#endif
