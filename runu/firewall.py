"""Per-container firewall rules (a JSON list of direction, protocol, port, range, action), checked at create.

Rules come from the annotation org.runu.firewall or, since Docker 20.10 hands
neither image labels nor annotations to the runtime, from the RUNU_FIREWALL
environment variable (an image recipe's ENV or `docker run -e`). The guest's
init installs them in the guest kernel's netfilter; the host's stays untouched.
"""

import ipaddress
import json

from runu.errors import RunuError

ANNOTATION = "org.runu.firewall"
ENV = "RUNU_FIREWALL"
_DIRECTIONS = {"in", "out"}
_PROTOCOLS = {"tcp", "udp", "icmp"}
_ACTIONS = {"drop", "accept"}


def rules_text(spec: dict) -> str | None:
    text = spec.get("annotations", {}).get(ANNOTATION)
    if text is None:
        for env in spec["process"].get("env", []):
            if env.startswith(ENV + "="):
                text = env.split("=", 1)[1]
    return text


def _port(rule: dict, where: str) -> str:
    port = str(rule.get("dst_port", "")).strip()
    if not port or port in ("*", "any"):
        return "-"
    low, _, high = port.partition(":")
    if not low.isdigit() or (high and not high.isdigit()):
        raise RunuError(f"firewall {where}: dst_port {port!r} is not a port or a range N:M")
    lo, hi = int(low), int(high or low)
    if not 0 < lo <= hi <= 65535:
        raise RunuError(f"firewall {where}: dst_port {port!r} is out of range")
    return f"{lo}:{hi}"


def parse_rules(text: str) -> list[tuple[str, ...]]:
    """Each rule as the fields of a guest `fw` record; any bad rule is a RunuError."""
    try:
        rules = json.loads(text)
    except json.JSONDecodeError as e:
        raise RunuError(f"firewall rules are not valid JSON: {e}") from None
    if not isinstance(rules, list):
        raise RunuError("firewall rules must be a JSON list")
    records = []
    for n, rule in enumerate(rules, 1):
        where = f"rule {n}"
        if not isinstance(rule, dict):
            raise RunuError(f"firewall {where}: not an object")
        for key, allowed in (("direction", _DIRECTIONS), ("protocol", _PROTOCOLS), ("action", _ACTIONS)):
            if rule.get(key) not in allowed:
                raise RunuError(f"firewall {where}: {key} must be one of {', '.join(sorted(allowed))}")
        try:
            net = ipaddress.IPv4Network(rule.get("ip_range", "0.0.0.0/0"), strict=False)
        except ValueError as e:
            raise RunuError(f"firewall {where}: ip_range: {e}") from None
        port = "-" if rule["protocol"] == "icmp" else _port(rule, where)
        records.append((rule["direction"], rule["protocol"], port, str(net.network_address),
                        str(net.prefixlen), rule["action"]))
    return records
