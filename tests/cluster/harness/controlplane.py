"""Start and stop a real Kubernetes control plane on loopback.

    python tests/cluster/harness/controlplane.py up   [--state-dir DIR] [--nodes N]
    python tests/cluster/harness/controlplane.py down [--state-dir DIR]

`up` builds or reuses the binaries (toolchain.sh), starts etcd, kube-apiserver,
kube-controller-manager, kube-scheduler and kwok, each by PID, creates N fake nodes and
writes the admin kubeconfig to DIR/admin.kubeconfig. `down` stops them by PID.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
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
    from harness import pki
else:
    from . import kubeconfig as kc
    from . import pki

HERE = Path(__file__).resolve().parent
DEFAULT_STATE = Path(
    os.environ.get("JOBPLATFORM_CLUSTER_DIR", Path(tempfile.gettempdir()) / "jobplatform-cluster")
)
SERVICE_CIDR = "10.96.0.0/16"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def provide_binaries() -> Path:
    """Build or reuse the cached binaries; returns their directory."""
    result = subprocess.run(
        ["bash", str(HERE / "toolchain.sh")], check=True, stdout=subprocess.PIPE, text=True
    )
    return Path(result.stdout.strip().splitlines()[-1])


def _wait(
    what: str,
    probe,
    timeout: float = 90.0,
    proc: subprocess.Popen | None = None,
    log: Path | None = None,
) -> None:  # type: ignore[type-arg,no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = log.read_text()[-4000:] if log and log.exists() else ""
            raise RuntimeError(f"{what} exited with {proc.returncode}:\n{tail}")
        try:
            if probe():
                return
        except Exception:  # still starting
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{what} was not ready within {timeout}s")


class ControlPlane:
    def __init__(self, state_dir: Path = DEFAULT_STATE, bin_dir: Path | None = None):
        self.state = state_dir
        self.bin = bin_dir
        self.pki = state_dir / "pki"
        self.logs = state_dir / "logs"
        self.pids_file = state_dir / "pids.json"
        self.admin_kubeconfig = state_dir / "admin.kubeconfig"
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    # -- processes -----------------------------------------------------------------------
    def _start(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        assert self.bin is not None
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - the child keeps it
        proc = subprocess.Popen(
            [str(self.bin / args[0]), *args[1:]],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.procs[name] = proc
        self._save_pids()
        return proc

    def _save_pids(self) -> None:
        self.pids_file.write_text(json.dumps({n: p.pid for n, p in self.procs.items()}))

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
    def up(self, nodes: int = 3) -> ControlPlane:
        started = time.monotonic()
        if self.pids_file.exists():
            self.down()
        shutil.rmtree(self.state, ignore_errors=True)
        for d in (self.pki, self.logs):
            d.mkdir(parents=True)
        self.bin = self.bin or provide_binaries()
        try:
            self._make_pki()
            self._start_etcd()
            self._start_apiserver()
            self._start_controllers()
            self._start_kwok()
            self._add_nodes(nodes)
        except BaseException:
            self.down()
            raise
        print(
            f"control plane up in {time.monotonic() - started:.1f}s; "
            f"KUBECONFIG={self.admin_kubeconfig}",
            file=sys.stderr,
        )
        return self

    def _make_pki(self) -> None:
        pki.make_ca(self.pki)
        pki.make_cert(
            self.pki,
            "apiserver",
            "/CN=kube-apiserver",
            server_sans=[
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

    def _start_etcd(self) -> None:
        self.etcd_port, peer = _free_port(), _free_port()
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
                f"http://127.0.0.1:{_free_port()}",
            ],
        )
        _wait(
            "etcd",
            lambda: urllib.request.urlopen(f"{url}/health", timeout=2).status == 200,
            proc=proc,
            log=self.logs / "etcd.log",
        )

    def _start_apiserver(self) -> None:
        port = _free_port()
        self.server = f"https://127.0.0.1:{port}"
        p = self.pki
        proc = self._start(
            "kube-apiserver",
            [
                "kube-apiserver",
                f"--etcd-servers=http://127.0.0.1:{self.etcd_port}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--secure-port={port}",
                f"--cert-dir={p}",
                f"--tls-cert-file={p}/apiserver.crt",
                f"--tls-private-key-file={p}/apiserver.key",
                f"--client-ca-file={p}/ca.crt",
                f"--service-account-key-file={p}/sa.pub",
                f"--service-account-signing-key-file={p}/sa.key",
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                "--authorization-mode=RBAC",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                "--enable-admission-plugins=NamespaceLifecycle,LimitRanger,ServiceAccount,"
                "DefaultStorageClass,ResourceQuota,PodSecurity,ValidatingAdmissionPolicy,"
                "MutatingAdmissionWebhook,ValidatingAdmissionWebhook",
                "--allow-privileged=true",
                "--endpoint-reconciler-type=none",
                "--profiling=false",
                "--v=1",
            ],
        )
        kc.client_cert_kubeconfig(self.admin_kubeconfig, self.server, p, "admin", "admin")
        ctx = ssl.create_default_context(cafile=str(p / "ca.crt"))
        ctx.load_cert_chain(str(p / "admin.crt"), str(p / "admin.key"))
        _wait(
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
                f"--secure-port={_free_port()}",
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
                f"--secure-port={_free_port()}",
                "--leader-elect=false",
                "--v=1",
            ],
        )
        # The default ServiceAccount appears once the controller-manager works: the cluster
        # is usable (and pytest-kubernetes's readiness check passes) from then on.
        _wait(
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
            "--manage-all-nodes=true",
            f"--server-address=127.0.0.1:{_free_port()}",
            "--node-ip=127.0.0.1",
            "--cidr=10.244.0.0/16",
        ]
        for stage in stages:
            args += ["--config", str(stage)]
        self._start("kwok", args)

    def _add_nodes(self, count: int) -> None:
        for i in range(count):
            self.kubectl("apply", "-f", "-", input=json.dumps(fake_node(f"kwok-node-{i}")))
        _wait(
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
        # Reverse start order: kwok and controllers first, etcd last.
        for name in ["kwok", "kube-scheduler", "kube-controller-manager", "kube-apiserver", "etcd"]:
            pid = pids.get(name)
            if pid is None:
                continue
            try:
                os.killpg(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            for _ in range(100):
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                proc = self.procs.get(name)
                if proc is not None and proc.poll() is not None:
                    break
                time.sleep(0.1)
            else:
                os.killpg(pid, signal.SIGKILL)
            proc = self.procs.get(name)
            if proc is not None:
                proc.wait(timeout=10)
        self.procs.clear()
        self.pids_file.unlink(missing_ok=True)


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
    parser.add_argument("command", choices=["up", "down", "binaries"])
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE)
    parser.add_argument("--nodes", type=int, default=3)
    args = parser.parse_args(argv)
    if args.command == "binaries":
        print(provide_binaries())
        return 0
    plane = ControlPlane(args.state_dir)
    if args.command == "up":
        plane.up(nodes=args.nodes)
        print(plane.admin_kubeconfig)
    else:
        plane.down()
        print("control plane stopped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
