"""runu.agent's frames: the header runu-abi.h defines, little-endian, session 0 from the host."""

import struct

import pytest

from runu import abi
from runu.agent import decode, encode
from runu.errors import RunuError


def test_a_frame_is_the_abi_header_then_the_payload():
    frame = encode(abi.AGENT_SIGNAL, struct.pack("<I", 15))
    assert len(frame) == abi.AGENT_HEADER + 4
    assert struct.unpack("<IHHI", frame[:abi.AGENT_HEADER]) == (0, abi.AGENT_SIGNAL, 0, 4)
    assert decode(frame) == (abi.AGENT_SIGNAL, struct.pack("<I", 15))


def test_a_frame_shorter_than_its_header_is_an_error():
    with pytest.raises(RunuError, match="cut short"):
        decode(b"\x00" * (abi.AGENT_HEADER - 1))
