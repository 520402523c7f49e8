# Shared by the image scripts: where images and their inputs are cached (outside the
# repository, keyed by content), and how buildah is called on a machine without Docker.
# The repository's root (this folder is services/images), and its virtualenv first on PATH:
# uv and pip live there, not in the system Python.
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
[[ -x "$REPO_ROOT/.venv/bin/python" ]] && PATH="$REPO_ROOT/.venv/bin:$PATH"
IMAGES_CACHE="${JOBPLATFORM_IMAGES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/jobplatform/images}"
DEBIAN_SUITE="${DEBIAN_SUITE:-bookworm}"
mkdir -p "$IMAGES_CACHE"

log() { printf '[images] %s\n' "$*" >&2; }

# A private buildah store: vfs needs no overlay mounts, chroot isolation needs no user
# namespaces, and the machine-wide image store is left alone.
buildah_() {
  buildah --root "$IMAGES_CACHE/buildah/root" --runroot "$IMAGES_CACHE/buildah/run" \
    --storage-driver vfs "$@"
}

docker_answers() {
  command -v docker >/dev/null && timeout 5 docker info >/dev/null 2>&1
}
