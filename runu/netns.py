"""Whose network namespace a container gets, decided before anything in it is touched.

runu hands the interfaces of the container's network namespace to the guest
kernel, taking their addresses and routes. That is right only for a
namespace made for this container: never the one runu itself runs in (host
networking: no `network` namespace in the spec, or a path to runu's own),
never the initial one, and never one where processes already live (another
container's, as with `docker run --network container:OTHER`).
"""

import os
from pathlib import Path

from runu import nsfile
from runu.errors import RunuError

HOST_NETWORK = ("host networking is not supported: a runu container has its own kernel and network "
                "stack and cannot share the host's (docker: use a bridge network or --network none)")


def _identity(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_dev, st.st_ino


def _host_identities() -> set[tuple[int, int]]:
    """runu's own namespace and the initial one (pid 1's, where runu may look: inside a
    container it sometimes may not, and then pid 1's is not one runu could be in)."""
    found = {_identity("/proc/self/ns/net")}
    try:
        found.add(_identity("/proc/1/ns/net"))
    except OSError:
        pass
    return found


def _describe(pid: str) -> str:
    """Who a process in the namespace is, for the error: a runu sandbox is named by its container."""
    try:
        root = os.readlink(f"/proc/{pid}/root")
        if root.endswith("/sandbox"):
            return f"runu container {Path(root).parent.name} (its sandbox, pid {pid})"
        return f"process {pid} ({Path(f'/proc/{pid}/comm').read_text().strip()})"
    except OSError:
        return f"process {pid}"


def _first_user(identity: tuple[int, int]) -> str | None:
    """A live process whose network namespace is `identity`, described (a runu sandbox's
    kernel first: its monitor and helpers share the namespace); None when there is none."""
    first = None
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if _identity(f"/proc/{pid}/ns/net") == identity:
                described = _describe(pid)
                if described.startswith("runu container"):
                    return described
                first = first or described
        except OSError:
            continue  # gone meanwhile, or a zombie
    return first


def network_namespace(spec: dict) -> str | None:
    """The path of the network namespace to join, or None for a new one; a RunuError for a
    namespace that is not the container's own to give to its guest."""
    entries = [ns for ns in spec.get("linux", {}).get("namespaces", []) if ns.get("type") == "network"]
    if not entries:
        raise RunuError(HOST_NETWORK)
    path = entries[0].get("path")
    if not path:
        return None
    nsfile.check(path, "network")
    identity = _identity(path)
    if identity in _host_identities():
        raise RunuError(f"{HOST_NETWORK}; {path} is the host's network namespace")
    user = _first_user(identity)
    if user is not None:
        raise RunuError(f"network namespace {path} is in use by {user}: runu gives a namespace's "
                        f"interfaces to the guest and would take them away; "
                        f"give the container a network of its own")
    return path
