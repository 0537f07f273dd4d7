"""Per-file extraction: one libcst parse, one walk and one position pass -> FileFacts.

The walk records a symbolic summary (imports, bindings, functions, classes, calls) without resolving
anything across files; `project.analyze` does that. Positions come from a single code-generation
pass that records line and column only for the nodes a finding may point at, which costs far less
than libcst's PositionProvider. Comments are seen in that same pass, so suppression comments inside
strings never count.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pytest_agentcost.config import Config
from pytest_agentcost.lint.facts import (
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
from pytest_agentcost.lint.suppress import parse_suppression

if TYPE_CHECKING:
    import libcst as cst
else:
    cst = None  # imported on first use, so importing this module (and warm cached runs) stay light

__all__ = ["extract_file", "relevance_tokens"]

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
)

_SUPPRESSION_HINT = re.compile(r"agentcost|noqa", re.IGNORECASE)

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
    }
)
_FIELDS_CACHE: dict[type, tuple[str, ...]] = {}


def relevance_tokens(config: Config) -> tuple[bytes, ...]:
    """Byte strings of which a file must contain at least one to involve Langfuse by itself."""
    extra = tuple(
        alias.rpartition(".")[2].encode() for alias in config.observe_aliases if alias.rpartition(".")[2]
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
            return FileError(path, 1, 1, f"libcst is not installed ({exc}); run `pip install libcst`.")
    try:
        tree = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        return FileError(path, exc.editor_line, exc.editor_column, f"syntax error: {exc.message}")
    except UnicodeDecodeError as exc:
        line, column = _offset_position(source, exc.start)
        return FileError(
            path,
            line,
            column,
            f"cannot decode the file ({exc.reason}, byte {exc.object[exc.start:exc.start + 1]!r}); "
            "save it as UTF-8 or fix its coding declaration.",
        )
    except SyntaxError as exc:
        return FileError(
            path,
            exc.lineno or 1,
            exc.offset or 1,
            f"cannot decode the file ({exc.msg}); save it as UTF-8 or fix its coding declaration.",
        )
    except Exception as exc:  # noqa: BLE001 - no input may crash the checker
        return FileError(path, 1, 1, f"cannot parse the file: {type(exc).__name__}: {exc}")
    try:
        return _Extractor(path=path, module=module, is_package=is_package).run(tree)
    except RecursionError:
        return FileError(path, 1, 1, "the file nests too deeply to analyse; split the deepest expression.")
    except Exception as exc:  # noqa: BLE001 - report, never crash
        return FileError(path, 1, 1, f"internal error while analysing the file: {type(exc).__name__}: {exc}")


def _import_libcst() -> None:
    global cst
    import libcst

    cst = libcst


def _offset_position(source: bytes, offset: int) -> tuple[int, int]:
    line = source.count(b"\n", 0, offset) + 1
    return line, offset - (source.rfind(b"\n", 0, offset) + 1) + 1


@dataclass
class _CallDraft:
    scope: str
    func: Expr
    args: tuple[Expr, ...]
    kwargs: tuple[tuple[str, Expr], ...]
    node_id: int
    withs: tuple[int, ...]
    is_with_item: bool = False


@dataclass
class _FunctionDraft:
    qualname: str
    scope: str
    cls: str
    params: tuple[str, ...]
    decorators: tuple[Expr, ...]
    anchor_id: int  # the first decorator, or the def itself
    anchor_is_decorator: bool
    def_id: int
    body_id: int
    decorator_ids: tuple[int, ...]
    returns: list[Expr] = field(default_factory=list)


class _Extractor:
    """The single walk over one module."""

    def __init__(self, *, path: str, module: str, is_package: bool) -> None:
        self.path = path
        self.module = module
        self.is_package = is_package
        self.call_index: dict[int, int] = {}  # id(Call node) -> index
        self.call_drafts: dict[int, _CallDraft] = {}
        self.functions: list[_FunctionDraft] = []
        self.function_by_scope: dict[str, _FunctionDraft] = {}
        self.classes: list[ClassFacts] = []
        self.imports: list[Import] = []
        self.bindings: list[Binding] = []
        self.class_attrs: list[ClassAttr] = []
        self.targets: set[int] = set()
        self.scope = ""
        self.scope_is_class = False
        self.current_class = ""  # the class whose method we are in, for self.x bindings
        self.self_name = ""
        self.withs: list[int] = []
        self.keep_alive: list[object] = []  # nodes whose id() we key on

    # -- driver -------------------------------------------------------------------------------

    def run(self, tree: cst.Module) -> FileFacts:
        for statement in tree.body:
            self.walk(statement)
        positions, comments = self.positions(tree)
        calls = []
        for index in range(len(self.call_index)):
            draft = self.call_drafts.get(index)
            if draft is None:  # referenced but never walked: keep indices dense
                calls.append(CallFacts("", OPAQUE, (), (), 0, 0))
                continue
            line, column = positions.get(draft.node_id, (0, 0))
            calls.append(
                CallFacts(
                    draft.scope, draft.func, draft.args, draft.kwargs, line, column + 1,
                    draft.withs, draft.is_with_item,
                )
            )
        functions = []
        for fn in self.functions:
            line, column = positions.get(fn.anchor_id, (0, 0))
            def_line = positions.get(fn.def_id, (line, 0))[0]
            body_line = positions.get(fn.body_id, (def_line, 0))[0]
            header = {def_line, *range(line, body_line + 1)}
            functions.append(
                FunctionFacts(
                    fn.qualname, fn.scope, fn.cls, fn.params, fn.decorators, tuple(fn.returns),
                    line, column + 1, tuple(sorted(header)),
                )
            )
        suppressions = []
        for line, text in comments:
            codes = parse_suppression(text)
            if codes is not None:
                suppressions.append((line, codes))
        return FileFacts(
            path=self.path,
            module=self.module,
            is_package=self.is_package,
            imports=tuple(self.imports),
            bindings=tuple(self.bindings),
            class_attrs=tuple(self.class_attrs),
            functions=tuple(functions),
            classes=tuple(self.classes),
            calls=tuple(calls),
            suppressions=tuple(suppressions),
        )

    def positions(self, tree: cst.Module) -> tuple[dict[int, tuple[int, int]], list[tuple[int, str]]]:
        """One code-generation pass that records (line, 0-based column) of the target nodes."""
        state = _make_position_state(tree, self.targets)
        tree._codegen(state)
        return state.found, state.comments

    # -- expressions ------------------------------------------------------------------------------

    def index_of(self, node: cst.Call) -> int:
        key = id(node)
        index = self.call_index.get(key)
        if index is None:
            index = self.call_index[key] = len(self.call_index)
            self.keep_alive.append(node)
        return index

    def expr(self, node: cst.BaseExpression) -> Expr:
        """The symbolic form of an expression."""
        if isinstance(node, cst.Name):
            return Name(node.value)
        if isinstance(node, cst.Attribute):
            return Attr(self.expr(node.value), node.attr.value)
        if isinstance(node, cst.Call):
            if isinstance(node.func, cst.Name) and node.func.value == "dict":
                return self.dict_call(node)
            return CallRef(self.index_of(node))
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            value = node.evaluated_value
            return Const(value) if isinstance(value, str) else OPAQUE
        if isinstance(node, cst.Integer):
            return Const(int(node.value, 0)) if node.value.isdigit() else OPAQUE
        if isinstance(node, cst.Dict):
            return self.dict_literal(node)
        if isinstance(node, cst.Await):
            return self.expr(node.expression)
        return OPAQUE

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
        if kind is cst.Call:
            self.visit_call(node)  # type: ignore[arg-type]
        elif kind is cst.FunctionDef:
            self.visit_function(node)  # type: ignore[arg-type]
        elif kind is cst.ClassDef:
            self.visit_class(node)  # type: ignore[arg-type]
        elif kind is cst.With:
            self.visit_with(node)  # type: ignore[arg-type]
        elif kind is cst.Assign or kind is cst.AnnAssign:
            self.visit_assign(node)  # type: ignore[arg-type]
        elif kind is cst.Return:
            self.visit_return(node)  # type: ignore[arg-type]
        elif kind is cst.Import or kind is cst.ImportFrom:
            self.visit_import(node)  # type: ignore[arg-type]
        else:
            self.walk_children(node)

    def walk_children(self, node: cst.CSTNode) -> None:
        names = _FIELDS_CACHE.get(type(node))
        if names is None:
            names = _FIELDS_CACHE[type(node)] = tuple(
                name
                for name in node.__dataclass_fields__
                if name not in _SKIPPED_FIELDS and "whitespace" not in name
            )
        base = cst.CSTNode
        for name in names:
            value = getattr(node, name)
            if isinstance(value, base):
                self.walk(value)
            elif type(value) is tuple or type(value) is list:
                for item in value:
                    if isinstance(item, base):
                        self.walk(item)

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
        self.call_drafts[index] = _CallDraft(
            self.scope, self.expr(node.func), tuple(args), tuple(kwargs), id(node), tuple(self.withs)
        )
        self.targets.add(id(node))
        self.walk(node.func)
        for arg in node.args:
            self.walk(arg.value)

    def visit_function(self, node: cst.FunctionDef) -> None:
        qualname = f"{self.scope}.{node.name.value}" if self.scope else node.name.value
        params = node.params
        names = [p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)]
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                names.append(star.name.value)
        decorators = tuple(self.expr(d.decorator) for d in node.decorators)
        for decorator in node.decorators:
            self.walk(decorator.decorator)
        anchor: cst.CSTNode = node.decorators[0] if node.decorators else node
        draft = _FunctionDraft(
            qualname=qualname,
            scope=self.scope,
            cls=self.scope if self.scope_is_class else "",
            params=tuple(names),
            decorators=decorators,
            anchor_id=id(anchor),
            anchor_is_decorator=bool(node.decorators),
            def_id=id(node),
            body_id=id(node.body),
            decorator_ids=tuple(id(d) for d in node.decorators),
        )
        self.targets.update((id(anchor), id(node), id(node.body)))
        self.keep_alive.append(node)
        self.functions.append(draft)
        self.function_by_scope[qualname] = draft
        saved = (self.scope, self.scope_is_class, self.current_class, self.self_name, self.withs)
        if self.scope_is_class and names:
            self.current_class, self.self_name = self.scope, names[0]
        else:
            self.current_class, self.self_name = "", ""
        self.scope, self.scope_is_class, self.withs = qualname, False, []
        self.walk(node.body)
        self.scope, self.scope_is_class, self.current_class, self.self_name, self.withs = saved

    def visit_class(self, node: cst.ClassDef) -> None:
        qualname = f"{self.scope}.{node.name.value}" if self.scope else node.name.value
        for decorator in node.decorators:
            self.walk(decorator.decorator)
        bases = tuple(self.expr(arg.value) for arg in node.bases)
        for arg in node.bases:
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
            if isinstance(value, cst.Call):
                index = self.index_of(value)
                self.call_drafts[index].is_with_item = True
                opened.append(index)
                if item.asname is not None and isinstance(item.asname.name, cst.Name):
                    self.bind(item.asname.name.value, CallRef(index))
        self.withs.extend(opened)
        self.walk(node.body)
        del self.withs[len(self.withs) - len(opened):]

    def visit_assign(self, node: cst.Assign | cst.AnnAssign) -> None:
        value = node.value
        if value is None:
            return
        targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
        symbolic = self.expr(value)
        for target in targets:
            if isinstance(target, cst.Name):
                self.bind(target.value, symbolic)
                if self.scope_is_class:
                    self.class_attrs.append(ClassAttr(self.scope, target.value, self.scope, symbolic))
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
                if key is not None:
                    self.bindings.append(
                        Binding(self.scope, target.value.value, DictExpr((key,)), partial=True)
                    )
        self.walk(value)

    def subscript_key(self, node: cst.Subscript) -> str | None:
        if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
            return None
        key = self.expr(node.slice[0].slice.value)
        return key.value if isinstance(key, Const) and isinstance(key.value, str) else None

    def bind(self, name: str, value: Expr) -> None:
        self.bindings.append(Binding(self.scope, name, value))

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
                    self.imports.append(Import(self.scope, alias.asname.name.value, dotted))
                else:
                    head = dotted.partition(".")[0]
                    self.imports.append(Import(self.scope, head, head))
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
            self.imports.append(Import(self.scope, local, f"{base}.{name}" if base else name))


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return str(node.value)
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


def _make_position_state(tree: cst.Module, targets: set[int]) -> Any:
    """A libcst CodegenState that records where target nodes and suppression comments start."""
    from libcst._nodes.internal import CodegenState  # the documented codegen hook point

    syntactic = (cst.FunctionDef, cst.Decorator)

    class PositionState(CodegenState):
        def __init__(self) -> None:
            super().__init__(default_indent=tree.default_indent, default_newline=tree.default_newline)
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
