"""Network stacks under test. Each driver brings one stack up behind a testbed's ``eth0`` with a
UDP and a TCP echo service on ECHO_PORT, and takes it down again leaving nothing behind."""
import abc

from ..testbed import Testbed

ECHO_PORT = 7
CLOSED_PORT = 9  # nothing listens here on any stack


class StackUnavailable(RuntimeError):
    """The stack's software refused to come up here for a reason outside the stack under test
    (e.g. the runtime cannot host it yet): reported as "not run", not as a failure."""


class Stack(abc.ABC):
    """One network stack; ``unavailable()`` says why it cannot run here (None: it can)."""
    name: str = ""

    def unavailable(self) -> str | None:
        """A reason this stack cannot run on this machine, or None."""
        return None

    @abc.abstractmethod
    def start(self, bed: Testbed) -> None:
        """Bring the stack up on ``bed``'s stack side with its echo services listening."""

    @abc.abstractmethod
    def stop(self) -> None:
        """Take the stack down; safe to call after a failed or partial ``start``."""
