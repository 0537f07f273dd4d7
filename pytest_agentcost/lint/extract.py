"""Per-file extraction: one libcst parse and one walk -> FileFacts.

The walk records a symbolic summary (imports, bindings, functions, classes, calls) without resolving
anything across files; `project.analyze` does that. Calls whose callee can only be unknown (a
builtin, a parameter, a literal) are dropped; method calls on unknown objects are kept by name.

Positions: libcst's PositionProvider costs more than the parse itself, so positions are read off
the source text instead (`_scan`): strings and comments are blanked, the n-th `@` / `def` logical
line is the n-th Decorator / FunctionDef of the walk, and calls are found by the name they call,
only for the names a finding can point at, with the counts checked. When anything fails to line
up, one code-generation pass (`codegen_positions`) gives exact positions instead. Suppression
comments come from the same scan, so text in strings never counts. A regex blanks strings; the rare
f-string it cannot read (PEP 701 lets a replacement field hold the f-string's own quotes, comments
and line breaks) is measured by a small scanner that reads its fields as code (`_mask`).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pytest_agentcost.config import Config
from pytest_agentcost.lint.facts import (
    CREATORS,
    OBJECT_UPDATES,
    OPAQUE,
    Attr,
    Binding,
    CallFacts,
    CallRef,
    ClassAttr,
    ClassFacts,
    Const,
    DictExpr,
    Expr,
    FileFacts,
    FunctionFacts,
    Import,
    Name,
)
from pytest_agentcost.lint.imports import resolve_relative
from pytest_agentcost.lint.model import FileError
from pytest_agentcost.lint.source_bytes import decode_error, nul_byte_error
from pytest_agentcost.lint.suppress import parse_suppression

if TYPE_CHECKING:
    import libcst as cst
else:
    cst = None  # imported on first use, so importing this module (and warm cached runs) stay light

__all__ = ["extract_file", "preload", "relevance_tokens"]

# keyword arguments the rules read; everything else is dropped to keep FileFacts small
KEPT_KWARGS = frozenset({"as_type", "metadata", "session_id", "name"})

_BASE_TOKENS = (
    b"langfuse",
    b"observe",
    b"propagate_attributes",
    b"update_current",
    b"start_observation",
    b"start_as_current",
    b"start_generation",
    b"start_span",
    b"update_trace",
    b".generation(",
    b".trace(",
    # a plain helper given an observation sets its keys with these (`gen.update(metadata=...)`,
    # v2 `trace.update(session_id=...)`), so it must be analysed even if it names no Langfuse API
    b"metadata",
    b"session_id",
)

_SUPPRESSION_HINT = re.compile(r"agentcost|noqa", re.IGNORECASE)
_ERROR_AT = re.compile(r"\berror at (\d+):(\d+)")
# a quoted annotation naming a class, optionally `| None`: "Langfuse", "langfuse.Langfuse | None"
_QUOTED_CLASS = re.compile(r"\s*([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*(?:\|\s*None\s*)?")

# fields that hold only whitespace or punctuation: the walk skips them
_SKIPPED_FIELDS = frozenset(
    {
        "leading_lines",
        "lines_after_decorators",
        "lpar",
        "rpar",
        "comma",
        "semicolon",
        "colon",
        "header",
        "footer",
        "trailing_whitespace",
        "newline",
        "equal",
        "dot",
        "star",
        "lbracket",
        "rbracket",
        "lbrace",
        "rbrace",
        "operator",
        "asynchronous",
        "encoding",
        "default_indent",
        "default_newline",
        "has_trailing_newline",
        "indent",
        # type annotations: a call there (`Annotated[int, Depends(db)]`) never creates or reaches
        # an observation, and annotations are a large share of the nodes of typed code
        "annotation",
        "returns",
    }
)
_FIELDS_CACHE: dict[type, tuple[str, ...]] = {}
_WALK_RECURSION_LIMIT = 20_000
# nodes whose dataclass field order is not their source order (the scan pairs calls in order)
_FIELD_ORDER = {
    "ExceptHandler": ("type", "name", "body"),
    "ExceptStarHandler": ("type", "name", "body"),
    "MatchCase": ("pattern", "guard", "body"),
    "Parameters": ("posonly_params", "params", "star_arg", "kwonly_params", "star_kwarg"),
}


def relevance_tokens(config: Config) -> tuple[bytes, ...]:
    """Byte strings of which a file must contain at least one to involve Langfuse by itself."""
    extra = tuple(
        alias.rpartition(".")[2].encode()
        for alias in config.observe_aliases
        if alias.rpartition(".")[2]
    )
    return tuple(dict.fromkeys(_BASE_TOKENS + extra))


def extract_file(
    source: bytes, *, path: str, module: str, is_package: bool, config: Config
) -> FileFacts | FileError:
    """Parse one file and summarise it; parse and decode problems become a FileError. Never raises."""
    if globals()["cst"] is None:
        try:
            _import_libcst()
        except ImportError as exc:  # pragma: no cover - libcst is a dependency
            return FileError(
                path, 1, 1, f"libcst is not installed ({exc}); run `pip install libcst`."
            )
    nul = nul_byte_error(path, source)  # (libcst accepts one in a string; Python never does)
    if nul is not None:
        return nul
    try:
        tree = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        line, column = _syntax_error_position(exc, source)
        return FileError(
            path,
            line,
            column,
            f"syntax error: {exc.message}; fix it so that the file parses as Python.",
        )
    except (UnicodeDecodeError, SyntaxError) as exc:
        return decode_error(path, source, exc)
    except Exception as exc:  # noqa: BLE001 - no input may crash the checker
        return FileError(path, 1, 1, f"cannot parse the file: {type(exc).__name__}: {exc}")
    try:
        return _Extractor(path=path, module=module, is_package=is_package, config=config).run(
            tree, source
        )
    except RecursionError:
        return FileError(
            path, 1, 1, "the file nests too deeply to analyse; split the deepest expression."
        )
    except Exception as exc:  # noqa: BLE001 - report, never crash
        return FileError(
            path, 1, 1, f"internal error while analysing the file: {type(exc).__name__}: {exc}"
        )


def _syntax_error_position(exc: cst.ParserSyntaxError, source: bytes) -> tuple[int, int]:
    """1-based line and column of a parse error.

    libcst's native parser reports column 0 (editor column 1) and puts the place in its message,
    `parser error: error at 2:12: expected ...`: the line, and the column where the offending token
    ends (the 1-based column of a one-character token). The end of the file (`error at 3:0` after
    two lines) is reported just after the file's last text instead, where the parser ran out.
    """
    at = _ERROR_AT.search(exc.message)
    if at is None:  # a tokenizer error (`unterminated string literal`) has no place in its message
        return exc.editor_line, exc.editor_column
    line, column = max(int(at.group(1)), 1), max(int(at.group(2)), 1)
    lines = source.splitlines()
    if line > len(lines):
        while lines and not lines[-1].strip():
            lines.pop()
        if lines:
            return len(lines), len(lines[-1].rstrip().decode("utf-8", "replace")) + 1
    return line, column


def _import_libcst() -> None:
    global cst
    import libcst

    cst = libcst


def preload() -> None:
    """Import libcst now (before forking workers, so that each does not import it again)."""
    if globals()["cst"] is None:
        try:
            _import_libcst()
        except ImportError:  # pragma: no cover - each extract_file reports it
            pass


@dataclass(slots=True)
class _CallDraft:
    scope: str
    func: Expr
    args: tuple[Expr, ...]
    kwargs: tuple[tuple[str, Expr], ...]
    anchor: str  # the called name (`start_observation` in `client.start_observation(...)`), or ""
    anchor_id: int  # id() of that Name node (0 when there is none)
    inner: int  # for `f(...)(x)`: the index of the inner call, whose position it shares; else -1
    withs: tuple[int, ...]
    is_with_item: bool = False


@dataclass(slots=True)
class _FunctionDraft:
    qualname: str
    scope: str
    cls: str
    params: tuple[str, ...]
    decorators: tuple[Expr, ...]
    node_id: int
    body_id: int
    decorator_ids: tuple[int, ...]
    param_types: tuple[tuple[str, Expr], ...] = ()
    returns: list[Expr] = field(default_factory=list)


@dataclass
class _Positions:
    """Where things start: (line, 0-based column) by node id, def header ends, suppression comments."""

    found: dict[int, tuple[int, int]] = field(default_factory=dict)
    header_end: dict[int, int] = field(default_factory=dict)  # id(FunctionDef) -> line of its colon
    comments: list[tuple[int, str]] = field(default_factory=list)


class _Extractor:
    """The single walk over one module."""

    def __init__(self, *, path: str, module: str, is_package: bool, config: Config) -> None:
        self.path = path
        self.module = module
        self.is_package = is_package
        self.call_index: dict[int, int] = {}  # id(Call node) -> index
        self.call_drafts: dict[int, _CallDraft] = {}
        # (called name, call index) in source order; index -1 for a `case Name(...)` pattern
        self.anchor_order: list[tuple[str, int]] = []
        self.functions: list[_FunctionDraft] = []
        self.function_by_scope: dict[str, _FunctionDraft] = {}
        self.decorator_order: list[int] = []  # id() of every Decorator node, in source order
        self.classes: list[ClassFacts] = []
        self.imports: list[Import] = []
        self.bindings: list[Binding] = []
        self.class_attrs: list[ClassAttr] = []
        self.scope = ""
        self.scope_is_class = False
        self.current_class = ""  # the class whose method we are in, for self.x bindings
        self.self_name = ""
        self.withs: list[int] = []
        self.in_fstring = 0
        self.global_names: set[str] = set()  # names the current function declares `global`
        # (scope, name) -> index of the call whose result the name was last assigned
        self.assigned_calls: dict[tuple[str, str], int] = {}
        self.imported: set[tuple[str, str]] = set()  # (scope, local name) bound by an import
        self.in_import_fallback = 0  # inside an `except` that catches a failed import
        self.import_fallbacks: dict[tuple[str, str], None] = {}
        _node_types()  # also fills _DISPATCH
        self.anchor_names = set(CREATORS) | {"observe"} | {"create", "parse"}  # (OpenAI wrapper)
        self.anchor_names.update(alias.rpartition(".")[2] for alias in config.observe_aliases)

    # -- driver -------------------------------------------------------------------------------

    def run(self, tree: cst.Module, source: bytes) -> FileFacts:
        """Walk the module and assemble its facts (with a recursion limit that fits deep code)."""
        limit = sys.getrecursionlimit()
        # The walk recurses once per nesting level (a long `a + b + ...` chain is deep). On 3.11+
        # pure-Python calls do not grow the C stack, so a higher limit is safe here; libcst's own
        # code generation (the fallback below) runs under the normal limit.
        sys.setrecursionlimit(max(limit, _WALK_RECURSION_LIMIT))
        try:
            return self.assemble(tree, source, limit)
        finally:
            sys.setrecursionlimit(limit)

    def assemble(self, tree: cst.Module, source: bytes, normal_limit: int) -> FileFacts:
        for statement in tree.body:
            self.walk(statement)
        positions = self.fast_positions(tree, source)
        if positions is None:
            raised = sys.getrecursionlimit()
            sys.setrecursionlimit(normal_limit)
            try:
                positions = self.codegen_positions(tree)
            finally:
                sys.setrecursionlimit(raised)
        found = positions.found
        kept = self.kept_calls()
        remap = _Remap({old: new for new, old in enumerate(kept)}, _INTERNED)
        calls = []
        for index in kept:
            draft = final = self.call_drafts[index]
            while draft.inner >= 0 and draft.inner in self.call_drafts:
                draft = self.call_drafts[draft.inner]
            line, column = found.get(draft.anchor_id, (0, -1))
            calls.append(
                CallFacts(
                    final.scope,
                    remap(final.func),
                    tuple(remap(arg) for arg in final.args),
                    tuple((key, remap(value)) for key, value in final.kwargs),
                    line,
                    column + 1,
                    tuple(remap.index[w] for w in final.withs if w in remap.index),
                    final.is_with_item,
                )
            )
        functions = []
        for fn in self.functions:
            def_line, def_column = found.get(fn.node_id, (0, -1))
            line, column = (
                found.get(fn.decorator_ids[0], (0, -1))
                if fn.decorator_ids
                else (def_line, def_column)
            )
            end = positions.header_end.get(fn.node_id, def_line)
            functions.append(
                FunctionFacts(
                    fn.qualname,
                    fn.scope,
                    fn.cls,
                    fn.params,
                    tuple(remap(d) for d in fn.decorators),
                    tuple(remap(r) for r in fn.returns),
                    line,
                    column + 1,
                    tuple(sorted({def_line, *range(line, end + 1)})),
                    tuple((name, remap(kind)) for name, kind in fn.param_types),
                )
            )
        kept_set = set(kept)
        method_calls: dict[tuple[str, str, tuple[int, ...]], None] = {}
        for index, draft in sorted(self.call_drafts.items()):
            func = draft.func
            if index not in kept_set and isinstance(func, Attr) and not func.attr.startswith("__"):
                withs = tuple(remap.index[w] for w in draft.withs if w in remap.index)
                method_calls[(draft.scope, func.attr, withs)] = None
        suppressions = []
        for line, text in positions.comments:
            codes = parse_suppression(text)
            if codes is not None:
                suppressions.append((line, codes))
        return FileFacts(
            path=self.path,
            module=self.module,
            is_package=self.is_package,
            imports=tuple(self.imports),
            bindings=tuple(
                Binding(b.scope, b.name, remap(b.value), b.partial) for b in self.bindings
            ),
            class_attrs=tuple(
                ClassAttr(a.cls, a.name, a.scope, remap(a.value)) for a in self.class_attrs
            ),
            functions=tuple(functions),
            classes=tuple(
                ClassFacts(c.qualname, c.scope, tuple(remap(b) for b in c.bases))
                for c in self.classes
            ),
            calls=tuple(calls),
            suppressions=tuple(suppressions),
            method_calls=tuple(method_calls),
            import_fallbacks=tuple(self.import_fallbacks),
        )

    def kept_calls(self) -> list[int]:
        """The calls worth recording: not those whose callee can only be unknown at project time.

        A callee rooted in a literal (`" ".join`), in a parameter of the calling function (other
        than a method's `self`, a parameter annotated with a class, and `param.update(...)` and
        the other `OBJECT_UPDATES`), or in a name bound nowhere in the file (a builtin such as
        `len`) can never resolve to Langfuse or to a project function, so it is dropped to keep
        the facts (and the cache) small. Parameter annotations that cannot name a client (no name
        the file binds, such as `str`) are forgotten here for the same reason.
        """
        bound = {b.name for b in self.bindings} | {i.local for i in self.imports}
        bound.update(fn.qualname.rpartition(".")[2] for fn in self.functions)
        bound.update(c.qualname.rpartition(".")[2] for c in self.classes)
        star = any(i.local == "*" for i in self.imports)
        for fn in self.functions:
            # an annotation can name a Langfuse client only through a name bound in the file (an
            # import, an alias): `str`, `int`, `list[...]` cannot, and are forgotten here
            fn.param_types = tuple(
                (name, kind) for name, kind in fn.param_types if star or _root_name(kind) in bound
            )
        bound.update(fn.params[0] for fn in self.functions if fn.cls and fn.params)  # `self`, `cls`
        bound.update(name for fn in self.functions for name, _ in fn.param_types)
        params = {  # (an annotated parameter may be a Langfuse client: its calls are kept)
            fn.qualname: set(fn.params[1:] if fn.cls else fn.params) - dict(fn.param_types).keys()
            for fn in self.functions
        }
        verdict: dict[int, bool] = {}
        return [
            index
            for index in range(len(self.call_index))
            if self.may_resolve(index, verdict, bound, params, star)
        ]

    def may_resolve(
        self,
        index: int,
        verdict: dict[int, bool],
        bound: set[str],
        params: dict[str, set[str]],
        star: bool,
    ) -> bool:
        """`kept_calls`' test for one call, memoised in `verdict`.

        A method rather than a closure: a recursive closure is a reference cycle, which would keep
        the whole extractor alive until the (paused) cyclic garbage collector runs.
        """
        if index in verdict:
            return verdict[index]
        verdict[index] = True  # (no cycles are possible; this just bounds the recursion)
        draft = self.call_drafts.get(index)
        if draft is None:
            result = False
        else:
            root = draft.func
            while isinstance(root, Attr):
                root = root.base
            if isinstance(root, CallRef):
                result = self.may_resolve(root.call, verdict, bound, params, star)
            elif isinstance(root, Name):
                if root.id in params.get(draft.scope, ()):
                    # `param.update(...)`: the project pass may know what callers pass in
                    func = draft.func
                    result = (
                        isinstance(func, Attr) and func.base is root and func.attr in OBJECT_UPDATES
                    )
                else:
                    result = root.id in bound or star
            else:
                result = False
        verdict[index] = result
        return result

    def codegen_positions(self, tree: cst.Module) -> _Positions:
        """Exact positions from one code-generation pass (the fallback of `fast_positions`)."""
        targets = set(self.decorator_order)
        bodies: dict[int, int] = {}
        for fn in self.functions:
            targets.add(fn.node_id)
            targets.add(fn.body_id)
            bodies[fn.body_id] = fn.node_id
        targets.update(d.anchor_id for d in self.call_drafts.values() if d.anchor_id)
        state = _make_position_state(tree, targets)
        tree._codegen(state)
        found: dict[int, tuple[int, int]] = state.found
        header_end = {node: found[body][0] for body, node in bodies.items() if body in found}
        return _Positions(found, header_end, state.comments)

    def fast_positions(self, tree: cst.Module, source: bytes) -> _Positions | None:
        """Positions read off the source text, aligned with the tree; None when they do not align.

        Decorators and defs are statements, so the n-th decorator (def) line of the text is the
        n-th Decorator (FunctionDef) of the walk. Calls are located by their called name, only for
        the names a finding can point at (every call of such a name, so counts can be checked).
        """
        try:
            text = source.decode(tree.encoding)
        except (LookupError, UnicodeDecodeError):
            return None
        scan = _scan(text)
        if len(scan.decorators) != len(self.decorator_order) or len(scan.defs) != len(
            self.functions
        ):
            return None
        positions = _Positions(comments=scan.comments)
        found = positions.found
        for node_id, place in zip(self.decorator_order, scan.decorators):
            found[node_id] = place
        for fn, (line, column, end) in zip(self.functions, scan.defs):
            found[fn.node_id] = (line, column)
            positions.header_end[fn.node_id] = end
        by_name: dict[str, list[int]] = {}
        for name, index in self.anchor_order:
            if name in self.anchor_names:
                by_name.setdefault(name, []).append(index)
        calls = scan.calls_named(by_name)
        for name, indices in by_name.items():
            places = calls.get(name, [])
            if len(places) != len(indices):
                return None
            for index, place in zip(indices, places):
                if index >= 0:
                    found[self.call_drafts[index].anchor_id] = place
        return positions

    # -- expressions ------------------------------------------------------------------------------

    def index_of(self, node: cst.Call) -> int:
        key = id(node)
        index = self.call_index.get(key)
        if index is None:
            index = self.call_index[key] = len(self.call_index)
        return index

    def expr(self, node: cst.BaseExpression) -> Expr:
        """The symbolic form of an expression.

        Node classes are compared with `is`: libcst's are never subclassed, and `isinstance`
        against them is an (ABC) slow path in this hot function.
        """
        if type(node) is cst.Name:
            return Name(node.value)
        if type(node) is cst.Attribute:
            return Attr(self.expr(node.value), node.attr.value)
        if type(node) is cst.Call:
            func = node.func
            if type(func) is cst.Name and func.value == "dict":
                return self.dict_call(node)
            return CallRef(self.index_of(node))
        if type(node) is cst.SimpleString:
            text = _string_value(node)
            return Const(text) if isinstance(text, str) else OPAQUE
        if type(node) is cst.ConcatenatedString:
            joined = node.evaluated_value
            return Const(joined) if isinstance(joined, str) else OPAQUE
        if type(node) is cst.Integer:
            value = node.value
            return Const(int(value, 0)) if value.isdigit() else OPAQUE
        if type(node) is cst.Dict:
            return self.dict_literal(node)
        if type(node) is cst.Await:
            return self.expr(node.expression)
        return OPAQUE

    def annotated_class(self, node: cst.BaseExpression) -> Expr | None:
        """The class an annotation names: `C`, `m.C`, `"C"`, `C | None`, `Optional[C]`; else None."""
        if isinstance(node, cst.Name | cst.Attribute):
            return self.expr(node)
        if isinstance(node, cst.SimpleString):
            text = _string_value(node)
            match = _QUOTED_CLASS.fullmatch(text) if isinstance(text, str) else None
            if match is None:
                return None
            first, *rest = match.group(1).split(".")
            expr: Expr = Name(first)
            for attr in rest:
                expr = Attr(expr, attr)
            return expr
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
            if _is_none(node.right):
                return self.annotated_class(node.left)
            if _is_none(node.left):
                return self.annotated_class(node.right)
            return None
        if isinstance(node, cst.Subscript) and len(node.slice) == 1:
            element = node.slice[0].slice
            base = node.value
            name = base.attr if isinstance(base, cst.Attribute) else base
            optional = isinstance(name, cst.Name) and name.value == "Optional"
            if optional and isinstance(element, cst.Index):
                return self.annotated_class(element.value)
        return None

    def dict_literal(self, node: cst.Dict) -> DictExpr:
        keys: list[str] = []
        spreads: list[Expr] = []
        dynamic = False
        for element in node.elements:
            if isinstance(element, cst.StarredDictElement):
                spreads.append(self.expr(element.value))
            elif isinstance(element, cst.DictElement):
                key = self.expr(element.key)
                if isinstance(key, Const) and isinstance(key.value, str):
                    keys.append(key.value)
                else:
                    dynamic = True
        return DictExpr(tuple(keys), tuple(spreads), dynamic)

    def dict_call(self, node: cst.Call) -> DictExpr:
        """`dict(a=1, **base)` or `dict(base, a=1)`."""
        keys: list[str] = []
        spreads: list[Expr] = []
        for arg in node.args:
            if arg.keyword is not None:
                keys.append(arg.keyword.value)
            else:
                spreads.append(self.expr(arg.value))
        return DictExpr(tuple(keys), tuple(spreads), False)

    # -- the walk ---------------------------------------------------------------------------------

    def walk(self, node: cst.CSTNode) -> None:
        kind = type(node)
        visit = _DISPATCH.get(kind)
        if visit is not None:
            visit(self, node)
        elif kind in _INNER_TYPES:  # a leaf (a Name, a literal) holds nothing to record
            self.walk_children(node)

    def visit_string(self, node: cst.FormattedString) -> None:
        """The source scan blanks f-strings (and t-strings): calls inside get no place."""
        self.in_fstring += 1
        self.walk_children(node)
        self.in_fstring -= 1

    def visit_match_class(self, node: cst.MatchClass) -> None:
        """`case str():` reads like a call in the source text: keep its place in the order."""
        name = node.cls.attr if isinstance(node.cls, cst.Attribute) else node.cls
        if isinstance(name, cst.Name) and not self.in_fstring:
            self.anchor_order.append((name.value, -1))
        self.walk_children(node)

    def visit_if_exp(self, node: cst.IfExp) -> None:
        """`body if test else orelse`, walked in source order."""
        self.walk(node.body)
        self.walk(node.test)
        self.walk(node.orelse)

    def walk_children(self, node: cst.CSTNode) -> None:
        """Walk the fields of `node` that can hold nodes, in source order (`walk`, inlined)."""
        names = _FIELDS_CACHE.get(type(node))
        if names is None:
            names = _FIELDS_CACHE[type(node)] = _FIELD_ORDER.get(type(node).__name__) or tuple(
                name
                for name in node.__dataclass_fields__
                if name not in _SKIPPED_FIELDS
                and "whitespace" not in name
                and not name.startswith("__")
            )
        inner = _INNER_TYPES
        dispatch = _DISPATCH
        for name in names:
            value = getattr(node, name)
            kind = type(value)
            if kind in inner:
                visit = dispatch.get(kind)
                if visit is None:
                    self.walk_children(value)
                else:
                    visit(self, value)
            elif kind is tuple or kind is list:
                for item in value:
                    kind = type(item)
                    if kind in inner:
                        visit = dispatch.get(kind)
                        if visit is None:
                            self.walk_children(item)
                        else:
                            visit(self, item)

    def visit_call(self, node: cst.Call) -> None:
        index = self.index_of(node)
        args: list[Expr] = []
        kwargs: list[tuple[str, Expr]] = []
        for arg in node.args:
            if arg.keyword is not None:
                if arg.keyword.value in KEPT_KWARGS:
                    kwargs.append((arg.keyword.value, self.expr(arg.value)))
            elif not arg.star:
                args.append(self.expr(arg.value))
        func = node.func
        anchor_node = func.attr if type(func) is cst.Attribute else func
        anchor = anchor_node.value if type(anchor_node) is cst.Name else ""
        inner = self.index_of(func) if type(func) is cst.Call else -1
        draft = _CallDraft(
            self.scope,
            self.expr(func),
            tuple(args),
            tuple(kwargs),
            anchor,
            id(anchor_node) if anchor else 0,
            inner,
            tuple(self.withs),
        )
        self.call_drafts[index] = draft
        self.walk(func)
        if self.in_fstring:
            pass
        # a decorator applied by hand, `make(...)(fn)` or `deco(fn)`, is a finding's place too
        elif inner >= 0:
            innermost = self.call_drafts.get(inner)
            if innermost is not None and innermost.anchor:
                self.anchor_names.add(innermost.anchor)
        elif anchor and len(args) == 1 and not kwargs and isinstance(args[0], (Name, Attr)):
            self.anchor_names.add(anchor)
        if anchor and not self.in_fstring:
            self.anchor_order.append((anchor, index))
        for arg in node.args:
            self.walk(arg.value)

    def visit_function(self, node: cst.FunctionDef) -> None:
        qualname = f"{self.scope}.{node.name.value}" if self.scope else node.name.value
        params = node.params
        names = [
            p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)
        ]
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                names.append(star.name.value)
        param_types = []
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            kind = self.annotated_class(param.annotation.annotation) if param.annotation else None
            if kind is not None:
                param_types.append((param.name.value, kind))
        decorators = tuple(self.expr(d.decorator) for d in node.decorators)
        for decorator in node.decorators:
            self.decorator_order.append(id(decorator))
            self.walk(decorator.decorator)
        # defaults and annotations run in the enclosing scope
        self.walk(params)  # (defaults run in the enclosing scope; annotations are skipped)
        self.note_fallback(node.name.value)
        draft = _FunctionDraft(
            qualname=qualname,
            scope=self.scope,
            cls=self.scope if self.scope_is_class else "",
            params=tuple(names),
            param_types=tuple(param_types),
            decorators=decorators,
            node_id=id(node),
            body_id=id(node.body),
            decorator_ids=tuple(id(d) for d in node.decorators),
        )
        self.functions.append(draft)
        self.function_by_scope[qualname] = draft
        saved = (self.scope, self.scope_is_class, self.current_class, self.self_name, self.withs)
        saved_globals = self.global_names
        if self.scope_is_class and names:
            self.current_class, self.self_name = self.scope, names[0]
        else:
            self.current_class, self.self_name = "", ""
        self.scope, self.scope_is_class, self.withs = qualname, False, []
        self.global_names = set()
        self.walk(node.body)
        self.scope, self.scope_is_class, self.current_class, self.self_name, self.withs = saved
        self.global_names = saved_globals

    def visit_class(self, node: cst.ClassDef) -> None:
        qualname = f"{self.scope}.{node.name.value}" if self.scope else node.name.value
        for decorator in node.decorators:
            self.decorator_order.append(id(decorator))
            self.walk(decorator.decorator)
        bases = tuple(self.expr(arg.value) for arg in node.bases)
        for arg in (*node.bases, *node.keywords):
            self.walk(arg.value)
        self.classes.append(ClassFacts(qualname, self.scope, bases))
        saved = (self.scope, self.scope_is_class, self.current_class, self.self_name, self.withs)
        self.scope, self.scope_is_class, self.current_class, self.self_name = qualname, True, "", ""
        self.withs = []
        self.walk(node.body)
        self.scope, self.scope_is_class, self.current_class, self.self_name, self.withs = saved

    def visit_with(self, node: cst.With) -> None:
        opened: list[int] = []
        for item in node.items:
            value = item.item
            self.walk(value)
            index = -1
            if isinstance(value, cst.Call):
                index = self.index_of(value)
            elif isinstance(value, cst.Name):
                # `ctx = client.start_as_current_observation(...)` earlier, then `with ctx:`
                index = self.assigned_calls.get((self.scope, value.value), -1)
                draft = self.call_drafts.get(index)
                if draft is None or "as_current" not in draft.anchor:
                    index = -1
                else:
                    draft.withs = tuple(self.withs)  # it starts here, inside these blocks
            if index >= 0:
                self.call_drafts[index].is_with_item = True
                opened.append(index)
                # the next items are entered inside this one: `with propagate_attributes(...),
                # client.start_as_current_observation(...):` opens the observation in the first
                self.withs.append(index)
                if item.asname is not None and isinstance(item.asname.name, cst.Name):
                    self.bind(item.asname.name.value, CallRef(index))
        self.walk(node.body)
        del self.withs[len(self.withs) - len(opened) :]

    def visit_assign(self, node: cst.Assign | cst.AnnAssign) -> None:
        value = node.value
        targets = (
            [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
        )
        for target in targets:
            self.walk(target)
        if value is None:
            return
        symbolic = self.expr(value)
        for target in targets:
            if isinstance(target, cst.Name):
                self.bind(target.value, symbolic)
                if self.scope_is_class:
                    self.class_attrs.append(
                        ClassAttr(self.scope, target.value, self.scope, symbolic)
                    )
            elif (
                isinstance(target, cst.Attribute)
                and isinstance(target.value, cst.Name)
                and self.self_name
                and target.value.value == self.self_name
            ):
                self.class_attrs.append(
                    ClassAttr(self.current_class, target.attr.value, self.scope, symbolic)
                )
            elif isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
                key = self.subscript_key(target)
                # `meta[key] = ...` with a key only known at run time: its keys are unknowable
                keys = DictExpr((key,)) if key is not None else DictExpr(dynamic=True)
                self.bindings.append(Binding(self.scope, target.value.value, keys, partial=True))
        self.walk(value)

    def subscript_key(self, node: cst.Subscript) -> str | None:
        if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
            return None
        key = self.expr(node.slice[0].slice.value)
        return key.value if isinstance(key, Const) and isinstance(key.value, str) else None

    def bind(self, name: str, value: Expr) -> None:
        self.note_fallback(name)
        # `global _client` then `_client = Langfuse()` binds the module's `_client`
        scope = "" if name in self.global_names else self.scope
        self.bindings.append(Binding(scope, name, value))
        if isinstance(value, CallRef):
            self.assigned_calls[(scope, name)] = value.call
        else:
            self.assigned_calls.pop((scope, name), None)

    def visit_global(self, node: cst.Global) -> None:
        self.global_names.update(item.name.value for item in node.names)

    def note_fallback(self, name: str) -> None:
        """Remember `name` if this binds again, as an import fallback, a name imported here."""
        if self.in_import_fallback and (self.scope, name) in self.imported:
            self.import_fallbacks[(self.scope, name)] = None

    def visit_except(self, node: cst.ExceptHandler | cst.ExceptStarHandler) -> None:
        """`except ImportError:` bodies bind fallbacks for what the `try` imported."""
        fallback = _catches_import_error(node.type)
        self.in_import_fallback += fallback
        self.walk_children(node)
        self.in_import_fallback -= fallback

    def visit_return(self, node: cst.Return) -> None:
        if node.value is None:
            return
        draft = self.function_by_scope.get(self.scope)
        if draft is not None:
            draft.returns.append(self.expr(node.value))
        self.walk(node.value)

    def visit_import(self, node: cst.Import | cst.ImportFrom) -> None:
        if isinstance(node, cst.Import):
            for alias in node.names:
                dotted = _dotted(alias.name)
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    self.add_import(alias.asname.name.value, dotted)
                else:
                    head = dotted.partition(".")[0]
                    self.add_import(head, head)
            return
        source = _dotted(node.module) if node.module is not None else ""
        base = resolve_relative(self.module, self.is_package, len(node.relative), source)
        if isinstance(node.names, cst.ImportStar):
            self.imports.append(Import(self.scope, "*", base))
            return
        for alias in node.names:
            name = _dotted(alias.name)
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            self.add_import(local, f"{base}.{name}" if base else name)

    def add_import(self, local: str, target: str) -> None:
        """Record `import target as local`; a fallback import of an imported name is not one."""
        if self.in_import_fallback and (self.scope, local) in self.imported:
            self.import_fallbacks[(self.scope, local)] = None  # the `try`'s import is what runs
            return
        self.imported.add((self.scope, local))
        self.imports.append(Import(self.scope, local, target))


_FALLBACK_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})


def _catches_import_error(node: cst.BaseExpression | None) -> bool:
    """Whether an `except` clause catches a failed import (a bare `except:` does)."""
    if node is None:
        return True
    if isinstance(node, cst.Tuple):
        return any(_catches_import_error(element.value) for element in node.elements)
    name = node.attr if isinstance(node, cst.Attribute) else node
    return isinstance(name, cst.Name) and name.value in _FALLBACK_ERRORS


def _root_name(expr: Expr) -> str:
    while isinstance(expr, Attr):
        expr = expr.base
    return expr.id if isinstance(expr, Name) else ""


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return str(node.value)
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


@dataclass
class _Remap:
    """Renumbers call references after dropped calls; a reference to a dropped call becomes opaque.

    Equal results are also made one object (`interned`, shared by every file a process extracts):
    files name the same things again and again (`get_client`, `observe`...), and the cache's
    pickle then stores, and a warm run rebuilds, each of them once.
    """

    index: dict[int, int]
    interned: dict[Expr, Expr] = field(default_factory=dict)

    def __call__(self, expr: Expr) -> Expr:
        if isinstance(expr, CallRef):
            new = self.index.get(expr.call)
            expr = OPAQUE if new is None else CallRef(new)
        elif isinstance(expr, Attr):
            base = self(expr.base)
            if base is not expr.base:
                expr = Attr(base, expr.attr)
        elif isinstance(expr, DictExpr) and expr.spreads:
            expr = DictExpr(expr.keys, tuple(self(s) for s in expr.spreads), expr.dynamic)
        return self.interned.setdefault(expr, expr)


#: The expressions `_Remap` has made one object of, across files (immutable, so safely shared).
_INTERNED: dict[Expr, Expr] = {}

_NODE_TYPES: tuple[frozenset[type], frozenset[type]] | None = None
_INNER_TYPES: frozenset[type] = frozenset()  # _NODE_TYPES[0], for the walk's inner loop
# node class -> the _Extractor method that handles it (filled with the libcst classes on first use)
_DISPATCH: dict[type, Callable[[_Extractor, Any], None]] = {}
# nodes that can hold no call, binding or definition: the walk never enters them
_LEAF_NAMES = (
    "Name",
    "SimpleString",
    "Integer",
    "Float",
    "Imaginary",
    "Ellipsis",
    "Pass",
    "Break",
    "Continue",
    "Comment",
    "EmptyLine",
    "Newline",
    "SimpleWhitespace",
    "ParenthesizedWhitespace",
    "TrailingWhitespace",
    "Semicolon",
    "Comma",
    "Dot",
    "Colon",
    "AssignEqual",
    "LeftParen",
    "RightParen",
    "LeftSquareBracket",
    "RightSquareBracket",
    "LeftCurlyBrace",
    "RightCurlyBrace",
    "ImportStar",
    "Nonlocal",
)


def _node_types() -> tuple[frozenset[type], frozenset[type]]:
    """(libcst node classes worth entering, leaf node classes), computed once.

    A set lookup on `type(value)` is much faster than `isinstance(value, CSTNode)`, an ABC check.
    """
    global _NODE_TYPES, _INNER_TYPES
    if _NODE_TYPES is None:
        classes = {
            value
            for value in vars(cst).values()
            if isinstance(value, type) and issubclass(value, cst.CSTNode)
        }
        leaves = frozenset(getattr(cst, name) for name in _LEAF_NAMES if hasattr(cst, name))
        _NODE_TYPES = (frozenset(classes - leaves), leaves)
        _INNER_TYPES = _NODE_TYPES[0]
        _DISPATCH.update(
            {
                cst.Call: _Extractor.visit_call,
                cst.FunctionDef: _Extractor.visit_function,
                cst.ClassDef: _Extractor.visit_class,
                cst.With: _Extractor.visit_with,
                cst.Assign: _Extractor.visit_assign,
                cst.AnnAssign: _Extractor.visit_assign,
                cst.Return: _Extractor.visit_return,
                cst.Import: _Extractor.visit_import,
                cst.ImportFrom: _Extractor.visit_import,
                cst.FormattedString: _Extractor.visit_string,
                cst.MatchClass: _Extractor.visit_match_class,
                cst.ExceptHandler: _Extractor.visit_except,
                cst.Global: _Extractor.visit_global,
                cst.ExceptStarHandler: _Extractor.visit_except,
                cst.IfExp: _Extractor.visit_if_exp,
            }
        )
        templated = getattr(cst, "TemplatedString", None)  # Python 3.14 t-strings
        if templated is not None:
            _DISPATCH[templated] = _Extractor.visit_string
    return _NODE_TYPES


def _string_value(node: cst.SimpleString) -> str | bytes:
    """A string literal's value, without `ast.literal_eval` for the common plain literals."""
    raw = node.value
    prefix = node.prefix.lower()
    if "b" not in prefix and "f" not in prefix and ("\\" not in raw or "r" in prefix):
        quote = node.quote
        return raw[len(prefix) + len(quote) : len(raw) - len(quote)]
    return node.evaluated_value


# -- the source scan behind fast_positions ------------------------------------------------------------

_STRING_OR_COMMENT = re.compile(
    r"#[^\r\n]*"
    r"|'''(?:[^'\\]|\\.|'(?!''))*(?:'''|\Z)"
    r'|"""(?:[^"\\]|\\.|"(?!""))*(?:"""|\Z)'
    r"|'(?:[^'\\\r\n]|\\.)*'?"
    r'|"(?:[^"\\\r\n]|\\.)*"?',
    re.DOTALL,
)
_TEMPLATE_PREFIXES = frozenset({"f", "rf", "fr", "t", "rt", "tr"})
# in an f-string's text or format spec: what may end it, escape, or open or close a field
_TEXT_STOP = re.compile(r"[\\{}\n'\"]")
# in a replacement field: brackets, strings, comments, line continuations, a format spec's colon
_FIELD_STOP = re.compile(r"[\\{}()\[\]'\"#:]")
_TEXT, _FIELD, _SPEC = 0, 1, 2
# The inside of an f-string that the regex reads right: its fields (and the fields nested one level
# in a format spec) hold no comment, backslash, line break or brace in a string, and only strings
# of the other quote (the regex stopped at the first quote of its own); its text has no backslash
# before a brace. No two alternatives start alike and every repetition is possessive: linear time.
_PLAIN_FIELD = r"""(?:[^{}'"#\\\n]++|'[^{}'"#\\\n]*+'|"[^{}'"#\\\n]*+")*+"""
_PLAIN_TEMPLATE = re.compile(
    r"(?:[^{}\\]++|\\[^{}N]|\{\{|\}\}"
    rf"|\{{(?!\{{){_PLAIN_FIELD}(?:\{{{_PLAIN_FIELD}\}}{_PLAIN_FIELD})*+\}})*+"
)
_CR_NEWLINE = re.compile(r"\r\n?")
_NOT_NEWLINE = re.compile(r"[^\n]")
_CALL_OPENING = re.compile(r"\s*\(")
# what ends a logical line: brackets change the depth, a backslash-newline continues the line
_LOGICAL_LINE_TOKENS = re.compile(r"[()\[\]{}\n]|\\\n")
_DEF_OR_CLASS_BEFORE = re.compile(r"(?:def|class)\s+$")
_OPENING = frozenset("([{")


@dataclass
class _Scan:
    """The source with strings and comments blanked out, and its decorator and def lines."""

    masked: str  # with every newline written as "\n"
    decorators: list[tuple[int, int]]  # (line, 0-based column) of each `@`, in order
    defs: list[tuple[int, int, int]]  # (line, column, header end line) of each `def`, in order
    comments: list[tuple[int, str]]  # suppression-looking comments (line, text)

    def calls_named(self, names: Iterable[str]) -> dict[str, list[tuple[int, int]]]:
        """Where each `name(` occurs as a call (not in a string, comment, `def` or `class` line)."""
        masked = self.masked
        hits: list[tuple[int, str]] = []
        for name in names:
            for start in _occurrences(masked, name):
                before = masked[start - 1] if start else " "
                if before.isalnum() or before == "_":
                    continue  # the end of a longer name
                if _CALL_OPENING.match(masked, start + len(name)) is None:
                    continue  # not called here (or the start of a longer name)
                if _DEF_OR_CLASS_BEFORE.search(masked, max(0, start - 16), start):
                    continue
                hits.append((start, name))
        hits.sort()
        found: dict[str, list[tuple[int, int]]] = {}
        for (_, name), place in zip(hits, _places(masked, [start for start, _ in hits])):
            found.setdefault(name, []).append(place)
        return found


def _occurrences(text: str, needle: str) -> Iterator[int]:
    """Every offset of `needle` in `text` (`str.find`: far faster here than a regex search)."""
    position = text.find(needle)
    while position != -1:
        yield position
        position = text.find(needle, position + 1)


def _heads(masked: str) -> list[tuple[int, bool]]:
    """(offset, is a decorator) of every `@` and `[async] def` that starts a line, in order.

    The offset is where the statement starts: the `@`, the `def`, or the `async` before it.
    """
    heads = []
    for token, is_decorator in (("@", True), ("def", False)):
        for offset in _occurrences(masked, token):
            line_start = masked.rfind("\n", 0, offset) + 1
            before = masked[line_start:offset].lstrip(" \t\f")
            if is_decorator:
                if not before:
                    heads.append((offset, True))
                continue
            if not masked[offset + 3 : offset + 4].isspace():
                continue  # `default`, `define(...)`: not the keyword
            if not before:
                heads.append((offset, False))
            elif before.rstrip(" \t\f") == "async" and before[-1] != "c":
                heads.append((offset - len(before), False))
    heads.sort()
    return heads


def _scan(text: str) -> _Scan:
    """Blank strings and comments, then find the logical lines that start with `@` or `def`.

    Every line starting with `@` or `def` is taken, even one inside brackets (`@` as matrix
    multiplication); such an extra line only makes the counts disagree with the tree, and the
    caller then falls back to exact positions.
    """
    if "\r" in text:
        text = _CR_NEWLINE.sub("\n", text)  # lines and columns are all that is reported
    masked, comment_offsets = _mask(text)
    heads = _heads(masked)
    header_ends = {
        offset: _logical_line_end(masked, offset)
        for offset, is_decorator in heads
        if not is_decorator
    }
    offsets = sorted(
        {offset for offset, _ in heads} | set(header_ends.values()) | set(comment_offsets)
    )
    place = dict(zip(offsets, _places(masked, offsets)))
    scan = _Scan(
        masked, [], [], [(place[offset][0], chunk) for offset, chunk in comment_offsets.items()]
    )
    for offset, is_decorator in heads:
        if is_decorator:
            scan.decorators.append(place[offset])
        else:
            line, column = place[offset]
            scan.defs.append((line, column, place[header_ends[offset]][0]))
    return scan


def _mask(text: str) -> tuple[str, dict[int, str]]:
    """`text` with strings and comments blanked (newlines kept), and its suppression comments.

    `_STRING_OR_COMMENT` reads an f-string (or t-string) as a plain string, which is right until a
    replacement field holds a quote of its own kind, a comment or a line break (PEP 701:
    `f"{d["k"]}"`). So an f-string with a `{` that is not plainly right (`_PLAIN_TEMPLATE`) is
    measured by `_template_end`, which reads its fields as code; when it ends elsewhere than the
    regex's match, the text is blanked match by match, the regex starting over after each such one.
    """
    comments: dict[int, str] = {}  # offset -> text of each comment that may be a suppression

    def blank(match: re.Match[str]) -> str:
        chunk = match.group()
        if chunk[0] == "#":
            if _SUPPRESSION_HINT.search(chunk):
                comments[match.start()] = chunk
        else:
            if "{" in chunk:
                start, end = match.span()
                if (
                    chunk[-1] != chunk[0]
                    or len(chunk) < 2
                    or _PLAIN_TEMPLATE.fullmatch(text, start + 1, end - 1) is None
                ) and _is_template(text, start):
                    real_end = _template_end(text, start, comments)
                    if real_end != end:
                        raise _Misread(start, real_end)
            if "\n" in chunk:
                return _NOT_NEWLINE.sub(" ", chunk)
        return " " * len(chunk)

    try:
        return _STRING_OR_COMMENT.sub(blank, text), comments
    except _Misread:
        pass
    pieces = []
    done = 0  # text[:done] is blanked into pieces
    while True:
        for match in _STRING_OR_COMMENT.finditer(text, done):
            pieces.append(text[done : match.start()])
            try:
                pieces.append(blank(match))
            except _Misread as misread:
                start, done = misread.args
                pieces.append(_NOT_NEWLINE.sub(" ", text[start:done]))
                break  # start the regex over where the f-string ends
            done = match.end()
        else:
            pieces.append(text[done:])
            return "".join(pieces), comments


class _Misread(Exception):
    """An f-string that `_STRING_OR_COMMENT` reads wrong: (where it starts, where it ends)."""


def _is_template(text: str, quote: int) -> bool:
    """Whether the string literal whose quote is at `quote` is an f-string or a t-string."""
    start = quote
    while start > quote - 3 and start and text[start - 1] in "rRfFtTbBuU":
        start -= 1
    if start == quote or text[start:quote].lower() not in _TEMPLATE_PREFIXES:
        return False
    before = text[start - 1 : start]
    return not (before.isalnum() or before == "_")  # `elif"..."`: a keyword, then a plain string


def _template_end(text: str, quote: int, comments: dict[int, str]) -> int:
    """Where the f-string (or t-string) whose opening quote is at `quote` ends.

    Replacement fields are read as code: brackets, nested strings (f-strings among them), and
    comments, whose suppression-looking ones are added to `comments` (they are real comments). A
    top-level `:` starts a format spec, read as string text in which `{` opens a nested field.
    Rawness does not matter: a backslash never ends a string nor starts a field, and a named
    escape (`\\N{DASH}`) reads like a field that ends at the same `}`.
    """
    # frames, innermost last: [kind, quote, bracket depth] for the text of an f-string (_TEXT), a
    # replacement field (_FIELD) and a format spec (_SPEC); the last two keep their f-string's quote
    frames: list[list[Any]] = [[_TEXT, _quote_at(text, quote), 0]]
    position = quote + len(frames[0][1])
    size = len(text)
    while frames:
        frame = frames[-1]
        kind, delimiter = frame[0], frame[1]
        if kind == _FIELD:
            match = _FIELD_STOP.search(text, position)
            if match is None:
                return size
            position = match.end()
            char = match.group()
            if char in "([{":
                frame[2] += 1
            elif char in ")]":
                frame[2] = max(frame[2] - 1, 0)
            elif char == "}":
                if frame[2]:
                    frame[2] -= 1
                else:
                    frames.pop()  # the field ends; the text (or format spec) around it goes on
            elif char == ":":
                if not frame[2]:
                    frame[0] = _SPEC
            elif char == "#":
                end = text.find("\n", position)
                end = size if end < 0 else end
                if _SUPPRESSION_HINT.search(text, position, end):
                    comments[position - 1] = text[position - 1 : end]
                position = end
            elif char == "\\":
                position += 1  # a line continuation
            elif _is_template(text, position - 1):
                frames.append([_TEXT, _quote_at(text, position - 1), 0])
                position += len(frames[-1][1]) - 1
            else:
                string = _STRING_OR_COMMENT.match(text, position - 1)
                position = string.end() if string else position
            continue
        match = _TEXT_STOP.search(text, position)
        if match is None:
            return size
        position = match.start()
        char = match.group()
        if char == "\\":  # an escaped character; `\{` is a backslash, then a field
            position += 1 if text.startswith(("{", "}"), position + 1) else 2
        elif char == "{":
            if kind == _TEXT and text.startswith("{", position + 1):
                position += 2  # `{{`
            else:
                frames.append([_FIELD, delimiter, 0])
                position += 1
        elif char == "}":
            if kind == _SPEC:
                frames.pop()  # the end of the field the format spec belongs to
                position += 1
            else:
                position += 2 if text.startswith("}", position + 1) else 1  # `}}`
        elif char == "\n":
            if len(delimiter) == 1:
                return position  # unterminated (the regex ends such a string there too)
            position += 1
        elif text.startswith(delimiter, position):
            position += len(delimiter)
            while frames and frames.pop()[0] != _TEXT:
                pass  # (a quote in a format spec ends its f-string too)
        else:
            position += 1  # the other quote, or one quote in a triple-quoted f-string
    return position


def _quote_at(text: str, offset: int) -> str:
    """The quote (one or three characters) that opens the string whose quote is at `offset`."""
    char = text[offset]
    return char * 3 if text.startswith(char * 3, offset) else char


def _logical_line_end(masked: str, offset: int) -> int:
    """The offset of the newline that ends the logical line running through `offset`."""
    depth = 0
    for match in _LOGICAL_LINE_TOKENS.finditer(masked, offset):
        token = match.group()
        if token == "\n":
            if depth == 0:
                return match.start()
        elif token in _OPENING:
            depth += 1
        elif len(token) == 1:
            depth = max(depth - 1, 0)
    return len(masked)


def _places(text: str, offsets: list[int]) -> list[tuple[int, int]]:
    """(line, 0-based column) of each offset in `text` (offsets ascending), in one pass."""
    places = []
    line, previous = 1, 0
    for offset in offsets:
        line += text.count("\n", previous, offset)
        previous = offset
        places.append((line, offset - text.rfind("\n", 0, offset) - 1))
    return places


def _make_position_state(tree: cst.Module, targets: set[int]) -> Any:
    """A libcst CodegenState that records where target nodes and suppression comments start."""
    from libcst._nodes.internal import CodegenState  # the documented codegen hook point

    syntactic = (cst.FunctionDef, cst.Decorator)

    class PositionState(CodegenState):
        def __init__(self) -> None:
            super().__init__(
                default_indent=tree.default_indent, default_newline=tree.default_newline
            )
            self.found: dict[int, tuple[int, int]] = {}
            self.comments: list[tuple[int, str]] = []
            self._done = 0
            self._line = 1
            self._column = 0

        def here(self) -> tuple[int, int]:
            tokens = self.tokens
            line, column = self._line, self._column
            for index in range(self._done, len(tokens)):
                token = tokens[index]
                if "\n" in token or "\r" in token:
                    pieces = re.split(r"\r\n?|\n", token)
                    line += len(pieces) - 1
                    column = len(pieces[-1])
                else:
                    column += len(token)
            self._done, self._line, self._column = len(tokens), line, column
            return line, column

        def before_codegen(self, node: cst.CSTNode) -> None:
            if id(node) in targets:
                self.found[id(node)] = self.here()
            elif type(node) is cst.Comment and _SUPPRESSION_HINT.search(node.value):
                self.comments.append((self.here()[0], node.value))

        @contextmanager
        def record_syntactic_position(
            self, node: cst.CSTNode, *, start_node: Any = None, end_node: Any = None
        ) -> Iterator[None]:
            # a def and a decorator start at `def` / `@`, after their leading blank lines and comments
            if id(node) in targets and type(node) in syntactic:
                self.found[id(node)] = self.here()
            yield

    return PositionState()
