"""Which files a lint run looks at: expand paths, skip tool and virtualenv directories, apply `exclude`.

Exclude globs are matched against the path relative to the run's root, written with forward slashes:

- `*` and `?` match within one path segment, `[...]` is a character class (fnmatch syntax);
- `**` matches any number of directories, including none (`src/**/legacy_*.py`, `**/migrations`);
- a glob that matches a directory excludes everything beneath it (`src/legacy`);
- a glob without `/` matches a file or directory name at any depth, as in .gitignore (`*_pb2.py`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

__all__ = [
    "SKIPPED_DIRS",
    "ExcludeMatcher",
    "discover",
    "discover_paths",
    "is_skipped_dir",
    "relative_path",
]

#: Directory names never descended into (explicitly named files inside them are still checked).
SKIPPED_DIRS = frozenset(
    {
        "__pycache__",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "site-packages",
        "node_modules",
        "build",
        "dist",
    }
)


def is_skipped_dir(name: str) -> bool:
    """Hidden directories, caches, virtualenvs and build output are not searched for Python files."""
    return name.startswith(".") or name in SKIPPED_DIRS


def relative_path(path: str | os.PathLike[str], root: str | os.PathLike[str]) -> str:
    """`path` relative to `root`, with forward slashes (`../x.py` for a path outside the root)."""
    text, base = os.fspath(path), os.fspath(root)
    if text.startswith(base) and text[len(base) : len(base) + 1] == os.sep:
        relative = text[len(base) + 1 :]  # the common case, without os.path.relpath's cost
    else:
        relative = os.path.relpath(text, base)
    return relative.replace(os.sep, "/") if os.sep != "/" else relative


def _glob_to_regex(pattern: str) -> str:
    """Translate one exclude glob into a regular expression over a relative path."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif char == "*":
            out.append("[^/]*")
            i += 1
        elif char == "?":
            out.append("[^/]")
            i += 1
        elif char == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(char))
                i += 1
            else:
                body = pattern[i + 1 : end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end + 1
        else:
            out.append(re.escape(char))
            i += 1
    return "".join(out)


@dataclass(frozen=True)
class ExcludeMatcher:
    """Decides whether a relative path is excluded by the `exclude` globs."""

    patterns: tuple[str, ...]

    @cached_property
    def _regex(self) -> re.Pattern[str] | None:
        alternatives = []
        for raw in self.patterns:
            pattern = raw.strip().replace("\\", "/")
            pattern = pattern.removeprefix("./")
            pattern = pattern.strip("/")
            if not pattern:
                continue
            if "/" not in pattern:
                pattern = "**/" + pattern  # a bare name matches at any depth
            alternatives.append(_glob_to_regex(pattern))
        if not alternatives:
            return None
        # The glob may match the path itself or any directory above it.
        return re.compile("(?:" + "|".join(alternatives) + ")(?:/.*)?", re.DOTALL)

    @property
    def active(self) -> bool:
        """Whether any glob is set (if not, nothing is excluded and paths need no matching)."""
        return self._regex is not None

    def __call__(self, relpath: str) -> bool:
        regex = self._regex
        return regex is not None and regex.fullmatch(relpath) is not None


def discover(paths: Iterable[Path], *, root: Path, exclude: Sequence[str] = ()) -> list[Path]:
    """Every Python file under `paths` (files or directories), minus skipped dirs and `exclude`.

    The result is sorted and free of duplicates. A file named explicitly is taken whatever its
    suffix, unless `exclude` matches it, and so is one that is no regular file (a dangling
    symlink, a FIFO), so that reading it reports the problem; paths that do not exist are ignored
    (callers that want an error for them check first).
    """
    return [Path(path) for path in discover_paths(paths, root=root, exclude=exclude)]


def discover_paths(
    paths: Iterable[str | os.PathLike[str]], *, root: Path, exclude: Sequence[str] = ()
) -> list[str]:
    """`discover`, as absolute path strings (a lint run handles thousands: no `Path` objects)."""
    excluded = ExcludeMatcher(tuple(exclude))
    base = str(root)
    found: set[str] = set()
    for given in paths:
        start = os.path.abspath(given)
        if os.path.isfile(start):
            if not excluded(relative_path(start, root)):
                found.add(start)
        elif os.path.isdir(start):
            found.update(_walk(start, base, excluded))
        elif os.path.lexists(start) and not excluded(relative_path(start, root)):
            found.add(start)  # a dangling symlink, a FIFO...: reading it reports why it fails
    return sorted(found, key=lambda path: path.split(os.sep))  # (part by part, as paths sort)


def _walk(top: str, root: str, excluded: ExcludeMatcher) -> Iterable[str]:
    """The `.py` files under `top`, pruning skipped and excluded directories on the way down."""
    active = excluded.active

    def is_excluded(path: str) -> bool:
        return active and excluded(relative_path(path, root))

    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = sorted(
            name
            for name in dirnames
            if not is_skipped_dir(name) and not is_excluded(os.path.join(dirpath, name))
        )
        for name in filenames:
            if name.endswith(".py"):
                path = os.path.join(dirpath, name)
                if not is_excluded(path):
                    yield path
