"""Lint speed on a generated project: cold and warm `run_lint` against `libcst.parse_module` alone.

    python benchmarks/lint_bench.py                  # 3,000 files, 3 repetitions
    python benchmarks/lint_bench.py --files 6000 --repeat 5 --keep /tmp/tree
    python benchmarks/lint_bench.py --profile        # where the cold run spends its time

The generated tree is a realistic mix: most modules are ordinary Python that never mentions
Langfuse; a fraction use `@observe`, clients and generations (some with deliberate violations);
and a few plain helpers import those modules. Three figures are measured, each the median of
`--repeat` runs, all in this one process after libcst has been imported and warmed up:

  (a) `libcst.parse_module` alone over the files whose bytes contain `langfuse` or `observe`;
  (b) a cold `run_lint` (empty cache directory);
  (c) a warm `run_lint` (same cache, nothing changed).

Targets (issue 2): (b) <= 1.3 x (a), and (c) <= 10% of (b).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import platform
import pstats
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from pytest_agentcost import __version__
from pytest_agentcost.config import Config
from pytest_agentcost.lint.cache import ExtractionCache
from pytest_agentcost.lint.engine import run_lint

# --- the generated tree ---------------------------------------------------------------------------

PLAIN_FUNCTION = '''

def {name}(items: list[int], factor: float = {factor}) -> dict[str, float]:
    """Summarise the items: total, mean and a scaled maximum."""
    if not items:
        return {{"total": 0.0, "mean": 0.0, "scaled": 0.0}}
    total = float(sum(items))
    mean = total / len(items)
    best = max(items)
    for index, value in enumerate(items):
        if value < 0:
            raise ValueError(f"negative value {{value}} at {{index}}")
    return {{"total": total, "mean": mean, "scaled": best * factor}}
'''

PLAIN_CLASS = '''

@dataclass
class {name}:
    """A record of work item {number}."""

    identifier: str
    weight: float = {factor}
    tags: list[str] = field(default_factory=list)

    def describe(self) -> str:
        labels = ", ".join(sorted(self.tags)) or "untagged"
        return f"{{self.identifier}} ({{self.weight:.2f}}): {{labels}}"

    def heavier_than(self, other: "{name}") -> bool:
        return self.weight > other.weight
'''

PLAIN_HEADER = '''"""Module {number}: ordinary application code."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

LOGGER = logging.getLogger(__name__)
'''

AGENT_HEADER = '''"""Agent module {number}."""

from __future__ import annotations

from langfuse import get_client, observe, propagate_attributes
'''

GENERATION_OK = '''

@observe(as_type="generation")
def {name}(prompt: str) -> str:
    """Call the model for step {number}."""
    get_client().update_current_generation(metadata={{"agent_type": "{agent}"}}, model="gpt-4o")
    return prompt.upper()
'''

GENERATION_MISSING = '''

@observe(as_type="generation")
def {name}(prompt: str) -> str:
    """Call the model for step {number} (no agent_type: AC001)."""
    get_client().update_current_generation(model="gpt-4o")
    return prompt.lower()
'''

ROOT_OK = '''

@observe()
def {name}(task: str, session: str) -> str:
    """Run the workflow for one task."""
    with propagate_attributes(session_id=session):
        return " ".join([{calls}])
'''

ROOT_MISSING = '''

@observe()
def {name}(task: str, session: str) -> str:
    """Run the workflow without a session (AC002)."""
    return " ".join([{calls}])
'''

HELPER = '''"""Plain helper {number}: no Langfuse here, but it drives an agent module."""

from __future__ import annotations

from bench_app.{part} import {module}


def drive_{number}(task: str) -> str:
    return {module}.{root}(task, "session-{number}")
'''


def generate(root: Path, files: int, seed: int) -> dict[str, int]:
    """Write a `bench_app` package of `files` modules under `root`; return how many of each kind."""
    rng = random.Random(seed)
    package = root / "bench_app"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""The generated benchmark application."""\n')
    counts = {"plain": 0, "agent": 0, "helper": 0, "violations": 0}
    agents: list[tuple[str, str, str]] = []  # (package part, module, root function)
    for number in range(1, files):
        kind = rng.choices(["plain", "agent", "helper"], weights=[85, 12, 3])[0]
        if kind == "helper" and not agents:
            kind = "agent"
        name = f"{kind}_{number:05d}"
        part = f"part_{number % 20:02d}"
        if kind == "plain":
            text = _plain(rng, number)
        elif kind == "agent":
            text, root_name, violations = _agent(rng, number)
            agents.append((part, name, root_name))
            counts["violations"] += violations
        else:
            agent_part, module, root_name = rng.choice(agents)
            text = HELPER.format(number=number, part=agent_part, module=module, root=root_name)
        subdir = package / part
        subdir.mkdir(exist_ok=True)
        (subdir / "__init__.py").touch()
        (subdir / f"{name}.py").write_text(text)
        counts[kind] += 1
    return counts


def _plain(rng: random.Random, number: int) -> str:
    parts = [PLAIN_HEADER.format(number=number)]
    for index in range(rng.randint(4, 10)):
        if rng.random() < 0.4:
            parts.append(
                PLAIN_CLASS.format(
                    name=f"Record{number}_{index}", number=number, factor=rng.random()
                )
            )
        else:
            parts.append(
                PLAIN_FUNCTION.format(
                    name=f"summarise_{number}_{index}", factor=round(rng.random(), 3)
                )
            )
    return "".join(parts)


def _agent(rng: random.Random, number: int) -> tuple[str, str, int]:
    parts = [AGENT_HEADER.format(number=number)]
    violations = 0
    generations = []
    for index in range(rng.randint(2, 5)):
        name = f"call_model_{number}_{index}"
        if rng.random() < 0.2:
            parts.append(GENERATION_MISSING.format(name=name, number=number))
            violations += 1
        else:
            parts.append(
                GENERATION_OK.format(
                    name=name, number=number, agent=rng.choice(["planner", "coder"])
                )
            )
        generations.append(name)
    for index in range(rng.randint(1, 4)):  # ordinary code in the same module
        parts.append(PLAIN_FUNCTION.format(name=f"summarise_{number}_{index}", factor=0.5))
    root_name = f"run_{number}"
    calls = ", ".join(f"{name}(task)" for name in generations)
    if rng.random() < 0.1:
        parts.append(ROOT_MISSING.format(name=root_name, calls=calls))
        violations += 1
    else:
        parts.append(ROOT_OK.format(name=root_name, calls=calls))
    return "".join(parts), root_name, violations


# --- measurements ---------------------------------------------------------------------------------


def mentions(path: Path) -> bool:
    data = path.read_bytes()
    return b"langfuse" in data or b"observe" in data


def time_parse_only(files: list[Path]) -> float:
    import libcst

    start = time.perf_counter()
    for path in files:
        libcst.parse_module(path.read_bytes())
    return time.perf_counter() - start


def time_run(tree: Path, cache_dir: Path | None) -> tuple[float, int, int]:
    config = Config()
    cache = ExtractionCache(cache_dir, config) if cache_dir is not None else None
    start = time.perf_counter()
    result = run_lint([tree], config, root=tree, cache=cache)
    elapsed = time.perf_counter() - start
    return elapsed, len(result.findings), result.files_checked


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--files", type=int, default=3000, help="number of generated modules (default 3000)"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per figure; the median is shown (default 3)"
    )
    parser.add_argument("--seed", type=int, default=2, help="random seed of the generated tree")
    parser.add_argument("--keep", type=Path, help="generate into this (new) directory and keep it")
    parser.add_argument(
        "--profile", action="store_true", help="also profile one cold run and print the top entries"
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="agentcost-bench-"))
    tree = args.keep or workdir / "tree"
    try:
        counts = generate(tree, args.files, args.seed)
        python_files = sorted(tree.rglob("*.py"))
        relevant = [path for path in python_files if mentions(path)]
        total_bytes = sum(path.stat().st_size for path in python_files)
        print(
            f"pytest-agentcost {__version__}, Python {platform.python_version()}, {platform.machine()}, "
            f"{os.cpu_count()} CPUs"
        )
        print(
            f"tree: {len(python_files)} .py files ({total_bytes / 1e6:.1f} MB): {counts['plain']} plain, "
            f"{counts['agent']} agent modules, {counts['helper']} helpers importing them, "
            f"{len(python_files) - sum(counts[k] for k in ('plain', 'agent', 'helper'))} package __init__ files; "
            f"{counts['violations']} planted violations"
        )
        print(f"files mentioning 'langfuse' or 'observe': {len(relevant)}")

        import libcst

        libcst.parse_module("x = 1\n")  # import and warm up the parser before timing anything

        parse_times = [time_parse_only(relevant) for _ in range(args.repeat)]
        cold_times, warm_times, nocache_times = [], [], []
        findings = checked = 0
        for run in range(args.repeat):
            cache_dir = workdir / f"cache-{run}"
            cold, findings, checked = time_run(tree, cache_dir)
            warm, warm_findings, _ = time_run(tree, cache_dir)
            assert warm_findings == findings, (
                "a warm run must report exactly what the cold run reported"
            )
            cold_times.append(cold)
            warm_times.append(warm)
            nocache_times.append(time_run(tree, None)[0])
            shutil.rmtree(cache_dir)

        parse, cold, warm, nocache = (
            statistics.median(t) for t in (parse_times, cold_times, warm_times, nocache_times)
        )
        print(f"findings: {findings} over {checked} files checked")
        print(f"(a) libcst.parse_module alone over {len(relevant)} files: {parse:8.3f} s")
        print(
            f"(b) cold run_lint (empty cache):                {cold:8.3f} s   = {cold / parse:.2f} x (a)   "
            f"target <= 1.30 x  {'OK' if cold <= 1.3 * parse else 'MISSED'}"
        )
        print(
            f"(c) warm run_lint (nothing changed):            {warm:8.3f} s   = {100 * warm / cold:.1f}% of (b)  "
            f"target <= 10%    {'OK' if warm <= 0.1 * cold else 'MISSED'}"
        )
        print(
            f"    run_lint without a cache (--no-cache):      {nocache:8.3f} s   = {nocache / parse:.2f} x (a)"
        )
        print(
            f"    (medians of {args.repeat} runs; all runs: a={_fmt(parse_times)} b={_fmt(cold_times)} "
            f"c={_fmt(warm_times)})"
        )

        if args.profile:
            for label, cache_dir in (
                ("cold", workdir / "profile-cache"),
                ("warm", workdir / "profile-cache"),
            ):
                profiler = cProfile.Profile()
                profiler.enable()
                time_run(tree, cache_dir)
                profiler.disable()
                stream = io.StringIO()
                pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(25)
                print(f"\n--- profile of a {label} run (cumulative) ---")
                print(stream.getvalue())
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def _fmt(times: list[float]) -> str:
    return "/".join(f"{t:.2f}" for t in times)


if __name__ == "__main__":
    sys.exit(main())
