"""Whether this machine can run the test cluster's real node, and if not, exactly why."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

# Set by CI (.ci/run): a machine that cannot run the real node fails instead of skipping.
REQUIRE_ENV = "JOBPLATFORM_REQUIRE_REAL_NODE"
COMMANDS = (
    "containerd",
    "containerd-shim-runc-v2",
    "runc",
    "ctr",
    "ip",
    "iptables",
    "ip6tables",
    "conntrack",
    "mount",
)
NODE_BINARIES = ("kubelet", "kube-proxy", "coredns")
CNI_PLUGINS = ("bridge", "host-local", "loopback")
CNI_BIN_DIR = Path("/usr/lib/cni")
# CAP_NET_ADMIN (12) for the bridge and iptables, CAP_SYS_ADMIN (21) for mounts.
NEEDED_CAPABILITIES = {12: "CAP_NET_ADMIN", 21: "CAP_SYS_ADMIN"}


def _effective_capabilities() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("CapEff:"):
            return int(line.split()[1], 16)
    return 0


def why_no_real_node(bin_dir: Path) -> str | None:
    """None when the real node can run here; otherwise the reason, for a skip message."""
    if os.geteuid() != 0:
        return "the real node needs root (containerd, kubelet, a bridge, iptables)"
    caps = _effective_capabilities()
    missing_caps = [name for bit, name in NEEDED_CAPABILITIES.items() if not caps >> bit & 1]
    if missing_caps:
        return f"missing capabilities for the real node: {', '.join(missing_caps)}"
    missing = [c for c in COMMANDS if shutil.which(c) is None]
    if missing:
        return (
            f"commands missing for the real node: {', '.join(missing)} "
            "(Debian: containerd runc iptables conntrack)"
        )
    plugins = [p for p in CNI_PLUGINS if not (CNI_BIN_DIR / p).exists()]
    if plugins:
        return (
            f"CNI plugins missing in {CNI_BIN_DIR}: {', '.join(plugins)} "
            "(Debian: containernetworking-plugins)"
        )
    binaries = [b for b in NODE_BINARIES if not (bin_dir / b).exists()]
    if binaries:
        return f"{', '.join(binaries)} not built in {bin_dir} (tests/cluster/harness/toolchain.sh)"
    if not (
        Path("/sys/fs/cgroup/memory").is_dir() or Path("/sys/fs/cgroup/cgroup.controllers").exists()
    ):
        return "no cgroup filesystem at /sys/fs/cgroup"
    if shutil.which("buildah") is None and shutil.which("docker") is None:
        return "neither buildah nor docker to build the images the node runs"
    return None


def real_node_required() -> bool:
    return os.environ.get(REQUIRE_ENV, "") not in ("", "0", "false")
