import json

import pytest

from runu.errors import RunuError
from runu.firewall import parse_rules, rules_text


def test_rules_become_guest_records():
    rules = [{"direction": "in", "protocol": "tcp", "dst_port": "8081", "ip_range": "10.0.0.0/8", "action": "drop"},
             {"direction": "out", "protocol": "udp", "dst_port": "1000:2000", "action": "accept"},
             {"direction": "in", "protocol": "icmp", "ip_range": "192.168.1.7", "action": "drop"}]
    assert parse_rules(json.dumps(rules)) == [
        ("in", "tcp", "8081:8081", "10.0.0.0", "8", "drop"),
        ("out", "udp", "1000:2000", "0.0.0.0", "0", "accept"),
        ("in", "icmp", "-", "192.168.1.7", "32", "drop"),
    ]


@pytest.mark.parametrize("rule, message", [
    ({"direction": "up", "protocol": "tcp", "action": "drop"}, "direction"),
    ({"direction": "in", "protocol": "sctp", "action": "drop"}, "protocol"),
    ({"direction": "in", "protocol": "tcp", "action": "reject"}, "action"),
    ({"direction": "in", "protocol": "tcp", "action": "drop", "dst_port": "http"}, "dst_port"),
    ({"direction": "in", "protocol": "tcp", "action": "drop", "dst_port": "70000"}, "out of range"),
    ({"direction": "in", "protocol": "tcp", "action": "drop", "ip_range": "300.1.1.1/8"}, "ip_range"),
])
def test_bad_rules(rule, message):
    with pytest.raises(RunuError, match=message):
        parse_rules(json.dumps([rule]))


def test_not_a_list():
    with pytest.raises(RunuError, match="JSON list"):
        parse_rules('{"direction": "in"}')


def test_annotation_wins_over_env():
    spec = {"annotations": {"org.runu.firewall": "[1]"}, "process": {"env": ["RUNU_FIREWALL=[2]"]}}
    assert rules_text(spec) == "[1]"
    del spec["annotations"]
    assert rules_text(spec) == "[2]"
