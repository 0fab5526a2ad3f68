#!/usr/bin/env bash
# A local S3-compatible server (moto's server mode, from PyPI) for tests of object-storage code.
# Usage:
#   scripts/moto.sh PORT        # serves S3 on 127.0.0.1:PORT until killed
# moto is installed, pinned, into a virtualenv outside the clone that later runs reuse.
set -euo pipefail
port=${1:?usage: scripts/moto.sh PORT}
exec bash "$(dirname "$0")/pytool.sh" 'moto[server]==5.2.5' moto_server -H 127.0.0.1 -p "$port"
