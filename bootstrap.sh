#!/usr/bin/env bash
# Sets the project up on a Debian machine, then runs an invoke task.
#   ./bootstrap.sh demo    set everything up and run the ThingVisor + virtual-silo demo
#   ./bootstrap.sh test    set everything up and run the whole test suite
# Idempotent: a second run only checks what is already there.
set -euo pipefail
cd "$(dirname "$0")"

# Debian's own Python, whatever comes first on PATH: built static with PGO, it starts each
# runu call (Docker makes several per container) about 8 ms sooner than a shared-library
# build such as pyenv's. A virtualenv made from another Python is made again.
python=/usr/bin/python3
if ! "$python" -m venv --help >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
fi
if [ "$(readlink -f .venv/bin/python)" != "$(readlink -f "$python")" ]; then
    rm -rf .venv
    "$python" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -e "$stamp" ]; then
    .venv/bin/pip install -q --upgrade pip
    # compat mode: a plain path entry instead of an import hook every runu call would load
    .venv/bin/pip install -q -e '.[dev]' --config-settings editable_mode=compat
    touch "$stamp"
fi
exec .venv/bin/invoke setup "$@"
