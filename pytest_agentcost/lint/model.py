"""The lint engine's results: findings, file errors and the run's result. Plain frozen data."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, order=True)
class Finding:
    """One rule violation at a place in a file."""

    path: str  # relative to the run's root, with forward slashes
    line: int
    column: int  # 1-based, as editors show it
    code: str
    message: str
    symbol: str  # the function or observation name the finding is about

    def to_text(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.code} {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "message": self.message,
            "symbol": self.symbol,
        }


@dataclass(frozen=True, order=True)
class FileError:
    """A file that could not be read or parsed; every other file is still checked."""

    path: str
    line: int
    column: int
    message: str

    def to_text(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: error: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "message": self.message,
        }


@dataclass(frozen=True)
class LintResult:
    """What one lint run found over a set of files."""

    findings: tuple[Finding, ...] = ()
    errors: tuple[FileError, ...] = ()
    files_checked: int = 0
    files: tuple[str, ...] = field(default=(), compare=False)  # every file considered, relative

    @property
    def ok(self) -> bool:
        return not self.findings and not self.errors

    def for_file(self, path: str) -> Iterator[Finding | FileError]:
        """The errors, then the findings, of one file in line order."""
        yield from sorted(e for e in self.errors if e.path == path)
        yield from sorted(f for f in self.findings if f.path == path)

    def to_json(self) -> dict[str, Any]:
        return {
            "findings": [f.to_json() for f in sorted(self.findings)],
            "errors": [e.to_json() for e in sorted(self.errors)],
            "files_checked": self.files_checked,
        }
