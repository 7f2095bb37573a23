"""Traffic-control redirect: glue two interfaces into one wire without a bridge.

Each side gets an ingress qdisc and a u32 match-all filter whose mirred action sends every frame
out of the other side. Unlike a bridge, neither side's MAC is learned or consumed, so a sandbox
can reuse the veth's MAC.
"""
from pyroute2 import IPRoute

from . import link

_ETH_P_ALL = 0x0003
_INGRESS = 0xFFFF0000
_FLOWID = 0x10001  # classid 1:1, as in `tc filter ... flowid 1:1`; unused by ingress


def _redirect_one_way(ipr: IPRoute, src: int, dst: int) -> None:
    ipr.tc("add", "ingress", src, "ffff:")
    ipr.tc("add-filter", "u32", src, parent=_INGRESS, prio=1, target=_FLOWID,
           protocol=_ETH_P_ALL, keys=["0x0/0x0+0"],
           action={"kind": "mirred", "direction": "egress", "action": "redirect", "ifindex": dst})


def redirect(ipr: IPRoute, a: str, b: str) -> None:
    """Redirect every frame arriving on ``a`` out of ``b``, and the other way round."""
    ia, ib = link.index(ipr, a), link.index(ipr, b)
    _redirect_one_way(ipr, ia, ib)
    _redirect_one_way(ipr, ib, ia)


def unredirect(ipr: IPRoute, *names: str) -> None:
    """Drop the ingress qdisc (and with it the redirect filter) from each existing interface."""
    for name in names:
        if link.exists(ipr, name):
            idx = link.index(ipr, name)
            if any(q.get("TCA_KIND") == "ingress" for q in ipr.get_qdiscs(idx)):
                ipr.tc("del", "ingress", idx, "ffff:")


def redirected(ipr: IPRoute, name: str) -> bool:
    """Whether ``name`` carries an ingress qdisc with a filter (i.e. a redirect is in place)."""
    idx = link.index(ipr, name)
    return bool(ipr.get_filters(index=idx, parent=_INGRESS))
