"""On Langfuse 2.x nothing leaves the process: real keys, import-time clients, several clients,
scores and REST calls. Mirrors tests/capture/test_capture_offline.py (v3+)."""

from __future__ import annotations

import sys

import pytest
import socket_guard
from v2_helpers import CAPTURE_TEST
from v2_workflows import SEED_AGENTS, run_seed_workflow

from pytest_agentcost.capture.model import Capture
from pytest_agentcost.capture.sdk import install_recorder


def test_real_keys_in_the_environment_never_reach_the_network(
    real_keys: dict[str, str], agentcost_capture: Capture
) -> None:
    from langfuse import Langfuse
    from langfuse.decorators import langfuse_context

    attempts_before = len(socket_guard.ATTEMPTS)
    client = Langfuse()

    run_seed_workflow("with-real-keys")
    client.trace(name="app-trace").generation(name="app-call", model="gpt-4o").end()
    client.flush()
    langfuse_context.flush()
    client.shutdown()

    assert agentcost_capture.trace("content_analysis").session_id == "with-real-keys"
    assert len(agentcost_capture.generations()) == len(SEED_AGENTS) + 1
    assert socket_guard.ATTEMPTS[attempts_before:] == []


def test_scores_and_prompt_fetches_never_reach_the_network(
    real_keys: dict[str, str], agentcost_capture: Capture
) -> None:
    from langfuse import Langfuse

    attempts_before = len(socket_guard.ATTEMPTS)
    client = Langfuse()
    run_seed_workflow()
    trace_id = agentcost_capture.trace().id

    client.score(name="quality", value=1.0, trace_id=trace_id)  # an ingestion event: dropped
    client.flush()
    with pytest.raises(Exception) as fetch:  # offline: the in-memory server has no prompts
        client.get_prompt(
            "no-such-prompt", cache_ttl_seconds=0, max_retries=1
        )  # 0 = retry forever in v2

    recorded = install_recorder().rest_requests  # type: ignore[attr-defined]
    assert any("no-such-prompt" in request for request in recorded), recorded
    assert "NetworkBlocked" not in type(fetch.value).__name__
    assert socket_guard.ATTEMPTS[attempts_before:] == []
    assert [o.type for o in agentcost_capture.observations].count("generation") == len(SEED_AGENTS)


def test_several_clients_are_all_captured(agentcost_capture: Capture) -> None:
    from langfuse import Langfuse

    team_a = Langfuse(public_key="pk-lf-team-a", secret_key="sk-a", host="http://127.0.0.1:9")
    team_b = Langfuse(public_key="pk-lf-team-b", secret_key="sk-b", host="https://eu.example")

    team_a.trace(name="team_workflow", session_id="a").generation(name="call", model="gpt-4o")
    team_b.trace(name="team_workflow", session_id="b").generation(name="call", model="gpt-4o")
    run_seed_workflow("decorated")  # the decorator's own singleton client, a third one

    assert sorted(t.session_id or "" for t in agentcost_capture.traces) == [
        "a",
        "b",
        "decorated",
    ]


def test_a_client_built_at_import_time_in_a_conftest_is_captured_offline(
    v2_pytester: pytest.Pytester, real_keys: dict[str, str]
) -> None:
    v2_pytester.makeconftest(
        """
        from langfuse import Langfuse
        from langfuse.decorators import langfuse_context
        APP_CLIENT = Langfuse()
        DECORATOR_CLIENT = langfuse_context.client_instance
        """
    )
    v2_pytester.makepyfile(CAPTURE_TEST)

    result = v2_pytester.runpytest_subprocess("-p", "socket_guard")

    result.assert_outcomes(passed=2)
    assert "network attempts" not in result.stdout.str()


def test_a_client_built_before_pytest_starts_is_retrofitted(
    v2_pytester: pytest.Pytester, real_keys: dict[str, str]
) -> None:
    v2_pytester.makepyfile(
        test_retrofit="""
        import runner_state

        def test_the_early_client_is_captured(agentcost_capture):
            runner_state.CLIENT.trace(name="early", session_id="s").generation(name="g")
            assert agentcost_capture.trace("early").generations()[0].name == "g"
        """
    )
    v2_pytester.makepyfile(runner_state="CLIENT = None")
    script = v2_pytester.makepyfile(
        runner="""
        import sys
        import socket_guard
        socket_guard.install()
        import langfuse
        import runner_state
        runner_state.CLIENT = langfuse.Langfuse()   # built before pytest and the plugin are loaded
        import pytest
        code = pytest.main(["-p", "socket_guard", "-q", "test_retrofit.py"])
        runner_state.CLIENT.flush()
        runner_state.CLIENT.shutdown()
        manager = runner_state.CLIENT.task_manager
        queue = getattr(manager, "_ingestion_queue", None) or manager._queue  # 2.55+ / 2.50
        print("QUEUED", queue.qsize())
        print("ATTEMPTS", socket_guard.ATTEMPTS)
        sys.exit(code)
        """
    )

    result = v2_pytester.run(sys.executable, str(script))

    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["*1 passed*", "QUEUED 0", "ATTEMPTS []"])


def test_each_test_sees_only_its_own_observations(v2_pytester: pytest.Pytester) -> None:
    v2_pytester.makepyfile(CAPTURE_TEST)

    result = v2_pytester.runpytest()

    result.assert_outcomes(passed=2)


def test_capture_tests_pass_under_xdist(v2_pytester: pytest.Pytester) -> None:
    v2_pytester.makepyfile(CAPTURE_TEST)

    result = v2_pytester.runpytest_subprocess("-p", "socket_guard", "-n", "2")

    result.assert_outcomes(passed=2)
