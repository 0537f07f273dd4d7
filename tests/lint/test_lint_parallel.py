"""Extraction in a process pool: when one starts, how its processes start, and that it changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from pytest_agentcost.config import Config
from pytest_agentcost.lint import engine
from pytest_agentcost.lint.engine import run_lint

AGENT = """\
from langfuse import observe


@observe(as_type="generation")
def call_model_{n}(prompt):
    return prompt
"""


def make_tree(root: Path, agents: int) -> None:
    for n in range(agents):
        path = root / "app" / f"agent_{n:02d}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(AGENT.format(n=n), encoding="utf-8")
    (root / "app" / "broken.py").write_text("import langfuse\ndef broken(:\n", encoding="utf-8")


def test_auto_uses_one_process_per_available_cpu_once_each_gets_enough_files(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(engine, "available_cpus", lambda: 4)
    per_fork = engine.FILES_PER_FORKED_PROCESS
    assert engine.worker_count("auto", 100 * per_fork, "fork") == 4
    assert engine.worker_count("auto", 3 * per_fork, "fork") == 3
    assert engine.worker_count("auto", 2 * per_fork - 1, "fork") == 1


def test_spawned_processes_need_more_files_each_than_forked_ones() -> None:
    files = 2 * engine.FILES_PER_FORKED_PROCESS
    assert engine.FILES_PER_SPAWNED_PROCESS > engine.FILES_PER_FORKED_PROCESS
    assert engine.worker_count(2, files, "fork") == 2
    assert engine.worker_count(2, files, "spawn") == 1


def test_an_explicit_job_count_is_capped_and_one_means_no_pool() -> None:
    many = 1000 * engine.FILES_PER_SPAWNED_PROCESS
    assert engine.worker_count(64, many, "spawn") == engine.MAX_JOBS
    assert engine.worker_count(1, many, "fork") == 1


def test_a_process_with_another_thread_spawns_instead_of_forking() -> None:
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert engine.pool_start_method() == "spawn"
    finally:
        release.set()
        other.join()


@pytest.mark.skipif(sys.platform != "linux", reason="forking is used on Linux only")
def test_a_single_threaded_process_on_linux_forks() -> None:
    script = "from pytest_agentcost.lint import engine; print(engine.pool_start_method())"
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "fork"


def test_spawned_pool_extraction_gives_the_same_results_as_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tree(tmp_path, 60)
    serial = run_lint([tmp_path], Config(), root=tmp_path, cache=None, jobs=1)
    used: list[int] = []
    real_count = engine.worker_count
    monkeypatch.setattr(engine, "pool_start_method", lambda: "spawn")
    monkeypatch.setattr(engine, "FILES_PER_SPAWNED_PROCESS", 24)
    monkeypatch.setattr(
        engine, "worker_count", lambda *args: used.append(real_count(*args)) or used[-1]
    )
    pooled = run_lint([tmp_path], Config(), root=tmp_path, cache=None, jobs=2)
    assert used == [2]
    assert len(serial.findings) == 120 and len(serial.errors) == 1  # AC001 and AC002 each
    assert pooled == serial


FORKED_RUN = """
import json, os, sys
from pathlib import Path
from pytest_agentcost.config import Config
from pytest_agentcost.lint import engine

root = Path(sys.argv[1])
pids = root / "pids"
extract_one = engine._extract_one

def recording(job):
    with open(pids, "a") as out:
        out.write(f"{os.getpid()}\\n")
    return extract_one(job)

engine._extract_one = recording
method = engine.pool_start_method()
result = engine.run_lint([root / "app"], Config(), root=root, cache=None, jobs=2)
print(json.dumps({
    "method": method,
    "others": len(set(pids.read_text().split()) - {str(os.getpid())}),
    "result": result.to_json(),
}))
"""


@pytest.mark.skipif(sys.platform != "linux", reason="forking is used on Linux only")
def test_forked_pool_extraction_runs_in_other_processes_with_the_same_results(
    tmp_path: Path,
) -> None:
    make_tree(tmp_path, 60)
    out = subprocess.run(
        [sys.executable, "-c", FORKED_RUN, str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    report = json.loads(out)
    serial = run_lint([tmp_path / "app"], Config(), root=tmp_path, cache=None, jobs=1)
    assert report["method"] == "fork"
    assert report["others"] == 2
    assert report["result"] == serial.to_json()


def test_a_container_cpu_quota_caps_the_automatic_process_count() -> None:
    assert engine.cpu_quota("200000 100000\n") == 2
    assert engine.cpu_quota("150000 100000") == 2  # a part of a CPU still gets a process
    assert engine.cpu_quota("max 100000") is None
    assert engine.cpu_quota("-1 100000") is None  # cgroup v1: no quota
    assert engine.cpu_quota("garbage") is None


def test_available_cpus_takes_the_smaller_of_the_affinity_and_the_quota(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    quota = tmp_path / "cpu.max"
    quota.write_text("100000 100000\n", encoding="ascii")
    monkeypatch.setattr(engine, "CGROUP_CPU_FILES", ((str(quota),),))
    assert engine.available_cpus() == 1
    quota.write_text("max 100000\n", encoding="ascii")
    assert engine.available_cpus() == (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    )
    monkeypatch.setattr(engine, "CGROUP_CPU_FILES", ((str(tmp_path / "absent"),),))
    assert engine.available_cpus() >= 1
