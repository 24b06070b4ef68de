#!/usr/bin/env bash
# Checks a Helm chart: `helm lint --strict`, `helm template` piped into
# `kubernetes-validate --strict` for the default values and each examples/*.yaml, and the
# rendered mounts and variables against what the provisioner reads
# (helm/tests/check_chart.py). For helm/provisioner it also applies each broken-chart
# fixture of helm/tests/broken/ to a copy of the chart and requires the checks to fail on
# it, and checks the values of one release per region (helm/regions, the chart's
# examples/region-*-values.yaml; helm/tests/regions_checks.py). Uses the pinned tools of
# ./scripts/install-test-tools.sh; a missing tool fails.
#
# Usage: scripts/check-helm.sh [CHART_DIR]   (default: helm/provisioner)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
chart="$(cd "${1:-$repo_root/helm/provisioner}" && pwd)"
helm="$repo_root/.tools/bin/helm"
kubernetes_validate="$repo_root/.tools/venv/bin/kubernetes-validate"
python="$repo_root/.tools/venv/bin/python"

for tool in "$helm" "$kubernetes_validate" "$python"; do
  if [[ ! -x "$tool" ]]; then
    echo "check-helm: $tool is missing; install the pinned test tools with ./scripts/install-test-tools.sh" >&2
    exit 1
  fi
done

# Keep helm's caches and config out of the home directory.
export HELM_CACHE_HOME="$repo_root/.tools/helm/cache"
export HELM_CONFIG_HOME="$repo_root/.tools/helm/config"
export HELM_DATA_HOME="$repo_root/.tools/helm/data"

broken=()
regions=()
if [[ "$chart" == "$repo_root/helm/provisioner" ]]; then
  broken=(--broken "$repo_root/helm/tests/broken")
  # One release per region: helm/regions' values of the official nats chart, rendered with
  # its copy in helm/tests/nats-chart and checked with nats-server -t.
  nats_server="$repo_root/.tools/venv/bin/nats-server"
  if [[ ! -x "$nats_server" ]]; then
    echo "check-helm: $nats_server is missing; install the pinned test tools with ./scripts/install-test-tools.sh" >&2
    exit 1
  fi
  regions=(--regions "$repo_root/helm/regions" --nats-chart "$repo_root/helm/tests/nats-chart"
    --nats-server "$nats_server" --region-estate "$repo_root/helm/tests/region-estate")
fi

exec "$python" "$repo_root/helm/tests/check_chart.py" \
  --helm "$helm" --kubernetes-validate "$kubernetes_validate" "${broken[@]}" "${regions[@]}" "$chart"
