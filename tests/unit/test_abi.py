"""runu/abi.py and ext/runu-abi.h define the same numbers: the host-guest contract has one source."""

import re
from pathlib import Path

from runu import abi

HEADER = Path(__file__).resolve().parents[2] / "ext" / "runu-abi.h"


def header_numbers() -> dict[str, int]:
    return {name: int(value) for name, value in
            re.findall(r"^#define RUNU_(FD_\w+|LINE_\w+|AGENT_\w+|ID_\w+) (\d+)", HEADER.read_text(), re.M)}


def header_strings() -> dict[str, str]:
    return dict(re.findall(r'^#define RUNU_(\w+) "([^"]*)"', HEADER.read_text(), re.M))


def test_every_string_of_the_header_is_mirrored_with_its_value():
    strings = header_strings()
    assert strings, "no RUNU_ strings found in the header"
    assert {name: getattr(abi, name, None) for name in strings} == strings


def test_every_number_of_the_header_is_mirrored_with_its_value():
    numbers = header_numbers()
    assert numbers, "no RUNU_ numbers found in the header"
    assert {name: getattr(abi, name, None) for name in numbers} == numbers


def test_the_mirror_defines_nothing_the_header_does_not():
    mirrored = {name for name in vars(abi) if re.fullmatch(r"(FD|LINE|AGENT|ID_RANGE)_\w+", name)}
    assert mirrored == set(header_numbers())
