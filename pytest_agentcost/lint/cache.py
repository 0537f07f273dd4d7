"""The per-file extraction cache: one JSON entry per (file content, plugin version, lint config).

Only `extract_file` results are cached; the project-wide analysis reruns on every lint run. An
entry's name is a hash of everything `extract_file`'s result depends on, so a changed file, plugin
version or lint-relevant config key simply misses. Entries are written to a temporary file and
renamed into place, so concurrent runs (pytest-xdist workers, parallel CI jobs) never read half an
entry; an unreadable or corrupt entry counts as a miss and is rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from pytest_agentcost import __version__
from pytest_agentcost.config import Config
from pytest_agentcost.lint.facts import FileFacts
from pytest_agentcost.lint.model import FileError

__all__ = ["ExtractionCache"]

_FORMAT = 1  # bump when the entry layout changes
_CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by pytest-agentcost.\n"
    "# For information about cache directory tags, see https://bford.info/cachedir/\n"
)


class ExtractionCache:
    """A directory of cached `extract_file` results for one lint configuration."""

    def __init__(self, directory: Path, config: Config) -> None:
        self.directory = directory
        self.fingerprint = config.lint_fingerprint()
        self.hits = 0
        self.misses = 0
        #: Why the cache could not be written, if it could not (linting goes on without it).
        self.write_problem: str | None = None
        self._prepared = False
        self._made: set[Path] = set()  # entry subdirectories known to exist

    def key(self, source: bytes, *, path: str, module: str, is_package: bool) -> str:
        """The entry name for one file: a hash of its content and of every other extraction input."""
        inputs = json.dumps([_FORMAT, __version__, self.fingerprint, path, module, is_package])
        digest = hashlib.sha256(inputs.encode())
        digest.update(b"\0")
        digest.update(source)
        return digest.hexdigest()

    def load(self, key: str) -> FileFacts | FileError | None:
        """The cached result for `key`, or None when it is missing, unreadable or corrupt."""
        try:
            entry = json.loads(self._entry_path(key).read_bytes())
            result = _decode(entry)
        except Exception:  # noqa: BLE001 - any damaged entry is a miss, never a crash
            result = None
        if result is None:
            self.misses += 1
        else:
            self.hits += 1
        return result

    def store(self, key: str, result: FileFacts | FileError) -> None:
        """Write one entry atomically; a failure to write only costs speed, and is remembered."""
        if self.write_problem is not None:
            return
        target = self._entry_path(key)
        try:
            self._prepare()
            if target.parent not in self._made:
                target.parent.mkdir(exist_ok=True)
                self._made.add(target.parent)
            data = json.dumps(_encode(result), separators=(",", ":")).encode()
            handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(handle, "wb") as stream:
                    stream.write(data)
                os.replace(temporary, target)
            except BaseException:
                _unlink_quietly(Path(temporary))
                raise
        except OSError as exc:
            self.write_problem = (
                f"cannot write the lint cache in {self.directory}: {exc.strerror or exc}"
            )

    def _entry_path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def _prepare(self) -> None:
        """Create the directory and mark it as a cache (CACHEDIR.TAG, .gitignore) the first time."""
        if self._prepared:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        for name, text in (
            ("CACHEDIR.TAG", _CACHEDIR_TAG),
            (".gitignore", "# created by pytest-agentcost\n*\n"),
        ):
            marker = self.directory / name
            if not marker.exists():
                try:
                    marker.write_text(text, encoding="utf-8")
                except OSError:
                    pass  # only a courtesy for backup tools and git
        self._prepared = True


def _encode(result: FileFacts | FileError) -> dict[str, Any]:
    if isinstance(result, FileError):
        return {"format": _FORMAT, "kind": "error", "value": result.to_json()}
    return {"format": _FORMAT, "kind": "facts", "value": result.to_json()}


def _decode(entry: Any) -> FileFacts | FileError | None:
    if not isinstance(entry, dict) or entry.get("format") != _FORMAT:
        return None
    value = entry.get("value")
    if not isinstance(value, dict):
        return None
    if entry.get("kind") == "error":
        return FileError(
            path=str(value["path"]),
            line=int(value["line"]),
            column=int(value["column"]),
            message=str(value["message"]),
        )
    if entry.get("kind") == "facts":
        return FileFacts.from_json(value)
    return None


def _unlink_quietly(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass
