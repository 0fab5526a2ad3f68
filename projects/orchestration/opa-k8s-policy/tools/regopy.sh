#!/usr/bin/env bash
# Python with regopy (PyPI: rego-cpp, Microsoft's C++ Rego interpreter), pinned, installed once
# into a virtualenv outside the clone that later runs reuse: the second engine of the
# cross-check in tests/policies.rs.   Usage: tools/regopy.sh SCRIPT ARGS...
set -euo pipefail
version=1.5.2
venv=${PORTFOLIO_CACHE:-$HOME/.cache/portfolio}/regopy-$version
mkdir -p "$(dirname "$venv")"
(
  flock 9
  if [ ! -f "$venv/.complete" ]; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "regopy==$version" >&2
    touch "$venv/.complete"
  fi
) 9>"$venv.lock"
exec "$venv/bin/python" "$@"
