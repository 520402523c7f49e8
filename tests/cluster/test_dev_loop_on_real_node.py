"""The developer loop on the real node, as `make dev` runs it: `skaffold run` builds both
images, pushes them to the loopback registry and installs the chart, whose pods become Ready
from those images; under `skaffold dev`, an edited Python file of the services reaches the
running web pod, which serves the changed code, with no image build and the same pod."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
from pytest_kubernetes.providers.base import AClusterManager

from cluster.chart_release import COMPONENTS
from cluster.harness.controlplane import ControlPlane
from cluster.harness.dev_registry import DevRegistry
from cluster.harness.skaffold_cli import ROOT, skaffold_args, skaffold_env
from cluster.k8s_helpers import AdminCluster, kubectl, kubectl_json
from devstack.wait import GiveUp, wait_for

pytestmark = pytest.mark.timeout(2400)

EDITED = ROOT / "services" / "jobplatform" / "interface" / "http" / "routes_health.py"
LIVENESS = 'return {"status": "ok"}'
SYNCED = "/tmp/src/jobplatform/interface/http/routes_health.py"
FORWARDED = re.compile(r"Port forwarding service/jobplatform-web .* -> http://(127\.0\.0\.1:\d+)")


@dataclass(frozen=True)
class Loop:
    cluster: AClusterManager
    registry: DevRegistry
    bin_dir: Path
    kubeconfig: Path
    state: Path

    def args(self, command: str, namespace: str, *extra: str) -> list[str]:
        return skaffold_args(
            self.bin_dir,
            command,
            registry=self.registry.address,
            kubeconfig=self.kubeconfig,
            state_dir=self.state,
            namespace=namespace,
            extra=extra,
        )

    def run(self, command: str, namespace: str, *extra: str) -> str:
        result = subprocess.run(
            self.args(command, namespace, *extra),
            cwd=ROOT,
            env=skaffold_env(self.bin_dir, namespace),
            capture_output=True,
            text=True,
        )
        out = result.stdout + result.stderr
        assert result.returncode == 0, f"skaffold {command} failed:\n{out[-6000:]}"
        return out

    def pods(self, namespace: str) -> list[dict[str, Any]]:
        items = kubectl_json(self.cluster, "get", "pods", "-n", namespace)["items"]
        return [p for p in items if not p["metadata"].get("deletionTimestamp")]

    def ready_components(self, namespace: str) -> set[str]:
        ready = set()
        for pod in self.pods(namespace):
            conditions = {c["type"]: c["status"] for c in pod["status"].get("conditions", [])}
            if conditions.get("Ready") == "True":
                ready.add(pod["metadata"]["labels"].get("app.kubernetes.io/component"))
        return ready

    def web_pod(self, namespace: str) -> dict[str, Any]:
        pods = [
            p
            for p in self.pods(namespace)
            if p["metadata"]["labels"].get("app.kubernetes.io/component") == "web"
        ]
        assert len(pods) == 1, [p["metadata"]["name"] for p in pods]
        return pods[0]

    def image_of(self, namespace: str, deployment: str) -> str:
        dep = kubectl_json(self.cluster, "get", "deployment", deployment, "-n", namespace)
        return str(dep["spec"]["template"]["spec"]["containers"][0]["image"])


@pytest.fixture(scope="module")
def loop(
    control_plane: ControlPlane | None,
    real_node_images: dict[str, str],
    k8s_bin: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Loop]:
    # real_node_images: the bundled Redis and Postgres images are loaded into the node; the
    # platform's own images come through the registry.
    assert control_plane is not None
    state = tmp_path_factory.mktemp("dev-loop")
    cluster = cast(AClusterManager, AdminCluster(control_plane.admin_kubeconfig))
    with DevRegistry(k8s_bin, state / "registry.log") as registry:
        yield Loop(cluster, registry, k8s_bin, control_plane.admin_kubeconfig, state)


def _namespace() -> str:
    return f"dev-{uuid.uuid4().hex[:8]}"


def _get(url: str) -> Any:
    import json

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=10) as resp:
        return json.loads(resp.read())


def test_skaffold_run_builds_both_images_and_installs_the_chart(loop: Loop) -> None:
    ns = _namespace()
    try:
        loop.run("run", ns, "--status-check=true")
        # Both images were built and pushed by skaffold, and the pods run exactly those.
        for repository, deployment in (
            ("jobplatform", "jobplatform-web"),
            ("jobplatform-operator", "jobplatform-operator"),
        ):
            assert loop.registry.tags(repository), f"nothing pushed to {repository}"
            image = loop.image_of(ns, deployment)
            assert image.startswith(f"{loop.registry.address}/{repository}:"), image
            assert "@sha256:" in image, image
        wait_for(
            lambda: set(COMPONENTS) <= loop.ready_components(ns),
            timeout=300,
            interval=3,
            what="every component's pod to be Ready",
        )
    finally:
        subprocess.run(
            loop.args("delete", ns),
            cwd=ROOT,
            env=skaffold_env(loop.bin_dir, ns),
            capture_output=True,
        )
        kubectl(loop.cluster, "delete", "namespace", ns, "--wait=false")


def _session_processes(sid: int) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if os.getsid(int(proc.name)) == sid:
                    pids.append(int(proc.name))
            except (ProcessLookupError, PermissionError):
                continue
    return pids


def test_skaffold_dev_syncs_an_edited_file_into_web_without_a_rebuild(
    loop: Loop, tmp_path: Path
) -> None:
    ns = _namespace()
    log_path = tmp_path / "skaffold-dev.log"
    original = EDITED.read_text()
    assert LIVENESS in original, f"{EDITED} no longer has the line this test edits"
    with open(log_path, "wb") as log:
        dev = subprocess.Popen(
            loop.args("dev", ns, "--port-forward=user"),
            cwd=ROOT,
            env=skaffold_env(loop.bin_dir, ns),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output() -> str:
        return log_path.read_text(errors="replace")

    def running(probe: Any) -> Any:
        def checked() -> Any:
            if dev.poll() is not None:
                raise GiveUp(f"skaffold dev exited with {dev.returncode}:\n{output()[-6000:]}")
            return probe()

        return checked

    def healthz() -> Any:
        match = FORWARDED.search(output())
        assert match, "no port-forward to web yet"
        return _get(f"http://{match.group(1)}/healthz")

    try:
        wait_for(
            running(lambda: "Watching for changes" in output()),
            timeout=1500,
            interval=3,
            what="skaffold dev to deploy and watch",
        )
        wait_for(
            running(lambda: set(COMPONENTS) <= loop.ready_components(ns)),
            timeout=300,
            interval=3,
            what="every component's pod to be Ready",
        )
        assert wait_for(running(healthz), timeout=60, interval=1, what="web through the forward")
        assert healthz() == {"status": "ok"}
        before = loop.web_pod(ns)
        builds = output().count("Building [")
        tags = {r: loop.registry.tags(r) for r in ("jobplatform", "jobplatform-operator")}
        assert all(tags.values()), tags

        marker = uuid.uuid4().hex[:12]
        EDITED.write_text(
            original.replace(LIVENESS, f'return {{"status": "ok", "edit": "{marker}"}}')
        )
        wait_for(
            running(lambda: healthz() == {"status": "ok", "edit": marker}),
            timeout=180,
            interval=1,
            what="web to serve the edited liveness",
        )
        in_pod = kubectl(
            loop.cluster,
            "-n",
            ns,
            "exec",
            before["metadata"]["name"],
            "-c",
            "web",
            "--",
            "cat",
            SYNCED,
        )
        assert marker in in_pod

        after = loop.web_pod(ns)
        assert after["metadata"]["uid"] == before["metadata"]["uid"]
        restarts = [c["restartCount"] for c in after["status"]["containerStatuses"]]
        assert restarts == [c["restartCount"] for c in before["status"]["containerStatuses"]]
        assert output().count("Building [") == builds, "the edit rebuilt an image"
        assert {r: loop.registry.tags(r) for r in tags} == tags
    finally:
        EDITED.write_text(original)
        # Ctrl-C: skaffold uninstalls the release and stops its port-forwards and log tails.
        sid = dev.pid  # its own session: every process it started is in it
        if dev.poll() is None:
            dev.send_signal(signal.SIGINT)
        try:
            dev.wait(timeout=300)
        finally:
            leftovers = _session_processes(sid)
            for pid in leftovers:
                os.kill(pid, signal.SIGKILL)
            kubectl(loop.cluster, "delete", "namespace", ns, "--wait=false")
    assert not leftovers, f"skaffold dev left processes behind: {leftovers}"
    assert dev.returncode == 0, output()[-4000:]
