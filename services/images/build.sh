#!/usr/bin/env bash
# Builds the images of the platform and of its test cluster, each cached under a key of its
# inputs, and prints each reference with its size.
#
#   services/images/build.sh [services|operator|datastores|node|all]   (default: all)
#
#   services    localhost/jobplatform:<version>  services/Dockerfile, from the wheelhouse
#   operator    localhost/jobplatform/operator:<version>  operator/Dockerfile, the same wheelhouse
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

python_base() {
  # What the official slim image has too: tzdata (zoneinfo, which kombu needs), netbase.
  docker_answers || "$here/debian-base.sh" python python3,python3-venv,ca-certificates,netbase,tzdata
}

# The key of an image installed from the wheelhouse: its Dockerfile, what goes into the
# wheelhouse (the project's files as they are now, but not its Markdown, and the lock) and its
# base.
project_image_key() {
  (cat "$1" pyproject.toml requirements.lock "$here/wheelhouse.sh"; echo "$2"
   git ls-files -z services operator ':!:*.md' | sort -z | xargs -0 sha256sum) |
    sha256sum | cut -c1-16
}

# Builds an image from the wheelhouse; the wheelhouse is made once per run, and only when an
# image is out of date.
wheelhouse_made=""
project_image() {
  local ref=$1 dockerfile=$2 base key
  base=$(python_base)
  key=$(project_image_key "$dockerfile" "$base")
  local archive
  archive="$IMAGES_CACHE/archives/$(echo "$ref" | tr '/:' '__').tar"
  if [[ "$(cat "$archive.key" 2>/dev/null)" != "$key" && -z $wheelhouse_made ]]; then
    "$here/wheelhouse.sh" build/wheelhouse
    wheelhouse_made=1
  fi
  KEY=$key "$here/build-image.sh" "$ref" "$dockerfile" . $base
}

services() {
  project_image "localhost/jobplatform:$VERSION" services/Dockerfile
}

operator() {
  project_image "localhost/jobplatform/operator:$VERSION" operator/Dockerfile
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
  operator) operator ;;
  datastores) datastores ;;
  node) node ;;
  all) services; operator; datastores; node ;;
  *) echo "usage: $0 [services|operator|datastores|node|all]" >&2; exit 2 ;;
esac
