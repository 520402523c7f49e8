#!/usr/bin/env bash
# Builds the wheelhouse the images install from: the project's wheel plus its runtime
# dependencies and those of its `operator` extra (kopf and the Kubernetes client, for the
# operator image) at the versions requirements.lock pins, as wheels for CPython 3.11 on
# x86_64 Linux. An image build then needs no package index (`pip install --no-index`), which
# is both what works where builds have no network and what makes images reproducible.
#
#   services/images/wheelhouse.sh OUT_DIR
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$REPO_ROOT"

out=$1
rm -rf "$out"
mkdir -p "$out"
log "wheelhouse in $out"
uv build --quiet --wheel --out-dir "$out" .
project_wheel=$(ls "$out"/jobplatform-*.whl)
# The lock file (which also pins the dev and operator extras) constrains versions; only what
# the project's wheel requires is downloaded. pip evaluates markers for this machine's patch
# release: async-timeout, which redis needs below 3.11.3 (Debian bookworm has 3.11.2), is
# named so it is there too.
python3 -m pip download --quiet --disable-pip-version-check --no-cache-dir \
  --only-binary=:all: --implementation cp --python-version 3.11 --abi cp311 \
  --platform manylinux2014_x86_64 --platform manylinux_2_28_x86_64 \
  --constraint requirements.lock --dest "$out" "$project_wheel[operator]" async-timeout
log "wheelhouse: $(ls "$out" | wc -l) wheels, $(du -sh "$out" | cut -f1)"
