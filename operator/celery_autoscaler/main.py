"""`jobplatform-operator`: run the autoscaling operator (kopf) in this process.

Watches the namespaces in OPERATOR_NAMESPACES (comma-separated) or all of them.
`--standalone` skips peering (tests and local runs with a single replica).
"""

from __future__ import annotations

import argparse
import os

import kopf

import celery_autoscaler.handlers  # noqa: F401  (registers the handlers)


def main() -> None:
    parser = argparse.ArgumentParser(prog="jobplatform-operator")
    parser.add_argument("--standalone", action="store_true", help="no peering: one replica only")
    parser.add_argument("--liveness", default=os.environ.get("OPERATOR_LIVENESS"))
    args = parser.parse_args()
    namespaces = [n for n in os.environ.get("OPERATOR_NAMESPACES", "").split(",") if n]
    kopf.run(
        standalone=args.standalone,
        namespaces=namespaces,
        clusterwide=not namespaces,
        liveness_endpoint=args.liveness,
    )


if __name__ == "__main__":
    main()
