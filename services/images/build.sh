#!/usr/bin/env bash
# Builds the images of the platform and of its test cluster, each cached under a key of its
# inputs, and prints each reference with its size.
#
#   services/images/build.sh [services|datastores|node|all]   (default: all)
#
#   services    localhost/jobplatform:<version>  services/Dockerfile, from the wheelhouse
#   datastores  localhost/jobplatform/redis, .../postgres  from Debian's packages
#   node        localhost/jobplatform/pause, .../coredns  what the test cluster's node runs
#
# With a Docker daemon the services image starts from the Dockerfile's default BASE; without
# one, every base is a Debian root filesystem made here by mmdebstrap (debian-base.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"
cd "$REPO_ROOT"

VERSION=$(python3 -c 'import tomllib; print(tomllib.load(open("pyproject.toml","rb"))["project"]["version"])')
COREDNS_VERSION="${COREDNS_VERSION:-1.12.1}"

services() {
  local base=""
  # What the official slim image has too: tzdata (zoneinfo, which kombu needs), netbase.
  docker_answers || base=$("$here/debian-base.sh" python python3,python3-venv,ca-certificates,netbase,tzdata)
  # The key covers what goes into the wheelhouse (the project's files as they are now, and the
  # lock), so the wheelhouse is only rebuilt when the image would change.
  local key
  key=$( (cat services/Dockerfile pyproject.toml requirements.lock "$here/wheelhouse.sh"; echo "$base"
          git ls-files -z services | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16)
  local archive="$IMAGES_CACHE/archives/localhost_jobplatform_$VERSION.tar"
  if [[ "$(cat "$archive.key" 2>/dev/null)" != "$key" ]]; then
    "$here/wheelhouse.sh" build/wheelhouse
  fi
  KEY=$key "$here/build-image.sh" "localhost/jobplatform:$VERSION" services/Dockerfile . $base
}

datastores() {
  local base
  base=$("$here/debian-base.sh" datastores redis-server,postgresql)
  "$here/build-image.sh" localhost/jobplatform/redis:bookworm "$here/redis/Dockerfile" \
    "$here/redis" "$base"
  "$here/build-image.sh" localhost/jobplatform/postgres:bookworm "$here/postgres/Dockerfile" \
    "$here/postgres" "$base"
}

node() {
  local coredns ctx
  # The cluster harness passes the binary it already has; otherwise the toolchain provides it.
  coredns=${COREDNS_BIN:-$(bash tests/cluster/harness/toolchain.sh)/coredns}
  ctx=$(mktemp -d)
  trap 'rm -rf "$ctx"' RETURN
  mkdir "$ctx/pause" "$ctx/coredns"
  cp "$(command -v busybox)" "$ctx/pause/busybox"
  cp "$coredns" "$ctx/coredns/coredns"
  "$here/build-image.sh" localhost/jobplatform/pause:busybox "$here/pause/Dockerfile" "$ctx/pause"
  "$here/build-image.sh" "localhost/jobplatform/coredns:$COREDNS_VERSION" \
    "$here/coredns/Dockerfile" "$ctx/coredns"
}

case "${1:-all}" in
  services) services ;;
  datastores) datastores ;;
  node) node ;;
  all) services; datastores; node ;;
  *) echo "usage: $0 [services|datastores|node|all]" >&2; exit 2 ;;
esac
