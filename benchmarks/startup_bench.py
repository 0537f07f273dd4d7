"""pytest start-up with pytest-agentcost installed versus disabled (`-p no:agentcost`).

    python benchmarks/startup_bench.py              # 15 runs of each, interleaved
    python benchmarks/startup_bench.py --runs 31

Each run is a fresh `python -m pytest -q` on a one-test project. The two variants alternate so
that machine noise hits both alike; the medians are compared, as wall-clock time and as the child
process's CPU time (user + system, the steadier figure on a busy machine), and so is the median
of the paired differences (each run against the next run of the other variant). Bytecode
caching is on (in a temporary PYTHONPYCACHEPREFIX), as on any ordinary install. Target (issue 2):
the plugin adds at most 5% to start-up.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from pytest_agentcost import __version__


@dataclass(frozen=True)
class Timing:
    """Wall-clock seconds and the child's CPU seconds (user + system)."""

    wall: float
    cpu: float


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(project: Path, extra: list[str]) -> Timing:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    # Measure what an installed plugin costs: with bytecode caching on (kept out of the checkout),
    # as it is on any ordinary machine, even if this shell sets PYTHONDONTWRITEBYTECODE.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(project / "pycache")
    cpu, start = _children_cpu(), time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    timing = Timing(time.perf_counter() - start, _children_cpu() - cpu)
    if completed.returncode != 0:
        raise SystemExit(
            f"pytest failed ({completed.returncode}):\n{completed.stdout}{completed.stderr}"
        )
    return timing


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=15, help="runs of each variant (default 15)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="agentcost-startup-") as directory:
        project = Path(directory)
        (project / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")
        (project / "test_one.py").write_text("def test_one():\n    assert 1 + 1 == 2\n")
        run_once(project, [])  # warm the OS file cache and write bytecode
        run_once(project, ["-p", "no:agentcost"])
        with_plugin: list[Timing] = []
        without: list[Timing] = []
        for _ in range(args.runs):
            with_plugin.append(run_once(project, []))
            without.append(run_once(project, ["-p", "no:agentcost"]))

    print(
        f"pytest-agentcost {__version__}, pytest {pytest.__version__}, "
        f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"one-test project, {args.runs} runs of each (interleaved), medians of `python -m pytest -q`:"
    )
    measures: tuple[tuple[str, Callable[[Timing], float]], ...] = (
        ("wall", lambda t: t.wall),
        ("CPU", lambda t: t.cpu),
    )
    for label, measure in measures:
        on = statistics.median(measure(t) for t in with_plugin)
        off = statistics.median(measure(t) for t in without)
        # Each run is paired with the next run of the other variant: the median of the pair
        # differences shrugs off a load swing that the difference of medians does not.
        paired = statistics.median(
            measure(a) - measure(b) for a, b in zip(with_plugin, without, strict=True)
        )
        verdict = "OK" if on <= 1.05 * off else "MISSED"
        print(
            f"  {label:4}  with the plugin {on * 1000:7.1f} ms   -p no:agentcost {off * 1000:7.1f} ms   "
            f"overhead {100 * (on - off) / off:+5.1f} %  (target <= 5%: {verdict})   "
            f"paired {paired * 1000:+6.1f} ms ({100 * paired / off:+5.1f} %)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
