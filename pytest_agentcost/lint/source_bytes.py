"""Source bytes that cannot be Python: NUL bytes and text that does not decode.

`extract_file` checks every file it parses for a NUL byte first (libcst accepts one inside a
string, Python never does) and turns decoding failures into these errors; the engine also checks
the files the pre-filter never parses, which costs a byte search per file (and a decode only for
the rare file that is not plain ASCII or declares an encoding), so that no unreadable file goes
unreported.
"""

from __future__ import annotations

import io
import tokenize

from pytest_agentcost.lint.model import FileError

__all__ = ["byte_problem", "decode_error", "nul_byte_error"]

_FIX_ENCODING = "save it as UTF-8 or fix its coding declaration."


def nul_byte_error(path: str, source: bytes) -> FileError | None:
    """The error for a file that holds a NUL byte (None if it holds none)."""
    offset = source.find(b"\0")
    if offset < 0:
        return None
    line, column = offset_position(source, offset)
    return FileError(
        path,
        line,
        column,
        "the file contains a NUL byte, so it cannot be parsed; "
        "remove the byte, or exclude the file if it is not Python source.",
    )


def decode_error(path: str, source: bytes, exc: UnicodeDecodeError | SyntaxError) -> FileError:
    """The error for bytes that do not decode (a bad byte, or a bad coding declaration).

    Python's encoding detection reports a bad UTF-8 byte in the first two lines without a
    position; the position of the first such byte is then looked up.
    """
    if isinstance(exc, SyntaxError):
        try:
            source.decode("utf-8")
        except UnicodeDecodeError as bad_byte:
            return _bad_byte_error(path, source, bad_byte, exc.msg)
        line, column = exc.lineno or 1, exc.offset or 1
        return FileError(path, line, column, f"cannot decode the file ({exc.msg}); {_FIX_ENCODING}")
    return _bad_byte_error(path, source, exc, exc.reason)


def _bad_byte_error(path: str, source: bytes, exc: UnicodeDecodeError, reason: str) -> FileError:
    line, column = offset_position(source, exc.start)
    bad = exc.object[exc.start : exc.start + 1]
    return FileError(
        path, line, column, f"cannot decode the file ({reason}, byte {bad!r}); {_FIX_ENCODING}"
    )


def byte_problem(path: str, source: bytes) -> FileError | None:
    """Why `source` cannot be Python text at all, found without parsing it (None if it can be)."""
    nul = nul_byte_error(path, source)
    if nul is not None:
        return nul
    second_newline = source.find(b"\n", source.find(b"\n") + 1)
    head = source if second_newline < 0 else source[:second_newline]
    if source.isascii() and b"coding" not in head:
        return None  # ASCII without a coding declaration: always decodes (the common case)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
        source.decode(encoding)
    except (UnicodeDecodeError, SyntaxError) as exc:  # (an unknown codec is a SyntaxError here)
        return decode_error(path, source, exc)
    return None


def offset_position(source: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column of a byte offset."""
    line = source.count(b"\n", 0, offset) + 1
    return line, offset - (source.rfind(b"\n", 0, offset) + 1) + 1
