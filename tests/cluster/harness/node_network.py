"""The real node's network: one Linux bridge holding the pods, and the containment rules.

Pod and Service addresses must never leave the machine: both ranges are routed to the bridge
(a packet to a Service IP without a kube-proxy rule, or to an unused pod IP, dies there
instead of taking the default route), pod traffic is never masqueraded (the CNI config has
ipMasq false) and a rule drops whatever comes from the bridge towards any other interface.
That rule lives in the mangle table's FORWARD chain: netfilter runs mangle before filter at
the forward hook, so no jump kube-proxy or a CNI plugin inserts at the top of filter FORWARD
(KUBE-FORWARD accepts established and marked traffic) can get in front of it, whatever the
order and timing of their syncs. The bridge's gateway address is also the node's and the
apiserver's address, the one place pods and the host both reach.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

COMMENT = "jobplatform: pod traffic stays on the cluster bridge"
TABLE = "mangle"  # evaluated before filter: see the module docstring


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check)


@dataclass(frozen=True)
class NodeNetwork:
    bridge: str  # starts with "jp": the project's own bridges are recognisable
    gateway: str  # the bridge's address: the node's IP, the apiserver's address
    node_subnet: str  # the real node's pod range, inside pod_cidr
    pod_cidr: str
    service_cidr: str

    def _forward_rule(self) -> list[str]:
        return [
            "FORWARD",
            "-i",
            self.bridge,
            "!",
            "-o",
            self.bridge,
            "-m",
            "comment",
            "--comment",
            COMMENT,
            "-j",
            "DROP",
        ]

    def in_use(self) -> bool:
        return _ip("link", "show", self.bridge, check=False).returncode == 0

    def up(self) -> None:
        if self.in_use():
            raise RuntimeError(
                f"bridge {self.bridge} already exists: another test cluster runs, or one was not "
                "stopped (make cluster-down)"
            )
        prefix = self.node_subnet.split("/")[1]
        _ip("link", "add", self.bridge, "type", "bridge")
        _ip("addr", "add", f"{self.gateway}/{prefix}", "dev", self.bridge)
        _ip("link", "set", self.bridge, "up")
        for cidr in (self.pod_cidr, self.service_cidr):
            _ip("route", "add", cidr, "dev", self.bridge)
        rule = self._forward_rule()
        subprocess.run(["iptables", "-w", "5", "-t", TABLE, "-I", *rule], check=True)

    def _delete_forward_rule(self) -> None:
        """Delete every copy of the drop rule (a partial start may have left several)."""
        while (
            subprocess.run(
                ["iptables", "-w", "5", "-t", TABLE, "-D", *self._forward_rule()],
                capture_output=True,
            ).returncode
            == 0
        ):
            pass

    def forward_rules(self, table: str = "filter") -> list[str]:
        out = subprocess.run(
            ["iptables", "-w", "5", "-t", table, "-S", "FORWARD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return [line for line in out.splitlines() if line.startswith("-A ")]

    def down(self) -> None:
        """Remove the rule, the routes and the bridge; each step tolerates a partial start."""
        self._delete_forward_rule()
        for cidr in (self.pod_cidr, self.service_cidr):
            _ip("route", "del", cidr, "dev", self.bridge, check=False)
        _ip("link", "del", self.bridge, check=False)

    def containment(self) -> dict[str, bool]:
        """What the containment rule asks, read from the machine (no packet is sent)."""
        routes = {
            cidr: f"dev {self.bridge}" in _ip("route", "show", cidr, check=False).stdout
            for cidr in (self.pod_cidr, self.service_cidr)
        }
        rules = self.forward_rules(TABLE)
        first = bool(rules) and COMMENT in rules[0] and rules[0].endswith("-j DROP")
        return {
            f"route {self.pod_cidr} via the bridge": routes[self.pod_cidr],
            f"route {self.service_cidr} via the bridge": routes[self.service_cidr],
            "mangle FORWARD drops bridge traffic to other interfaces, before any rule": first,
        }
