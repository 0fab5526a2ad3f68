#!/usr/bin/env bash
# `helm` for machines without the helm binary: Helm's own engine (PyPI helm-python-sdk, pinned
# in requirements.lock) behind helm's flags, see the chart's tools/helm.py.
#   bash scripts/iac/helm.sh template task-api projects/orchestration/kubernetes-helm-chart -f ...
#   bash scripts/iac/helm.sh upgrade --install task-api projects/orchestration/kubernetes-helm-chart ...
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(bash "$root/scripts/iac/tools.sh")
exec "$bin/python" "$root/projects/orchestration/kubernetes-helm-chart/tools/helm.py" "$@"
