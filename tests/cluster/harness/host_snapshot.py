"""What the real node changes on this machine outside its state directory, recorded before it
starts and put back when it stops, so `make cluster-down` leaves the machine as it was found.

- sysctls: the CNI bridge plugin turns IP forwarding on; the kubelet sets kernel panic and
  overcommit tunables; kube-proxy may set route_localnet.
- iptables and ip6tables chains in the filter, nat and mangle tables: the kubelet adds
  KUBE-FIREWALL, KUBE-KUBELET-CANARY and KUBE-IPTABLES-HINT, kube-proxy its KUBE-* chains.
- nftables tables: iptables (nf_tables backend) creates a table on first use, and emptying
  its chains does not remove it; `nft` (Debian: nftables) deletes the ones that were not there.
- paths that hard-code machine-wide locations (pod log links, shim sockets, CNI caches).
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path

SYSCTLS = (
    "net.ipv4.ip_forward",
    "net.ipv4.conf.all.route_localnet",
    "vm.overcommit_memory",
    "vm.panic_on_oom",
    "kernel.panic",
    "kernel.panic_on_oops",
    "kernel.keys.root_maxkeys",
    "kernel.keys.root_maxbytes",
)
TABLES = ("filter", "nat", "mangle")
IPTABLES = ("iptables", "ip6tables")
# Written by the kubelet, containerd and the CNI plugins whatever their own directories are.
MACHINE_PATHS = (
    "/var/log/pods",
    "/var/log/containers",
    "/run/containerd",
    "/var/lib/cni",
    "/run/netns",
    "/var/lib/kubelet",
)


def _sysctl_path(name: str) -> Path:
    return Path("/proc/sys") / name.replace(".", "/")


def chains(tool: str, table: str) -> set[str]:
    out = subprocess.run(
        [tool, "-w", "5", "-t", table, "-S"], capture_output=True, text=True, check=False
    ).stdout
    return {line.split()[1] for line in out.splitlines() if line.startswith(("-N ", "-P "))}


def nft_tables() -> set[str]:
    if shutil.which("nft") is None:
        return set()
    out = subprocess.run(["nft", "list", "tables"], capture_output=True, text=True).stdout
    return {line.removeprefix("table ").strip() for line in out.splitlines() if line.strip()}


@dataclass
class HostSnapshot:
    sysctls: dict[str, str] = field(default_factory=dict)
    chains: dict[str, list[str]] = field(default_factory=dict)  # "iptables/nat" -> chains
    existing_paths: list[str] = field(default_factory=list)
    nft_tables: list[str] = field(default_factory=list)  # "ip filter", "ip6 nat", ...

    @classmethod
    def take(cls) -> HostSnapshot:
        snap = cls()
        snap.nft_tables = sorted(nft_tables())  # first: listing chains must not count
        for name in SYSCTLS:
            path = _sysctl_path(name)
            if path.exists():
                snap.sysctls[name] = path.read_text().strip()
        for tool in IPTABLES:
            for table in TABLES:
                snap.chains[f"{tool}/{table}"] = sorted(chains(tool, table))
        snap.existing_paths = [p for p in MACHINE_PATHS if Path(p).exists()]
        return snap

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, path: Path) -> HostSnapshot:
        return cls(**json.loads(path.read_text()))

    def restore(self) -> list[str]:
        """Put back what changed; returns what was done, for the log."""
        done: list[str] = []
        for tool in IPTABLES:
            for table in TABLES:
                done += _drop_new_chains(tool, table, set(self.chains.get(f"{tool}/{table}", [])))
        if shutil.which("nft"):
            for table in sorted(nft_tables() - set(self.nft_tables)):
                subprocess.run(["nft", "delete", "table", *table.split()], check=False)
                done.append(f"nft: removed table {table}")
        for name, value in self.sysctls.items():
            path = _sysctl_path(name)
            if path.read_text().strip() != value:
                path.write_text(value)
                done.append(f"sysctl {name}={value}")
        for p in MACHINE_PATHS:
            if p not in self.existing_paths and Path(p).exists():
                shutil.rmtree(p, ignore_errors=True)
                done.append(f"removed {p}")
        return done


def _drop_new_chains(tool: str, table: str, before: set[str]) -> list[str]:
    new = chains(tool, table) - before
    if not new:
        return []
    rules = subprocess.run(
        [tool, "-w", "5", "-t", table, "-S"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    # First the jumps into the new chains from chains that stay, then the chains themselves.
    for rule in rules:
        parts = shlex.split(rule)
        jumps_into_new = "-j" in parts and parts[parts.index("-j") + 1] in new
        if parts[:1] == ["-A"] and parts[1] not in new and jumps_into_new:
            subprocess.run([tool, "-w", "5", "-t", table, "-D", *parts[1:]], check=False)
    for chain in new:
        subprocess.run([tool, "-w", "5", "-t", table, "-F", chain], check=False)
    for chain in new:
        subprocess.run([tool, "-w", "5", "-t", table, "-X", chain], check=False)
    return [f"{tool} -t {table}: removed {', '.join(sorted(new))}"]
