"""Which Langfuse SDK is installed, the `Recorder` protocol, and the "nothing leaves the process" guard.

`install_guard()` is cheap and imports nothing from Langfuse: it puts a finder on `sys.meta_path`
that patches `langfuse` each time it finishes importing (and patches it at once if it already
is imported). Either way every client, created before or after, records in memory and never
exports (see `sdk_otel.py` / `sdk_v2.py`).

One recorder serves the whole process. `langfuse` can be imported more than once in a process
(pytester's in-process runs restore `sys.modules`, so the next run imports it afresh as new
module and class objects), so the installation remembers WHICH objects it patched and
`install_recorder()` patches again, into the same recorder, whenever they changed. A capture
that would miss observations because of such a re-import says so (`unpatched_sdk_problem()`).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.metadata
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # kept out of start-up: install_guard() runs in every pytest session
    from pytest_agentcost.capture.records import ObservationRecord

__all__ = [
    "OFFLINE_BASE_URL",
    "TEST_PUBLIC_KEY",
    "TEST_SECRET_KEY",
    "PatchTarget",
    "Recorder",
    "UnsupportedSDKError",
    "install_guard",
    "install_recorder",
    "installed_version",
    "patch_method",
    "unpatched_sdk_problem",
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


@dataclass(frozen=True)
class PatchTarget:
    """An SDK object an adapter patches: `attribute` of the first of `modules` that exists.

    An empty `attribute` names the module itself.
    """

    modules: tuple[str, ...]
    attribute: str = ""


class _Adapter(Protocol):
    """What `sdk_otel` and `sdk_v2` (the modules themselves) provide to `install_recorder()`."""

    @property
    def PATCHED(self) -> tuple[PatchTarget, ...]: ...  # a module constant

    def install(
        self, sdk_version: str, targets: Sequence[Any], recorder: Recorder | None
    ) -> Recorder: ...


@dataclass(frozen=True)
class _Installation:
    """The process's recorder and the SDK objects its adapter last patched (compared by identity)."""

    recorder: Recorder
    adapter: _Adapter
    targets: tuple[object, ...]


_lock = threading.RLock()
_installed: _Installation | None = None
_install_error: BaseException | None = None


def installed_version(distribution: str) -> str | None:
    """The installed version of a distribution, read from its metadata without importing it (None if absent)."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def install_recorder() -> Recorder:
    """The process's recorder, with the Langfuse SDK imported right now patched to feed it.

    The first call installs the adapter for the installed Langfuse. Later calls return the same
    recorder, and first patch again if `langfuse` (or a class the adapter patches) is not the
    object patched last, e.g. because it was removed from `sys.modules` and imported afresh. If
    the adapter module itself was imported afresh (its OpenTelemetry too), its new copy takes
    over with a new recorder: the old one's classes no longer match the SDK's.
    """
    global _installed
    installed = _installed
    version = installed.recorder.sdk_version if installed else _supported_langfuse_version()
    adapter = _adapter_for(version)
    # Outside the lock: importing `langfuse` runs the import hook, which calls this function.
    targets = _resolve(adapter.PATCHED, importing=True)
    assert targets is not None  # importing either resolves every target or raises
    with _lock:
        installed = _installed  # another thread (or the import hook) may have installed meanwhile
        if installed is not None and _is_current(installed, adapter, targets):
            return installed.recorder
        previous = installed.recorder if installed is not None else None
        recorder = adapter.install(version, targets, previous)
        _installed = _Installation(recorder, adapter, targets)
        return recorder


def _is_current(installed: _Installation, adapter: _Adapter, targets: Sequence[object]) -> bool:
    """Whether `installed` patched exactly these objects with this copy of the adapter."""
    return installed.adapter is adapter and _same_objects(installed.targets, targets)


def unpatched_sdk_problem() -> str | None:
    """Why the capture would miss observations because Langfuse was imported again unpatched, or None.

    Adapters report it from `Recorder.problems()`, so every read of the capture fails naming it
    rather than showing an empty capture. Only what is imported right now counts; nothing is imported.
    """
    installed = _installed
    if installed is None:
        return None
    targets = _resolve(installed.adapter.PATCHED, importing=False)
    if targets is None or _same_objects(installed.targets, targets):
        return None
    changed = [
        _dotted_name(current)
        for patched, current in zip(installed.targets, targets, strict=True)
        if patched is not current
    ]
    return (
        f"Langfuse was imported again after pytest-agentcost patched it (new, unpatched: "
        f"{', '.join(changed)}; something removed it from sys.modules), so what clients built "
        "from the new import send is not captured and may not be held offline. Fix: do not "
        "remove langfuse modules from sys.modules during the test, or call "
        "pytest_agentcost.capture.sdk.install_recorder() right after importing them again."
    )


def _dotted_name(obj: object) -> str:
    """A module's or a class's dotted name, e.g. `langfuse._client.client.Langfuse`."""
    if isinstance(obj, ModuleType):
        return obj.__name__
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', repr(obj))}"


def patch_method(
    cls: Any, name: str, wrap: Callable[[Callable[..., Any]], Callable[..., Any]]
) -> None:
    """Set `cls.<name>` to `wrap(<the SDK's own method>)`.

    The wrapper is marked with the method it wraps, so patching the same class again (for a new
    recorder, or after a re-import of `langfuse` kept this class) replaces the wrapper instead of
    wrapping it a second time.
    """
    current = getattr(cls, name)
    original = getattr(current, _PATCHED_FROM, current)
    wrapper = wrap(original)
    setattr(wrapper, _PATCHED_FROM, original)
    setattr(cls, name, wrapper)


_PATCHED_FROM = "__agentcost_patched_from__"


def _supported_langfuse_version() -> str:
    version = installed_version("langfuse")
    if version is None:
        raise UnsupportedSDKError(
            "agentcost_capture needs the Langfuse SDK, which is not installed: "
            "pip install 'langfuse>=3.9'."
        )
    if _major(version) < 2:
        raise UnsupportedSDKError(
            f"agentcost_capture supports Langfuse 2.50 to 2.60, 3.9 and later, 4.x and 5.x; "
            f"langfuse {version} is installed. Upgrade it: pip install 'langfuse>=3.9'."
        )
    return version


def _adapter_for(version: str) -> _Adapter:
    """The adapter module for a supported Langfuse version, as `sys.modules` holds it now.

    Imported lazily (it imports the SDK's dependencies) and by name: `from package import
    module` would return the package's attribute, a stale copy once `sys.modules` dropped it.
    """
    name = "sdk_otel" if _major(version) >= 3 else "sdk_v2"
    adapter: _Adapter = importlib.import_module(f"pytest_agentcost.capture.{name}")
    return adapter


if TYPE_CHECKING:  # mypy checks that both adapter modules implement _Adapter
    from pytest_agentcost.capture import sdk_otel as _otel_adapter
    from pytest_agentcost.capture import sdk_v2 as _v2_adapter

    _ADAPTERS: tuple[_Adapter, ...] = (_otel_adapter, _v2_adapter)


def _resolve(targets: Sequence[PatchTarget], *, importing: bool) -> tuple[object, ...] | None:
    """The objects `targets` name right now; None when `importing` is off and a module is not imported."""
    resolved: list[object] = []
    for target in targets:
        module = _module(target.modules, importing=importing)
        if module is None:
            return None
        resolved.append(getattr(module, target.attribute) if target.attribute else module)
    return tuple(resolved)


def _module(names: Sequence[str], *, importing: bool) -> ModuleType | None:
    """The first of `names` that is imported (or, `importing`, importable)."""
    for name in names:
        module = sys.modules.get(name)
        if module is not None:
            return module
        if importing:
            try:
                return importlib.import_module(name)
            except ModuleNotFoundError as exc:
                missing = exc.name or ""
                if name == names[-1] or not (name + ".").startswith(missing + "."):
                    raise  # no alternative left, or a dependency of the module is missing
    return None


def _same_objects(a: Sequence[object], b: Sequence[object]) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))


def _major(version: str) -> int:
    try:
        return int(version.split(".", 1)[0])
    except ValueError:
        return 0


def install_guard() -> None:
    """Make sure no Langfuse client can export, now and whenever `langfuse` is imported (idempotent)."""
    with _lock:
        if not any(isinstance(finder, _LangfuseImportHook) for finder in sys.meta_path):
            sys.meta_path.insert(0, _LangfuseImportHook())
    if "langfuse" in sys.modules:
        _install_quietly()


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
    else:
        _install_error = None


class _LangfuseImportHook(importlib.abc.MetaPathFinder):
    """A finder that lets `langfuse` import normally, then patches it (on every import of it)."""

    agentcost_langfuse_hook = True

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "langfuse":
            return None
        spec = _find_real_spec(fullname, path, target)
        loader = spec.loader if spec is not None else None
        if spec is None or loader is None or not hasattr(loader, "exec_module"):
            return spec
        original_exec = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            original_exec(module)
            _install_quietly()

        loader.exec_module = exec_module  # type: ignore[method-assign]  # this module's loader only
        return spec


def _find_real_spec(
    fullname: str,
    path: Sequence[str] | None,
    target: ModuleType | None,
) -> importlib.machinery.ModuleSpec | None:
    for finder in list(sys.meta_path):
        if getattr(finder, "agentcost_langfuse_hook", False):
            continue  # this hook, or one left by another copy of this module: never recurse
        find_spec = getattr(finder, "find_spec", None)
        if find_spec is None:
            continue
        spec: importlib.machinery.ModuleSpec | None = find_spec(fullname, path, target)
        if spec is not None:
            return spec
    return None
