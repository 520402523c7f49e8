"""`make dev`: `skaffold dev` against the local cluster (docs/dev-loop.md).

Starts the local cluster if none answers in --cluster-dir (and leaves it running afterwards:
`make cluster-down` stops it), loads the bundled Redis and Postgres images into its real node,
starts the loopback image registry, and runs `skaffold dev` in the foreground. Ctrl-C ends
skaffold, which uninstalls the release; the registry stops with it."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from harness.controlplane import DEFAULT_STATE, ControlPlane, provide_binaries
    from harness.dev_registry import DevRegistry  # type: ignore[no-redef]
    from harness.skaffold_cli import (  # type: ignore[no-redef]
        NAMESPACE,
        ROOT,
        skaffold_args,
        skaffold_env,
    )
else:
    from .controlplane import DEFAULT_STATE, ControlPlane, provide_binaries
    from .dev_registry import DevRegistry
    from .skaffold_cli import NAMESPACE, ROOT, skaffold_args, skaffold_env


def cluster_answers(plane: ControlPlane) -> bool:
    if not plane.admin_kubeconfig.exists() or not plane.node_file.exists():
        return False
    try:
        plane.kubectl("get", "--raw", "/readyz")
    except subprocess.CalledProcessError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cluster-dir", type=Path, default=DEFAULT_STATE)
    parser.add_argument("--namespace", default=NAMESPACE)
    parser.add_argument("skaffold", nargs="*", help="more arguments for `skaffold dev`")
    args = parser.parse_args(argv)

    bin_dir = provide_binaries()
    plane = ControlPlane(args.cluster_dir, bin_dir=bin_dir)
    if cluster_answers(plane):
        print(f"using the local cluster in {args.cluster_dir}", file=sys.stderr)
    else:
        plane.up()
        if plane.node is None:
            print(f"the local cluster has no real node: {plane.no_real_node_reason}")
            return 1
    subprocess.run(["bash", str(ROOT / "services/images/build.sh"), "datastores"], check=True)
    plane.load_images()

    state = args.cluster_dir / "dev-loop"
    with DevRegistry(bin_dir, state / "registry.log") as registry:
        print(f"image registry on {registry.address}", file=sys.stderr)
        command = skaffold_args(
            bin_dir,
            "dev",
            registry=registry.address,
            kubeconfig=plane.admin_kubeconfig,
            state_dir=state,
            namespace=args.namespace,
            extra=("--port-forward=user", *args.skaffold),
        )
        dev = subprocess.Popen(command, cwd=ROOT, env=skaffold_env(bin_dir, args.namespace))
        try:
            return dev.wait()
        except KeyboardInterrupt:
            # The terminal's Ctrl-C reached skaffold too: it is cleaning up; wait for it.
            return dev.wait()


if __name__ == "__main__":
    sys.exit(main())
