"""ext/runu-abi.h in Python: the sandbox process's descriptors and the guest's channels.

tests/unit/test_abi.py reads the header and fails when a number here differs.
"""

# Descriptors of the sandbox process.
FD_STATUS = 3  # it writes "ok" or one line of error, then closes
FD_COMMIT = 4  # it reads one byte to stay; EOF means give up
FD_LAUNCH = 5  # it reads the launch message from `runu create`
FD_CONTROL = 6  # the kernel reads the host's signals for the guest
FD_KERNEL_LOG = 7  # the kernel writes its messages (kernel.log)
FD_STDIN_ACK = 8  # the kernel writes the guest's stdin go-ahead
FD_READY = 9  # the ready file, then the pipe into the monitor (see the header)
FD_EVENTS_LOG = 10  # --root's events log, for the monitor
FD_RUNTIME_LOG = 11  # --log, if given: the monitor logs seccomp violations
FD_SECCOMP_LEARNED = 12  # learning mode: the monitor writes each call's name
FD_AGENT = 13  # the kernel's end of the agent line; the monitor holds the other
FD_AGENT_LISTEN = 14  # agent.sock, listening: the monitor serves `runu exec`, `ps`
FD_EXIT = 15  # a kernel that cannot end with the guest's status writes it here (--emulator)
FD_EMULATOR_STDIO = 16  # an emulator's copies of 0, 1, 2: 16, 17, 18 (--emulator)
FD_CONTROL_WRITER = 19  # the control fifo's writing end: the sandbox's init sends a terminal's size
FD_ARGS = 20  # --more-args: a socket bringing the other arguments and descriptors

# The front end (ext/runu-front.c) and the Python CLI.
OCI_VERSION = "1.1.0"  # what `state` reports
CONTROL_START = "start"  # on the control line: the booted guest may run the container's process
CONTROL_NETWORK = "network"  # the network is handed over: a guest that booted before it may take it
CONTROL_WINSIZE = "winsize"  # "winsize ROWS COLUMNS": the terminal's size (an emulator's guest)
LOCK_WARMER_ENV = "RUNU_LOCK_WARMER"  # the pid of create's cgroup lock warmer (runu.lockwarmer)
# create served by a warm Python (runu.warm): the messages' first words (see the header).
WARM_DIR = "/run/runu-warm"
WARM_VERB = "warm"
WARM_REQUEST = "request"
WARM_DEFER = "defer"
WARM_GO = "go"
WARM_SPAWN = "spawn"
WARM_PID = "pid"
WARM_ERROR = "error"
WARM_EXIT = "exit"

# Host id ranges (runu.idrange): the first range's base; where the leases are, unless the
# environment's RUNU_ID_LEASES says.
ID_RANGE_BASE = 1 << 28
ID_LEASES = "/run/runu-ids"

# The guest's channels, in the order a kind lists their devices (runu.lines= on the kernel's
# command line).
LINE_STDOUT = 1  # stdout, or the terminal
LINE_STDERR = 2
LINE_CONTROL = 3  # signals in; "ready" out
LINE_STDIN = 4  # framed stdin in; the go-ahead out
LINE_AGENT = 5  # agent frames both ways
LINE_COUNT = 5

# Agent frames (see the header): u32 session, u16 type, u16 zero, u32 length, little-endian.
AGENT_HEADER = 12
AGENT_MAX_PAYLOAD = 65536
AGENT_EXEC = 1
AGENT_STDIN = 2
AGENT_RESIZE = 3
AGENT_SIGNAL = 4
AGENT_PS = 5
AGENT_HANGUP = 6
AGENT_STATS = 7
AGENT_CONTAINER = 8
AGENT_STARTED = 16
AGENT_STDOUT = 17
AGENT_STDERR = 18
AGENT_EXIT = 19
AGENT_ERROR = 20
AGENT_PS_TABLE = 21
AGENT_STATS_TABLE = 22
