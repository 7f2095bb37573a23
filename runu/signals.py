"""Signal names and numbers as `kill` accepts them (TERM, SIGTERM, 15)."""

import signal

from runu.errors import RunuError


def parse_signal(text: str) -> int:
    if text.isdigit():
        number = int(text)
        if 0 < number < signal.NSIG:
            return number
        raise RunuError(f"invalid signal number {text}")
    name = text.upper()
    if not name.startswith("SIG"):
        name = "SIG" + name
    try:
        return int(signal.Signals[name])
    except KeyError:
        raise RunuError(f"invalid signal {text!r}") from None
