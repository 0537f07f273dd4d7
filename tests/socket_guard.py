"""A pytest plugin that forbids every network connection and DNS lookup in the process.

The suite loads it in its own process (via conftest) and in every pytester subprocess (via `-p
socket_guard`), so no test, example or capture can reach a Langfuse host. Blocked attempts raise
`NetworkBlocked` *and* are recorded: an SDK that swallows the exception still fails the test.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

ATTEMPTS: list[str] = []


class NetworkBlocked(RuntimeError):
    """Raised instead of opening a network connection."""


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _blocked(what: str) -> NetworkBlocked:
    ATTEMPTS.append(what)
    return NetworkBlocked(f"network access blocked by the test suite's socket guard: {what}")


def _connect(self: socket.socket, address: Any) -> None:
    if self.family == socket.AF_UNIX:
        return _real_connect(self, address)
    raise _blocked(f"connect {address!r}")


def _connect_ex(self: socket.socket, address: Any) -> int:
    if self.family == socket.AF_UNIX:
        return _real_connect_ex(self, address)
    raise _blocked(f"connect_ex {address!r}")


def _getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    raise _blocked(f"getaddrinfo {host!r}")


def install() -> None:
    socket.socket.connect = _connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = _getaddrinfo


def uninstall() -> None:
    socket.socket.connect = _real_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = _real_getaddrinfo


def pytest_configure(config: pytest.Config) -> None:
    install()


@pytest.fixture(autouse=True)
def _no_network_attempts() -> Iterator[None]:
    """Fail any test during which something tried the network, even if it swallowed the error."""
    before = len(ATTEMPTS)
    yield
    new = ATTEMPTS[before:]
    assert not new, f"the test tried to use the network: {new}"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if anything tried the network outside a test (import time, teardown)."""
    if ATTEMPTS and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print(f"\nsocket_guard: network attempts outside tests: {ATTEMPTS}")
