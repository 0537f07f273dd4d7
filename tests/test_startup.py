"""Loading the plugin stays cheap: the heavy libraries are imported only when used."""

from __future__ import annotations

import json
import subprocess
import sys

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
