#!/usr/bin/env bash
# Python with regopy (PyPI: rego-cpp, Microsoft's C++ Rego interpreter), pinned, installed once
# into a virtualenv outside the clone that later runs reuse: the second engine of the
# cross-check in tests/policies.rs.   Usage: tools/regopy.sh SCRIPT ARGS...
set -euo pipefail
exec bash "$(dirname "$0")/../../../../scripts/pytool.sh" 'regopy==1.5.2' python "$@"
