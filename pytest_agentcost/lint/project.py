"""Project-wide resolution: names across modules, the call graph, observations, roots, then the rules.

Works on FileFacts only. `Resolver.value` turns a symbolic expression into an abstract value
(a Langfuse name, a client, an observation object, an observe decorator, a project function...);
`analyze` classifies every recorded call with it, builds the project model the rules read and
applies suppressions. Every lookup is memoised and cycle-safe, so no input can make it loop.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from pytest_agentcost.config import Config
from pytest_agentcost.lint.facts import (
    CREATORS,
    OBJECT_UPDATES,
    OPENAI_CLIENTS,
    OPENAI_CREATORS,
    OPENAI_WRAPPER,
    Attr,
    CallFacts,
    CallRef,
    Const,
    DictExpr,
    Expr,
    FileFacts,
    FunctionFacts,
    Name,
)
from pytest_agentcost.lint.model import Finding
from pytest_agentcost.lint.rules import RULES
from pytest_agentcost.lint.rules.base import GenerationSite, ProjectModel, RootSite, Site
from pytest_agentcost.lint.suppress import apply_suppressions

__all__ = ["analyze", "build_model"]

OBSERVE_V3 = frozenset({"langfuse.observe", "langfuse._client.observe.observe"})
OBSERVE_V2 = frozenset(
    {"langfuse.decorators.observe", "langfuse.decorators.langfuse_decorator.observe"}
)
CONTEXT_V2 = frozenset(
    {
        "langfuse.decorators.langfuse_context",
        "langfuse.decorators.langfuse_decorator.langfuse_context",
    }
)
CLIENT_FACTORIES = frozenset(
    {
        "langfuse.Langfuse",
        "langfuse.get_client",
        "langfuse.client.Langfuse",
        "langfuse._client.client.Langfuse",
    }
)
PROPAGATE = frozenset({"langfuse.propagate_attributes"})
GENERATION_TYPES = frozenset({"generation", "embedding"})

V2_CREATORS = frozenset({"generation", "span", "trace"})


# -- abstract values ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unknown:
    """Nothing is known about the value."""


@dataclass(frozen=True)
class Ext:
    """A name outside the project, fully qualified (`langfuse.observe`), or an observe alias."""

    name: str


@dataclass(frozen=True)
class Mod:
    """A module of the project."""

    name: str


@dataclass(frozen=True)
class Func:
    """A function of the project."""

    path: str
    qualname: str


@dataclass(frozen=True)
class Cls:
    """A class of the project (`instance` for its instances)."""

    path: str
    qualname: str
    instance: bool = False


@dataclass(frozen=True)
class Client:
    """A Langfuse client (`Langfuse()` or `get_client()`)."""


#: What a parameter annotation resolves to when the parameter is a Langfuse client.
_CLIENT_TYPES = frozenset(Ext(name) for name in CLIENT_FACTORIES - {"langfuse.get_client"})


@dataclass(frozen=True)
class Obs:
    """An observation object returned (or bound with `as`) by the creating call `call` in `path`."""

    path: str
    call: int
    kind: str


@dataclass(frozen=True)
class Deco:
    """An observe decorator: `observe`, `observe(...)` or an alias, with its literal as_type."""

    as_type: str | None
    v2: bool


@dataclass(frozen=True)
class Method:
    """An attribute of a Langfuse object, ready to be called."""

    receiver: Value
    name: str


Value = Unknown | Ext | Mod | Func | Cls | Client | Obs | Deco | Method
UNKNOWN = Unknown()
_IN_PROGRESS = UNKNOWN


@dataclass
class _FileIndex:
    """One file's facts, indexed for lookups by scope and name."""

    facts: FileFacts
    functions: dict[str, FunctionFacts] = field(default_factory=dict)
    # class qualname -> (its scope, its bases)
    classes: dict[str, tuple[str, tuple[Expr, ...]]] = field(default_factory=dict)
    bindings: dict[tuple[str, str], list[Expr]] = field(default_factory=dict)
    partial: dict[tuple[str, str], list[Expr]] = field(default_factory=dict)
    imports: dict[tuple[str, str], str] = field(default_factory=dict)
    star_imports: dict[str, list[str]] = field(default_factory=dict)
    class_attrs: dict[tuple[str, str], list[tuple[str, Expr]]] = field(default_factory=dict)
    calls_by_scope: dict[str, list[int]] = field(default_factory=dict)
    import_fallbacks: frozenset[tuple[str, str]] = frozenset()
    v2: bool = False

    @classmethod
    def build(cls, facts: FileFacts) -> _FileIndex:
        index = cls(facts, import_fallbacks=frozenset(facts.import_fallbacks))
        for fn in facts.functions:
            index.functions[fn.qualname] = fn
        for klass in facts.classes:
            index.classes[klass.qualname] = (klass.scope, klass.bases)
        for binding in facts.bindings:
            table = index.partial if binding.partial else index.bindings
            table.setdefault((binding.scope, binding.name), []).append(binding.value)
        for imp in facts.imports:
            if imp.local == "*":
                index.star_imports.setdefault(imp.scope, []).append(imp.target)
            else:
                index.imports[(imp.scope, imp.local)] = imp.target
            if imp.target.startswith("langfuse.decorators"):
                index.v2 = True
        for attr in facts.class_attrs:
            index.class_attrs.setdefault((attr.cls, attr.name), []).append((attr.scope, attr.value))
        for number, call in enumerate(facts.calls):
            index.calls_by_scope.setdefault(call.scope, []).append(number)
        return index

    def parent(self, scope: str) -> str | None:
        """The enclosing scope, or None above the module."""
        if scope == "":
            return None
        fn = self.functions.get(scope)
        if fn is not None:
            return fn.scope
        klass = self.classes.get(scope)
        if klass is not None:
            return klass[0]
        return scope.rpartition(".")[0]


class Resolver:
    """Evaluates symbolic expressions to abstract values across the whole project."""

    def __init__(self, facts: Mapping[str, FileFacts], config: Config) -> None:
        self.files = {path: _FileIndex.build(f) for path, f in facts.items()}
        self.modules = {f.module: path for path, f in facts.items() if f.module}
        self.aliases = frozenset(config.observe_aliases)
        self._lookups: dict[tuple[str, str, str], Value] = {}
        self._calls: dict[tuple[str, int], Value] = {}
        self._callees: dict[tuple[str, int], Value] = {}
        self._module_attrs: dict[tuple[str, str], Value | None] = {}
        self._resolving: set[tuple[str, str, str]] = set()  # lookups under way
        self._depth = 0

    # -- names ------------------------------------------------------------------------------------

    def value(self, expr: Expr, path: str, scope: str) -> Value:
        """The abstract value of `expr` evaluated in `scope` of `path`."""
        if self._depth > 60:
            return UNKNOWN
        self._depth += 1
        try:
            if isinstance(expr, Name):
                return self.lookup(path, scope, expr.id)
            if isinstance(expr, Attr):
                return self.attribute(self.value(expr.base, path, scope), expr.attr)
            if isinstance(expr, CallRef):
                return self.call_value(path, expr.call)
            return UNKNOWN
        finally:
            self._depth -= 1

    def lookup(self, path: str, scope: str, name: str) -> Value:
        key = (path, scope, name)
        if key in self._resolving:
            # `langfuse = langfuse.get_client()`: in its own value, a name is what it was
            # before the assignment (an import, a def), not the assignment itself
            return self._lookup(path, scope, name, assignments=False)
        cached = self._lookups.get(key)
        if cached is not None:
            return cached
        self._resolving.add(key)
        try:
            result = self._lookup(path, scope, name)
        finally:
            self._resolving.discard(key)
        self._lookups[key] = result
        return result

    def _lookup(self, path: str, scope: str, name: str, *, assignments: bool = True) -> Value:
        index = self.files[path]
        current: str | None = scope
        while current is not None:
            in_class = current in index.classes
            if not in_class or current == scope:  # class bodies are not visible from their methods
                found = self.lookup_in_scope(index, path, current, name, assignments=assignments)
                if found is not None:
                    return found
            current = index.parent(current)
        return UNKNOWN

    def lookup_in_scope(
        self, index: _FileIndex, path: str, scope: str, name: str, *, assignments: bool = True
    ) -> Value | None:
        """The value `name` has when bound directly in `scope`, or None when it is not bound there.

        Without `assignments`, only what binds the name otherwise counts (a parameter, a def, a
        class, an import).
        """
        fn = index.functions.get(scope)
        if fn is not None and name in fn.params:
            if fn.cls and fn.params[0] == name:
                return Cls(path, fn.cls, instance=True)
            for param, annotation in fn.param_types:
                # `client: Langfuse` (the annotation is evaluated where the def stands)
                if param == name and self.value(annotation, path, fn.scope) in _CLIENT_TYPES:
                    return Client()
            return UNKNOWN  # a parameter shadows every outer name
        if (scope, name) in index.import_fallbacks:  # `except ImportError: observe = None`
            return self.qualified(index.imports[(scope, name)])
        values = index.bindings.get((scope, name)) if assignments else None
        if values:
            for expr in reversed(values):
                result = self.value(expr, path, scope)
                if not isinstance(result, Unknown):
                    return result
            return UNKNOWN
        qualname = f"{scope}.{name}" if scope else name
        if qualname in index.functions:
            return self.check_alias(Func(path, qualname))
        if qualname in index.classes:
            return Cls(path, qualname)
        target = index.imports.get((scope, name))
        if target is not None:
            return self.qualified(target)
        for star in index.star_imports.get(scope, ()):
            if star in self.modules:
                found = self.module_attribute(self.modules[star], name)
                if found is not None:
                    return found
            elif star.partition(".")[0] == "langfuse":
                return self.qualified(f"{star}.{name}")
        if (scope, name) in index.partial:
            return UNKNOWN
        return None

    def module_attribute(self, path: str, name: str) -> Value | None:
        """A module's top-level name (None when the module does not bind it); cycle-safe."""
        key = (path, name)
        if key in self._module_attrs:
            return self._module_attrs[key]
        self._module_attrs[key] = UNKNOWN  # an import cycle resolves to "unknown"
        found = self.lookup_in_scope(self.files[path], path, "", name)
        self._module_attrs[key] = found
        return found

    def check_alias(self, func: Func) -> Value:
        module = self.files[func.path].facts.module
        qualified = f"{module}.{func.qualname}" if module else func.qualname
        return Ext(qualified) if qualified in self.aliases else func

    def qualified(self, dotted: str) -> Value:
        """The value of an absolute dotted name (an import target)."""
        if dotted in self.aliases:
            return Ext(dotted)
        if dotted in self.modules:
            return Mod(dotted)
        parts = dotted.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            module = ".".join(parts[:cut])
            if module in self.modules:
                result: Value = Mod(module)
                for attr in parts[cut:]:
                    result = self.attribute(result, attr)
                return result
        return Ext(dotted)

    def attribute(self, base: Value, attr: str) -> Value:
        if isinstance(base, Ext):
            if base.name in self.aliases or base.name in OBSERVE_V2 | OBSERVE_V3:
                return UNKNOWN
            if base.name in CONTEXT_V2:
                return Method(base, attr)
            return self.qualified(f"{base.name}.{attr}")
        if isinstance(base, Mod):
            dotted = f"{base.name}.{attr}"
            if dotted in self.aliases:
                return Ext(dotted)
            if dotted in self.modules:
                return Mod(dotted)
            found = self.module_attribute(self.modules[base.name], attr)
            return UNKNOWN if found is None else found
        if isinstance(base, (Client, Obs)):
            return Method(base, attr)
        if isinstance(base, Cls):
            return self.class_attribute(base, attr, set())
        return UNKNOWN

    def class_attribute(self, klass: Cls, attr: str, seen: set[tuple[str, str]]) -> Value:
        if (klass.path, klass.qualname) in seen:
            return UNKNOWN
        seen.add((klass.path, klass.qualname))
        index = self.files[klass.path]
        method = f"{klass.qualname}.{attr}"
        if method in index.functions:
            return Func(klass.path, method)
        for scope, expr in reversed(index.class_attrs.get((klass.qualname, attr), [])):
            result = self.value(expr, klass.path, scope)
            if not isinstance(result, Unknown):
                return result
        scope, bases = index.classes.get(klass.qualname, ("", ()))
        for base in bases:
            base_value = self.value(base, klass.path, scope)
            if isinstance(base_value, Cls):
                found = self.class_attribute(
                    Cls(base_value.path, base_value.qualname, klass.instance), attr, seen
                )
                if not isinstance(found, Unknown):
                    return found
        return UNKNOWN

    def invoked_method(self, klass: Cls) -> Func | None:
        """The method calling a class (`__init__`) or an instance (`__call__`) runs, if the project's."""
        dunder = "__call__" if klass.instance else "__init__"
        found = self.class_attribute(klass, dunder, set())
        return found if isinstance(found, Func) else None

    # -- calls ------------------------------------------------------------------------------------

    def call(self, path: str, number: int) -> CallFacts:
        calls = self.files[path].facts.calls
        return calls[number] if 0 <= number < len(calls) else _NO_CALL

    def callee(self, path: str, number: int) -> Value:
        """What a call calls (memoised: classification and decorators ask again)."""
        key = (path, number)
        found = self._callees.get(key)
        if found is None:
            call = self.call(path, number)
            found = self._callees[key] = self.value(call.func, path, call.scope)
        return found

    def call_value(self, path: str, number: int) -> Value:
        """What the call returns."""
        key = (path, number)
        cached = self._calls.get(key)
        if cached is not None:
            return cached
        self._calls[key] = _IN_PROGRESS
        result = self._call_value(path, number)
        self._calls[key] = result
        return result

    def _call_value(self, path: str, number: int) -> Value:
        call = self.call(path, number)
        func = self.callee(path, number)
        if self.is_observe(func):
            if call.args:
                target = self.value(call.args[0], path, call.scope)
                if isinstance(target, Func):
                    return target
            return Deco(_literal(call.kwarg("as_type")), self.is_v2_observe(func))
        if isinstance(func, Deco):
            return self.value(call.args[0], path, call.scope) if call.args else UNKNOWN
        if isinstance(func, Ext) and func.name in CLIENT_FACTORIES:
            return Client()
        if isinstance(func, Ext) and _is_openai_client_class(func.name):
            return Ext(f"{OPENAI_WRAPPER}.openai")  # a wrapped client: the wrapped module's API
        if isinstance(func, Method) and isinstance(func.receiver, (Client, Obs)):
            kind = self.created_kind(func, call)
            if kind is not None:
                return Obs(path, number, kind)
            return UNKNOWN
        if isinstance(func, Func):
            return self.returned(func)
        if isinstance(func, Cls) and not func.instance:
            return Cls(func.path, func.qualname, instance=True)
        return UNKNOWN

    def created_kind(self, method: Method, call: CallFacts) -> str | None:
        """The type of observation this method call creates, or None when it creates none."""
        if method.name not in CREATORS:
            return None
        if method.name == "trace" and not isinstance(method.receiver, Client):
            return None
        kind = CREATORS[method.name]
        if kind is None:
            as_type = call.kwarg("as_type")
            if as_type is None:
                return "span"
            literal = _literal(as_type)
            return literal if literal is not None else "unknown"
        return kind

    def returned(self, func: Func) -> Value:
        fn = self.files[func.path].functions.get(func.qualname)
        if fn is None:
            return UNKNOWN
        for expr in fn.returns:
            result = self.value(expr, func.path, fn.qualname)
            if not isinstance(result, Unknown):
                return result
        return UNKNOWN

    def is_observe(self, value: Value) -> bool:
        return isinstance(value, Ext) and (
            value.name in OBSERVE_V3 or value.name in OBSERVE_V2 or value.name in self.aliases
        )

    def is_v2_observe(self, value: Value) -> bool:
        return isinstance(value, Ext) and value.name in OBSERVE_V2

    # -- metadata keys ----------------------------------------------------------------------------

    def keys(
        self,
        expr: Expr,
        path: str,
        scope: str,
        depth: int = 0,
        resolving: frozenset[tuple[str, str]] = frozenset(),
    ) -> tuple[frozenset[str], bool]:
        """The literal keys a metadata value is known to have, and whether other keys are unknowable.

        A name's keys are those of every value bound to it in the innermost scope that binds it
        (`meta = {...}`, `meta["agent_type"] = ...`), also when that scope's function takes it as
        a parameter: `meta = {**meta, "agent_type": x}` has the key whatever the caller passed.
        Inside its own value (that `**meta`) a name stands for what it held before: a parameter
        or an outer name, whose keys are unknowable or looked up further out.
        """
        if depth > 20:
            return frozenset(), True
        if isinstance(expr, DictExpr):
            keys = set(expr.keys)
            unknown = expr.dynamic
            for spread in expr.spreads:
                more, more_unknown = self.keys(spread, path, scope, depth + 1, resolving)
                keys |= more
                unknown = unknown or more_unknown
            return frozenset(keys), unknown
        if isinstance(expr, Const):
            return frozenset(), False
        if isinstance(expr, Name):
            index = self.files[path]
            current: str | None = scope
            while current is not None:
                values = index.bindings.get((current, expr.id), []) + index.partial.get(
                    (current, expr.id), []
                )
                if values and (current, expr.id) not in resolving:
                    keys = set()
                    unknown = False
                    inner = resolving | {(current, expr.id)}
                    for value in values:
                        more, more_unknown = self.keys(value, path, current, depth + 1, inner)
                        keys |= more
                        unknown = unknown or more_unknown
                    return frozenset(keys), unknown
                fn = index.functions.get(current)
                if fn is not None and expr.id in fn.params:
                    return frozenset(), True
                current = index.parent(current)
            return frozenset(), True
        return frozenset(), True


_NO_CALL = CallFacts("", Const(None), (), (), 0, 0)  # what a dangling call reference points at


def _is_openai_client_class(name: str) -> bool:
    """`langfuse.openai.OpenAI` and the other wrapped clients (also `langfuse.openai.openai.OpenAI`)."""
    module, _, cls = name.rpartition(".")
    return cls in OPENAI_CLIENTS and module in (OPENAI_WRAPPER, f"{OPENAI_WRAPPER}.openai")


def openai_created_kind(name: str) -> str | None:
    """The observation type a Langfuse OpenAI wrapper call creates (`...chat.completions.create`)."""
    prefix = f"{OPENAI_WRAPPER}.openai."
    if not name.startswith(prefix):
        return None
    return OPENAI_CREATORS.get(name[len(prefix) :])


def _dotted(expr: Expr) -> str | None:
    """`a.b.c` for a name or an attribute chain on a name, else None."""
    if isinstance(expr, Name):
        return expr.id
    if isinstance(expr, Attr):
        base = _dotted(expr.base)
        return None if base is None else f"{base}.{expr.attr}"
    return None


def _literal(expr: Expr | None) -> str | None:
    return expr.value if isinstance(expr, Const) and isinstance(expr.value, str) else None


# -- the project model ------------------------------------------------------------------------------

FuncKey = tuple[str, str]  # (path, qualname)
CallKey = tuple[str, int]  # (path, call index)


@dataclass(frozen=True)
class _Effects:
    """What applying a decorator (or a decorator factory) to a function does to it."""

    decos: tuple[Deco, ...] = ()  # the observations it wraps the function in
    # project decorators and the inner functions they return: "a decorator stacked on it"
    wrappers: tuple[FuncKey, ...] = ()


@dataclass(frozen=True)
class _Application:
    """`observe(...)(fn)`, or a project factory called on `fn`: an observation made by a call."""

    at: CallKey
    effects: _Effects


@dataclass
class _Observed:
    """A function that runs inside an observation, and how it got there."""

    decos: list[Deco] = field(default_factory=list)  # applied with `@` (directly or by a factory)
    # stacked project decorators and their inner functions
    wrappers: list[FuncKey] = field(default_factory=list)
    # each call that wraps it: an observation of its own, reported at the call
    applications: list[_Application] = field(default_factory=list)


@dataclass(frozen=True)
class _OpaqueWrap:
    """`observe(...)(target)` where the target is not a function of the analysed project."""

    at: CallKey
    deco: Deco
    symbol: str


class _Model:
    """Classifies every call once, then answers the questions the rules ask."""

    def __init__(self, resolver: Resolver, config: Config) -> None:
        self.r = resolver
        self.config = config
        self.creations: dict[CallKey, tuple[str, str]] = {}  # -> (kind, method name)
        self.current_meta: dict[CallKey, Expr | None] = {}
        # observation -> the (metadata, path, scope) of each `.update(...)` / `.end(...)` on it
        self.object_meta: dict[CallKey, list[tuple[Expr, str, str]]] = {}
        self.object_session: set[CallKey] = set()
        self.session_calls: set[CallKey] = set()
        self.propagate_session_withs: set[CallKey] = set()
        self.edges: dict[CallKey, FuncKey] = {}
        self.observed: dict[FuncKey, _Observed] = {}
        self.opaque_wraps: list[_OpaqueWrap] = []
        self._effects_memo: dict[Func, _Effects] = {}
        self._meta_memo: dict[FuncKey, tuple[frozenset[str], bool]] = {}
        # calls resolved by name: (path, scope) -> [(method name, enclosing with indices)]
        self.name_calls: dict[FuncKey, list[tuple[str, tuple[int, ...]]]] = {}
        self.methods_by_name: dict[str, list[FuncKey]] = {}
        self.classify()
        self.find_observed()
        self.sessions = self.session_reaching()
        self.reached = self.reach()
        self.covering = self.covered()

    # -- classification ---------------------------------------------------------------------------

    def classify(self) -> None:
        r = self.r
        # `param.update(...)` calls, decided once every caller's arguments are known
        on_params: list[tuple[CallKey, CallFacts, str, str]] = []
        calls_with_args: list[tuple[str, CallFacts, Func]] = []
        for path, index in r.files.items():
            for fn in index.facts.functions:
                if fn.cls and not fn.name.startswith("__"):
                    self.methods_by_name.setdefault(fn.name, []).append((path, fn.qualname))
            for scope, name, withs in index.facts.method_calls:
                self.name_calls.setdefault((path, scope), []).append((name, withs))
            for number, call in enumerate(index.facts.calls):
                key = (path, number)
                func = r.callee(path, number)
                has_session = call.kwarg("session_id") is not None
                if isinstance(func, Method):
                    self.classify_method(key, call, func, has_session)
                elif isinstance(func, Ext) and (created := openai_created_kind(func.name)):
                    self.creations[key] = (created, "openai")
                elif isinstance(func, Ext) and func.name in PROPAGATE:
                    if has_session:
                        self.session_calls.add(key)
                        if call.is_with_item:
                            self.propagate_session_withs.add(key)
                elif isinstance(func, Cls) and (method := r.invoked_method(func)) is not None:
                    self.edges[key] = (method.path, method.qualname)  # `agent(q)`, `Agent()`
                elif isinstance(func, Func):
                    self.edges[key] = (func.path, func.qualname)
                    if call.args:
                        calls_with_args.append((path, call, func))
                        effects = self.decorator_effects(func, 0)
                        if effects.decos:  # a project factory called directly: `traced(fn)`
                            self.wrap(key, call, effects)
                elif isinstance(func, Unknown) and isinstance(call.func, Attr):
                    self.name_calls.setdefault((path, call.scope), []).append(
                        (call.func.attr, call.withs)
                    )
                    if call.func.attr in OBJECT_UPDATES and isinstance(call.func.base, Name):
                        on_params.append((key, call, call.func.base.id, call.func.attr))
                elif (isinstance(func, Deco) or r.is_observe(func)) and call.args:
                    deco = func if isinstance(func, Deco) else Deco(None, r.is_v2_observe(func))
                    self.wrap(key, call, _Effects((deco,)))
        if on_params:
            self.objects_on_params(on_params, calls_with_args)

    def objects_on_params(
        self,
        on_params: list[tuple[CallKey, CallFacts, str, str]],
        calls_with_args: list[tuple[str, CallFacts, Func]],
    ) -> None:
        """`def tag(gen): gen.update(metadata=...)` called as `tag(generation)` updates `generation`.

        Observation objects passed positionally to a project function are matched to its
        parameters (a method called on an instance, `self.tag(gen)`, gets `self` first), and each
        update call on such a parameter counts as one on every object passed in.
        """
        r = self.r
        wanted = {(key[0], call.scope, param) for key, call, param, _ in on_params}
        passed: dict[tuple[str, str, str], list[Obs]] = {}
        for path, call, func in calls_with_args:
            fn = r.files[func.path].functions.get(func.qualname)
            if fn is None:
                continue
            shift = 1 if fn.cls and isinstance(call.func, Attr) else 0
            for position, arg in enumerate(call.args, start=shift):
                if position >= len(fn.params) or not isinstance(arg, Name | CallRef):
                    continue
                target = (func.path, func.qualname, fn.params[position])
                if target in wanted:
                    value = r.value(arg, path, call.scope)
                    if isinstance(value, Obs):
                        passed.setdefault(target, []).append(value)
        for key, call, param, method in on_params:
            has_session = call.kwarg("session_id") is not None
            for obs in passed.get((key[0], call.scope, param), ()):
                self.classify_method(key, call, Method(obs, method), has_session)

    def classify_method(
        self, key: CallKey, call: CallFacts, func: Method, has_session: bool
    ) -> None:
        receiver, name = func.receiver, func.name
        is_context = isinstance(receiver, Ext) and receiver.name in CONTEXT_V2
        if isinstance(receiver, (Client, Obs)):
            kind = self.r.created_kind(func, call)
            if kind is not None:
                self.creations[key] = (kind, name)
                if name == "trace" and has_session:
                    self.object_session.add(key)
                return
        if (
            name in ("update_current_generation", "update_current_span")
            and isinstance(receiver, Client)
            or name == "update_current_observation"
            and is_context
        ):
            self.current_meta[key] = call.kwarg("metadata")
        elif name == "update_current_trace" and (is_context or isinstance(receiver, Client)):
            if has_session:
                self.session_calls.add(key)
        elif isinstance(receiver, Obs):
            target = (receiver.path, receiver.call)
            metadata = call.kwarg("metadata")
            if name in ("update", "end") and metadata is not None:
                self.object_meta.setdefault(target, []).append((metadata, key[0], call.scope))
            if name == "update_trace" and has_session:
                self.session_calls.add(key)
            if name == "update" and has_session and receiver.kind == "trace":
                self.object_session.add(target)

    def wrap(self, key: CallKey, call: CallFacts, effects: _Effects) -> None:
        """Record a call that wraps its first argument in an observation (`observe(...)(fn)`)."""
        r = self.r
        path, scope = key[0], call.scope
        factory = r.files[path].functions.get(scope)
        if factory is not None and CallRef(key[1]) in factory.returns:
            return  # a factory's `return observe(...)(inner)`: each function it decorates counts
        target = r.value(call.args[0], path, scope)
        if isinstance(target, Func):
            entry = self.observed.setdefault((target.path, target.qualname), _Observed())
            entry.applications.append(_Application(key, effects))
        elif isinstance(target, Unknown | Ext) and not self.is_parameter(path, scope, call.args[0]):
            # a function outside the analysed code (another library's, or a module that never
            # mentions Langfuse, so nothing in it can set metadata): only the wrap can be checked
            symbol = _dotted(call.args[0]) or scope or "<module>"
            for deco in effects.decos:
                self.opaque_wraps.append(_OpaqueWrap(key, deco, symbol))

    def is_parameter(self, path: str, scope: str, expr: Expr) -> bool:
        """Whether `expr` is, or is an attribute of, a parameter of an enclosing function (a
        factory's `fn`, `agent.run`): what it names is only known to the caller."""
        while isinstance(expr, Attr):
            expr = expr.base
        if not isinstance(expr, Name):
            return True  # a call result, `*args`...: nothing to check
        index = self.r.files[path]
        current: str | None = scope
        while current is not None:
            fn = index.functions.get(current)
            if fn is not None and expr.id in fn.params:
                return True
            current = index.parent(current)
        return False

    def find_observed(self) -> None:
        """Every function with an observe decorator, directly, through a factory or a stacked wrapper."""
        r = self.r
        for path, index in r.files.items():
            for fn in index.facts.functions:
                for decorator in fn.decorators:
                    value = r.value(decorator, path, fn.scope)
                    effects = self.decorator_effects(value, depth=0)
                    if effects.decos or effects.wrappers:
                        entry = self.observed.setdefault((path, fn.qualname), _Observed())
                        entry.decos.extend(effects.decos)
                        entry.wrappers.extend(effects.wrappers)

    def decorator_effects(self, value: Value, depth: int) -> _Effects:
        """The observations a decorator wraps a function in, and the project code it stacks on it."""
        r = self.r
        if r.is_observe(value):
            return _Effects((Deco(None, r.is_v2_observe(value)),))
        if isinstance(value, Deco):
            return _Effects((value,))
        if not isinstance(value, Func) or depth > 5:
            return _Effects()
        memo = self._effects_memo.get(value)
        if memo is not None:
            return memo
        self._effects_memo[value] = _Effects()  # a recursive factory adds nothing
        # a project decorator: it may wrap with observe, and its body and inner functions are
        # "a decorator stacked on it"
        decos: list[Deco] = []
        wrappers = [(value.path, value.qualname)]
        fn = r.files[value.path].functions.get(value.qualname)
        nested = value.qualname + "."
        for expr in fn.returns if fn else ():
            returned = r.value(expr, value.path, value.qualname)
            if isinstance(expr, CallRef):
                # `return observe(...)(inner)`: the observation, and `inner` runs in it; also
                # `return functools.wraps(fn)(inner)`, where only `inner` matters
                inner = r.callee(value.path, expr.call)
                decos.extend(self.decorator_effects(inner, depth + 1).decos)
                wrapped = r.call(value.path, expr.call).args
                if wrapped and not (
                    isinstance(returned, Func) and returned.qualname.startswith(nested)
                ):
                    returned = r.value(wrapped[0], value.path, value.qualname)
            if isinstance(returned, Func) and returned.qualname.startswith(nested):
                wrappers.append((returned.path, returned.qualname))
        effects = self._effects_memo[value] = _Effects(tuple(decos), tuple(wrappers))
        return effects

    # -- questions --------------------------------------------------------------------------------

    def is_observed(self, func: FuncKey) -> bool:
        entry = self.observed.get(func)
        return entry is not None and bool(entry.decos or entry.applications)

    def calls_of(self, func: FuncKey) -> list[int]:
        index = self.r.files.get(func[0])
        return index.calls_by_scope.get(func[1], []) if index else []

    def current_with_owner(self, path: str, call: CallFacts) -> int | None:
        """The innermost `with start_as_current_*` block around a call in its function, if any."""
        for number in reversed(call.withs):
            if (path, number) in self.creations:
                return number
        return None

    def own_calls(self, func: FuncKey) -> list[int]:
        """The calls in a function's body that are outside its own observation `with` blocks."""
        path = func[0]
        return [
            n
            for n in self.calls_of(func)
            if self.current_with_owner(path, self.r.call(path, n)) is None
        ]

    def meta_keys(self, func: FuncKey) -> tuple[frozenset[str], bool]:
        """Keys a function (and the plain functions it calls) sets on the current observation."""
        if func not in self._meta_memo:
            self._meta_memo[func] = self.meta_from_calls(func[0], self.own_calls(func))
        return self._meta_memo[func]

    def meta_from_calls(self, path: str, numbers: Iterable[int]) -> tuple[frozenset[str], bool]:
        """Keys set on the current observation by these calls and the plain helpers they reach."""
        keys: set[str] = set()
        unknown = False
        pending: list[tuple[str, list[int]]] = [(path, list(numbers))]
        seen: set[FuncKey] = set()
        while pending:
            path, calls = pending.pop()
            for number in calls:
                key = (path, number)
                expr = self.current_meta.get(key)
                if expr is not None:
                    more, more_unknown = self.r.keys(expr, path, self.r.call(path, number).scope)
                    keys |= more
                    unknown = unknown or more_unknown
                target = self.edges.get(key)
                if target is not None and target not in seen and not self.is_observed(target):
                    seen.add(target)
                    pending.append((target[0], self.own_calls(target)))
        return frozenset(keys), unknown

    def session_reaching(self) -> set[FuncKey]:
        """Functions that set a session_id themselves or call (at any depth) one that does."""
        callers: dict[FuncKey, set[FuncKey]] = {}
        for (path, number), target in self.edges.items():
            callers.setdefault(target, set()).add((path, self.r.call(path, number).scope))
        found = {(path, self.r.call(path, number).scope) for path, number in self.session_calls}
        pending = list(found)
        while pending:
            for caller in callers.get(pending.pop(), ()):
                if caller not in found:
                    found.add(caller)
                    pending.append(caller)
        return found

    def session(self, func: FuncKey) -> bool:
        """Whether a session_id is set in the function or in any function it reaches."""
        return func in self.sessions

    def session_from_calls(self, path: str, numbers: Iterable[int]) -> bool:
        """Whether one of these calls sets a session_id, or reaches a function that does."""
        for number in numbers:
            key = (path, number)
            if key in self.session_calls:
                return True
            target = self.edges.get(key)
            if target is not None and target in self.sessions:
                return True
        return False

    def block_calls(self, block: CallKey) -> list[int]:
        """The calls lexically inside a `with` block."""
        path, number = block
        scope = self.r.call(path, number).scope
        return [
            n
            for n in self.r.files[path].calls_by_scope.get(scope, [])
            if number in self.r.call(path, n).withs
        ]

    def by_name(self, scope: FuncKey, block: int | None = None) -> list[FuncKey]:
        """Methods called by name (`agent.run()` on an object resolution cannot follow) in a scope,
        or only inside one of its `with` blocks."""
        targets: list[FuncKey] = []
        for name, withs in self.name_calls.get(scope, ()):
            if block is None or block in withs:
                targets.extend(self.methods_by_name.get(name, ()))
        return targets

    def reach(self) -> tuple[set[FuncKey], set[CallKey]]:
        """Observed functions and `with` blocks that another observation reaches."""
        reached_funcs: set[FuncKey] = set()
        reached_blocks: set[CallKey] = set()

        def walk(
            path: str, numbers: Iterable[int], named: list[FuncKey], visited: set[FuncKey]
        ) -> None:
            pending = [(path, list(numbers), named)]
            while pending:
                path, calls, targets = pending.pop()
                targets = list(targets)
                for number in calls:
                    key = (path, number)
                    if key in self.creations and self.r.call(path, number).is_with_item:
                        reached_blocks.add(key)
                    target = self.edges.get(key)
                    if target is not None:
                        targets.append(target)
                for target in targets:
                    if target in visited:
                        continue
                    if self.is_observed(target):
                        reached_funcs.add(target)
                        continue
                    visited.add(target)
                    pending.append((target[0], self.calls_of(target), self.by_name(target)))

        for func in list(self.observed):
            if self.is_observed(func):
                walk(func[0], self.calls_of(func), self.by_name(func), {func})
        for block in self.current_blocks():
            scope = (block[0], self.r.call(*block).scope)
            walk(block[0], self.block_calls(block), self.by_name(scope, block[1]), set())
        return reached_funcs, reached_blocks

    def covered(self) -> tuple[set[FuncKey], set[CallKey]]:
        """Functions and blocks that run inside `with propagate_attributes(session_id=...)`."""
        funcs: set[FuncKey] = set()
        blocks: set[CallKey] = set()
        pending: list[tuple[str, list[int], list[FuncKey]]] = []
        for path, number in self.propagate_session_withs:
            scope = (path, self.r.call(path, number).scope)
            pending.append((path, self.block_calls((path, number)), self.by_name(scope, number)))
        while pending:
            path, numbers, named = pending.pop()
            targets = list(named)
            for number in numbers:
                key = (path, number)
                if key in self.creations:
                    blocks.add(key)
                target = self.edges.get(key)
                if target is not None:
                    targets.append(target)
            for target in targets:
                if target not in funcs:
                    funcs.add(target)
                    pending.append((target[0], self.calls_of(target), self.by_name(target)))
        return funcs, blocks

    def current_blocks(self) -> list[CallKey]:
        return [
            key
            for key, (_, name) in self.creations.items()
            if "as_current" in name and self.r.call(*key).is_with_item
        ]

    # -- the sites the rules read -----------------------------------------------------------------

    def header(self, path: str, scope: str) -> tuple[int, ...]:
        """The decorator and def lines of the function `scope` (none at module level)."""
        fn = self.r.files[path].functions.get(scope)
        return fn.header_lines if fn else ()

    def function_sites(self, generations: list[GenerationSite], roots: list[RootSite]) -> None:
        """Observed functions: generations among them, and the roots."""
        r = self.r
        reached, _ = self.reached
        covered, _ = self.covering
        for func, entry in sorted(self.observed.items()):
            path, qualname = func
            fn = r.files[path].functions.get(qualname)
            if fn is None:
                continue
            observations: list[tuple[Site, _Effects]] = []
            if entry.decos:
                style = "v2" if any(d.v2 for d in entry.decos) or r.files[path].v2 else "v3"
                site = Site(path, fn.line, fn.column, qualname, fn.header_lines, style, "decorator")
                observations.append((site, _Effects(tuple(entry.decos), tuple(entry.wrappers))))
            for application in entry.applications:
                at_path, number = application.at
                at = r.call(at_path, number)
                decos = application.effects.decos
                style = "v2" if any(d.v2 for d in decos) or r.files[at_path].v2 else "v3"
                extra = (*fn.header_lines, *self.header(at_path, at.scope))
                site = Site(at_path, at.line, at.column, qualname, extra, style, "wrap")
                wrappers = (*entry.wrappers, *application.effects.wrappers)
                observations.append((site, _Effects(decos, wrappers)))
            for site, effects in observations:
                types = {d.as_type for d in effects.decos}
                if types & GENERATION_TYPES:
                    keys, unknown = self.meta_keys(func)
                    for wrapper in effects.wrappers:
                        more, more_unknown = self.meta_keys(wrapper)
                        keys, unknown = keys | more, unknown or more_unknown
                    generations.append(GenerationSite(site, keys, unknown))
                if "trace" in types or func not in reached:
                    has_session = (
                        self.session(func)
                        or any(self.session(w) for w in effects.wrappers)
                        or func in covered
                    )
                    roots.append(RootSite(site, has_session))
        for wrap in self.opaque_wraps:
            path, number = wrap.at
            at = r.call(path, number)
            style = "v2" if wrap.deco.v2 or r.files[path].v2 else "v3"
            extra = self.header(path, at.scope)
            site = Site(path, at.line, at.column, wrap.symbol, extra, style, "external")
            if wrap.deco.as_type in GENERATION_TYPES:
                generations.append(GenerationSite(site, frozenset(), False))

    def call_sites(self, generations: list[GenerationSite], roots: list[RootSite]) -> None:
        """Observations created by calls: generations among them, v2 traces and root `with` blocks."""
        r = self.r
        _, reached = self.reached
        covered_funcs, covered_blocks = self.covering
        for key, (kind, name) in sorted(self.creations.items()):
            path, number = key
            call = r.call(path, number)
            style = "v2" if name in V2_CREATORS else "v3"
            symbol = _literal(call.kwarg("name")) or call.scope or "<module>"
            is_block = call.is_with_item and "as_current" in name
            via = "trace" if name == "trace" else "block" if is_block else "call"
            if name == "openai":
                via = "openai"
            site = Site(
                path, call.line, call.column, symbol, self.header(path, call.scope), style, via
            )
            if kind in GENERATION_TYPES:
                keys: frozenset[str] = frozenset()
                unknown = False
                metadata = call.kwarg("metadata")
                if metadata is not None:
                    keys, unknown = r.keys(metadata, path, call.scope)
                for expr, at_path, at_scope in self.object_meta.get(key, []):
                    more, more_unknown = r.keys(expr, at_path, at_scope)
                    keys, unknown = keys | more, unknown or more_unknown
                if is_block:
                    inside = [
                        n
                        for n in self.block_calls(key)
                        if self.current_with_owner(path, r.call(path, n)) == number
                    ]
                    more, more_unknown = self.meta_from_calls(path, inside)
                    keys, unknown = keys | more, unknown or more_unknown
                generations.append(GenerationSite(site, keys, unknown))
            if name == "trace":
                roots.append(RootSite(site, key in self.object_session))
            elif is_block and key not in reached and not self.is_observed((path, call.scope)):
                # (inside an observed function's body, the block is that function's child)
                has_session = (
                    key in covered_blocks
                    or (path, call.scope) in covered_funcs
                    or any((path, w) in self.propagate_session_withs for w in call.withs)
                    or self.session_from_calls(path, self.block_calls(key))
                )
                roots.append(RootSite(site, has_session))


def build_model(facts: Mapping[str, FileFacts], config: Config) -> ProjectModel:
    """Resolve the project and list its generations and trace roots."""
    model = _Model(Resolver(facts, config), config)
    generations: list[GenerationSite] = []
    roots: list[RootSite] = []
    model.function_sites(generations, roots)
    model.call_sites(generations, roots)
    return ProjectModel(tuple(generations), tuple(roots))


def analyze(facts: Mapping[str, FileFacts], config: Config) -> list[Finding]:
    """Resolve the project, run the enabled rules and drop suppressed findings."""
    project = build_model(facts, config)
    enabled = set(config.enabled_rules())
    raw: list[tuple[Finding, tuple[int, ...]]] = []
    for rule in RULES:
        if rule.CODE in enabled:
            raw.extend(rule.check(project, config))
    return sorted(apply_suppressions(raw, facts))
