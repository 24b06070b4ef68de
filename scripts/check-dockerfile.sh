#!/usr/bin/env bash
# Static checks of the Dockerfile (no Docker engine is needed or used): multi-stage, tagged
# base images, a non-root USER in the final stage, and every binary it or the Helm chart
# runs (`provisioner`, the chart's `agent`) is a binary target of the workspace, as
# `cargo metadata` reports it; the packages it excludes exist.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
metadata="$(cargo metadata --no-deps --offline --format-version 1)"

python3 - "$metadata" <<'PY'
import json
import re
import sys
from pathlib import Path

metadata = json.loads(sys.argv[1])
packages = {p["name"] for p in metadata["packages"]}
bins = {t["name"] for p in metadata["packages"] for t in p["targets"] if "bin" in t["kind"]}
dockerfile = Path("Dockerfile").read_text()
lines = [l.strip() for l in dockerfile.splitlines() if l.strip() and not l.strip().startswith("#")]
problems = []

args = dict(re.findall(r"^ARG (\w+)=(\S+)$", dockerfile, re.M))
froms = [
    re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), l.split()[1])
    for l in lines
    if l.upper().startswith("FROM ")
]
if len(froms) < 2:
    problems.append("not a multi-stage build (one FROM)")
for image in froms:
    if ":" not in image.split("/")[-1] or image.endswith(":latest"):
        problems.append(f"base image `{image}` is not pinned to a tag")
final = dockerfile.split("\nFROM ")[-1]
user = re.findall(r"^USER (\S+)", final, re.M)
if not user or user[-1].split(":")[0] in ("0", "root"):
    problems.append("the final stage does not switch to a non-root USER")
entrypoint = re.search(r'^ENTRYPOINT \["([^"]+)"', final, re.M)
if entrypoint is None or entrypoint.group(1) not in bins:
    problems.append(f"ENTRYPOINT {entrypoint and entrypoint.group(1)} is not a workspace binary {sorted(bins)}")
for excluded in re.findall(r"--exclude (\S+)", dockerfile):
    if excluded not in packages:
        problems.append(f"--exclude {excluded}: no such workspace package")
if "--locked" not in dockerfile:
    problems.append("cargo build is not --locked")
chart_agent = Path("helm/provisioner/templates/agent-deployment.yaml").read_text()
for command in re.findall(r"command:\s*\n\s*- (\S+)", chart_agent):
    if command not in bins:
        problems.append(f"the chart runs `{command}`, which no workspace package builds")
for p in problems:
    print(f"check-dockerfile: {p}", file=sys.stderr)
if problems:
    sys.exit(1)
print(f"check-dockerfile: ok (stages: {', '.join(froms)}; binaries: {', '.join(sorted(bins))})")
PY
