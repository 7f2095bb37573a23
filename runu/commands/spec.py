import json
from pathlib import Path

from runu.errors import RunuError
from runu.spec import default_spec


def run(args, log):
    path = Path(args.bundle) / "config.json"
    if path.exists():
        raise RunuError(f"{path} exists: remove it first")
    path.write_text(json.dumps(default_spec(), indent=2) + "\n")
