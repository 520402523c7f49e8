"""Start and stop a real Kubernetes control plane, with kwok nodes and one real node.

    python tests/cluster/harness/controlplane.py up   [--state-dir DIR] [--nodes N] [--no-real-node]
    python tests/cluster/harness/controlplane.py down [--state-dir DIR]
    python tests/cluster/harness/controlplane.py load-images [--state-dir DIR]

`up` builds or reuses the binaries (toolchain.sh), starts etcd, kube-apiserver,
kube-controller-manager, kube-scheduler and kwok, each by PID, creates N fake nodes and
writes the admin kubeconfig to DIR/admin.kubeconfig. Where the machine can run containers
(node_support.py) it also starts the real node (real_node.py): the apiserver then listens on
the node's bridge address instead of 127.0.0.1, so pods reach it. `down` stops everything by
PID and puts the machine back as it was found. `load-images` imports the images
`make images` built into the real node.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from harness import kubeconfig as kc  # type: ignore[no-redef]
    from harness import node_owner, pki
    from harness.node_network import NodeNetwork
    from harness.node_support import why_no_real_node
    from harness.real_node import (
        NODE_PROCESSES,
        RealNode,
        default_network,
        image_archives_dir,
        make_node_pki,
    )
    from harness.startup import free_port, wait_until
else:
    from . import kubeconfig as kc
    from . import node_owner, pki
    from .node_network import NodeNetwork
    from .node_support import why_no_real_node
    from .real_node import (
        NODE_PROCESSES,
        RealNode,
        default_network,
        image_archives_dir,
        make_node_pki,
    )
    from .startup import free_port, wait_until

HERE = Path(__file__).resolve().parent
DEFAULT_STATE = Path(
    os.environ.get("JOBPLATFORM_CLUSTER_DIR", Path(tempfile.gettempdir()) / "jobplatform-cluster")
)
SERVICE_CIDR = "10.96.0.0/16"
# Fake pod IPs that kwok hands out: inside the pod range (routed to the bridge), apart from the
# real node's own addresses.
KWOK_POD_CIDR = "10.244.128.0/17"


def provide_binaries() -> Path:
    """Build or reuse the cached binaries; returns their directory."""
    result = subprocess.run(
        ["bash", str(HERE / "toolchain.sh")], check=True, stdout=subprocess.PIPE, text=True
    )
    return Path(result.stdout.strip().splitlines()[-1])


class ControlPlane:
    def __init__(self, state_dir: Path = DEFAULT_STATE, bin_dir: Path | None = None):
        self.state = state_dir
        self.bin = bin_dir
        self.pki = state_dir / "pki"
        self.logs = state_dir / "logs"
        self.pids_file = state_dir / "pids.json"
        self.node_file = state_dir / "real-node.json"
        self.admin_kubeconfig = state_dir / "admin.kubeconfig"
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.node: RealNode | None = None
        self.no_real_node_reason: str | None = "not started"
        self.address = "127.0.0.1"

    # -- processes -----------------------------------------------------------------------
    def _start(
        self, name: str, args: list[str], env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        assert self.bin is not None
        # Ours from the binary cache; containerd is the machine's (Debian's).
        program = self.bin / args[0]
        executable = str(program) if program.exists() else shutil.which(args[0]) or args[0]
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - the child keeps it
        proc = subprocess.Popen(
            [executable, *args[1:]],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=env,
        )
        log.close()
        self.procs[name] = proc
        self._save_pids()
        return proc

    def _save_pids(self) -> None:
        self.pids_file.write_text(json.dumps({n: p.pid for n, p in self.procs.items()}))

    def _real_node(self, network: NodeNetwork) -> RealNode:
        assert self.bin is not None
        return RealNode(self.state, self.bin, network, self._start, self.kubectl)

    def kubectl(self, *args: str, check: bool = True, input: str | None = None) -> str:
        assert self.bin is not None
        return subprocess.run(
            [str(self.bin / "kubectl"), "--kubeconfig", str(self.admin_kubeconfig), *args],
            check=check,
            capture_output=True,
            text=True,
            input=input,
        ).stdout

    # -- lifecycle -----------------------------------------------------------------------
    def up(self, nodes: int = 3, real_node: bool = True) -> ControlPlane:
        started = time.monotonic()
        if self.pids_file.exists() or self.node_file.exists():
            self.down()
        shutil.rmtree(self.state, ignore_errors=True)
        for d in (self.pki, self.logs):
            d.mkdir(parents=True)
        self.bin = self.bin or provide_binaries()
        self.no_real_node_reason = (
            why_no_real_node(self.bin) if real_node else "not asked for (--no-real-node)"
        )
        network = default_network(os.environ.get("JOBPLATFORM_BRIDGE", "jpnode0"))
        if self.no_real_node_reason is None and network.in_use():
            self._clean_up_abandoned_node()
        if self.no_real_node_reason is None and network.in_use():
            # One real node per machine (its bridge, addresses and routes are fixed): a second
            # cluster started meanwhile runs with kwok nodes only.
            self.no_real_node_reason = (
                f"another test cluster's real node runs on this machine (bridge {network.bridge})"
            )
        if self.no_real_node_reason is None:
            self.node = self._real_node(network)
            self.address = network.gateway
        try:
            self._make_pki()
            if self.node is not None:
                self.node.build_node_images()
                self.node_file.write_text(json.dumps(self.node.net.__dict__))
                node_owner.claim(self.state)
                self.node.prepare_host()
            self._start_etcd()
            self._start_apiserver()
            self._start_controllers()
            self._start_kwok()
            self._add_nodes(nodes)
            if self.node is not None:
                self.node.start(self.server)
        except BaseException:
            self.down()
            raise
        print(
            f"cluster up in {time.monotonic() - started:.1f}s "
            f"({'with' if self.node else 'without'} the real node"
            f"{'' if self.node else ': ' + str(self.no_real_node_reason)}); "
            f"KUBECONFIG={self.admin_kubeconfig}",
            file=sys.stderr,
        )
        return self

    def load_images(self, archives: list[Path] | None = None) -> list[str]:
        """Import image archives (by default every one `make images` built) into the real
        node; returns the images it holds."""
        node = self._node_from_state()
        if node is None:
            raise RuntimeError("this cluster has no real node")
        loaded: list[str] = node.load_images(archives or sorted(image_archives_dir().glob("*.tar")))
        return loaded

    def _clean_up_abandoned_node(self) -> None:
        """Take the real node back from a cluster that was killed without its `down`."""
        abandoned = node_owner.abandoned_owner()
        if abandoned is None or abandoned == self.state.resolve():
            return
        print(
            f"real node: the cluster in {abandoned} no longer runs but left its node behind; "
            "cleaning it up",
            file=sys.stderr,
        )
        ControlPlane(abandoned, self.bin).down()

    def _node_from_state(self) -> RealNode | None:
        if self.node is not None:
            return self.node
        if not self.node_file.exists():
            return None
        self.bin = self.bin or provide_binaries()
        self.node = self._real_node(NodeNetwork(**json.loads(self.node_file.read_text())))
        return self.node

    def _make_pki(self) -> None:
        pki.make_ca(self.pki)
        node_sans = [f"IP:{self.address}"] if self.node else []
        pki.make_cert(
            self.pki,
            "apiserver",
            "/CN=kube-apiserver",
            server_sans=[
                *node_sans,
                "IP:127.0.0.1",
                "IP:10.96.0.1",
                "DNS:localhost",
                "DNS:kubernetes",
                "DNS:kubernetes.default",
                "DNS:kubernetes.default.svc",
            ],
        )
        pki.make_cert(self.pki, "admin", "/O=system:masters/CN=admin")
        pki.make_cert(self.pki, "controller-manager", "/CN=system:kube-controller-manager")
        pki.make_cert(self.pki, "scheduler", "/CN=system:kube-scheduler")
        # kwok writes node and pod status for every fake node: the masters group is simplest.
        pki.make_cert(self.pki, "kwok", "/O=system:masters/CN=kwok")
        pki.make_service_account_keys(self.pki)
        if self.node is not None:
            make_node_pki(self.pki, self.node.net.gateway)

    def _start_etcd(self) -> None:
        self.etcd_port, peer = free_port(), free_port()
        url, peer_url = f"http://127.0.0.1:{self.etcd_port}", f"http://127.0.0.1:{peer}"
        proc = self._start(
            "etcd",
            [
                "etcd",
                "--name",
                "default",
                "--data-dir",
                str(self.state / "etcd"),
                "--listen-client-urls",
                url,
                "--advertise-client-urls",
                url,
                "--listen-peer-urls",
                peer_url,
                "--initial-advertise-peer-urls",
                peer_url,
                "--initial-cluster",
                f"default={peer_url}",
                "--unsafe-no-fsync",
                "--listen-metrics-urls",
                f"http://127.0.0.1:{free_port()}",
            ],
        )
        wait_until(
            "etcd",
            lambda: urllib.request.urlopen(f"{url}/health", timeout=2).status == 200,
            proc=proc,
            log=self.logs / "etcd.log",
        )

    def _start_apiserver(self) -> None:
        port = free_port()
        self.server = f"https://{self.address}:{port}"
        p = self.pki
        # With a real node: pods reach the apiserver on the bridge address through the
        # `kubernetes` Service (the lease reconciler keeps its endpoint), and the apiserver
        # reaches kubelets (logs, exec, port-forward) with its own client certificate.
        node_args = (
            [
                "--endpoint-reconciler-type=lease",
                f"--kubelet-client-certificate={p}/apiserver-kubelet-client.crt",
                f"--kubelet-client-key={p}/apiserver-kubelet-client.key",
                "--kubelet-preferred-address-types=InternalIP",
            ]
            if self.node
            else ["--endpoint-reconciler-type=none"]
        )
        proc = self._start(
            "kube-apiserver",
            [
                "kube-apiserver",
                f"--etcd-servers=http://127.0.0.1:{self.etcd_port}",
                f"--bind-address={self.address}",
                f"--advertise-address={self.address}",
                f"--secure-port={port}",
                f"--cert-dir={p}",
                f"--tls-cert-file={p}/apiserver.crt",
                f"--tls-private-key-file={p}/apiserver.key",
                f"--client-ca-file={p}/ca.crt",
                f"--service-account-key-file={p}/sa.pub",
                f"--service-account-signing-key-file={p}/sa.key",
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                "--authorization-mode=Node,RBAC",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                "--enable-admission-plugins=NamespaceLifecycle,LimitRanger,ServiceAccount,"
                "DefaultStorageClass,ResourceQuota,PodSecurity,ValidatingAdmissionPolicy,"
                "MutatingAdmissionWebhook,ValidatingAdmissionWebhook,NodeRestriction",
                "--allow-privileged=true",
                *node_args,
                "--profiling=false",
                "--v=1",
            ],
        )
        kc.client_cert_kubeconfig(self.admin_kubeconfig, self.server, p, "admin", "admin")
        ctx = ssl.create_default_context(cafile=str(p / "ca.crt"))
        ctx.load_cert_chain(str(p / "admin.crt"), str(p / "admin.key"))
        wait_until(
            "kube-apiserver",
            lambda: (
                urllib.request.urlopen(f"{self.server}/readyz", context=ctx, timeout=3).status
                == 200
            ),
            timeout=120,
            proc=proc,
            log=self.logs / "kube-apiserver.log",
        )

    def _start_controllers(self) -> None:
        p = self.pki
        cm = kc.client_cert_kubeconfig(
            self.state / "controller-manager.kubeconfig",
            self.server,
            p,
            "controller-manager",
            "system:kube-controller-manager",
        )
        sched = kc.client_cert_kubeconfig(
            self.state / "scheduler.kubeconfig",
            self.server,
            p,
            "scheduler",
            "system:kube-scheduler",
        )
        self._start(
            "kube-controller-manager",
            [
                "kube-controller-manager",
                f"--kubeconfig={cm}",
                f"--authentication-kubeconfig={cm}",
                f"--authorization-kubeconfig={cm}",
                "--bind-address=127.0.0.1",
                f"--secure-port={free_port()}",
                f"--service-account-private-key-file={p}/sa.key",
                f"--root-ca-file={p}/ca.crt",
                f"--cluster-signing-cert-file={p}/ca.crt",
                f"--cluster-signing-key-file={p}/ca.key",
                "--use-service-account-credentials=true",
                "--leader-elect=false",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                "--controllers=*",
                "--concurrent-deployment-syncs=5",
                "--v=1",
            ],
        )
        self._start(
            "kube-scheduler",
            [
                "kube-scheduler",
                f"--kubeconfig={sched}",
                f"--authentication-kubeconfig={sched}",
                f"--authorization-kubeconfig={sched}",
                "--bind-address=127.0.0.1",
                f"--secure-port={free_port()}",
                "--leader-elect=false",
                "--v=1",
            ],
        )
        # The default ServiceAccount appears once the controller-manager works: the cluster
        # is usable (and pytest-kubernetes's readiness check passes) from then on.
        wait_until(
            "the default ServiceAccount",
            lambda: (
                self.kubectl(
                    "get", "serviceaccount", "default", "-n", "default", check=False
                ).strip()
                != ""
            ),
            timeout=120,
        )

    def _start_kwok(self) -> None:
        assert self.bin is not None
        kwok_cfg = kc.client_cert_kubeconfig(
            self.state / "kwok.kubeconfig", self.server, self.pki, "kwok", "kwok"
        )
        stages = sorted((self.bin.parent / "kwok-stages").glob("*.yaml"))
        args = [
            "kwok",
            f"--kubeconfig={kwok_cfg}",
            # Only the fake nodes: with all nodes it would take the real node over.
            "--manage-all-nodes=false",
            "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
            f"--server-address=127.0.0.1:{free_port()}",
            "--node-ip=127.0.0.1",
            f"--cidr={KWOK_POD_CIDR}",
        ]
        for stage in stages:
            args += ["--config", str(stage)]
        self._start("kwok", args)

    def _add_nodes(self, count: int) -> None:
        for i in range(count):
            self.kubectl("apply", "-f", "-", input=json.dumps(fake_node(f"kwok-node-{i}")))
        wait_until(
            f"{count} Ready fake nodes",
            lambda: (
                self.kubectl(
                    "get",
                    "nodes",
                    "-o",
                    "jsonpath={.items[*].status.conditions[?(@.type=='Ready')].status}",
                )
                .split()
                .count("True")
                == count
            ),
            timeout=60,
            proc=self.procs.get("kwok"),
            log=self.logs / "kwok.log",
        )

    def down(self) -> None:
        pids: dict[str, int] = {}
        if self.pids_file.exists():
            pids = json.loads(self.pids_file.read_text())
        pids.update({n: p.pid for n, p in self.procs.items()})
        node = self._node_from_state()
        if node is not None:
            if _alive(pids.get("kubelet")) and _alive(pids.get("kube-apiserver")):
                # No pod is placed on the node any more, then the kubelet stops every pod
                # (containers, sandboxes, network namespaces) itself.
                self._stop("kube-scheduler", pids)
                node.drain()
            if _alive(pids.get("containerd")):
                node.containerd.kill_tasks()
        # Reverse start order: the node, kwok and controllers first, etcd last.
        for name in [
            *NODE_PROCESSES,
            "kwok",
            "kube-scheduler",
            "kube-controller-manager",
            "kube-apiserver",
            "etcd",
        ]:
            self._stop(name, pids)
        self.procs.clear()
        self.pids_file.unlink(missing_ok=True)
        if node is not None:
            for change in node.cleanup_host():
                print(f"real node: {change}", file=sys.stderr)
            self.node_file.unlink(missing_ok=True)
            node_owner.release(self.state)
            self.node = None

    def _stop(self, name: str, pids: dict[str, int]) -> None:
        pid = pids.get(name)
        if pid is None:
            return
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        proc = self.procs.get(name)
        for _ in range(150):
            if proc is not None and proc.poll() is not None:
                break
            if proc is None and not _alive(pid):
                break
            time.sleep(0.1)
        else:
            os.killpg(pid, signal.SIGKILL)
        if proc is not None:
            proc.wait(timeout=10)


def _alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A child that exited but was not waited for is a zombie: not alive.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (OSError, IndexError):
        return False


def fake_node(name: str) -> dict[str, object]:
    """A Node kwok keeps Ready; pods scheduled onto it become Running and Ready."""
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "type": "kwok",
            },
        },
        "spec": {},
        "status": {
            "allocatable": {"cpu": "32", "memory": "256Gi", "pods": "110"},
            "capacity": {"cpu": "32", "memory": "256Gi", "pods": "110"},
            "nodeInfo": {
                "architecture": "amd64",
                "operatingSystem": "linux",
                "kubeletVersion": "fake",
                "kubeProxyVersion": "fake",
            },
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["up", "down", "binaries", "load-images"])
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE)
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument(
        "--no-real-node", action="store_true", help="only kwok nodes, even where pods can run"
    )
    args = parser.parse_args(argv)
    if args.command == "binaries":
        print(provide_binaries())
        return 0
    plane = ControlPlane(args.state_dir)
    if args.command == "up":
        plane.up(nodes=args.nodes, real_node=not args.no_real_node)
        print(plane.admin_kubeconfig)
    elif args.command == "load-images":
        for image in plane.load_images():
            print(image)
    else:
        plane.down()
        print("control plane stopped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
