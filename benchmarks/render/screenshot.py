"""A PNG of the rendered page through Debian's headless chromium, in a fresh profile."""

import subprocess
import tempfile
from pathlib import Path


def screenshot(page: Path, out: Path, size: str = "1400,4800") -> Path:
    with tempfile.TemporaryDirectory(prefix="runu-chromium-") as profile:
        subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        "--disable-component-update", "--no-first-run", f"--user-data-dir={profile}",
                        f"--screenshot={out}", f"--window-size={size}", page.absolute().as_uri()],
                       check=True, capture_output=True, timeout=120)
    return out
