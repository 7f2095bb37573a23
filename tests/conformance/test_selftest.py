"""The suite tested: a checksum-blind responder must fail exactly the checksum cases, and every
stack driver must leave nothing behind."""
import pytest
from scapy.layers.inet import ICMP, IP, TCP, UDP

from netstack import testbed
from netstack.stacks import StackUnavailable

from . import leaks
from .cases.common import checksum_errors, with_bad_checksum
from .faulty import FaultyStack
from .probe import Probe
from .registry import CASES, all_cases
from .stacks import STACKS

CAUGHT = ["ipv4.bad_checksum_dropped", "icmp.bad_checksum_dropped", "udp.bad_checksum_dropped"]
WORKING = ["arp.request_reply", "icmp.echo_zeros", "icmp.echo_random", "udp.echo",
           "udp.zero_checksum_accepted"]


@pytest.fixture(scope="module")
def faulty_probe():
    all_cases()
    bed = testbed.Testbed("faulty").create()
    stack = FaultyStack()
    try:
        stack.start(bed)
        probe = Probe(bed)
        yield probe
        probe.close()
    finally:
        stack.stop()
        bed.destroy()


@pytest.mark.parametrize("case_id", CAUGHT)
def test_checksum_blind_responder_fails(faulty_probe, case_id):
    with pytest.raises(AssertionError):
        CASES[case_id].run(faulty_probe)


@pytest.mark.parametrize("case_id", WORKING)
def test_checksum_blind_responder_otherwise_answers(faulty_probe, case_id):
    CASES[case_id].run(faulty_probe)


@pytest.mark.parametrize("layer", [IP, ICMP, UDP, TCP])
def test_checksum_errors_finds_a_wrong_sum(layer):
    top = {ICMP: ICMP(), UDP: UDP(sport=1, dport=7), TCP: TCP(sport=1, dport=7), IP: ICMP()}[layer]
    right = IP(bytes(IP(src="192.0.2.2", dst="192.0.2.1") / top / b"data"))
    assert checksum_errors(right) == []
    assert checksum_errors(with_bad_checksum(right, layer)) != []


@pytest.mark.parametrize("name", list(STACKS))
def test_stack_teardown_leaves_nothing(name):
    stack = STACKS[name]()
    reason = stack.unavailable()
    if reason:
        pytest.skip(f"{name} not run: {reason}")
    before = leaks.snapshot()
    bed = testbed.Testbed(f"{name}-td").create()
    try:
        stack.start(bed)
    except StackUnavailable as err:
        pytest.skip(f"{name} not run: {err}")
    finally:
        stack.stop()
        bed.destroy()
    assert not leaks.snapshot().added_since(before)
