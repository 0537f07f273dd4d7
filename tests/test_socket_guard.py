"""The suite's own proof that nothing reaches the network."""

from __future__ import annotations

import socket

import pytest
import socket_guard


def test_connecting_to_any_host_is_blocked_and_recorded() -> None:
    before = len(socket_guard.ATTEMPTS)
    with pytest.raises(socket_guard.NetworkBlocked):
        socket.create_connection(("127.0.0.1", 9), timeout=1)
    assert len(socket_guard.ATTEMPTS) == before + 1
    del socket_guard.ATTEMPTS[before:]  # this test's attempt was deliberate


def test_dns_lookups_are_blocked() -> None:
    before = len(socket_guard.ATTEMPTS)
    with pytest.raises(socket_guard.NetworkBlocked):
        socket.getaddrinfo("cloud.langfuse.com", 443)
    del socket_guard.ATTEMPTS[before:]


def test_a_swallowed_attempt_still_fails_the_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import socket
        def test_swallows():
            try:
                socket.create_connection(("10.1.2.3", 443), timeout=1)
            except Exception:
                pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "socket_guard")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*tried to use the network*10.1.2.3*"])
