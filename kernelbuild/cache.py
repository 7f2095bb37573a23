"""Where the builder keeps downloads and build trees between runs."""

import hashlib
import os
from pathlib import Path

CACHE = Path(os.environ.get("RUNU_CACHE", "/var/cache/runu"))


def digest(*parts: bytes | str) -> str:
    """A short content hash: the key of every cached build."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()[:16]
