"""A namespace's network as comparable data: what a runtime could take from it.

Two snapshots equal means links (name, MAC, MTU, up), addresses, main-table
routes, qdiscs and the IPv6 switches are as they were: the check behind the
promise that runu leaves a namespace it must not own untouched.
"""
from . import netns


def _links(ipr) -> dict[int, str]:
    return {msg["index"]: msg.get_attr("IFLA_IFNAME") for msg in ipr.get_links()}


def _disable_ipv6(names) -> dict[str, str]:
    found = {}
    for name in ("default", *names):
        try:
            with open(f"/proc/sys/net/ipv6/conf/{name}/disable_ipv6") as knob:
                found[name] = knob.read().strip()
        except OSError:
            continue
    return found


def _rows(rows) -> list[tuple[str, ...]]:
    """Sorted rows of text: fields may be missing (None), which would not sort beside values."""
    return sorted(tuple("-" if v is None else str(v) for v in row) for row in rows)


def take(ns: str | None) -> dict:
    """The snapshot of namespace ``ns`` (name or path; None: the caller's)."""
    with netns.entered(ns):
        with netns.iproute() as ipr:
            names = _links(ipr)
            links = _rows((msg.get_attr("IFLA_IFNAME"), msg.get_attr("IFLA_ADDRESS"),
                            msg.get_attr("IFLA_MTU"), bool(msg["flags"] & 1))
                           for msg in ipr.get_links())
            addresses = _rows((names.get(msg["index"]), msg["family"], msg.get_attr("IFA_ADDRESS"),
                                msg["prefixlen"]) for msg in ipr.get_addr())
            routes = _rows((msg["family"], msg.get_attr("RTA_DST"), msg["dst_len"],
                             msg.get_attr("RTA_GATEWAY"), names.get(msg.get_attr("RTA_OIF")),
                             msg["proto"], msg["scope"], msg.get_attr("RTA_PRIORITY"))
                            for msg in ipr.get_routes(table=254))
            qdiscs = _rows((names.get(msg["index"]), msg.get_attr("TCA_KIND"), msg["handle"])
                            for msg in ipr.get_qdiscs())
        sysctls = _disable_ipv6(names.values())
    return {"links": links, "addresses": addresses, "routes": routes, "qdiscs": qdiscs,
            "disable_ipv6": sysctls}


def differences(before: dict, after: dict) -> list[str]:
    """What changed, a line per part: empty when the namespace is as it was."""
    return [f"{part}: was {before[part]}, now {after[part]}"
            for part in before if before[part] != after[part]]
