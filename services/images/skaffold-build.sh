#!/usr/bin/env bash
# skaffold's custom build command for the platform's images (skaffold.yaml):
#
#   services/images/skaffold-build.sh services|operator
#
# skaffold gives the reference to produce in IMAGE and whether to push it in PUSH_IMAGE.
# The image is built by build.sh (docker where a daemon answers, buildah otherwise; cached by
# content, so an unchanged image is not rebuilt), then tagged IMAGE:
#
# - push (the local cluster): skaffold without a Docker daemon can only learn an image's
#   digest from a registry, so the image goes to the loopback-only registry the dev loop
#   runs (tests/cluster/harness/dev_registry.py) and the node's containerd pulls it from
#   there. A plain-HTTP push is allowed to a loopback registry only.
# - no push (kind on a laptop): the image is tagged in the Docker daemon, and skaffold loads
#   it into kind itself.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"

group=${1:?usage: $0 services|operator}
: "${IMAGE:?skaffold sets IMAGE, the reference to build}"
built=$(bash "$here/build.sh" "$group" | tail -1 | cut -d' ' -f1)

if docker_answers; then
  docker tag "$built" "$IMAGE"
  [[ "${PUSH_IMAGE:-false}" == true ]] && docker push --quiet "$IMAGE" >/dev/null
  exit 0
fi

if [[ "${PUSH_IMAGE:-false}" != true ]]; then
  log "no Docker daemon answers: skaffold must push (build.local.push: true)"
  exit 1
fi
case "${IMAGE%%/*}" in
  localhost:* | 127.0.0.1:* | "[::1]":*) ;;
  *) log "$IMAGE: only a loopback registry is pushed to from here"; exit 1 ;;
esac
# The build may have been taken from the archive cache after the buildah store was emptied.
if ! buildah_ inspect --type image "$built" >/dev/null 2>&1; then
  archive="$IMAGES_CACHE/archives/$(echo "$built" | tr '/:' '__').tar"
  buildah_ pull --quiet "oci-archive:$archive" >/dev/null
fi
buildah_ push --quiet --tls-verify=false "$built" "docker://$IMAGE" >/dev/null
log "$built pushed as $IMAGE"
