"""`runu exec`: a second process in a running sandbox is not supported yet.

A process's stdio reaches the caller through console lines fixed when the
kernel boots; a new process would need new lines wired to the caller's fds
inside a running kernel, which UML offers no way to do. Say so clearly.
"""

from runu.errors import RunuError


def run(args, log):
    raise RunuError(f"exec into container {args.id} is not supported by the uml sandbox: "
                    "its console lines are fixed at boot")
