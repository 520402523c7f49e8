"""The Markdown report and its plots, written from the measured figures only: every sentence
that judges a result is computed from the numbers it judges."""

from __future__ import annotations

import os
import platform as py_platform
import re
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from api_load import LoadResult


@dataclass
class Series:
    """One variant's rounds (jobs/s), and for API variants the latencies of every round."""

    label: str
    rates: list[float] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)

    def add(self, result: LoadResult) -> None:
        self.rates.append(result.jobs_per_second)
        self.latencies_ms.extend(result.latencies_ms)

    @property
    def median(self) -> float:
        return statistics.median(self.rates)

    @property
    def spread(self) -> str:
        return f"{min(self.rates):.0f}-{max(self.rates):.0f}"

    @property
    def rounds(self) -> str:
        return ", ".join(f"{r:.0f}" for r in self.rates)

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def machine() -> str:
    cpu = "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores ({cpu}), Python {py_platform.python_version()}, "
        f"{py_platform.system()} {py_platform.release()}"
    )


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def verdict(ratio: float, goal: float) -> str:
    return f"goal >= {goal:g}: {'met' if ratio >= goal else 'not met'} in this run"


def throughput_plot(path: Path, series: list[Series], title: str, ylabel: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.2))
    labels = [s.label for s in series]
    ax.barh(labels, [s.median for s in series], color="#8fb3d9", label="median")
    for i, s in enumerate(series):
        ax.plot(s.rates, [i] * len(s.rates), "k|", markersize=14, label="rounds" if i == 0 else "")
    ax.set_xlabel(ylabel)
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def latency_plot(path: Path, series: list[Series]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.2))
    for s in series:
        ordered = sorted(s.latencies_ms)
        n = len(ordered)
        ax.plot(ordered, [(i + 1) / n for i in range(n)], label=s.label)
    ax.set_xscale("log")
    ax.set_xlabel("latency per request, ms (log scale)")
    ax.set_ylabel("fraction of requests")
    ax.set_title("Latency distribution, all rounds")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# A section another benchmark script owns inside the report, between its markers.
_SECTION = re.compile(r"<!-- (?P<name>[a-z-]+):start -->\n.*?<!-- (?P=name):end -->\n", re.S)


def write_keeping_sections(report: Path, text: str) -> None:
    """Write ``text`` as the report, keeping the sections other scripts wrote into it (each
    between its markers), after it: running one benchmark alone loses none of the others'."""
    old = report.read_text() if report.exists() else ""
    kept = "".join("\n" + m.group(0) for m in _SECTION.finditer(old))
    report.write_text(text.rstrip("\n") + "\n" + kept)


def replace_section(report: Path, name: str, section: str) -> None:
    """Put a script's section between its markers, or after the rest when the file has none."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    text = report.read_text() if report.exists() else ""
    block = f"{start}\n{section.rstrip()}\n{end}\n"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        text = head + block + rest.split(end, 1)[1].lstrip("\n")
    else:
        text = text.rstrip("\n") + ("\n\n" if text else "") + block
    report.write_text(text)
