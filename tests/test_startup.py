"""Loading the plugin stays cheap: the heavy libraries are imported only when used."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("libcst", "langfuse", "opentelemetry", "genai_prices")

PROBE = f"""
import json, sys
import pytest_agentcost.plugin
heavy = {HEAVY!r}
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in heavy)))
"""


def test_importing_the_plugin_imports_no_heavy_library() -> None:
    completed = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    )
    assert json.loads(completed.stdout) == []


def test_the_probe_would_notice_a_heavy_import() -> None:
    probe = PROBE.replace(
        "import pytest_agentcost.plugin", "import pytest_agentcost.plugin, libcst"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert "libcst" in json.loads(completed.stdout)


def test_the_cli_module_imports_no_heavy_library_until_a_lint_runs() -> None:
    probe = PROBE.replace(
        "import pytest_agentcost.plugin",
        "import pytest_agentcost.cli, pytest_agentcost.pytest_lint",
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert json.loads(completed.stdout) == []


# Our own modules that only a run using the capture, the report or the lint needs.
FEATURE_MODULES = (
    "pytest_agentcost.report",
    "pytest_agentcost.capture.model",
    "pytest_agentcost.capture.pricing",
    "pytest_agentcost.capture.records",
    "pytest_agentcost.lint",
)

FEATURE_PROBE = f"""
import json, sys
import pytest_agentcost.plugin
features = {FEATURE_MODULES!r}
print(json.dumps(sorted(
    name for name in sys.modules if any(name == f or name.startswith(f + ".") for f in features)
)))
"""


def test_importing_the_plugin_imports_no_report_capture_model_or_lint_module() -> None:
    completed = subprocess.run(
        [sys.executable, "-c", FEATURE_PROBE], capture_output=True, text=True, check=True
    )
    assert json.loads(completed.stdout) == []


def test_the_feature_probe_would_notice_a_report_import() -> None:
    probe = FEATURE_PROBE.replace(
        "import pytest_agentcost.plugin",
        "import pytest_agentcost.plugin, pytest_agentcost.report.data",
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert "pytest_agentcost.report.data" in json.loads(completed.stdout)


LOADED_MODULES_CONFTEST = """
import json, sys

def pytest_unconfigure(config):
    names = sorted(name for name in sys.modules if name.startswith("pytest_agentcost"))
    with open("loaded.json", "w") as stream:
        json.dump(names, stream)
"""


def test_a_session_that_uses_no_agentcost_feature_loads_no_report_capture_or_lint_module(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(LOADED_MODULES_CONFTEST)
    pytester.makepyfile("def test_one():\n    assert 1 + 1 == 2\n")
    result = pytester.runpytest_subprocess("-p", "socket_guard", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    loaded = json.loads((pytester.path / "loaded.json").read_text())
    assert "pytest_agentcost.plugin" in loaded
    assert "pytest_agentcost.capture.sdk" in loaded  # the offline guard is always installed
    assert [name for name in loaded if name.startswith(FEATURE_MODULES)] == []


def test_a_session_that_captures_costs_loads_the_report(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(LOADED_MODULES_CONFTEST)
    pytester.makepyfile(
        "def test_one(agentcost_capture):\n    assert agentcost_capture.traces == []\n"
    )
    result = pytester.runpytest_subprocess("-p", "socket_guard", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    loaded = json.loads((pytester.path / "loaded.json").read_text())
    assert "pytest_agentcost.report.data" in loaded
    assert "pytest_agentcost.capture.model" in loaded
