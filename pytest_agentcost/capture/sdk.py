"""Which Langfuse SDK is installed, the `Recorder` protocol, and the "nothing leaves the process" guard.

`install_guard()` is cheap and imports nothing from Langfuse: if `langfuse` is already imported
it installs the recorder at once, otherwise it puts a one-shot finder on `sys.meta_path` that
installs the recorder the moment `langfuse` finishes importing. Either way every client, created
before or after, records in memory and never exports (see `sdk_otel.py` / `sdk_v2.py`).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.metadata
import sys
import threading
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # kept out of start-up: install_guard() runs in every pytest session
    from pytest_agentcost.capture.records import ObservationRecord

__all__ = [
    "OFFLINE_BASE_URL",
    "TEST_PUBLIC_KEY",
    "TEST_SECRET_KEY",
    "Recorder",
    "UnsupportedSDKError",
    "install_guard",
    "install_recorder",
    "installed_langfuse_version",
]

#: Keys a client gets when the application provides none, so that it records instead of going silent.
TEST_PUBLIC_KEY = "pk-lf-agentcost-offline"
TEST_SECRET_KEY = "sk-lf-agentcost-offline"
#: Where every client points (a closed local port), in case anything escaped the in-memory hooks.
OFFLINE_BASE_URL = "http://127.0.0.1:9"


class Recorder(Protocol):
    """What an SDK adapter provides to the observation model and the fixture."""

    sdk_version: str

    def records(self) -> list[ObservationRecord]:
        """Every observation captured since the last `clear()` (open ones as they stand now)."""
        ...

    def clear(self) -> None: ...

    def problems(self) -> list[str]:
        """Settings that disable tracing right now, each naming the setting and the fix."""
        ...


class UnsupportedSDKError(RuntimeError):
    """The installed Langfuse SDK is one pytest-agentcost cannot capture."""


_lock = threading.RLock()
_recorder: Recorder | None = None
_install_error: BaseException | None = None


def installed_langfuse_version() -> str | None:
    """The installed `langfuse` distribution's version, or None when it is not installed."""
    try:
        return importlib.metadata.version("langfuse")
    except importlib.metadata.PackageNotFoundError:
        return None


def install_recorder() -> Recorder:
    """Install the adapter for the installed Langfuse once per process and return its recorder."""
    global _recorder
    with _lock:
        if _recorder is not None:
            return _recorder
        version = installed_langfuse_version()
        if version is None:
            raise UnsupportedSDKError(
                "agentcost_capture needs the Langfuse SDK, which is not installed: "
                "pip install 'langfuse>=3.9'."
            )
        major = _major(version)
        if major >= 3:
            from pytest_agentcost.capture import sdk_otel

            _recorder = sdk_otel.install(version)
        elif major == 2:
            from pytest_agentcost.capture import sdk_v2

            _recorder = sdk_v2.install(version)
        else:
            raise UnsupportedSDKError(
                f"agentcost_capture supports Langfuse 2.50 to 2.60, 3.9 and later, 4.x and 5.x; "
                f"langfuse {version} is installed. Upgrade it: pip install 'langfuse>=3.9'."
            )
        return _recorder


def _major(version: str) -> int:
    try:
        return int(version.split(".", 1)[0])
    except ValueError:
        return 0


def install_guard() -> None:
    """Make sure no Langfuse client can export, now or once `langfuse` is imported (idempotent)."""
    if "langfuse" in sys.modules:
        _install_quietly()
        return
    with _lock:
        if not any(isinstance(finder, _LangfuseImportHook) for finder in sys.meta_path):
            sys.meta_path.insert(0, _LangfuseImportHook())


def install_error() -> BaseException | None:
    """The error, if any, that installing the recorder at `langfuse` import time raised."""
    return _install_error


def _install_quietly() -> None:
    """Install the recorder from an import hook: never break the application's `import langfuse`."""
    global _install_error
    try:
        install_recorder()
    except Exception as exc:  # noqa: BLE001  # the fixture calls install_recorder() again and raises
        _install_error = exc


class _LangfuseImportHook(importlib.abc.MetaPathFinder):
    """A one-shot finder: lets `langfuse` import normally, then installs the recorder."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "langfuse":
            return None
        spec = _find_real_spec(self, fullname, path, target)
        loader = spec.loader if spec is not None else None
        if spec is None or loader is None or not hasattr(loader, "exec_module"):
            return spec
        original_exec = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            original_exec(module)
            _remove_hook()
            _install_quietly()

        loader.exec_module = exec_module  # type: ignore[method-assign]  # this module's loader only
        return spec


def _find_real_spec(
    hook: _LangfuseImportHook,
    fullname: str,
    path: Sequence[str] | None,
    target: ModuleType | None,
) -> importlib.machinery.ModuleSpec | None:
    for finder in list(sys.meta_path):
        if finder is hook:
            continue
        find_spec = getattr(finder, "find_spec", None)
        if find_spec is None:
            continue
        spec: importlib.machinery.ModuleSpec | None = find_spec(fullname, path, target)
        if spec is not None:
            return spec
    return None


def _remove_hook() -> None:
    with _lock:
        sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _LangfuseImportHook)]
