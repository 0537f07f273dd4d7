"""FileFacts: the per-file symbolic summary that extraction produces and the project pass reads.

Everything here is frozen, small and JSON-serialisable (`to_json` / `from_json` round-trip exactly),
because the glue caches one FileFacts per file. Expressions are symbolic: a name, an attribute of an
expression, the result of a recorded call (by index into `FileFacts.calls`), a dict whose keys are
known, a literal, or something opaque. Scopes are dotted qualified names inside the module
(`""` is the module, `Agent.run` a method, `outer.inner` a nested function).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "Attr",
    "Binding",
    "CallFacts",
    "CallRef",
    "ClassAttr",
    "ClassFacts",
    "Const",
    "DictExpr",
    "Expr",
    "FileFacts",
    "FunctionFacts",
    "Import",
    "Name",
    "Opaque",
    "expr_from_json",
    "expr_to_json",
]

FACTS_VERSION = 8  # bump whenever the JSON shape or the meaning of a field changes

# The Langfuse OpenAI wrapper (`from langfuse.openai import openai`, or its `OpenAI` /
# `AsyncOpenAI` / `AzureOpenAI` / `AsyncAzureOpenAI` clients): each of these calls on it creates a
# generation (or an embedding) whose metadata is the call's `metadata=`.
OPENAI_WRAPPER = "langfuse.openai"
OPENAI_CLIENTS = frozenset({"OpenAI", "AsyncOpenAI", "AzureOpenAI", "AsyncAzureOpenAI"})
OPENAI_CREATORS: dict[str, str] = {
    "chat.completions.create": "generation",
    "chat.completions.parse": "generation",
    "beta.chat.completions.parse": "generation",
    "completions.create": "generation",
    "responses.create": "generation",
    "embeddings.create": "embedding",
}

# Methods that set metadata or a session on an observation object. Their calls are kept even on a
# parameter (`def tag(gen): gen.update(metadata=...)`): the project pass follows the objects that
# callers pass in.
OBJECT_UPDATES = frozenset({"update", "end", "update_trace"})

# Langfuse methods that create an observation -> its type (None: read `as_type`, default "span").
# Extraction records where calls of these names are; the project pass classifies them.
CREATORS: dict[str, str | None] = {
    "start_observation": None,
    "start_as_current_observation": None,
    "start_generation": "generation",
    "start_as_current_generation": "generation",
    "start_span": "span",
    "start_as_current_span": "span",
    "generation": "generation",
    "span": "span",
    "trace": "trace",
}


@dataclass(frozen=True)
class Name:
    """A bare name, resolved through the scope chain at project time."""

    id: str


@dataclass(frozen=True)
class Attr:
    """`base.attr`."""

    base: Expr
    attr: str


@dataclass(frozen=True)
class CallRef:
    """The value a recorded call returns."""

    call: int


@dataclass(frozen=True)
class Const:
    """A literal string, number, bool or None."""

    value: str | int | float | bool | None


@dataclass(frozen=True)
class DictExpr:
    """A dict literal or `dict(...)`: its literal keys, the `**` spreads, and whether other keys are unknowable."""

    keys: tuple[str, ...] = ()
    spreads: tuple[Expr, ...] = ()
    dynamic: bool = False


@dataclass(frozen=True)
class Opaque:
    """Anything else (an operator, a comprehension, a subscript...)."""


Expr = Name | Attr | CallRef | Const | DictExpr | Opaque

OPAQUE = Opaque()


def expr_to_json(expr: Expr) -> Any:
    """A compact tagged-list encoding of an expression."""
    if isinstance(expr, Name):
        return ["n", expr.id]
    if isinstance(expr, Attr):
        return ["a", expr_to_json(expr.base), expr.attr]
    if isinstance(expr, CallRef):
        return ["c", expr.call]
    if isinstance(expr, Const):
        return ["k", expr.value]
    if isinstance(expr, DictExpr):
        return ["d", list(expr.keys), [expr_to_json(s) for s in expr.spreads], expr.dynamic]
    return ["o"]


def expr_from_json(data: Any) -> Expr:
    """The inverse of `expr_to_json`."""
    tag = data[0]
    if tag == "n":
        return Name(data[1])
    if tag == "a":
        return Attr(expr_from_json(data[1]), data[2])
    if tag == "c":
        return CallRef(data[1])
    if tag == "k":
        return Const(data[1])
    if tag == "d":
        return DictExpr(tuple(data[1]), tuple(expr_from_json(s) for s in data[2]), bool(data[3]))
    return OPAQUE


@dataclass(frozen=True)
class Import:
    """`local` in `scope` is bound to the absolute dotted name `target` (a module or a module attribute)."""

    scope: str
    local: str
    target: str

    def to_json(self) -> list[Any]:
        return [self.scope, self.local, self.target]

    @classmethod
    def from_json(cls, data: list[Any]) -> Import:
        return cls(data[0], data[1], data[2])


@dataclass(frozen=True)
class Binding:
    """`name = value` in `scope` (also `with ... as name`, `for`-less simple targets only).

    `partial` marks `name["key"] = ...`, recorded as a one-key DictExpr that adds to the name's keys.
    """

    scope: str
    name: str
    value: Expr
    partial: bool = False

    def to_json(self) -> list[Any]:
        return [self.scope, self.name, expr_to_json(self.value), self.partial]

    @classmethod
    def from_json(cls, data: list[Any]) -> Binding:
        return cls(data[0], data[1], expr_from_json(data[2]), bool(data[3]))


@dataclass(frozen=True)
class ClassAttr:
    """`self.name = value` in method `scope` of class `cls` (or `name = value` in the class body)."""

    cls: str
    name: str
    scope: str
    value: Expr

    def to_json(self) -> list[Any]:
        return [self.cls, self.name, self.scope, expr_to_json(self.value)]

    @classmethod
    def from_json(cls, data: list[Any]) -> ClassAttr:
        return cls(data[0], data[1], data[2], expr_from_json(data[3]))


@dataclass(frozen=True)
class FunctionFacts:
    """One `def` (methods and nested functions included)."""

    qualname: str
    scope: str  # the enclosing scope ("" for module level)
    cls: str  # the class it is a method of, else ""
    params: tuple[str, ...]
    decorators: tuple[Expr, ...]  # top-most first
    returns: tuple[Expr, ...]
    line: int  # first decorator line, else the def line
    column: int
    header_lines: tuple[int, ...]  # every decorator and signature line (for suppressions)
    # parameters annotated with a class (`client: Langfuse`, `Langfuse | None`, `"Langfuse"`)
    param_types: tuple[tuple[str, Expr], ...] = ()

    @property
    def name(self) -> str:
        return self.qualname.rpartition(".")[2]

    def to_json(self) -> list[Any]:
        return [
            self.qualname,
            self.scope,
            self.cls,
            list(self.params),
            [expr_to_json(d) for d in self.decorators],
            [expr_to_json(r) for r in self.returns],
            self.line,
            self.column,
            list(self.header_lines),
            [[name, expr_to_json(kind)] for name, kind in self.param_types],
        ]

    @classmethod
    def from_json(cls, data: list[Any]) -> FunctionFacts:
        return cls(
            data[0],
            data[1],
            data[2],
            tuple(data[3]),
            tuple(expr_from_json(d) for d in data[4]),
            tuple(expr_from_json(r) for r in data[5]),
            data[6],
            data[7],
            tuple(data[8]),
            tuple((name, expr_from_json(kind)) for name, kind in data[9]),
        )


@dataclass(frozen=True)
class ClassFacts:
    """One `class` statement."""

    qualname: str
    scope: str
    bases: tuple[Expr, ...]

    def to_json(self) -> list[Any]:
        return [self.qualname, self.scope, [expr_to_json(b) for b in self.bases]]

    @classmethod
    def from_json(cls, data: list[Any]) -> ClassFacts:
        return cls(data[0], data[1], tuple(expr_from_json(b) for b in data[2]))


@dataclass(frozen=True)
class CallFacts:
    """One call expression. `withs` are the indices of the `with` items enclosing it in its scope."""

    scope: str
    func: Expr
    args: tuple[Expr, ...]
    kwargs: tuple[tuple[str, Expr], ...]  # only the keywords the rules read
    line: int
    column: int
    withs: tuple[int, ...] = ()
    is_with_item: bool = False

    def kwarg(self, name: str) -> Expr | None:
        for key, value in self.kwargs:
            if key == name:
                return value
        return None

    def to_json(self) -> list[Any]:
        return [
            self.scope,
            expr_to_json(self.func),
            [expr_to_json(a) for a in self.args],
            [[k, expr_to_json(v)] for k, v in self.kwargs],
            self.line,
            self.column,
            list(self.withs),
            self.is_with_item,
        ]

    @classmethod
    def from_json(cls, data: list[Any]) -> CallFacts:
        return cls(
            data[0],
            expr_from_json(data[1]),
            tuple(expr_from_json(a) for a in data[2]),
            tuple((k, expr_from_json(v)) for k, v in data[3]),
            data[4],
            data[5],
            tuple(data[6]),
            bool(data[7]),
        )


@dataclass(frozen=True)
class FileFacts:
    """Everything the project pass needs from one file."""

    path: str
    module: str
    is_package: bool
    imports: tuple[Import, ...] = ()
    bindings: tuple[Binding, ...] = ()
    class_attrs: tuple[ClassAttr, ...] = ()
    functions: tuple[FunctionFacts, ...] = ()
    classes: tuple[ClassFacts, ...] = ()
    calls: tuple[CallFacts, ...] = ()
    suppressions: tuple[tuple[int, tuple[str, ...]], ...] = ()  # (line, codes); () means every code
    # `obj.name(...)` calls on objects extraction cannot follow (a loop variable, a parameter):
    # (scope, method name, enclosing `with` call indices), for resolving calls by name
    method_calls: tuple[tuple[str, str, tuple[int, ...]], ...] = ()
    # (scope, name) of imported names that an `except ImportError:` handler binds again (a
    # fallback such as `observe = None`): resolution takes the import, the fallback is ignored
    import_fallbacks: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "v": FACTS_VERSION,
            "path": self.path,
            "module": self.module,
            "is_package": self.is_package,
            "imports": [i.to_json() for i in self.imports],
            "bindings": [b.to_json() for b in self.bindings],
            "class_attrs": [a.to_json() for a in self.class_attrs],
            "functions": [f.to_json() for f in self.functions],
            "classes": [c.to_json() for c in self.classes],
            "calls": [c.to_json() for c in self.calls],
            "suppressions": [[line, list(codes)] for line, codes in self.suppressions],
            "method_calls": [
                [scope, name, list(withs)] for scope, name, withs in self.method_calls
            ],
            "import_fallbacks": [list(pair) for pair in self.import_fallbacks],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileFacts:
        if data.get("v") != FACTS_VERSION:
            raise ValueError(f"FileFacts format {data.get('v')!r} is not {FACTS_VERSION}")
        return cls(
            path=data["path"],
            module=data["module"],
            is_package=bool(data["is_package"]),
            imports=tuple(Import.from_json(i) for i in data["imports"]),
            bindings=tuple(Binding.from_json(b) for b in data["bindings"]),
            class_attrs=tuple(ClassAttr.from_json(a) for a in data["class_attrs"]),
            functions=tuple(FunctionFacts.from_json(f) for f in data["functions"]),
            classes=tuple(ClassFacts.from_json(c) for c in data["classes"]),
            calls=tuple(CallFacts.from_json(c) for c in data["calls"]),
            suppressions=tuple((line, tuple(codes)) for line, codes in data["suppressions"]),
            method_calls=tuple(
                (scope, name, tuple(withs)) for scope, name, withs in data["method_calls"]
            ),
            import_fallbacks=tuple((scope, name) for scope, name in data["import_fallbacks"]),
        )
