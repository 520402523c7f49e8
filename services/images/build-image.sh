#!/usr/bin/env bash
# Builds one Dockerfile into an image and an archive a container runtime can import
# (`ctr images import`): with `docker build` where a Docker daemon answers, otherwise with
# buildah. Prints the image reference and its size on its last line.
#
#   services/images/build-image.sh REF DOCKERFILE CONTEXT_DIR [BASE]
#
# The archive is kept in the cache under a key of the inputs (KEY, computed by the caller, or
# of the Dockerfile and context otherwise): an unchanged image is not rebuilt.
set -euo pipefail
source "$(dirname "$0")/common.sh"

ref=$1 dockerfile=$2 context=$3 base=${4:-}
key=${KEY:-$( (cat "$dockerfile"; echo "$base"; tar -C "$context" --sort=name --mtime=@0 \
  --owner=0 --group=0 -cf - .) | sha256sum | cut -c1-16)}
archive="$IMAGES_CACHE/archives/$(echo "$ref" | tr '/:' '__').tar"
mkdir -p "$(dirname "$archive")"

if [[ -f $archive && "$(cat "$archive.key" 2>/dev/null)" == "$key" ]]; then
  log "$ref is up to date"
else
  build_args=()
  [[ -n $base ]] && build_args=(--build-arg "BASE=$base")
  start=$SECONDS
  if docker_answers; then
    docker build --quiet -t "$ref" -f "$dockerfile" "${build_args[@]}" "$context" >/dev/null
    docker save -o "$archive.partial" "$ref"
  else
    # --pull=never: BASE is a local image; chroot isolation and host networking need neither
    # user namespaces nor a network setup inside the build.
    buildah_ bud --quiet --pull=never --isolation chroot --network host --layers=false \
      -t "$ref" -f "$dockerfile" "${build_args[@]}" "$context" >/dev/null
    rm -f "$archive.partial"
    buildah_ push --quiet "$ref" "oci-archive:$archive.partial:$ref" >/dev/null
  fi
  mv "$archive.partial" "$archive"
  echo "$key" >"$archive.key"
  log "$ref built in $((SECONDS - start)) s"
fi

if docker_answers; then
  size=$(numfmt --to=si --suffix=B "$(docker image inspect --format '{{.Size}}' "$ref")")
else
  size=$(buildah_ images --format '{{.Size}}' "$ref")
fi
echo "$ref $size (archive $(du -h "$archive" | cut -f1))"
