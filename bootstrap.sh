#!/usr/bin/env bash
# Sets the project up on a Debian machine, then runs an invoke task.
#   ./bootstrap.sh demo    set everything up and run the ThingVisor + virtual-silo demo
#   ./bootstrap.sh test    set everything up and run the whole test suite
# Idempotent: a second run only checks what is already there.
set -euo pipefail
cd "$(dirname "$0")"

if ! python3 -m venv --help >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
fi
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -e "$stamp" ]; then
    .venv/bin/pip install -q --upgrade pip
    # compat mode: a plain path entry instead of an import hook every runu call would load
    .venv/bin/pip install -q -e '.[dev]' --config-settings editable_mode=compat
    touch "$stamp"
fi
exec .venv/bin/invoke setup "$@"
