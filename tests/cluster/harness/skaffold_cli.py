"""How skaffold is called against the local cluster, the same way by `make dev` and by the
dev loop's tests: the cached binaries first on PATH (Helm 3 before them, which skaffold 2.16
needs), the loopback registry as the default repository, no update check and no prompt (both
would reach outside the machine or wait for a person), and a global config of its own
instead of ~/.skaffold."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SKAFFOLD_YAML = ROOT / "skaffold.yaml"
NAMESPACE = "jobplatform-dev"
RELEASE = "jobplatform"  # skaffold.yaml's release; objects are named jobplatform-<component>

GLOBAL_CONFIG = """global:
  update-check: false
  collect-metrics: false
  survey:
    disable-prompt: true
kubeContexts: []
"""


def skaffold_env(bin_dir: Path, namespace: str = NAMESPACE) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(bin_dir / "helm3"), str(bin_dir), env.get("PATH", "")])
    env["SKAFFOLD_UPDATE_CHECK"] = "false"
    # skaffold reads it as --namespace, and skaffold.yaml's port-forward names it.
    env["SKAFFOLD_NAMESPACE"] = namespace
    return env


def skaffold_args(
    bin_dir: Path,
    command: str,
    *,
    registry: str,
    kubeconfig: Path,
    state_dir: Path,
    namespace: str = NAMESPACE,
    extra: tuple[str, ...] = (),
) -> list[str]:
    state_dir.mkdir(parents=True, exist_ok=True)
    config = state_dir / "skaffold-config.yaml"
    config.write_text(GLOBAL_CONFIG)
    return [
        str(bin_dir / "skaffold"),
        command,
        "--filename",
        str(SKAFFOLD_YAML),
        "--default-repo",
        registry,
        "--kubeconfig",
        str(kubeconfig),
        "--namespace",
        namespace,
        "--config",
        str(config),
        # Which images the registry already holds; kept with the rest of the loop's state.
        "--cache-file",
        str(state_dir / "skaffold-cache"),
        "--update-check=false",
        "--interactive=false",
        *extra,
    ]
