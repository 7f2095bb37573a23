"""`runu features`: the runtime-spec 1.1 features document."""

import json

from runu import OCI_VERSION
from runu.capabilities import CAPABILITIES
from runu.hooks import PHASES
from runu import sandbox as kinds
from runu.spec import ANNOTATION_SANDBOX


def run(args, log):
    kind_features = {}
    for name in kinds.known():
        kind_features.update(kinds.lookup(name).features())
    print(json.dumps({
        "ociVersionMin": "1.0.0",
        "ociVersionMax": OCI_VERSION,
        "hooks": list(PHASES),
        "mountOptions": ["ro", "rw", "bind", "rbind", "nosuid", "nodev", "noexec", "relatime",
                         "strictatime", "noatime", "sync", "dirsync"],
        "linux": {
            "namespaces": ["network", "uts", "ipc", "mount", "pid", "user", "cgroup"],
            "capabilities": sorted(CAPABILITIES),
            "cgroup": {"v1": False, "v2": False, "systemd": False, "systemdUser": False},
            "seccomp": {"enabled": False},
            "apparmor": {"enabled": False},
            "selinux": {"enabled": False},
        },
        "annotations": {
            ANNOTATION_SANDBOX: ",".join(kinds.known()),
            **kind_features,
            "org.opencontainers.runc.version": "runu",
        },
    }, indent=2))
