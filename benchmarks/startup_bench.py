"""pytest start-up with pytest-agentcost installed versus disabled (`-p no:agentcost`).

    python benchmarks/startup_bench.py              # 15 runs of each, interleaved
    python benchmarks/startup_bench.py --runs 31

Each run is a fresh `python -m pytest -q` on a one-test project. The two variants alternate so
that machine noise hits both alike; the medians are compared. Target (issue 2): the plugin costs
at most 5% of start-up.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from pytest_agentcost import __version__


def run_once(project: Path, extra: list[str]) -> float:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    start = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if completed.returncode != 0:
        raise SystemExit(
            f"pytest failed ({completed.returncode}):\n{completed.stdout}{completed.stderr}"
        )
    return elapsed


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
        with_plugin: list[float] = []
        without: list[float] = []
        for _ in range(args.runs):
            with_plugin.append(run_once(project, []))
            without.append(run_once(project, ["-p", "no:agentcost"]))

    on, off = statistics.median(with_plugin), statistics.median(without)
    overhead = 100 * (on - off) / off
    print(
        f"pytest-agentcost {__version__}, pytest {pytest.__version__}, "
        f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs"
    )
    print(
        f"one-test project, {args.runs} runs each (interleaved), median wall time of `python -m pytest -q`:"
    )
    print(f"  with the plugin:        {on * 1000:7.1f} ms")
    print(f"  with -p no:agentcost:   {off * 1000:7.1f} ms")
    print(
        f"  overhead:               {overhead:+7.1f} %   target <= 5%  {'OK' if overhead <= 5 else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
