"""Writes the values reference (docs/chart-values.md) from the `# --` comments of
charts/jobplatform/values.yaml, the way helm-docs reads them: a comment block that starts with
`# --` documents the key right below it.

    python charts/values-reference.py [output]   (default: docs/chart-values.md)

tests/cluster/test_chart.py checks that the page is up to date and that every value is
documented (the pools after `workers.default` repeat its keys)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
VALUES = ROOT / "charts" / "jobplatform" / "values.yaml"
KEY = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z0-9_]+):")


def documented(text: str) -> dict[str, str]:
    """Dotted path -> description, for every key under a `# --` comment."""
    docs: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    comment: list[str] | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("# --"):
            comment = [stripped[4:].strip()]
            continue
        if stripped.startswith("#") and comment is not None:
            comment.append(stripped[1:].strip())
            continue
        match = KEY.match(line)
        if match:
            indent = len(match["indent"])
            while stack and stack[-1][0] >= indent:
                stack.pop()
            stack.append((indent, match["key"]))
            if comment is not None:
                docs[".".join(k for _, k in stack)] = " ".join(comment)
        comment = None if not stripped.startswith("#") else comment
    return docs


def leaves(values: object, prefix: str = "") -> list[str]:
    if isinstance(values, dict) and values:
        return [p for k, v in values.items() for p in leaves(v, f"{prefix}{k}.")]
    return [prefix.rstrip(".")]


def default_of(values: dict[str, object], path: str) -> object:
    node: object = values
    for part in path.split("."):
        node = node[part]  # type: ignore[index]
    return node


def render() -> str:
    text = VALUES.read_text()
    values = yaml.safe_load(text)
    rows = [
        f"| `{path}` | `{json.dumps(default_of(values, path))}` | {doc} |"
        for path, doc in documented(text).items()
    ]
    return "\n".join(
        [
            "# Chart values",
            "",
            "Generated from the comments of `charts/jobplatform/values.yaml` by",
            "`python charts/values-reference.py` (`make manifests`); do not edit.",
            "`values.schema.json` checks every value: a wrong one fails `helm install` with its",
            "path. Every pool under `workers` takes the keys of `workers.default`.",
            "",
            "| value | default | meaning |",
            "|---|---|---|",
            *rows,
            "",
        ]
    )


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "chart-values.md"
    out.write_text(render())
