"""The names the checker treats as Langfuse exist in the installed, real Langfuse SDK.

Run it in each SDK venv (v2, v3, v4, v5): it checks the vocabulary of the version it finds.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import sys

import pytest

from pytest_agentcost.lint.facts import CREATORS
from pytest_agentcost.lint.project import (
    CLIENT_FACTORIES,
    CONTEXT_V2,
    OBSERVE_V2,
    OBSERVE_V3,
    PROPAGATE,
)

MAJOR = int(importlib.metadata.version("langfuse").split(".")[0])


def _resolve(dotted: str) -> object:
    module_name, _, attr = dotted.rpartition(".")
    return getattr(importlib.import_module(module_name), attr)


def test_importing_the_engine_does_not_import_libcst_or_langfuse() -> None:
    import subprocess

    code = (
        "import sys, pytest_agentcost.lint.extract, pytest_agentcost.lint.project;"
        "print(sorted(m for m in ('libcst', 'langfuse') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.skipif(MAJOR < 3, reason="the v3+ API")
def test_v3_plus_names_exist_in_the_installed_sdk() -> None:
    import langfuse

    for dotted in ("langfuse.observe", "langfuse.get_client", "langfuse.Langfuse"):
        assert dotted in OBSERVE_V3 | CLIENT_FACTORIES
        assert callable(_resolve(dotted))
    if hasattr(langfuse, "propagate_attributes"):  # 3.9+
        assert "langfuse.propagate_attributes" in PROPAGATE
    client = langfuse.Langfuse
    for method in (
        "start_observation",
        "start_as_current_observation",
        "update_current_generation",
        "update_current_span",
    ):
        assert hasattr(client, method), method
    assert {"start_observation", "start_as_current_observation"} <= set(CREATORS)
    if MAJOR == 3:
        for method in (
            "start_generation",
            "start_as_current_generation",
            "start_span",
            "start_as_current_span",
            "update_current_trace",
        ):
            assert hasattr(client, method), method
            assert method in CREATORS or method == "update_current_trace"


@pytest.mark.skipif(MAJOR != 2, reason="the v2 API")
def test_v2_names_exist_in_the_installed_sdk() -> None:
    import langfuse

    for dotted in OBSERVE_V2:
        if dotted.count(".") == 2:
            assert callable(_resolve(dotted))
    for dotted in CONTEXT_V2:
        if dotted.count(".") == 2:
            context = _resolve(dotted)
            assert hasattr(context, "update_current_observation")
            assert hasattr(context, "update_current_trace")
    client = langfuse.Langfuse
    for method in ("trace", "span", "generation"):
        assert hasattr(client, method) and method in CREATORS
