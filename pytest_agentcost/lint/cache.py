"""The lint cache: per-file extraction results and a stat index, packed into one file per config.

Only `extract_file` results are cached; the project-wide analysis reruns on every lint run.

- An *entry* is one `extract_file` result. Its key hashes everything the result depends on: the
  file's content hash, its path and module name, the plugin version, `FACTS_VERSION` and
  `config.lint_fingerprint()`; so a changed file, upgrade or lint-relevant config key misses.
- A *record* is what the pre-filter learnt about one file (does it contain a relevance token,
  which words its imports name, its content hash), valid for as long as the file's
  (mtime, ctime, size, inode) stay the same. A warm run therefore stats the files instead of
  reading and hashing them. A record is trusted only when the file was last changed
  `RACY_WINDOW_NS` before the run that made it started: a file rewritten within the same clock
  tick (with its size and mtime put back) could otherwise look unchanged. An untrusted record
  is ignored, so that file is read and hashed again.

Everything lives in one pack file, `lint-<fingerprint>.pack`, loaded once and written once per
run (to a temporary file renamed into place, so concurrent runs never read half a pack; the last
writer wins, which costs only speed). An unreadable, corrupt or outdated pack counts as empty and is
rebuilt. The pack is a pickle read by an unpickler that only accepts the lint's own data classes.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import io
import json
import os
import pickle
from pathlib import Path
from typing import Any, NamedTuple

from pytest_agentcost import __version__
from pytest_agentcost.atomic import write_atomically
from pytest_agentcost.config import Config
from pytest_agentcost.lint import facts as _facts_module
from pytest_agentcost.lint import model as _model_module
from pytest_agentcost.lint.facts import FACTS_VERSION, FileFacts
from pytest_agentcost.lint.model import FileError

__all__ = ["RACY_WINDOW_NS", "ExtractionCache", "FileRecord", "content_digest"]

_FORMAT = 2  # bump when the pack layout changes
#: A record is trusted only if its file changed at least this long before the run (see above).
RACY_WINDOW_NS = 2_000_000_000
_CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by pytest-agentcost.\n"
    "# For information about cache directory tags, see https://bford.info/cachedir/\n"
)

Result = FileFacts | FileError


class FileRecord(NamedTuple):
    """What the pre-filter knows about one file version (a NamedTuple: thousands are unpickled)."""

    mtime_ns: int
    ctime_ns: int
    size: int
    inode: int
    trusted: bool  # False: the file changed too close to the run to vouch for the stat alone
    has_token: bool  # the file's bytes contain a relevance token
    words: frozenset[bytes] | None  # `engine.import_words` of the file, if it was computed
    digest: str | None  # `content_digest` of the file, if it was computed

    def matches(self, stat: os.stat_result) -> bool:
        """Whether `stat` describes the same file version as this record."""
        return (
            self.mtime_ns == stat.st_mtime_ns
            and self.ctime_ns == stat.st_ctime_ns
            and self.size == stat.st_size
            and self.inode == stat.st_ino
        )


def content_digest(source: bytes) -> str:
    """The hash of a file's bytes that cache keys are built from."""
    return hashlib.sha256(source).hexdigest()


def _schema() -> str:
    """The field names of every cached class, so a changed class never unpickles stale data."""
    classes = sorted(
        (
            value
            for value in vars(_facts_module).values()
            if isinstance(value, type) and dataclasses.is_dataclass(value)
        ),
        key=lambda cls: cls.__name__,
    )
    shape = [[cls.__name__, [f.name for f in dataclasses.fields(cls)]] for cls in classes]
    shape.append(["FileError", [f.name for f in dataclasses.fields(FileError)]])
    return hashlib.sha256(json.dumps(shape).encode()).hexdigest()[:16]


_ALLOWED_MODULES = frozenset({_facts_module.__name__, _model_module.__name__})


class _PackUnpickler(pickle.Unpickler):
    """Unpickles only the lint's frozen data classes, so a planted pack cannot run code."""

    def find_class(self, module: str, name: str) -> Any:
        allowed = module in _ALLOWED_MODULES or (module == __name__ and name == "FileRecord")
        if allowed and name.isidentifier() and not name.startswith("_"):
            found = super().find_class(module, name)
            # (a class defined in that module, not one it imports)
            if isinstance(found, type) and found.__module__ == module:
                return found
        raise pickle.UnpicklingError(f"unexpected class {module}.{name} in the lint cache")


class ExtractionCache:
    """The lint cache of one directory and one lint configuration (see the module docstring)."""

    def __init__(self, directory: Path, config: Config) -> None:
        self.directory = directory
        self.fingerprint = config.lint_fingerprint()
        self.hits = 0
        self.misses = 0
        #: Why the cache could not be written, if it could not (linting goes on without it).
        self.write_problem: str | None = None
        self._header = (_FORMAT, __version__, FACTS_VERSION, self.fingerprint, _schema())
        self._key_prefix = json.dumps(list(self._header)).encode() + b"\0"
        self._loaded = False
        self._records: dict[str, FileRecord] = {}
        self._entries: dict[str, Result] = {}
        self._used: set[str] = set()  # entry keys hit or stored by this instance
        self._dirty = False

    @property
    def pack_path(self) -> Path:
        """The one file that holds this configuration's entries and records."""
        return self.directory / f"lint-{self.fingerprint}.pack"

    # -- entries ----------------------------------------------------------------------------------

    def key(self, source: bytes, *, path: str, module: str, is_package: bool) -> str:
        """The entry key of one file: a hash of its content and of every other extraction input."""
        return self.key_for_digest(
            content_digest(source), path=path, module=module, is_package=is_package
        )

    def key_for_digest(self, digest: str, *, path: str, module: str, is_package: bool) -> str:
        """`key` for a file whose `content_digest` is already known."""
        inputs = json.dumps([digest, path, module, is_package]).encode()
        return hashlib.sha256(self._key_prefix + inputs).hexdigest()

    def load(self, key: str) -> Result | None:
        """The cached result for `key`, or None when there is none."""
        self._ensure_loaded()
        result = self._entries.get(key)
        if result is None:
            self.misses += 1
        else:
            self.hits += 1
            self._used.add(key)
        return result

    def store(self, key: str, result: Result) -> None:
        """Add one entry; it reaches the disk with the next `save`."""
        self._ensure_loaded()
        self._entries[key] = result
        self._used.add(key)
        self._dirty = True

    # -- records ----------------------------------------------------------------------------------

    def record(self, path: str, stat: os.stat_result) -> FileRecord | None:
        """The trusted record of the file at absolute `path` if `stat` says it is unchanged."""
        self._ensure_loaded()
        found = self._records.get(path)
        if found is None or not found.trusted or not found.matches(stat):
            return None
        return found

    def remember(
        self,
        path: str,
        stat: os.stat_result,
        *,
        started_ns: int,
        has_token: bool,
        words: frozenset[bytes] | None,
        digest: str | None,
    ) -> None:
        """Record what was learnt about the file at absolute `path` in a run begun at `started_ns`."""
        self._ensure_loaded()
        changed = max(stat.st_mtime_ns, stat.st_ctime_ns)
        record = FileRecord(
            stat.st_mtime_ns,
            stat.st_ctime_ns,
            stat.st_size,
            stat.st_ino,
            changed < started_ns - RACY_WINDOW_NS,
            has_token,
            words,
            digest,
        )
        if self._records.get(path) != record:
            self._records[path] = record
            self._dirty = True

    # -- the pack file ----------------------------------------------------------------------------

    def save(self) -> None:
        """Write the pack if anything changed; a failure only costs speed, and is remembered."""
        if not self._dirty or self.write_problem is not None:
            return
        # An entry not used by this run is kept unless this run replaced it (same file path).
        used_paths = {self._entries[key].path for key in self._used}
        entries = {
            key: result
            for key, result in self._entries.items()
            if key in self._used or result.path not in used_paths
        }
        buffer = io.BytesIO()
        pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(
            (self._header, self._records, entries)
        )
        try:
            self._prepare()
            write_atomically(self.pack_path, buffer.getvalue())
        except OSError as exc:
            self.write_problem = (
                f"cannot write the lint cache in {self.directory}: {exc.strerror or exc}"
            )
            return
        self._dirty = False

    def _ensure_loaded(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        try:
            data = self.pack_path.read_bytes()
        except OSError:
            return  # no pack yet (or unreadable): start empty
        collecting = gc.isenabled()
        gc.disable()  # the pack holds many thousands of acyclic objects: no collection needed
        try:
            header, records, entries = _PackUnpickler(io.BytesIO(data)).load()
            if header != self._header or not isinstance(records, dict):
                return
            if not isinstance(entries, dict):
                return
            self._records, self._entries = records, entries
        except Exception:  # noqa: BLE001 - a damaged pack is an empty cache, never a crash
            return
        finally:
            if collecting:
                gc.enable()

    def _prepare(self) -> None:
        """Create the directory and mark it as a cache (CACHEDIR.TAG, .gitignore)."""
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
