"""The fast, text-based positions agree with libcst's code generation on tricky sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_agentcost.config import Config
from pytest_agentcost.lint import extract
from pytest_agentcost.lint.facts import FileFacts

TRICKY = {
    "strings that look like code": '''
from langfuse import observe, get_client
DOC = """
@observe(as_type="generation")
def fake(): get_client().start_observation(as_type="generation")
"""
@observe(as_type="generation")  # agentcost: ignore[AC002]
def real(): return get_client().start_observation(as_type="generation", name="x")
''',
    "f-strings with calls and nested quotes": """
from langfuse import get_client
def f(x):
    label = f"{get_client().start_observation(name='in-fstring')} {x!r:>{len(x)}}"
    return get_client().start_observation(as_type="generation", name="after")
""",
    "multi-line decorators and signatures": """
from langfuse import observe
@observe(
    as_type="generation",
    name="multi",
)
async def plan(
    task: str,  # noqa: AC001
    *,
    retries: int = 3,
) -> str:
    return task
""",
    "backslash continuations, semicolons and tabs": (
        "from langfuse import get_client\n"
        "def g():\n"
        "\tx = 1; y = get_client() \\\n"
        "\t\t.start_observation(as_type='generation', name='tabbed')\n"
        "\treturn x, y\n"
    ),
    "windows newlines": (
        "from langfuse import observe\r\n\r\n@observe()\r\ndef handle():\r\n    return 1\r\n"
    ),
    "match patterns, except handlers and conditional expressions": """
from langfuse import get_client
def h(value, client=get_client()):
    match value:
        case str():
            return str(value)
        case int() if int(value) > 0:
            return client
    try:
        pass
    except get_error(value) as error:
        str(error)
    return str(value) if value else str(None)
def get_error(value): return ValueError
""",
    "same name nested and chained": """
from langfuse import Langfuse
lf = Langfuse()
def run():
    lf.trace(name="a").span(name="b").generation(name="c", metadata=lf.generation(name="d"))
    return [lf.span(name=str(i)) for i in range(3)]
""",
    "async functions without decorators, and names that contain def": """
from langfuse import get_client
class Agent:
    async  def run(self, default=None):
        return get_client().start_observation(as_type="generation", name="async")
async def define(undefined):
    return get_client().start_observation(name="defined")
""",
    "classes, decorators on classes, PEP 695": """
import dataclasses
from langfuse import observe
type Alias = list[int]
@dataclasses.dataclass(frozen=True)
class Box[T]:
    value: T
    @observe(as_type="generation")
    def open(self) -> T: return self.value
""",
}


def _uses_fast_path(source: bytes) -> bool:
    import libcst

    tree = libcst.parse_module(source)
    extract.preload()  # (the extractor uses the module's own libcst reference)
    extractor = extract._Extractor(path="m.py", module="m", is_package=False, config=Config())
    for statement in tree.body:
        extractor.walk(statement)
    return extractor.fast_positions(tree, source) is not None


def _both(source: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[FileFacts, FileFacts]:
    config = Config()
    fast = extract.extract_file(source, path="m.py", module="m", is_package=False, config=config)
    with monkeypatch.context() as patch:
        patch.setattr(extract._Extractor, "fast_positions", lambda self, tree, source: None)
        slow = extract.extract_file(
            source, path="m.py", module="m", is_package=False, config=config
        )
    assert isinstance(fast, FileFacts) and isinstance(slow, FileFacts)
    return fast, slow


@pytest.mark.parametrize("source", list(TRICKY.values()), ids=list(TRICKY))
def test_text_positions_match_the_code_generation_positions(
    source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    encoded = source.lstrip("\n").encode()
    assert _uses_fast_path(encoded)
    fast, slow = _both(encoded, monkeypatch)
    assert fast.functions == slow.functions
    assert fast.suppressions == slow.suppressions
    placed = [c for c in fast.calls if c.line]
    assert placed, "the snippet has calls a finding can point at"
    for mine, exact in zip(fast.calls, slow.calls):
        if mine.line:
            assert mine == exact


def test_every_observation_call_gets_a_place(monkeypatch: pytest.MonkeyPatch) -> None:
    fast, _ = _both(TRICKY["same name nested and chained"].lstrip("\n").encode(), monkeypatch)
    creators = [
        c for c in fast.calls if getattr(c.func, "attr", "") in ("trace", "span", "generation")
    ]
    assert len(creators) == 5
    assert all(c.line > 0 and c.column > 0 for c in creators)


def test_the_bundled_example_uses_the_fast_path_with_identical_results(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    used: list[bool] = []
    original = extract._Extractor.fast_positions

    def spy(self: extract._Extractor, tree: object, source: bytes) -> object:
        result = original(self, tree, source)  # type: ignore[arg-type]
        used.append(result is not None)
        return result

    monkeypatch.setattr(extract._Extractor, "fast_positions", spy)
    example = Path(__file__).resolve().parents[2] / "examples" / "quickstart"
    for file in sorted(example.rglob("*.py")):
        fast, slow = _both(file.read_bytes(), monkeypatch)
        assert fast.functions == slow.functions
        assert [c for c in fast.calls if c.line] == [
            s for f, s in zip(fast.calls, slow.calls) if f.line
        ]
    assert used and all(used)


REPOSITORY = Path(__file__).resolve().parents[2]
OWN_SOURCES = sorted(
    path
    for folder in ("pytest_agentcost", "tests", "examples", "benchmarks")
    for path in (REPOSITORY / folder).rglob("*.py")
)


def test_text_positions_match_the_code_generation_positions_on_this_repository(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every file of this project, read both ways: the facts must be identical, calls included."""
    fast_paths = 0
    for path in OWN_SOURCES:
        source = path.read_bytes()
        fast, slow = _both(source, monkeypatch)
        assert fast.functions == slow.functions, path
        assert fast.suppressions == slow.suppressions, path
        for mine, exact in zip(fast.calls, slow.calls, strict=True):
            assert mine.line == 0 or mine == exact, (path, mine, exact)
        fast_paths += _uses_fast_path(source)
    assert len(OWN_SOURCES) > 100
    assert fast_paths >= 0.9 * len(OWN_SOURCES)  # the fallback stays the exception
