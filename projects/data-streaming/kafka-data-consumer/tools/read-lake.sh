#!/usr/bin/env bash
# Reads the lake with a second engine (PyPI deltalake + pyarrow, pinned in requirements.lock,
# installed once into ~/.cache/portfolio outside the clone) and prints a JSON summary:
#   bash tools/read-lake.sh LAKE_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${PORTFOLIO_CACHE:-$HOME/.cache/portfolio}/lake-reader-$(sha256sum "$here/requirements.lock" | cut -c1-12)
if [ ! -f "$venv/.complete" ]; then
  echo "installing the lake reader into $venv (once)" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check --no-deps -r "$here/requirements.lock" >&2
  touch "$venv/.complete"
fi
exec "$venv/bin/python" "$here/read_lake.py" "$1"
