"""Conformance cases: one RFC clause each, with its requirement level, registered by decorator."""
import dataclasses
from typing import Callable

from .probe import Probe

MUST, SHOULD = "MUST", "SHOULD"


@dataclasses.dataclass(frozen=True)
class Case:
    """A check of one clause; ``run`` raises AssertionError when the stack does not conform."""
    id: str
    protocol: str
    rfc: str
    clause: str
    level: str
    title: str
    run: Callable[[Probe], None]


CASES: dict[str, Case] = {}


def case(protocol: str, rfc: str, clause: str, level: str, title: str):
    """Register the decorated function ``check_<name>`` as case ``<protocol>.<name>``."""
    def register(fn: Callable[[Probe], None]) -> Callable[[Probe], None]:
        case_id = f"{protocol}.{fn.__name__.removeprefix('check_')}"
        assert case_id not in CASES, f"duplicate case {case_id}"
        CASES[case_id] = Case(case_id, protocol, rfc, clause, level, title, fn)
        return fn
    return register


def all_cases() -> list[Case]:
    """Every registered case, in registration order (protocol by protocol)."""
    from . import cases  # noqa: F401  (importing the package registers the cases)
    return list(CASES.values())
