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
#define RUNU_FD_LAUNCH 5      /* it reads the launch message from `runu start` */
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

/*
 * The guest's channels to the host, in the order the sandbox kind lists their
 * devices on the kernel command line (runu.lines=DEV,DEV,...).
 */
#define RUNU_LINE_STDOUT 1    /* stdout, or the terminal */
#define RUNU_LINE_STDERR 2
#define RUNU_LINE_CONTROL 3   /* signals in; "ready" out */
#define RUNU_LINE_STDIN 4     /* framed stdin in; the go-ahead out */
#define RUNU_LINE_COUNT 4

#endif
