"""A PNG of the whole rendered page through Debian's headless chromium, in a fresh profile.

Headless chromium shoots its window, not the page: the window is made taller than any page
and the white space below the content is cut off afterwards.
"""

import subprocess
import tempfile
from pathlib import Path

from PIL import Image, ImageChops

WIDTH, TALLER_THAN_ANY_PAGE = 1400, 16000
MARGIN = 24


def screenshot(page: Path, out: Path) -> Path:
    with tempfile.TemporaryDirectory(prefix="runu-chromium-") as profile:
        subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        "--disable-component-update", "--no-first-run", f"--user-data-dir={profile}",
                        f"--screenshot={out}", f"--window-size={WIDTH},{TALLER_THAN_ANY_PAGE}",
                        page.absolute().as_uri()],
                       check=True, capture_output=True, timeout=120)
    _trim_bottom(out)
    return out


def _trim_bottom(png: Path) -> None:
    with Image.open(png) as shot:
        rgb = shot.convert("RGB")
    content = ImageChops.difference(rgb, Image.new("RGB", rgb.size, "white")).getbbox()
    if content:
        rgb.crop((0, 0, rgb.width, min(rgb.height, content[3] + MARGIN))).save(png)
