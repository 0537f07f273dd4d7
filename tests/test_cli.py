"""The `agentcost` command: `agentcost lint` and `agentcost rules`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from lint_projects import CLEAN, GENERATION_WITHOUT_AGENT_TYPE, write_files

from pytest_agentcost.cli import main


def make_project(root: Path, files: dict[str, str], agentcost: str = "") -> Path:
    (root / "pyproject.toml").write_text(
        f"[project]\nname = 'demo'\n\n[tool.agentcost]\n{agentcost}\n"
    )
    write_files(root, {name: textwrap.dedent(text) for name, text in files.items()})
    return root


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_clean_project_exits_0_and_says_so(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_project(project, {"app/agent.py": CLEAN, "app/plain.py": "x = 1\n"})
    code, out, _ = run(capsys, "lint")
    assert code == 0
    assert out == "agentcost lint: 2 files checked, no findings.\n"


def test_findings_exit_1_with_one_path_line_column_code_line_each(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_project(project, {"app/agent.py": GENERATION_WITHOUT_AGENT_TYPE})
    code, out, _ = run(capsys, "lint")
    lines = out.splitlines()
    assert code == 1
    ac001 = [line for line in lines if " AC001 " in line]
    assert len(ac001) == 1, out
    assert ac001[0].startswith(("app/agent.py:4:", "app/agent.py:5:"))  # the decorator or the def
    assert lines[-1].startswith("agentcost lint: ") and "AC001: 1" in lines[-1]


def test_a_file_error_alone_exits_1(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_project(project, {"broken.py": "import langfuse\ndef broken(:\n"})
    code, out, _ = run(capsys, "lint")
    assert code == 1
    assert out.startswith("broken.py:2:") and ": error: " in out.splitlines()[0]


def test_json_output_has_exactly_the_documented_shape(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_project(
        project,
        {"app/agent.py": GENERATION_WITHOUT_AGENT_TYPE, "broken.py": "import langfuse\n(\n"},
    )
    code, out, _ = run(capsys, "lint", "--format", "json")
    data = json.loads(out)
    assert code == 1
    assert set(data) == {"findings", "errors", "files_checked"}
    assert data["files_checked"] == 2
    assert [set(f) for f in data["findings"]] == [
        {"path", "line", "column", "code", "message", "symbol"}
    ]
    assert data["findings"][0]["path"] == "app/agent.py"
    assert data["findings"][0]["symbol"] == "call_model"
    assert [set(e) for e in data["errors"]] == [{"path", "line", "column", "message"}]
    assert data["errors"][0]["path"] == "broken.py"


def test_paths_are_relative_to_the_working_directory(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(project, {"src/app/agent.py": GENERATION_WITHOUT_AGENT_TYPE})
    monkeypatch.chdir(project / "src")
    code, out, _ = run(capsys, "lint", "--format", "json", "app")
    assert code == 1
    assert {f["path"] for f in json.loads(out)["findings"]} == {"app/agent.py"}
    monkeypatch.chdir(project / "src" / "app")
    _, out, _ = run(capsys, "lint", "--format", "json", "../../src")
    assert {f["path"] for f in json.loads(out)["findings"]} == {"agent.py"}


def test_without_paths_lint_paths_from_the_config_are_checked(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_project(
        project,
        {
            "src/agent.py": GENERATION_WITHOUT_AGENT_TYPE,
            "scripts/other.py": GENERATION_WITHOUT_AGENT_TYPE,
        },
        'lint_paths = ["src"]',
    )
    code, out, _ = run(capsys, "lint", "--format", "json")
    data = json.loads(out)
    assert code == 1
    assert data["files_checked"] == 1
    assert {f["path"] for f in data["findings"]} == {"src/agent.py"}


def test_without_paths_or_lint_paths_the_working_directory_is_checked(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_project(
        project,
        {"a/agent.py": GENERATION_WITHOUT_AGENT_TYPE, "b/agent.py": GENERATION_WITHOUT_AGENT_TYPE},
    )
    _, out, _ = run(capsys, "lint", "--format", "json")
    assert {f["path"] for f in json.loads(out)["findings"]} == {"a/agent.py", "b/agent.py"}


def test_exclude_globs_from_the_config_are_honoured(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_project(
        project,
        {
            "app/agent.py": GENERATION_WITHOUT_AGENT_TYPE,
            "app/legacy/old.py": GENERATION_WITHOUT_AGENT_TYPE,
        },
        'exclude = ["app/legacy"]',
    )
    _, out, _ = run(capsys, "lint", "--format", "json")
    data = json.loads(out)
    assert {f["path"] for f in data["findings"]} == {"app/agent.py"}
    assert data["files_checked"] == 1


@pytest.mark.parametrize(
    ("agentcost", "named"),
    [
        ('lint_path = ["src"]', "lint_path"),
        ('select = ["AC009"]', "AC009"),
        ('unverifiable_metadata = "warn"', "unverifiable_metadata"),
        ('exclude = "tests"', "exclude"),
        ('lint_paths = ["does-not-exist"]', "lint_paths"),
    ],
)
def test_a_config_error_exits_2_and_names_the_key(
    project: Path, capsys: pytest.CaptureFixture[str], agentcost: str, named: str
) -> None:
    make_project(project, {"agent.py": CLEAN}, agentcost)
    code, out, err = run(capsys, "lint")
    assert code == 2
    assert out == ""
    assert err.startswith("agentcost: error: ") and named in err


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["lint", "missing.py"], "missing.py"),
        (["lint", "--select", "AC009"], "--select"),
        (["lint", "--ignore", "nope"], "--ignore"),
        (["lint", "--format", "xml"], "--format"),
        (["lint", "--jobs", "0"], "--jobs"),
        (["lint", "--jobs", "all"], "--jobs"),
        (["lint", "--config", "other.toml"], "other.toml"),
        (["frobnicate"], "frobnicate"),
        ([], "lint"),
    ],
)
def test_a_usage_error_exits_2_and_names_the_problem(
    project: Path, capsys: pytest.CaptureFixture[str], args: list[str], named: str
) -> None:
    make_project(project, {"agent.py": CLEAN})
    code, _out, err = run(capsys, *args)
    assert code == 2
    assert named in err


def test_select_and_ignore_options_choose_the_rules(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_project(project, {"agent.py": GENERATION_WITHOUT_AGENT_TYPE})
    assert run(capsys, "lint", "--select", "AC002")[0] == 0
    assert run(capsys, "lint", "--ignore", "ac001")[0] == 0
    code, out, _ = run(capsys, "lint", "--select", "AC001,AC002")
    assert code == 1 and "AC001" in out


def test_config_option_reads_the_named_pyproject(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_project(project, {"agent.py": GENERATION_WITHOUT_AGENT_TYPE})
    other = project / "ci" / "pyproject.toml"
    other.parent.mkdir()
    other.write_text('[tool.agentcost]\nignore = ["AC001"]\n')
    assert run(capsys, "lint", "agent.py")[0] == 1
    assert run(capsys, "lint", "agent.py", "--config", str(other))[0] == 0


def test_the_cache_lives_next_to_the_pyproject_and_no_cache_writes_nothing(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(project, {"app/agent.py": GENERATION_WITHOUT_AGENT_TYPE})
    monkeypatch.chdir(project / "app")
    uncached = run(capsys, "lint", "--no-cache", ".")
    assert not (project / ".agentcost_cache").exists()
    cold = run(capsys, "lint", ".")
    warm = run(capsys, "lint", ".")
    assert list((project / ".agentcost_cache").glob("lint-*.pack"))
    assert not (project / "app" / ".agentcost_cache").exists()
    assert uncached == cold == warm
    assert uncached[0] == 1


def test_an_unwritable_cache_warns_and_the_results_are_unaffected(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_project(project, {"agent.py": GENERATION_WITHOUT_AGENT_TYPE})
    (project / ".agentcost_cache").write_text("not a directory")
    code, out, err = run(capsys, "lint")
    assert code == 1 and "AC001" in out
    assert "warning: cannot write the lint cache" in err


def test_rules_lists_every_rule_code(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "rules")
    assert code == 0
    headings = [line for line in out.splitlines() if not line.startswith(" ")]
    assert [line.split()[0] for line in headings] == ["AC001", "AC002"]
    assert "agent_type" in out and "session_id" in out


def test_python_dash_m_runs_the_same_command(project: Path) -> None:
    make_project(project, {"agent.py": GENERATION_WITHOUT_AGENT_TYPE})
    completed = subprocess.run(
        [sys.executable, "-m", "pytest_agentcost", "lint", "--format", "json"],
        capture_output=True,
        text=True,
        cwd=project,
        check=False,
    )
    assert completed.returncode == 1, completed.stderr
    assert json.loads(completed.stdout)["findings"][0]["code"] == "AC001"


def test_version_option_prints_the_version(capsys: pytest.CaptureFixture[str]) -> None:
    from pytest_agentcost import __version__

    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip() == f"agentcost {__version__}"


@pytest.mark.parametrize(
    ("agentcost", "flag", "expected"),
    [
        ("", [], "auto"),
        ("jobs = 3", [], 3),
        ("jobs = 3", ["--jobs", "auto"], "auto"),
        ("", ["-j", "2"], 2),
    ],
)
def test_the_job_count_comes_from_the_flag_else_the_config_else_auto(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    agentcost: str,
    flag: list[str],
    expected: object,
) -> None:
    from pytest_agentcost.lint import engine

    seen: list[object] = []
    real = engine._extract_all
    monkeypatch.setattr(
        engine, "_extract_all", lambda todo, jobs: seen.append(jobs) or real(todo, 1)
    )
    make_project(project, {"app/agent.py": CLEAN}, agentcost)
    code, _, _ = run(capsys, "lint", "--no-cache", *flag)
    assert code == 0
    assert seen == [expected]


def test_ctrl_c_exits_130_with_one_line_instead_of_a_traceback(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_agentcost.lint import engine

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(engine, "run_lint", interrupted)
    make_project(project, {"app/agent.py": CLEAN})
    code, out, err = run(capsys, "lint")
    assert code == 130
    assert out == ""
    assert err == "agentcost: interrupted.\n"


def test_paths_elsewhere_use_the_configuration_next_to_them(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    other = project / "other"
    other.mkdir()
    make_project(
        other,
        {
            "src/app/agent.py": GENERATION_WITHOUT_AGENT_TYPE,
            "src/app/legacy.py": GENERATION_WITHOUT_AGENT_TYPE,
        },
        'exclude = ["src/app/legacy.py"]',
    )
    code, out, _ = run(capsys, "lint", "--format", "json", "--no-cache", "other/src")
    assert code == 1
    assert {f["path"] for f in json.loads(out)["findings"]} == {"other/src/app/agent.py"}


def test_text_output_survives_a_terminal_that_cannot_show_the_file_name(project: Path) -> None:
    make_project(project, {"caf\u00e9.py": GENERATION_WITHOUT_AGENT_TYPE})
    completed = subprocess.run(
        [sys.executable, "-m", "pytest_agentcost", "lint", "--no-cache"],
        cwd=project,
        capture_output=True,
        env={**os.environ, "PYTHONIOENCODING": "ascii"},
        check=False,
    )
    assert completed.returncode == 1, completed.stderr
    assert b"caf\\xe9.py:" in completed.stdout
    assert b"Traceback" not in completed.stderr
