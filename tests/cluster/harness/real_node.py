"""The test cluster's real node: containerd, the kubelet and kube-proxy run here as processes,
pods run in containers on the cluster's bridge, and CoreDNS runs as one of them.

The node is tainted (TAINT) and labelled (LABELS): workloads meant for it tolerate the taint
and select it, everything else keeps landing on the kwok nodes as before.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from . import cluster_dns, pki
from . import kubeconfig as kc
from .cgroups import remove_kubelet_cgroups
from .containerd_runtime import Containerd
from .host_snapshot import HostSnapshot
from .mounts import unmount_all_under
from .node_network import NodeNetwork
from .startup import free_port, wait_until

NODE_NAME = "jobplatform-node"
LABELS = {"jobplatform.dev/node": "real"}
TAINT = {"key": "jobplatform.dev/node", "value": "real", "effect": "NoSchedule"}
TOLERATION = {
    "key": TAINT["key"],
    "operator": "Equal",
    "value": TAINT["value"],
    "effect": TAINT["effect"],
}
DNS_IP = "10.96.0.10"
NODE_IMAGES = (
    "localhost_jobplatform_pause_busybox.tar",
    "localhost_jobplatform_coredns_1.12.1.tar",
)
REPO = Path(__file__).resolve().parents[3]
NODE_PROCESSES = ("kube-proxy", "kubelet", "containerd")

StartFn = Callable[..., "subprocess.Popen[bytes]"]
KubectlFn = Callable[..., str]


def image_archives_dir() -> Path:
    """Where services/images/build.sh leaves the archives of the images it built."""
    xdg = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    cache = Path(os.environ.get("JOBPLATFORM_IMAGES_CACHE", xdg / "jobplatform" / "images"))
    return cache / "archives"


def default_network(bridge: str = "jpnode0") -> NodeNetwork:
    return NodeNetwork(
        bridge=bridge,
        gateway="10.244.0.1",
        node_subnet="10.244.0.0/24",
        pod_cidr="10.244.0.0/16",
        service_cidr="10.96.0.0/16",
    )


def make_node_pki(pki_dir: Path, gateway: str) -> None:
    """Certificates the node needs, next to the control plane's."""
    # The Node authorizer and NodeRestriction know a kubelet by this group and name.
    pki.make_cert(pki_dir, "kubelet", f"/O=system:nodes/CN=system:node:{NODE_NAME}")
    pki.make_cert(
        pki_dir,
        "kubelet-serving",
        f"/CN={NODE_NAME}",
        server_sans=[f"IP:{gateway}", f"DNS:{NODE_NAME}"],
    )
    pki.make_cert(pki_dir, "kube-proxy", "/CN=system:kube-proxy")
    # kubectl logs/exec/port-forward: the apiserver calls the kubelet with this certificate.
    pki.make_cert(
        pki_dir, "apiserver-kubelet-client", "/O=system:masters/CN=kube-apiserver-kubelet-client"
    )


class RealNode:
    def __init__(
        self, state: Path, bin_dir: Path, network: NodeNetwork, start: StartFn, kubectl: KubectlFn
    ) -> None:
        self.state, self.bin, self.net = state, bin_dir, network
        self.dir = state / "node"
        self.snapshot_file = state / "host-snapshot.json"
        self.containerd = Containerd(state, network)
        self._start, self._kubectl = start, kubectl

    # -- before the control plane --------------------------------------------------------
    def prepare_host(self) -> None:
        """Record the machine as found, then create the bridge the apiserver binds to."""
        if not self.snapshot_file.exists():
            HostSnapshot.take().save(self.snapshot_file)
        self.net.up()

    # -- after the control plane ---------------------------------------------------------
    def start(self, server: str) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        self._start_containerd()
        self.load_images([self._archive(name) for name in NODE_IMAGES])
        self._start_kubelet(server)
        self._start_kube_proxy(server)
        self._start_dns()

    @staticmethod
    def _archive(name: str) -> Path:
        return image_archives_dir() / name

    def build_node_images(self) -> None:
        """The pause and CoreDNS images (cached: quick when nothing changed)."""
        subprocess.run(
            ["bash", str(REPO / "services" / "images" / "build.sh"), "node"],
            check=True,
            env={**os.environ, "COREDNS_BIN": str(self.bin / "coredns")},
            stdout=subprocess.DEVNULL,
        )

    def _start_containerd(self) -> None:
        self.containerd.write_config()
        proc = self._start("containerd", self.containerd.args(), env=self.containerd.env())
        wait_until(
            "containerd",
            lambda: (
                self.containerd.ctr("version", check=False) != ""
                and "Server" in self.containerd.ctr("version", check=False)
            ),
            proc=proc,
            log=self.state / "logs" / "containerd.log",
        )

    def load_images(self, archives: list[Path]) -> list[str]:
        for archive in archives:
            self.containerd.import_image(archive)
        return self.containerd.images()

    def _start_kubelet(self, server: str) -> None:
        p, d = self.state / "pki", self.dir
        kubeconfig = kc.client_cert_kubeconfig(
            d / "kubelet.kubeconfig", server, p, "kubelet", f"system:node:{NODE_NAME}"
        )
        (d / "resolv.conf").write_text("# pods resolve cluster names only (CoreDNS)\n")
        self.kubelet_port = free_port()
        config = {
            "apiVersion": "kubelet.config.k8s.io/v1beta1",
            "kind": "KubeletConfiguration",
            "address": self.net.gateway,
            "port": self.kubelet_port,
            "readOnlyPort": 0,
            "healthzBindAddress": "127.0.0.1",
            "healthzPort": free_port(),
            "authentication": {
                "anonymous": {"enabled": False},
                "webhook": {"enabled": True},
                "x509": {"clientCAFile": str(p / "ca.crt")},
            },
            "authorization": {"mode": "Webhook"},
            "tlsCertFile": str(p / "kubelet-serving.crt"),
            "tlsPrivateKeyFile": str(p / "kubelet-serving.key"),
            "containerRuntimeEndpoint": f"unix://{self.containerd.socket}",
            "imageServiceEndpoint": f"unix://{self.containerd.socket}",
            "clusterDNS": [DNS_IP],
            "clusterDomain": cluster_dns.CLUSTER_DOMAIN,
            "resolvConf": str(d / "resolv.conf"),
            "podLogsDir": str(d / "pod-logs"),
            "volumePluginDir": str(d / "volume-plugins"),
            # cgroup v1 inside a container, without CAP_SYS_RESOURCE and with swap allowed.
            "cgroupDriver": "cgroupfs",
            "failCgroupV1": False,
            "failSwapOn": False,
            "enforceNodeAllocatable": [],
            "evictionHard": {},
            "localStorageCapacityIsolation": False,
            # Image GC would delete images that cannot be pulled again: never.
            "imageGCHighThresholdPercent": 100,
            "imageGCLowThresholdPercent": 99,
            "imageMinimumGCAge": "87600h",
            "rotateCertificates": False,
            "serverTLSBootstrap": False,
            "registerNode": True,
            "maxPods": 60,
            "nodeStatusUpdateFrequency": "5s",
            "syncFrequency": "10s",
        }
        cfg = d / "kubelet.json"
        cfg.write_text(json.dumps(config, indent=2))
        proc = self._start(
            "kubelet",
            [
                "kubelet",
                f"--config={cfg}",
                f"--kubeconfig={kubeconfig}",
                f"--root-dir={d / 'kubelet'}",
                f"--cert-dir={d / 'kubelet-pki'}",
                f"--hostname-override={NODE_NAME}",
                f"--node-ip={self.net.gateway}",
                "--node-labels=" + ",".join(f"{k}={v}" for k, v in LABELS.items()),
                f"--register-with-taints={TAINT['key']}={TAINT['value']}:{TAINT['effect']}",
                "--v=1",
            ],
        )
        wait_until(
            "the real node to be Ready",
            lambda: (
                self._kubectl(
                    "get",
                    "node",
                    NODE_NAME,
                    "-o",
                    "jsonpath={.status.conditions[?(@.type=='Ready')].status}",
                    check=False,
                )
                == "True"
            ),
            timeout=120,
            proc=proc,
            log=self.state / "logs" / "kubelet.log",
        )

    def _start_kube_proxy(self, server: str) -> None:
        d = self.dir
        kubeconfig = kc.client_cert_kubeconfig(
            d / "kube-proxy.kubeconfig", server, self.state / "pki", "kube-proxy", "kube-proxy"
        )
        config = {
            "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
            "kind": "KubeProxyConfiguration",
            "clientConnection": {"kubeconfig": str(kubeconfig)},
            "mode": "iptables",
            "hostnameOverride": NODE_NAME,
            "bindAddress": self.net.gateway,
            "clusterCIDR": self.net.pod_cidr,
            "healthzBindAddress": f"127.0.0.1:{free_port()}",
            "metricsBindAddress": f"127.0.0.1:{free_port()}",
            # NodePorts on the bridge address only, and no conntrack sysctl is changed.
            "nodePortAddresses": [f"{self.net.gateway}/32"],
            "iptables": {"localhostNodePorts": False, "masqueradeAll": False},
            "conntrack": {
                "maxPerCore": 0,
                "min": 0,
                "tcpEstablishedTimeout": "0s",
                "tcpCloseWaitTimeout": "0s",
            },
        }
        cfg = d / "kube-proxy.json"
        cfg.write_text(json.dumps(config, indent=2))
        proc = self._start("kube-proxy", ["kube-proxy", f"--config={cfg}", "--v=1"])
        wait_until(
            "kube-proxy's FORWARD rules",
            lambda: any("KUBE-FORWARD" in rule for rule in self.net.forward_rules()),
            timeout=60,
            proc=proc,
            log=self.state / "logs" / "kube-proxy.log",
        )

    def _start_dns(self) -> None:
        docs = cluster_dns.manifests(DNS_IP, LABELS, TOLERATION)
        self._kubectl(
            "apply",
            "-f",
            "-",
            input=json.dumps({"apiVersion": "v1", "kind": "List", "items": docs}),
        )
        wait_until(
            "CoreDNS to be ready",
            lambda: (
                self._kubectl(
                    "-n",
                    "kube-system",
                    "get",
                    "deployment",
                    "coredns",
                    "-o",
                    "jsonpath={.status.readyReplicas}",
                    check=False,
                )
                == "1"
            ),
            timeout=120,
        )

    # -- stopping ------------------------------------------------------------------------
    def drain(self) -> None:
        """Delete the node's pods through the API so the kubelet stops them (and their
        sandboxes and network namespaces) itself; bounded."""
        self._kubectl(
            "delete",
            "pods",
            "--all-namespaces",
            "--field-selector",
            f"spec.nodeName={NODE_NAME}",
            "--grace-period=1",
            "--wait=false",
            check=False,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            left = self._kubectl(
                "get",
                "pods",
                "--all-namespaces",
                "--field-selector",
                f"spec.nodeName={NODE_NAME}",
                "-o",
                "name",
                check=False,
            )
            if not left.strip() and not self.containerd.running_tasks():
                return
            time.sleep(1)
        print("real node: pods still running after 60 s, killing them", file=sys.stderr)

    def cleanup_host(self) -> list[str]:
        """After every node process stopped: what they left on the machine."""
        done: list[str] = []
        self.containerd.kill_leftover_shims()
        if (self.bin / "kube-proxy").exists():
            subprocess.run([str(self.bin / "kube-proxy"), "--cleanup"], capture_output=True)
        done += unmount_all_under(self.state)
        done += remove_kubelet_cgroups()
        self.net.down()
        if self.snapshot_file.exists():
            done += HostSnapshot.load(self.snapshot_file).restore()
            self.snapshot_file.unlink()
        return done
