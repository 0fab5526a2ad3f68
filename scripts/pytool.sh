#!/usr/bin/env bash
# Runs a command of a pinned PyPI package from a virtualenv outside the clone, installed on
# first use and reused by later runs (and by tests starting side by side: one installs).
# Usage:
#   scripts/pytool.sh 'PACKAGE[extras]==VERSION' COMMAND [ARGS...]
# COMMAND is looked up in the virtualenv's bin/ (python, moto_server, …). The virtualenv is
# ${PORTFOLIO_CACHE:-~/.cache/portfolio}/PACKAGE-VERSION.
set -euo pipefail
spec=${1:?usage: scripts/pytool.sh PACKAGE==VERSION COMMAND [ARGS...]}
shift
command=${1:?usage: scripts/pytool.sh PACKAGE==VERSION COMMAND [ARGS...]}
shift
package=${spec%%==*}
package=${package%%\[*}
version=${spec##*==}
venv=${PORTFOLIO_CACHE:-$HOME/.cache/portfolio}/$package-$version
mkdir -p "$(dirname "$venv")"
(
  flock 9
  if [ ! -f "$venv/.complete" ]; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "$spec" >&2
    touch "$venv/.complete"
  fi
) 9>"$venv.lock"
exec "$venv/bin/$command" "$@"
