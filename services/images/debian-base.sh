#!/usr/bin/env bash
# Makes a Debian root filesystem with mmdebstrap and imports it as a local image, so image
# builds need no registry: the `BASE` of a Dockerfile becomes this local image.
#
#   services/images/debian-base.sh NAME PACKAGE[,PACKAGE...]
#
# The tarball is cached by suite and package list; the apt mirror is the one this machine's
# apt sources name (read at run time). Prints the image reference.
set -euo pipefail
source "$(dirname "$0")/common.sh"

name=$1 packages=$2
key=$(printf '%s %s' "$DEBIAN_SUITE" "$packages" | sha256sum | cut -c1-12)
tarball="$IMAGES_CACHE/rootfs/$name-$DEBIAN_SUITE-$key.tar"
ref="localhost/jobplatform/base-$name:$DEBIAN_SUITE-$key"

if [[ ! -f $tarball ]]; then
  mkdir -p "$(dirname "$tarball")"
  sources=()
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] && sources+=("$f")
  done
  [[ ${#sources[@]} -gt 0 ]] || { log "no apt sources on this machine"; exit 1; }
  log "mmdebstrap $DEBIAN_SUITE with $packages"
  start=$SECONDS
  # Documentation, man pages and apt lists are of no use in an image.
  mmdebstrap --quiet --variant=essential --include="$packages" \
    --dpkgopt='path-exclude=/usr/share/{doc,man,info,locale}/*' \
    --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
    "$DEBIAN_SUITE" "${tarball%.tar}.partial.tar" "${sources[@]}"
  mv "${tarball%.tar}.partial.tar" "$tarball"
  log "root filesystem $name in $((SECONDS - start)) s: $(du -h "$tarball" | cut -f1)"
fi

if docker_answers; then
  docker image inspect "$ref" >/dev/null 2>&1 || docker import "$tarball" "$ref" >/dev/null
elif ! buildah_ inspect --type image "$ref" >/dev/null 2>&1; then
  ctr=$(buildah_ from scratch)
  buildah_ add --quiet "$ctr" "$tarball" / >/dev/null
  buildah_ commit --quiet "$ctr" "$ref" >/dev/null
  buildah_ rm "$ctr" >/dev/null
fi
echo "$ref"
