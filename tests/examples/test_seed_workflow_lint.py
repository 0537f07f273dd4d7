"""`agentcost lint` on the shipped seed example: clean as shipped, each broken convention reported.

The broken copies are generated from the shipped files in `tmp_path`, so they stay in step with
the example. The lint engine is the real one (libcst), in process and through the CLI.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_agentcost.config import parse_config
from pytest_agentcost.lint.engine import run_lint

EXAMPLE = Path(__file__).parents[2] / "examples" / "seed_workflow"

V2_AGENT_TYPE = '            name=f"{agent.name}_generation",\n            metadata={"agent_type": agent.name}\n'
V2_SESSION = "            session_id=str(analysis_id),\n"
V5_AGENT_TYPE = '            metadata={"agent_type": agent.name},\n'
V5_SESSION = "            session_id=str(analysis_id),\n"


def copy_example(tmp_path: Path, edits: dict[str, list[tuple[str, str]]]) -> Path:
    """A copy of the example package with `old -> new` text edits applied per file."""
    target = tmp_path / "seed_workflow"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("__pycache__"))
    for name, replacements in edits.items():
        path = target / name
        text = path.read_text()
        for old, new in replacements:
            assert text.count(old) == 1, f"{name} no longer contains {old!r}: update this test"
            text = text.replace(old, new)
        path.write_text(text)
    return target


def lint(path: Path, root: Path) -> set[tuple[str, str, str]]:
    result = run_lint([path], parse_config({}), root=root, cache=None)
    assert result.errors == ()
    return {(f.path, f.code, f.symbol) for f in result.findings}


def test_the_shipped_example_passes_the_lint_clean() -> None:
    result = run_lint([EXAMPLE], parse_config({}), root=EXAMPLE.parent, cache=None)

    assert result.ok, [f.to_text() for f in result.findings]
    assert result.files_checked == len(list(EXAMPLE.glob("*.py")))


def test_the_agentcost_lint_command_exits_zero_on_the_shipped_example() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "pytest_agentcost", "lint", "--no-cache", str(EXAMPLE)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "no findings" in completed.stdout


def test_a_copy_with_the_conventions_broken_is_reported_for_both_sdk_forms(tmp_path: Path) -> None:
    broken = copy_example(
        tmp_path,
        {
            "workflow_v2.py": [
                (V2_AGENT_TYPE, '            name=f"{agent.name}_generation",\n'),
                (V2_SESSION, ""),
            ],
            "workflow_v5.py": [(V5_AGENT_TYPE, ""), (V5_SESSION, "")],
        },
    )

    findings = lint(broken, tmp_path)

    assert findings == {
        ("seed_workflow/workflow_v2.py", "AC001", "AnalysisWorkflow.run_agent"),
        ("seed_workflow/workflow_v2.py", "AC002", "AnalysisWorkflow.run_analysis"),
        ("seed_workflow/workflow_v5.py", "AC001", "AnalysisWorkflow.run_agent"),
        ("seed_workflow/workflow_v5.py", "AC002", "AnalysisWorkflow.run_analysis"),
    }


def test_the_seeds_as_type_trace_counts_as_a_trace_root(tmp_path: Path) -> None:
    broken = copy_example(tmp_path, {"workflow_v2.py": [(V2_SESSION, "")]})
    assert '@observe(as_type="trace")' in (broken / "workflow_v2.py").read_text()

    findings = lint(broken, tmp_path)

    assert findings == {("seed_workflow/workflow_v2.py", "AC002", "AnalysisWorkflow.run_analysis")}


@pytest.mark.parametrize(
    ("name", "edit"),
    [
        pytest.param("workflow_v2.py", (V2_SESSION, ""), id="v2-session"),
        pytest.param("workflow_v5.py", (V5_AGENT_TYPE, ""), id="v5-agent-type"),
    ],
)
def test_the_cli_reports_a_broken_copy_with_exit_code_one(
    tmp_path: Path, name: str, edit: tuple[str, str]
) -> None:
    broken = copy_example(tmp_path, {name: [edit]})

    completed = subprocess.run(
        [sys.executable, "-m", "pytest_agentcost", "lint", "--no-cache", str(broken)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )

    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert f"seed_workflow/{name}" in completed.stdout
    assert "AnalysisWorkflow." in completed.stdout
