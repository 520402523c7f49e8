"""The real node's container runtime: Debian's containerd with its config, root, state and
socket in the cluster's state directory, never the machine-wide ones."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
from pathlib import Path

from .node_network import NodeNetwork

CNI_BIN_DIR = "/usr/lib/cni"  # where Debian's containernetworking-plugins land
NAMESPACE = "k8s.io"  # the containerd namespace the CRI plugin uses
PAUSE_IMAGE = "localhost/jobplatform/pause:busybox"
# Registry traffic goes to this closed local port: an image that is not loaded here fails to
# pull at once, and no pull ever leaves the machine.
NO_REGISTRY_PROXY = "http://127.0.0.1:9"


class Containerd:
    def __init__(self, state: Path, network: NodeNetwork) -> None:
        self.dir = state / "containerd"
        self.cni_dir = state / "cni"
        self.socket = self.dir / "containerd.sock"
        self.config = self.dir / "config.toml"
        self.net = network

    def write_config(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.cni_dir / "net.d").mkdir(parents=True, exist_ok=True)
        d, cni = self.dir, self.cni_dir
        # restrict_oom_score_adj: without CAP_SYS_RESOURCE the sandbox's oom_score_adj -998
        # kills runc. netns_mounts_under_state_dir: network namespaces under our state, so
        # unmounting the state directory removes them.
        self.config.write_text(f"""version = 2
root = "{d}/root"
state = "{d}/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "{self.socket}"
[ttrpc]
  address = "{self.socket}.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "{d}/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{PAUSE_IMAGE}"
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{CNI_BIN_DIR}"
    conf_dir = "{cni}/net.d"
""")
        # The bridge exists already (with the gateway address); ipMasq false: pod traffic is
        # never rewritten to leave as the host. A pod gets no default route, only routes to
        # the pod and Service ranges through the bridge: any other address is unreachable
        # from inside it. hairpinMode: a pod reaches itself through a Service.
        net = self.net
        (cni / "net.d" / "10-jobplatform.conflist").write_text(
            json.dumps(
                {
                    "cniVersion": "1.0.0",
                    "name": "jobplatform",
                    "plugins": [
                        {
                            "type": "bridge",
                            "bridge": net.bridge,
                            "isGateway": True,
                            "ipMasq": False,
                            "hairpinMode": True,
                            "ipam": {
                                "type": "host-local",
                                "ranges": [[{"subnet": net.node_subnet, "gateway": net.gateway}]],
                                "routes": [{"dst": net.pod_cidr}, {"dst": net.service_cidr}],
                                "dataDir": str(cni / "ipam"),
                            },
                        }
                    ],
                },
                indent=2,
            )
        )

    def args(self) -> list[str]:
        return ["containerd", "--config", str(self.config)]

    @staticmethod
    def env() -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        env.update(HTTP_PROXY=NO_REGISTRY_PROXY, HTTPS_PROXY=NO_REGISTRY_PROXY, NO_PROXY="")
        return env

    def ctr(self, *args: str, check: bool = True) -> str:
        return subprocess.run(
            ["ctr", "--address", str(self.socket), "--namespace", NAMESPACE, *args],
            capture_output=True,
            text=True,
            check=check,
        ).stdout

    def import_image(self, archive: Path) -> None:
        # Unpacked into the snapshotter the CRI uses, or a container cannot be created from it.
        self.ctr("images", "import", "--snapshotter", "overlayfs", str(archive))

    def images(self) -> list[str]:
        return self.ctr("images", "list", "--quiet").split()

    def running_tasks(self) -> list[str]:
        out = self.ctr("tasks", "list", check=False)
        return [line.split()[0] for line in out.splitlines()[1:] if "RUNNING" in line]

    def shim_pids(self) -> list[int]:
        """The shims this containerd started: each names its containerd's socket."""
        pids = []
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if (
                cmdline
                and cmdline[0].endswith(b"containerd-shim-runc-v2")
                and (str(self.socket).encode() in cmdline)
            ):
                pids.append(int(proc.name))
        return pids

    def kill_tasks(self) -> None:
        """While containerd runs: containers the kubelet did not stop."""
        for task in self.running_tasks():
            self.ctr("tasks", "kill", "--all", "--signal", "SIGKILL", task, check=False)
        for task in self.ctr("tasks", "list", "--quiet", check=False).split():
            self.ctr("tasks", "delete", "--force", task, check=False)

    def kill_leftover_shims(self) -> None:
        """After containerd stopped: the shims it started, by PID."""
        for pid in self.shim_pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
