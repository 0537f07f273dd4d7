"""Capture keeps working when `langfuse` is imported afresh in the same process.

pytester's in-process runs snapshot `sys.modules` and restore it afterwards, so a module a run
imported is gone for the next run, which imports it again as new module and class objects. The
session-wide recorder must patch those new objects too, and a capture that would miss
observations because of a re-import must say so instead of reporting nothing.
"""

from __future__ import annotations

import importlib
import sys

import pytest
from capture_contract import (
    CAPTURED_GENERATION_TEST,
    check_a_fresh_import_in_a_second_in_process_run_still_captures,
    forget_langfuse,
    wrapper_depth,
)

from pytest_agentcost.capture.model import Capture, TracingDisabledError
from pytest_agentcost.capture.sdk import install_recorder

# One generation with a provided cost, built with the langfuse this run imports (not a helper
# module the outer process may already hold, which would keep the outer process's langfuse).
GENERATION_TEST = (
    """
from decimal import Decimal

from langfuse import get_client, observe


@observe(as_type="generation", name="security_generation")
def call_security_agent():
    get_client().update_current_generation(
        model="gpt-4o",
        usage_details={"input": 100, "output": 20},
        cost_details={"total": 0.0125},
        metadata={"agent_type": "security"},
    )

"""
    + CAPTURED_GENERATION_TEST
)


def test_a_second_in_process_run_that_imports_langfuse_afresh_still_captures(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    check_a_fresh_import_in_a_second_in_process_run_still_captures(
        pytester, monkeypatch, GENERATION_TEST
    )


def test_the_guard_patches_langfuse_every_time_it_is_imported_afresh(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    forget_langfuse(monkeypatch)

    importlib.import_module("langfuse")  # only the import hook can patch it: nothing else is called

    processor_cls = sys.modules["langfuse._client.span_processor"].LangfuseSpanProcessor
    client_cls = sys.modules["langfuse._client.client"].Langfuse
    assert processor_cls.on_end.__name__ == "_drop_instead_of_export"
    assert wrapper_depth(client_cls.__init__) == 1


def test_patching_the_same_classes_again_never_wraps_them_twice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    install_recorder()
    from langfuse._client.client import Langfuse
    from langfuse._client.resource_manager import LangfuseResourceManager

    depths = (
        wrapper_depth(Langfuse.__init__),
        wrapper_depth(LangfuseResourceManager._initialize_instance),
    )
    # A new `langfuse` module object over the same (already patched) classes: patched again.
    monkeypatch.delitem(sys.modules, "langfuse")
    fresh = importlib.import_module("langfuse")
    recorder = install_recorder()

    assert fresh.Langfuse is Langfuse
    assert depths == (1, 1)
    assert wrapper_depth(Langfuse.__init__) == 1
    assert wrapper_depth(LangfuseResourceManager._initialize_instance) == 1
    assert recorder is install_recorder()


def test_a_langfuse_class_imported_again_after_the_capture_started_fails_reads_naming_it(
    agentcost_capture: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only the client module is imported again: `import langfuse` (which the guard watches) is
    # not, so its new, unpatched `Langfuse` class would build clients the capture never sees.
    monkeypatch.delitem(sys.modules, "langfuse._client.client")
    importlib.import_module("langfuse._client.client")

    with pytest.raises(TracingDisabledError) as raised:
        agentcost_capture.generations()

    message = str(raised.value)
    assert "imported again" in message
    assert "langfuse._client.client.Langfuse" in message
    assert "Fix:" in message


def test_the_capture_works_again_once_the_reimported_langfuse_is_patched(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    install_recorder()  # imports and patches langfuse
    monkeypatch.delitem(sys.modules, "langfuse._client.client")
    client_module = importlib.import_module("langfuse._client.client")
    recorder = install_recorder()

    assert recorder.problems() == []
    assert wrapper_depth(client_module.Langfuse.__init__) == 1
