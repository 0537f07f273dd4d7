"""Lint speed on a generated project: cold and warm `run_lint` against `libcst.parse_module` alone.

    python benchmarks/lint_bench.py                  # 3,000 files, 3 repetitions
    python benchmarks/lint_bench.py --files 6000 --repeat 5 --keep /tmp/tree
    python benchmarks/lint_bench.py --profile        # where the cold and warm runs spend time
    python benchmarks/lint_bench.py --jobs 1         # (b) and (c) in one process as well

The generated tree is a realistic mix: most modules are ordinary Python that never mentions
Langfuse; a fraction use `@observe`, clients and generations (some with deliberate violations);
and a few plain helpers import those modules. Each figure is the median of `--repeat` runs, all in
this one process after libcst has been imported and warmed up:

  (a)  `libcst.parse_module` alone over the files whose bytes contain `langfuse` or `observe`,
       measured before and after the lint runs of each repetition and averaged (and, once, for
       reference, over every file run_lint parses: the token test plus the import closure);
  (b)  a cold `run_lint` (empty cache directory) with `--jobs` (default "auto", what
       `agentcost lint` does: one process per CPU once the cold work is large enough);
  (c)  a warm `run_lint` (same cache, nothing changed), same jobs;
  (b1), (c1) the same two in one process (run first in each repetition).

Each figure is shown as wall-clock time and as CPU time (this process plus its finished child
processes). Targets (issue 2): a cold run <= 1.3 x (a), a warm run <= 10% of a cold run. They are
judged on wall time for the default jobs (what a user waits for) and on CPU time for one process
(the work done, which a process pool only adds to).
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.metadata
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
from dataclasses import dataclass
from pathlib import Path

from pytest_agentcost import __version__
from pytest_agentcost.config import Config, Jobs, jobs_value
from pytest_agentcost.lint import engine
from pytest_agentcost.lint.cache import ExtractionCache
from pytest_agentcost.lint.engine import run_lint, select_relevant
from pytest_agentcost.lint.model import LintResult

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


@dataclass(frozen=True)
class Timing:
    """Wall-clock seconds and CPU seconds (this process plus finished child processes)."""

    wall: float
    cpu: float


def _cpu() -> float:
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def mentions(path: Path) -> bool:
    data = path.read_bytes()
    return b"langfuse" in data or b"observe" in data


def time_parse_only(files: list[Path]) -> Timing:
    import libcst

    wall, cpu = time.perf_counter(), _cpu()
    for path in files:
        libcst.parse_module(path.read_bytes())
    return Timing(time.perf_counter() - wall, _cpu() - cpu)


def time_run(tree: Path, cache_dir: Path | None, jobs: Jobs) -> tuple[Timing, LintResult]:
    config = Config()
    cache = ExtractionCache(cache_dir, config) if cache_dir is not None else None
    wall, cpu = time.perf_counter(), _cpu()
    result = run_lint([tree], config, root=tree, cache=cache, jobs=jobs)
    return Timing(time.perf_counter() - wall, _cpu() - cpu), result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=3000, help="generated modules (default 3000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure, median shown (3)")
    parser.add_argument(
        "--jobs",
        type=lambda text: jobs_value(text, "--jobs"),
        default="auto",
        help='run_lint\'s jobs for (b) and (c) (default "auto", as for `agentcost lint`)',
    )
    parser.add_argument("--seed", type=int, default=2, help="random seed of the generated tree")
    parser.add_argument("--keep", type=Path, help="generate into this (new) directory and keep it")
    parser.add_argument(
        "--profile", action="store_true", help="profile a cold and a warm run (jobs=1)"
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="agentcost-bench-"))
    tree = args.keep or workdir / "tree"
    try:
        counts = generate(tree, args.files, args.seed)
        python_files = sorted(tree.rglob("*.py"))
        relevant = [path for path in python_files if mentions(path)]
        parsed = _parsed_by_run_lint(tree, python_files)
        total_bytes = sum(path.stat().st_size for path in python_files)
        inits = len(python_files) - counts["plain"] - counts["agent"] - counts["helper"]
        print(
            f"pytest-agentcost {__version__}, Python {platform.python_version()}, "
            f"libcst {importlib.metadata.version('libcst')}, {platform.machine()}, "
            f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
        )
        print(
            f"tree: {len(python_files)} .py files ({total_bytes / 1e6:.1f} MB): "
            f"{counts['plain']} plain modules, {counts['agent']} agent modules, "
            f"{counts['helper']} plain helpers importing agent modules, {inits} __init__ files; "
            f"{counts['violations']} planted violations"
        )
        print(f"files mentioning 'langfuse' or 'observe': {len(relevant)}")
        print(f"files run_lint parses (tokens, then the import closure): {len(parsed)}")

        import libcst

        libcst.parse_module("x = 1\n")  # import and warm up the parser before timing anything

        from pytest_agentcost.lint.engine import available_cpus, pool_start_method, worker_count

        jobs: Jobs = args.jobs
        workers = worker_count(jobs, len(parsed), pool_start_method())
        print(
            f"cold run with jobs={jobs!r}: {workers} process(es) here "
            f"({pool_start_method()}, {available_cpus()} CPUs available)"
        )
        figures: dict[str, list[Timing]] = {key: [] for key in ("a", "a2", "b", "b1", "c", "c1")}
        result = None
        figures["a2"].append(time_parse_only(parsed))  # (a reference: measured once)
        for run in range(args.repeat):
            # (a) brackets the lint runs of its repetition: measured before and after them, and
            # averaged, so that the machine drifting faster or slower meanwhile cancels out
            before = time_parse_only(relevant)
            for cold_key, warm_key, run_jobs in (("b1", "c1", 1), ("b", "c", jobs)):
                cache_dir = workdir / f"cache-{run}-{cold_key}"
                cold, cold_result = time_run(tree, cache_dir, run_jobs)
                assert not cold_result.errors, (
                    f"the tree must lint cleanly: {cold_result.errors[:3]}"
                )
                assert result is None or cold_result == result, "every cold run must agree"
                result = cold_result
                warm, warm_result = time_run(tree, cache_dir, run_jobs)
                assert warm_result == result, "a warm run must report exactly what the cold run did"
                figures[cold_key].append(cold)
                figures[warm_key].append(warm)
                shutil.rmtree(cache_dir)
            after = time_parse_only(relevant)
            figures["a"].append(
                Timing((before.wall + after.wall) / 2, (before.cpu + after.cpu) / 2)
            )
        assert result is not None
        a, a2, b, b1, c, c1 = (_median(figures[k]) for k in ("a", "a2", "b", "b1", "c", "c1"))

        print(f"findings: {len(result.findings)} over {result.files_checked} files checked")
        print(f"medians of {args.repeat} runs                                wall s    CPU s")
        print(
            f"(a) libcst.parse_module alone, {len(relevant)} files          {a.wall:7.3f}  {a.cpu:7.3f}"
        )
        print(
            f"    the same over the {len(parsed)} files run_lint parses  {a2.wall:7.3f}  {a2.cpu:7.3f}"
        )
        print(
            f"(b) cold run_lint, jobs={jobs!r} (empty cache)          {b.wall:7.3f}  {b.cpu:7.3f}"
        )
        print(
            f"(c) warm run_lint, jobs={jobs!r} (nothing changed)      {c.wall:7.3f}  {c.cpu:7.3f}"
        )
        print(f"(b1) cold run_lint, one process                    {b1.wall:7.3f}  {b1.cpu:7.3f}")
        print(f"(c1) warm run_lint, one process                    {c1.wall:7.3f}  {c1.cpu:7.3f}")
        # Verdicts: the median over repetitions of each repetition's own ratio, so that a slow
        # spell of a shared machine, which slows both figures of one repetition, cancels out.
        verdicts = (
            (f"cold / parse-alone, jobs={jobs!r}, wall", "b", "a", "wall", 1.3),
            ("cold / parse-alone, one process, CPU", "b1", "a", "cpu", 1.3),
            (f"warm / cold, jobs={jobs!r}, wall", "c", "b", "wall", 0.1),
            ("warm / cold, one process, CPU", "c1", "b1", "cpu", 0.1),
        )
        print("ratios (median of the per-repetition ratios, and their range):")
        for label, top, bottom, kind, target in verdicts:
            ratios = sorted(
                getattr(t, kind) / getattr(u, kind)
                for t, u in zip(figures[top], figures[bottom], strict=True)
            )
            median = statistics.median(ratios)
            shown = (lambda r: f"{r:.2f} x") if target > 1 else (lambda r: f"{100 * r:.1f}%")
            print(
                f"  {label}: {shown(median)} ({shown(ratios[0])} to {shown(ratios[-1])}); "
                f"target <= {shown(target)}: {'OK' if median <= target else 'MISSED'}"
            )
        for key in ("a", "b", "c", "b1", "c1"):
            print(
                f"all runs {key}: wall {_fmt(figures[key])}  "
                f"CPU {'/'.join(f'{t.cpu:.2f}' for t in figures[key])}"
            )
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")

        if args.profile:
            cache_dir = workdir / "profile-cache"
            # cProfile sees only the calling thread: extract on it, not on the large-stack thread
            engine.EXTRACTION_STACK_BYTES = 0
            for label in ("cold", "warm"):
                profiler = cProfile.Profile()
                profiler.enable()
                time_run(tree, cache_dir, 1)
                profiler.disable()
                stream = io.StringIO()
                pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(25)
                print(f"\n--- profile of a {label} run, jobs=1 (cumulative) ---")
                print(stream.getvalue())
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def _parsed_by_run_lint(tree: Path, python_files: list[Path]) -> list[Path]:
    """The files run_lint's pre-filter selects (token test, then the import closure)."""
    from pytest_agentcost.lint.extract import relevance_tokens
    from pytest_agentcost.lint.imports import module_name_for

    sources = {str(path): path.read_bytes() for path in python_files}
    selected = select_relevant(
        sources, relevance_tokens(Config()), lambda p: module_name_for(Path(p), tree)[0]
    )
    return [Path(path) for path in selected]


def _median(timings: list[Timing]) -> Timing:
    return Timing(
        statistics.median(t.wall for t in timings), statistics.median(t.cpu for t in timings)
    )


def _fmt(timings: list[Timing]) -> str:
    return "/".join(f"{t.wall:.2f}" for t in timings)


if __name__ == "__main__":
    sys.exit(main())
