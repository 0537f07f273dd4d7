"""The cost of one generation, computed offline the way the Langfuse server computes it.

Order (first that applies wins):

1. `cost_details` the SDK sent: its `total`; without `total`, `input + output` when those are the
   only keys; any other key set has no total in Langfuse either, so the cost is unknown.
2. The first `[[tool.agentcost.models]]` entry whose `match` regex finds the model name: Langfuse's
   per-key arithmetic (units x price for each usage key with an exactly equal price key; a `total`
   price, if present, prices `total` alone), in `Decimal`.
3. genai-prices' bundled data, in a private snapshot that nothing (not even `UpdatePrices`) can
   replace, on the price date: `[tool.agentcost] price_date` if set, else the observation's start.

Zero usage costs 0; anything else unpriced is an unknown cost (`Cost.amount is None`) whose
`problem` names the model and the fix. Money is `Decimal` end to end. genai-prices is imported on
the first lookup that needs it (the import takes about half a second).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from pytest_agentcost.capture.usage import (
    CACHE_CREATION_KEYS,
    CACHE_READ_KEYS,
    Usage,
    is_input_key,
    is_output_key,
)

if TYPE_CHECKING:
    from pytest_agentcost.config import Config, ModelPrice

__all__ = [
    "ZERO_COST",
    "Cost",
    "Pricer",
    "UnknownCostError",
    "decimal_costs",
    "genai_prices_usage",
    "parse_json",
    "price_snippet",
    "sum_costs",
]

GENAI_PRICES_PIN = "genai-prices>=0.2.3,<0.3"
_NOT_TOKENS = frozenset({"total", "total_tokens"})
# Langfuse detail keys that genai-prices prices under the same name (partitions of input/output).
_BEDROCK_ID = re.compile(r"(?:[a-z]{2,7}\.)?[a-z0-9]+\.[a-z]")  # [region.]vendor.model
_GENAI_PASSTHROUGH = {
    "input_audio_tokens": "input_audio_tokens",
    "output_audio_tokens": "output_audio_tokens",
    "output_reasoning_tokens": "output_reasoning_tokens",
    "output_reasoning": "output_reasoning_tokens",
}


def parse_json(text: str) -> Any:
    """`json.loads` with every JSON number with a fraction or exponent read as an exact `Decimal`."""
    return json.loads(text, parse_float=Decimal)


def _money(value: Any) -> Decimal | None:
    """A JSON/SDK number as an exact `Decimal` (a float via its shortest repr), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    return None


def decimal_costs(raw: Mapping[str, Any]) -> dict[str, Decimal]:
    """`cost_details` as exact `Decimal`s, keeping only non-negative numbers (as Langfuse does)."""
    kept: dict[str, Decimal] = {}
    for key, value in raw.items():
        amount = _money(value)
        if amount is not None and amount >= 0:
            kept[str(key)] = amount
    return kept


@dataclass(frozen=True)
class Cost:
    """The cost of one observation, or why it is unknown.

    `amount` is None when unknown; `problem` then says why, naming the model and the fix.
    `unpriced_model` is set when the fix is a `[[tool.agentcost.models]]` price for that model.
    `via` says where a known amount came from (`cost_details`, a pyproject entry, genai-prices).
    `ignored_usage` lists usage keys with non-zero counts that the price did not cover (as in Langfuse,
    they cost nothing).
    """

    amount: Decimal | None
    source: Literal["provided", "computed"] | None
    problem: str | None = None
    unpriced_model: str | None = None
    via: str | None = None
    ignored_usage: tuple[str, ...] = ()

    @property
    def known(self) -> bool:
        return self.amount is not None


ZERO_COST = Cost(Decimal(0), "computed", via="no usage")


def _toml_string(text: str) -> str:
    """`text` as a TOML string: a literal string when possible, so regex backslashes stay readable."""
    if "'" not in text and "\n" not in text:
        return f"'{text}'"
    return json.dumps(text)


def price_snippet(model: str) -> str:
    """The `pyproject.toml` entry that prices `model` (placeholder prices, USD per token)."""
    pattern = "(?i)^" + re.sub(r"([.^$*+?{}\[\]\\|()])", r"\\\1", model) + "$"
    return (
        "[[tool.agentcost.models]]\n"
        f"match = {_toml_string(pattern)}\n"
        "[tool.agentcost.models.prices]   # USD per token, as strings; replace the example figures\n"
        'input = "0.0000025"\n'
        'output = "0.00001"\n'
        '# input_cached_tokens = "0.00000125"          # cache reads, if you send them\n'
        '# cache_creation_input_tokens = "0.000003125" # cache writes, if you send them'
    )


class UnknownCostError(AssertionError):
    """A figure was read that includes observations whose cost is unknown."""

    def __init__(self, problems: Sequence[tuple[str, Cost]]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        plural = count != 1
        heading = (
            f"{count} observation{'s' if plural else ''} ha{'ve' if plural else 's'} an unknown "
            "cost, so this cost figure cannot be computed:"
        )
        lines = [heading]
        lines += [f"  - {label}: {cost.problem or 'cost unknown'}" for label, cost in self.problems]
        models = list(dict.fromkeys(c.unpriced_model for _, c in self.problems if c.unpriced_model))
        if models:
            names = ", ".join(repr(model) for model in models)
            lines += [
                "",
                f"Unpriced model{'s' if len(models) != 1 else ''}: {names}.",
                "Add a price to pyproject.toml (the first entry whose `match` finds the model wins):",
            ]
            for model in models:
                lines += ["", price_snippet(model)]
        super().__init__("\n".join(lines))


def sum_costs(items: Iterable[tuple[str, Cost]]) -> Decimal:
    """The exact `Decimal` sum of the costs; raises `UnknownCostError` listing every unknown one."""
    total = Decimal(0)
    unknown: list[tuple[str, Cost]] = []
    for label, cost in items:
        if cost.amount is None:
            unknown.append((label, cost))
        else:
            total += cost.amount
    if unknown:
        raise UnknownCostError(unknown)
    return total


def genai_prices_usage(details: Mapping[str, int]) -> tuple[dict[str, int], tuple[str, ...]]:
    """Langfuse usage (input excludes cache) as genai-prices usage (input includes cache).

    Returns the genai-prices usage keyword map and the non-zero keys it cannot place.
    """
    usage = Usage.from_details(details)
    cache_read, cache_write = usage.cache_read_input_tokens, usage.cache_creation_input_tokens
    mapped: dict[str, int] = {
        "input_tokens": usage.input_tokens + cache_read + cache_write,
        "output_tokens": usage.output_tokens,
    }
    if cache_read:
        mapped["cache_read_tokens"] = cache_read
    if cache_write:
        mapped["cache_write_tokens"] = cache_write
        for ttl in ("5m", "1h"):
            if details.get(f"input_cache_creation_{ttl}"):
                mapped[f"cache_write_{ttl}_tokens"] = details[f"input_cache_creation_{ttl}"]
    for key, target in _GENAI_PASSTHROUGH.items():
        if details.get(key):
            mapped[target] = mapped.get(target, 0) + details[key]
    placed = CACHE_READ_KEYS | CACHE_CREATION_KEYS | _NOT_TOKENS
    ignored = tuple(
        key
        for key, count in details.items()
        if count and key not in placed and not is_input_key(key) and not is_output_key(key)
    )
    return mapped, ignored


# --- genai-prices: one pinned snapshot per process, loaded on first use -----------------------

_snapshot_lock = threading.Lock()
_snapshot: Any = None


def _genai_snapshot() -> Any:
    """The pinned genai-prices data snapshot (bundled data, never auto-updated); imports it lazily."""
    global _snapshot
    with _snapshot_lock:
        if _snapshot is None:
            from genai_prices.data import providers
            from genai_prices.data_snapshot import DataSnapshot

            _snapshot = DataSnapshot(providers=providers, from_auto_update=False)
        return _snapshot


@functools.lru_cache(maxsize=4096)
def _resolve(model: str) -> tuple[str, str | None] | str:
    """The (model_ref, provider_id) under which genai-prices knows `model`, or the lookup error text.

    `provider_id='litellm'` resolves bare names and `provider/model` names alike; a prefix that is
    not a genai-prices provider (a proxy or deployment name) is stripped as a fallback, and a bare
    Bedrock id (`us.anthropic.claude-...-v2:0`) is looked up under AWS.
    """
    from genai_prices.data_snapshot import find_provider_by_id

    snapshot = _genai_snapshot()
    attempts: list[tuple[str, str | None]] = [(model, "litellm")]
    prefix, _, rest = model.rpartition("/")
    if prefix and find_provider_by_id(snapshot.providers, prefix.split("/")[0]) is None:
        attempts.append((rest, "litellm"))
    if _BEDROCK_ID.match(rest.lower()):
        attempts.append((rest, "aws"))
    errors: list[str] = []
    for model_ref, provider_id in attempts:
        try:
            snapshot.find_provider_model(model_ref, None, provider_id, None)
        except LookupError as exc:
            errors.append(str(exc))
            continue
        return model_ref, provider_id
    return errors[0]


class Pricer:
    """Prices generations for one configuration (`[[tool.agentcost.models]]`, `price_date`)."""

    def __init__(self, config: Config) -> None:
        self.models: tuple[ModelPrice, ...] = config.models
        self.price_date: dt.date | None = config.price_date

    def price_time(self, start_time: dt.datetime) -> dt.datetime:
        """The moment whose prices apply: `price_date` at 00:00 UTC when set, else `start_time`."""
        if self.price_date is not None:
            return dt.datetime.combine(self.price_date, dt.time(), tzinfo=dt.UTC)
        return start_time if start_time.tzinfo else start_time.replace(tzinfo=dt.UTC)

    def cost(
        self,
        *,
        model: str | None,
        usage: Mapping[str, int],
        cost_details: Mapping[str, Decimal] | None,
        start_time: dt.datetime,
    ) -> Cost:
        """The cost of one generation from its normalised usage and the cost details it sent."""
        provided = decimal_costs(cost_details or {})
        if provided:
            return _provided_cost(provided)
        if not any(usage.values()):
            return ZERO_COST
        if not model:
            return Cost(
                None,
                None,
                problem=(
                    f"it has usage {dict(usage)} but no `model`, so no price applies. Set `model` on "
                    "the generation, or send cost_details with a `total`."
                ),
            )
        when = self.price_time(start_time)
        for entry in self.models:
            if entry.start_date is not None and entry.start_date > when.astimezone(dt.UTC).date():
                continue
            if re.search(entry.match, model):
                return _override_cost(entry, usage)
        return self._genai_cost(model, usage, when)

    def _genai_cost(self, model: str, usage: Mapping[str, int], when: dt.datetime) -> Cost:
        """The genai-prices cost, or an unknown cost naming the model and the fix."""
        try:
            resolved = _resolve(model)
        except ImportError:
            return _unpriced(
                model,
                f"genai-prices is not installed (pip install '{GENAI_PRICES_PIN}', or the "
                "`prices` extra of pytest-agentcost)",
            )
        if isinstance(resolved, str):
            return _unpriced(model, f"genai-prices does not know it ({resolved})")
        mapped, ignored = genai_prices_usage(usage)
        if not mapped["input_tokens"] and not mapped["output_tokens"]:
            keys = ", ".join(sorted(k for k, v in usage.items() if v))
            return Cost(
                None,
                None,
                problem=(
                    f"model {model!r} has usage ({keys}) without input or output token counts, "
                    "which genai-prices needs. Send input/output in usage_details, or add a "
                    "[[tool.agentcost.models]] entry that prices these usage keys (e.g. `total`)."
                ),
                unpriced_model=model,
            )
        model_ref, provider_id = resolved
        try:
            calculation = _genai_snapshot().calc(mapped, model_ref, provider_id, None, when)
        except ValueError as exc:
            return Cost(
                None,
                None,
                problem=(
                    f"genai-prices rejected the usage of model {model!r} ({exc}). Fix the "
                    "usage_details the generation sends, or price the model in "
                    "[[tool.agentcost.models]]."
                ),
                unpriced_model=model,
            )
        via = f"genai-prices {calculation.provider.id}/{calculation.model.id}"
        return Cost(Decimal(calculation.total_price), "computed", via=via, ignored_usage=ignored)


def _provided_cost(provided: Mapping[str, Decimal]) -> Cost:
    """Langfuse's rule for client-sent costs: `total`, else `input + output` if only those were sent."""
    if "total" in provided:
        return Cost(provided["total"], "provided", via="cost_details")
    if provided.keys() <= {"input", "output"}:
        return Cost(sum(provided.values(), Decimal(0)), "provided", via="cost_details")
    keys = ", ".join(sorted(provided))
    return Cost(
        None,
        None,
        problem=(
            f"cost_details has {keys} but no `total`; Langfuse stores no total cost for that "
            "either (it only adds input + output when those are the only keys). Send `total` in "
            "cost_details."
        ),
    )


def _override_cost(entry: ModelPrice, usage: Mapping[str, int]) -> Cost:
    """Langfuse's arithmetic for a model price, in `Decimal`: units x price per exactly matching key."""
    prices = entry.prices
    label = f"[[tool.agentcost.models]] {entry.name or entry.match!r}"
    if "total" in prices:
        amount = prices["total"] * usage.get("total", 0)
        ignored: tuple[str, ...] = ()
    else:
        amount = sum(
            (price * usage[key] for key, price in prices.items() if key in usage), Decimal(0)
        )
        ignored = tuple(
            k for k, v in usage.items() if v and k not in prices and k not in _NOT_TOKENS
        )
    return Cost(amount, "computed", via=label, ignored_usage=ignored)


def _unpriced(model: str, reason: str) -> Cost:
    return Cost(
        None,
        None,
        problem=(
            f"no price for model {model!r}: no [[tool.agentcost.models]] entry matches it and "
            f"{reason}. Add a [[tool.agentcost.models]] entry for it, or send cost_details with a "
            "`total`."
        ),
        unpriced_model=model,
    )
