"""Nothing leaves the process: real keys, import-time clients, several clients, REST calls."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
import socket_guard
from capture_workflows import SEED_AGENTS, run_seed_workflow
from conftest_helpers import CAPTURE_TEST, REAL_KEYS
from langfuse import Langfuse, observe
from langfuse._client.resource_manager import LangfuseResourceManager

from pytest_agentcost.capture.model import Capture, TracingDisabledError
from pytest_agentcost.capture.sdk import install_recorder


@pytest.fixture
def fresh_clients() -> Iterator[None]:
    """Start and end with no Langfuse client in the process (clients are per-process singletons)."""
    LangfuseResourceManager.reset()
    yield
    LangfuseResourceManager.reset()


@pytest.fixture
def real_keys(monkeypatch: pytest.MonkeyPatch, fresh_clients: None) -> None:
    for name, value in REAL_KEYS.items():
        monkeypatch.setenv(name, value)


def test_real_keys_in_the_environment_never_reach_the_network(
    real_keys: None, agentcost_capture: Capture
) -> None:
    attempts_before = len(socket_guard.ATTEMPTS)
    client = Langfuse()

    run_seed_workflow("with-real-keys")
    client.flush()
    client.shutdown()

    assert agentcost_capture.trace().session_id == "with-real-keys"
    assert len(agentcost_capture.generations()) == len(SEED_AGENTS)
    assert socket_guard.ATTEMPTS[attempts_before:] == []


def test_scores_and_prompt_fetches_go_to_the_in_memory_transport(
    real_keys: None, agentcost_capture: Capture
) -> None:
    client = Langfuse()
    run_seed_workflow()
    trace_id = agentcost_capture.trace().id

    client.create_score(name="quality", value=1.0, trace_id=trace_id)
    client.flush()
    with pytest.raises(Exception) as fetch:  # offline: the mock server has no prompts
        client.get_prompt("no-such-prompt", cache_ttl_seconds=0, max_retries=0)

    recorded = install_recorder().rest_requests  # type: ignore[attr-defined]
    assert any(r.startswith("POST http://127.0.0.1:9/api/public/") for r in recorded), recorded
    assert any("no-such-prompt" in r for r in recorded), recorded
    assert "NetworkBlocked" not in type(fetch.value).__name__


def test_several_clients_are_all_captured(fresh_clients: None, agentcost_capture: Capture) -> None:
    Langfuse(public_key="pk-lf-team-a", secret_key="sk-a")
    Langfuse(public_key="pk-lf-team-b", secret_key="sk-b")

    @observe(name="team_workflow")
    def team_workflow() -> None:
        pass

    team_workflow(langfuse_public_key="pk-lf-team-a")  # type: ignore[call-arg]
    team_workflow(langfuse_public_key="pk-lf-team-b")  # type: ignore[call-arg]

    traces = agentcost_capture.traces
    assert [t.root.name for t in traces] == ["team_workflow", "team_workflow"]
    assert len({t.id for t in traces}) == 2


def test_a_call_the_sdk_skips_because_several_clients_exist_fails_the_read(
    fresh_clients: None, agentcost_capture: Capture
) -> None:
    Langfuse(public_key="pk-lf-team-a", secret_key="sk-a")
    Langfuse(public_key="pk-lf-team-b", secret_key="sk-b")

    run_seed_workflow()  # no langfuse_public_key: the SDK traces nothing

    with pytest.raises(TracingDisabledError, match="langfuse_public_key"):
        agentcost_capture.costs_by_agent()


def test_a_client_built_at_import_time_in_a_conftest_is_captured_offline(
    capture_pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in REAL_KEYS.items():
        monkeypatch.setenv(name, value)
    capture_pytester.makeconftest(
        """
        from langfuse import Langfuse, get_client
        APP_CLIENT = Langfuse()
        DECORATOR_CLIENT = get_client()
        """
    )
    capture_pytester.makepyfile(CAPTURE_TEST)

    result = capture_pytester.runpytest_subprocess("-p", "socket_guard")

    result.assert_outcomes(passed=2)
    assert "network attempts" not in result.stdout.str()


def test_a_client_built_before_pytest_starts_is_retrofitted(
    capture_pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in REAL_KEYS.items():
        monkeypatch.setenv(name, value)
    capture_pytester.makepyfile(test_retrofit=CAPTURE_TEST)
    script = capture_pytester.makepyfile(
        runner="""
        import sys
        import socket_guard
        socket_guard.install()
        import langfuse
        client = langfuse.Langfuse()          # built before pytest and the plugin are loaded
        import pytest
        code = pytest.main(["-p", "socket_guard", "-q", "test_retrofit.py"])
        client.flush()
        print("ATTEMPTS", socket_guard.ATTEMPTS)
        sys.exit(code)
        """
    )

    result = capture_pytester.run(sys.executable, str(script))

    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["*2 passed*", "ATTEMPTS []"])


def test_the_guard_waits_for_langfuse_to_be_imported_and_then_patches_it() -> None:
    import subprocess

    probe = """
import sys
from pytest_agentcost.capture import sdk
sdk.install_guard()
print("imported before:", "langfuse" in sys.modules)
import langfuse
from langfuse._client.span_processor import LangfuseSpanProcessor
print("patched:", LangfuseSpanProcessor.on_end.__name__)
print("hook left:", any(type(f).__name__ == "_LangfuseImportHook" for f in sys.meta_path))
"""
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )

    assert completed.stdout.splitlines() == [
        "imported before: False",
        "patched: _drop_instead_of_export",
        "hook left: True",  # it stays armed: a later re-import of langfuse is patched too
    ]
