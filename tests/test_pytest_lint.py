"""`pytest --agentcost-lint`, end to end with pytester (with and without xdist and the cacheprovider)."""

from __future__ import annotations

import textwrap

import pytest
from lint_projects import CLEAN, GENERATION_WITHOUT_AGENT_TYPE, write_files

# A conftest that records, in a file, every time the analysis runs (in any process of the run).
COUNTING_CONFTEST = """\
import os

from pytest_agentcost.lint import engine

_real_run_lint = engine.run_lint


def _counting_run_lint(*args, **kwargs):
    with open(os.environ["AGENTCOST_LINT_COUNTER"], "a") as stream:
        stream.write(f"{os.getpid()}\\n")
    return _real_run_lint(*args, **kwargs)


engine.run_lint = _counting_run_lint
"""

# Run every behaviour without xdist, with xdist disabled, and with two workers.
XDIST_MODES = {
    "no-xdist-option": (),
    "xdist-disabled": ("-p", "no:xdist"),
    "two-workers": ("-n", "2"),
}


@pytest.fixture(params=list(XDIST_MODES), ids=list(XDIST_MODES))
def xdist_args(request: pytest.FixtureRequest) -> tuple[str, ...]:
    return XDIST_MODES[request.param]


def make_project(pytester: pytest.Pytester, files: dict[str, str], agentcost: str = "") -> None:
    pytester.makefile(
        ".toml",
        pyproject=textwrap.dedent(
            f"""\
            [tool.pytest.ini_options]
            testpaths = ["tests"]
            addopts = ["--strict-markers"]
            filterwarnings = ["error"]

            [tool.agentcost]
            {agentcost}
            """
        ),
    )
    write_files(pytester.path, files)


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "socket_guard", *args)  # the guard in the child too


STANDARD = {
    "src/app/__init__.py": "",
    "src/app/agent.py": GENERATION_WITHOUT_AGENT_TYPE,
    "src/app/clean.py": CLEAN,
    "tests/test_unit.py": "def test_unit():\n    assert True\n",
}


def test_each_file_gets_one_lint_item_and_a_finding_fails_only_its_file(
    pytester: pytest.Pytester, xdist_args: tuple[str, ...]
) -> None:
    make_project(pytester, STANDARD, 'lint_paths = ["src"]')
    result = run(pytester, "--agentcost-lint", "-rA", *xdist_args)
    result.assert_outcomes(passed=4, failed=1)
    assert outcomes(result) == {
        "src/app/__init__.py::agentcost-lint": "PASSED",
        "src/app/agent.py::agentcost-lint": "FAILED",
        "src/app/clean.py::agentcost-lint": "PASSED",
        "tests/test_unit.py::agentcost-lint": "PASSED",
        "tests/test_unit.py::test_unit": "PASSED",
    }
    result.stdout.re_match_lines([r"^src/app/agent\.py:[45]:\d+: AC001 .+"])
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_a_failing_item_shows_the_finding_lines_and_no_python_traceback(
    pytester: pytest.Pytester,
) -> None:
    make_project(pytester, STANDARD, 'lint_paths = ["src"]')
    result = run(pytester, "--agentcost-lint")
    output = result.stdout.str()
    result.stdout.fnmatch_lines(
        ["*_ [[]agentcost-lint] src/app/agent.py _*", "src/app/agent.py:*: AC001 *"]
    )
    assert "Traceback" not in output
    assert "runtest" not in output and "LintError" not in output


def test_without_the_flag_there_are_no_lint_items(pytester: pytest.Pytester) -> None:
    make_project(pytester, STANDARD, 'lint_paths = ["src"]')
    result = run(pytester)
    result.assert_outcomes(passed=1)
    assert "agentcost-lint" not in result.stdout.str()


def test_the_marker_is_registered_even_without_the_flag(pytester: pytest.Pytester) -> None:
    make_project(pytester, STANDARD)
    result = run(pytester, "--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.agentcost_lint:*"])
    assert run(pytester, "-m", "agentcost_lint").ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_dash_m_agentcost_lint_runs_only_the_lint(
    pytester: pytest.Pytester, xdist_args: tuple[str, ...]
) -> None:
    make_project(pytester, STANDARD, 'lint_paths = ["src"]')
    result = run(pytester, "--agentcost-lint", "-m", "agentcost_lint", "-rA", *xdist_args)
    result.assert_outcomes(
        passed=3, failed=1, deselected=0 if "-n" in xdist_args else 1
    )  # xdist omits it
    assert all(node.endswith("::agentcost-lint") for node in outcomes(result))


def test_deselecting_the_lint_runs_no_analysis(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = pytester.path / "analysis-runs.txt"
    monkeypatch.setenv("AGENTCOST_LINT_COUNTER", str(counter))
    make_project(
        pytester, {**STANDARD, "tests/conftest.py": COUNTING_CONFTEST}, 'lint_paths = ["src"]'
    )
    result = run(pytester, "--agentcost-lint", "-m", "not agentcost_lint")
    result.assert_outcomes(passed=1, deselected=5)
    assert not counter.exists()


def test_lint_paths_outside_testpaths_are_collected(pytester: pytest.Pytester) -> None:
    make_project(pytester, STANDARD, 'lint_paths = ["src"]')
    with_lint_paths = run(pytester, "--agentcost-lint", "--collect-only", "-q")
    with_lint_paths.stdout.fnmatch_lines(
        ["src/app/agent.py::agentcost-lint", "tests/test_unit.py::agentcost-lint"]
    )
    make_project(pytester, STANDARD)
    without = run(pytester, "--agentcost-lint", "--collect-only", "-q")
    assert "src/app" not in without.stdout.str()
    without.stdout.fnmatch_lines(["tests/test_unit.py::agentcost-lint"])


def test_excluded_files_get_no_item(pytester: pytest.Pytester, xdist_args: tuple[str, ...]) -> None:
    make_project(
        pytester, STANDARD, 'lint_paths = ["src"]\nexclude = ["src/app/agent.py", "tests"]'
    )
    result = run(pytester, "--agentcost-lint", "-rA", *xdist_args)
    result.assert_outcomes(passed=3)
    assert sorted(outcomes(result)) == [
        "src/app/__init__.py::agentcost-lint",
        "src/app/clean.py::agentcost-lint",
        "tests/test_unit.py::test_unit",
    ]


def test_lint_items_run_before_the_other_tests(pytester: pytest.Pytester) -> None:
    make_project(
        pytester,
        {**STANDARD, "tests/test_zzz.py": "def test_z():\n    pass\n"},
        'lint_paths = ["src"]',
    )
    result = run(pytester, "--agentcost-lint", "--collect-only", "-q")
    ids = [line for line in result.stdout.lines if "::" in line]
    kinds = [line.endswith("::agentcost-lint") for line in ids]
    assert kinds == sorted(kinds, reverse=True) and kinds.count(False) == 2


def test_a_syntax_error_fails_its_own_item_and_the_other_files_are_still_checked(
    pytester: pytest.Pytester, xdist_args: tuple[str, ...]
) -> None:
    broken = {"src/app/broken.py": "from langfuse import observe\n\ndef broken(:\n    pass\n"}
    make_project(pytester, {**STANDARD, **broken}, 'lint_paths = ["src"]')
    result = run(pytester, "--agentcost-lint", "-rA", *xdist_args)
    result.assert_outcomes(passed=4, failed=2)
    failed = sorted(node for node, outcome in outcomes(result).items() if outcome == "FAILED")
    assert failed == ["src/app/agent.py::agentcost-lint", "src/app/broken.py::agentcost-lint"]
    result.stdout.re_match_lines([r"^src/app/broken\.py:\d+:\d+: error: .*syntax error.*"])
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


@pytest.mark.parametrize(
    ("agentcost", "named"),
    [
        ('lint_path = ["src"]', "lint_path"),
        ('ignore = ["AC042"]', "AC042"),
        ('lint_paths = ["nowhere"]', "lint_paths"),
        ("required_metadata = 3", "required_metadata"),
    ],
)
def test_a_config_error_is_a_clean_usage_error_naming_the_key(
    pytester: pytest.Pytester, agentcost: str, named: str
) -> None:
    make_project(pytester, STANDARD, agentcost)
    result = run(pytester, "--agentcost-lint")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert named in result.stderr.str()
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


def test_results_are_identical_without_the_cacheprovider_and_nothing_is_cached(
    pytester: pytest.Pytester, xdist_args: tuple[str, ...]
) -> None:
    make_project(pytester, STANDARD, 'lint_paths = ["src"]')
    cached = run(pytester, "--agentcost-lint", "-v", *xdist_args)
    assert list((pytester.path / ".pytest_cache" / "d" / "agentcost-lint").glob("lint-*.pack"))
    uncached = run(pytester, "--agentcost-lint", "-v", "-p", "no:cacheprovider", *xdist_args)
    uncached.assert_outcomes(passed=4, failed=1)
    assert finding_lines(uncached) == finding_lines(cached) != []


def test_a_warm_cache_gives_identical_results(
    pytester: pytest.Pytester, xdist_args: tuple[str, ...]
) -> None:
    make_project(pytester, STANDARD, 'lint_paths = ["src"]')
    cold = run(pytester, "--agentcost-lint", *xdist_args)
    entries = sorted(
        p.name for p in (pytester.path / ".pytest_cache" / "d" / "agentcost-lint").rglob("*.json")
    )
    warm = run(pytester, "--agentcost-lint", *xdist_args)
    warm.assert_outcomes(passed=4, failed=1)
    assert finding_lines(warm) == finding_lines(cold) != []
    assert (
        sorted(
            p.name
            for p in (pytester.path / ".pytest_cache" / "d" / "agentcost-lint").rglob("*.json")
        )
        == entries
    )


def test_the_analysis_runs_once_per_run_under_xdist_and_without(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, xdist_args: tuple[str, ...]
) -> None:
    counter = pytester.path / "analysis-runs.txt"
    monkeypatch.setenv("AGENTCOST_LINT_COUNTER", str(counter))
    many = {f"src/app/agent_{i}.py": GENERATION_WITHOUT_AGENT_TYPE for i in range(6)}
    make_project(
        pytester,
        {**STANDARD, **many, "tests/conftest.py": COUNTING_CONFTEST},
        'lint_paths = ["src"]',
    )
    result = run(pytester, "--agentcost-lint", *xdist_args)
    result.assert_outcomes(passed=5, failed=7)
    assert len(counter.read_text().splitlines()) == 1


def test_under_xdist_the_work_is_shared_by_both_workers(pytester: pytest.Pytester) -> None:
    many = {f"src/app/agent_{i}.py": GENERATION_WITHOUT_AGENT_TYPE for i in range(8)}
    make_project(pytester, {**STANDARD, **many}, 'lint_paths = ["src"]')
    result = run(pytester, "--agentcost-lint", "-n", "2", "-v")
    workers = {
        line.split("]")[0]
        for line in result.stdout.lines
        if "::agentcost-lint" in line and "[gw" in line
    }
    assert workers == {"[gw0", "[gw1"}
    result.assert_outcomes(passed=4, failed=9)


def test_the_summary_line_is_printed_once_by_the_controller(
    pytester: pytest.Pytester, xdist_args: tuple[str, ...]
) -> None:
    make_project(pytester, STANDARD, 'lint_paths = ["src"]')
    result = run(pytester, "--agentcost-lint", *xdist_args)
    summaries = [line for line in result.stdout.lines if line.startswith("agentcost lint: ")]
    assert summaries == ["agentcost lint: 4 files checked, 1 finding (AC001: 1)."]


def test_reportinfo_names_the_lint_and_the_file(pytester: pytest.Pytester) -> None:
    make_project(pytester, STANDARD, 'lint_paths = ["src"]')
    result = run(pytester, "--agentcost-lint", "-rf")
    result.stdout.fnmatch_lines(
        ["FAILED src/app/agent.py::agentcost-lint - src/app/agent.py:*AC001*"]
    )


def test_a_lint_item_can_be_run_by_its_node_id(pytester: pytest.Pytester) -> None:
    make_project(pytester, STANDARD)
    result = run(pytester, "--agentcost-lint", "src/app/agent.py::agentcost-lint")
    result.assert_outcomes(failed=1)


def outcomes(result: pytest.RunResult) -> dict[str, str]:
    """Node id -> PASSED/FAILED, from the `-rA` short summary."""
    found = {}
    for line in result.stdout.lines:
        outcome, _, rest = line.partition(" ")
        if outcome in ("PASSED", "FAILED") and "::" in rest:
            found[rest.split(" - ")[0].strip()] = outcome
    return found


def finding_lines(result: pytest.RunResult) -> list[str]:
    """Each distinct finding line (on CI, pytest's short summary repeats them untruncated)."""
    return sorted(
        {line for line in result.stdout.lines if ": AC00" in line and not line.startswith("FAILED")}
    )


def test_an_unreadable_file_under_lint_paths_fails_its_item(pytester: pytest.Pytester) -> None:
    make_project(pytester, STANDARD, 'lint_paths = ["src"]')
    (pytester.path / "src" / "app" / "gone.py").symlink_to(pytester.path / "nowhere.py")
    result = run(pytester, "--agentcost-lint", "-rA", "-m", "agentcost_lint")
    assert outcomes(result)["src/app/gone.py::agentcost-lint"] == "FAILED"
    result.stdout.fnmatch_lines(["src/app/gone.py:1:1: error: cannot read the file: *"])


def test_an_unusable_pytest_cache_falls_back_to_no_cache_with_the_same_findings(
    pytester: pytest.Pytester, xdist_args: tuple[str, ...]
) -> None:
    make_project(pytester, STANDARD, 'lint_paths = ["src"]')
    expected = finding_lines(run(pytester, "--agentcost-lint", "-p", "no:cacheprovider"))
    # a file where the lint's cache directory should be: pytest's cache.mkdir() cannot make it
    cache_dir = pytester.path / ".pytest_cache" / "d"
    cache_dir.mkdir(parents=True)
    (cache_dir / "agentcost-lint").write_text("not a directory")
    result = run(pytester, "--agentcost-lint", "-rA", *xdist_args)
    result.assert_outcomes(passed=4, failed=1)
    assert finding_lines(result) == expected
    assert "Traceback" not in result.stdout.str()


def test_last_failed_reruns_see_the_whole_project(pytester: pytest.Pytester) -> None:
    files = {
        "app/__init__.py": "",
        # inner() is reached from outer(), under a session: not a trace root
        "app/outer.py": (
            "from langfuse import observe, propagate_attributes\n"
            "from app.inner import inner\n"
            "@observe()\n"
            "def outer():\n"
            "    with propagate_attributes(session_id='s'):\n"
            "        return inner()\n"
        ),
        "app/inner.py": (
            "from langfuse import observe\n"
            "@observe()\n"
            "def inner():\n"
            "    return 1\n"
            "@observe(as_type='generation')\n"
            "def untagged():\n"
            "    return 2\n"
        ),
        "tests/test_unit.py": "def test_unit():\n    assert True\n",
    }
    make_project(pytester, files, 'lint_paths = ["app"]')
    first = run(pytester, "--agentcost-lint")
    assert [line.split()[1:3] for line in finding_lines(first)] == [
        ["AC001", "generation"],
        ["AC002", "trace"],  # untagged() is a root; inner() is not
    ]
    rerun = run(pytester, "--agentcost-lint", "--lf", "-rA")
    assert finding_lines(rerun) == finding_lines(first)
    assert outcomes(rerun) == {"app/inner.py::agentcost-lint": "FAILED"}
