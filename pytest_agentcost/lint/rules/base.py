"""What every rule module provides, and the project model the rules read."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["GenerationSite", "Invalid", "ProjectModel", "RootSite", "Site", "Valid"]


@dataclass(frozen=True)
class Site:
    """Where an observation is, for a finding: position, symbol and the lines a suppression may sit on."""

    path: str
    line: int
    column: int
    symbol: str
    extra_lines: tuple[int, ...]  # decorator and def lines of the function it belongs to
    style: str  # "v2" or "v3" (v3, v4 and v5 share the API the messages name)
    # "decorator", "call" or "block" (a `with` block); "trace" for a v2 trace; "openai" for a
    # call of the Langfuse OpenAI wrapper (`openai.chat.completions.create(...)`); "wrap" for
    # `observe(...)(fn)` (or a project factory called on `fn`), "external" when `fn` is not the
    # project's
    via: str


@dataclass(frozen=True)
class GenerationSite:
    """A generation (or embedding) and the metadata keys it is known to set."""

    site: Site
    keys: frozenset[str]
    unverifiable: bool  # some metadata it sets has keys that cannot be known statically


@dataclass(frozen=True)
class RootSite:
    """A trace root and whether a session_id reaches it."""

    site: Site
    has_session: bool


@dataclass(frozen=True)
class ProjectModel:
    """Everything the rules need, after project-wide resolution."""

    generations: tuple[GenerationSite, ...]
    roots: tuple[RootSite, ...]


@dataclass(frozen=True)
class Valid:
    """A snippet the rule must not report. `files` maps extra module paths to their source."""

    code: str
    files: tuple[tuple[str, str], ...] = ()
    config: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True)
class Invalid:
    """A snippet the rule must report, with the expected (line, code) of every finding in it."""

    code: str
    expected: tuple[tuple[int, str], ...]
    files: tuple[tuple[str, str], ...] = ()
    config: tuple[tuple[str, object], ...] = ()
