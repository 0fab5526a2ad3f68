#!/usr/bin/env bash
# A local S3-compatible server (moto's server mode, from PyPI) for tests of object-storage code.
# Usage:
#   scripts/moto.sh PORT        # serves S3 on 127.0.0.1:PORT until killed
# moto is installed, pinned, into a virtualenv outside the clone that later runs reuse.
set -euo pipefail
port=${1:?usage: scripts/moto.sh PORT}
version=5.2.5
venv=${PORTFOLIO_CACHE:-$HOME/.cache/portfolio}/moto-$version
mkdir -p "$(dirname "$venv")"
(
  flock 9 # tests starting servers side by side install once
  if [ ! -f "$venv/.complete" ]; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "moto[server]==$version" >&2
    touch "$venv/.complete"
  fi
) 9>"$venv.lock"
exec "$venv/bin/moto_server" -H 127.0.0.1 -p "$port"
