"""Token usage as the Langfuse server stores it: the normalisation rules and the `Usage` value.

`normalise_usage` turns the `usage_details` an SDK sent into the key -> count map the Langfuse
server would store (its zod union in `packages/shared/src/server/ingestion/types.ts`, then the
"derive `total`" step of the ingestion service). `Usage` is that map plus the five headline counts.

Langfuse semantics: `input` excludes cache reads and cache writes; those are separate keys that
add up. The headline counts follow the same rule, so for an ordinary generation
`input_tokens + output_tokens + cache_read_input_tokens + cache_creation_input_tokens == total_tokens`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any

__all__ = [
    "CACHE_CREATION_KEYS",
    "CACHE_READ_KEYS",
    "INPUT_KEYS",
    "OUTPUT_KEYS",
    "ZERO_USAGE",
    "Usage",
    "is_input_key",
    "is_output_key",
    "legacy_usage_to_details",
    "normalise_usage",
    "with_total",
]

# Usage keys Langfuse prices as cache reads / cache writes (its default model table lists these).
CACHE_READ_KEYS = frozenset({"input_cached_tokens", "cache_read_input_tokens", "input_cache_read"})
CACHE_CREATION_KEYS = frozenset(
    {
        "input_cache_creation",
        "cache_creation_input_tokens",
        "input_cache_creation_5m",
        "input_cache_creation_1h",
    }
)
# The plain input / output keys. `input_tokens` and `output_tokens` survive un-renamed when an SDK
# sends Anthropic-style usage without `total_tokens`; `prompt_tokens` / `completion_tokens` when it
# sends OpenAI-style usage without `total_tokens` (Langfuse keeps both raw).
INPUT_KEYS = frozenset({"input", "input_tokens", "prompt_tokens"})
OUTPUT_KEYS = frozenset({"output", "output_tokens", "completion_tokens"})
_TOTAL_KEYS = frozenset({"total", "total_tokens"})

_OPENAI_SHAPES = (
    # (input key, output key, input details key, output details key)
    ("prompt_tokens", "completion_tokens", "prompt_tokens_details", "completion_tokens_details"),
    ("input_tokens", "output_tokens", "input_tokens_details", "output_tokens_details"),
)
_PARSE_INT = re.compile(r"\s*([+-]?)(0[xX][0-9a-fA-F]+|\d+)")


def _as_int(value: Any) -> int | None:
    """The value as a JSON integer (a JS number with no fraction), else None; bools are not numbers."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    return None


def _parse_int(text: str) -> int | None:
    """JavaScript's `parseInt(text)`: leading whitespace, a sign, then digits (or 0x hex); else None."""
    found = _PARSE_INT.match(text)
    if found is None:
        return None
    sign, digits = found.groups()
    number = int(digits, 16) if digits[:2].lower() == "0x" else int(digits)
    return -number if sign == "-" else number


def _openai_shape(raw: Mapping[str, Any]) -> dict[str, int] | None:
    """The OpenAI Chat Completions or Responses usage shape (strict, as the server's zod), else None."""
    for input_key, output_key, input_details, output_details in _OPENAI_SHAPES:
        allowed = {input_key, output_key, "total_tokens", input_details, output_details}
        if not {input_key, output_key, "total_tokens"} <= raw.keys() or not raw.keys() <= allowed:
            continue
        input_count, output_count, total_count = (
            _as_int(raw[key]) for key in (input_key, output_key, "total_tokens")
        )
        if input_count is None or output_count is None or total_count is None:
            continue
        if min(input_count, output_count, total_count) < 0:
            continue
        input_found, output_found = (
            _details(raw.get(input_details)),
            _details(raw.get(output_details)),
        )
        if input_found is None or output_found is None:
            continue
        result = {"input": input_count, "output": output_count, "total": total_count}
        for side, found in (("input", input_found), ("output", output_found)):
            for key, value in found.items():
                result[f"{side}_{key}"] = value
                result[side] = max(result[side] - value, 0)
        return result
    return None


def _details(value: Any) -> dict[str, int] | None:
    """An optional `*_tokens_details` record of non-negative ints or nulls (nulls skipped), else None."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        return None
    found: dict[str, int] = {}
    for key, item in value.items():
        if item is None:
            continue
        number = _as_int(item)
        if number is None or number < 0:
            return None
        found[str(key)] = number
    return found


def _raw_counts(raw: Mapping[str, Any]) -> dict[str, int]:
    """The raw map, keeping only values that are (or parse as) non-negative integers; keys unchanged."""
    kept: dict[str, int] = {}
    for key, value in raw.items():
        number = _parse_int(value) if isinstance(value, str) else _as_int(value)
        if number is not None and number >= 0:
            kept[str(key)] = number
    return kept


def with_total(details: dict[str, int]) -> dict[str, int]:
    """Langfuse's ingestion step, in place: a non-empty usage without `total` gets the sum of all values."""
    if details and "total" not in details:
        details["total"] = sum(details.values())
    return details


def normalise_usage(raw: Mapping[str, Any], *, derive_total: bool = True) -> dict[str, int]:
    """The usage map the Langfuse server stores for these `usage_details`, exactly by its rules.

    OpenAI Chat (`prompt_tokens`, `completion_tokens`, `total_tokens`, `*_details`) and OpenAI
    Responses (`input_tokens`, `output_tokens`, `total_tokens`, `*_details`) shapes become `input`,
    `output`, `total` and `input_<k>` / `output_<k>`, each detail subtracted from its side (floored
    at 0). Any other map is kept key by key, dropping values that are not non-negative integers
    (numeric strings are read like JavaScript's `parseInt`). Then `total` is derived if missing,
    unless `derive_total=False` (for callers that merge several usage maps first, then call
    `with_total` on the result, as the server does).
    """
    shaped = _openai_shape(raw)
    details = shaped if shaped is not None else _raw_counts(raw)
    return with_total(details) if derive_total else details


def legacy_usage_to_details(
    usage: Mapping[str, Any], *, derive_total: bool = True
) -> tuple[dict[str, int], dict[str, Decimal]]:
    """The server's mapping of the legacy (SDK v2) `usage` object to usage and cost details.

    `{input, output, total, unit, inputCost, outputCost, totalCost}` becomes usage
    `{input, output, total}` and costs `{input, output, total}`. When any of `promptTokens`,
    `completionTokens` or `totalTokens` is present the server takes only those three (as input,
    output, total) and, like the server, drops the costs. `unit` carries no count and is ignored.
    A missing `total` is derived (input + output) unless `derive_total=False`.
    """
    from pytest_agentcost.capture.pricing import decimal_costs  # pricing imports this module

    if any(key in usage for key in ("promptTokens", "completionTokens", "totalTokens")):
        counts = {
            "input": usage.get("promptTokens"),
            "output": usage.get("completionTokens"),
            "total": usage.get("totalTokens"),
        }
        costs: dict[str, Decimal] = {}
    else:
        counts = {key: usage.get(key) for key in ("input", "output", "total")}
        costs = decimal_costs(
            {
                "input": usage.get("inputCost"),
                "output": usage.get("outputCost"),
                "total": usage.get("totalCost"),
            }
        )
    details = {key: value for key, value in counts.items() if value is not None}
    counted = _raw_counts(details)
    return (with_total(counted) if derive_total else counted), costs


def _sum(details: Mapping[str, int], keys: frozenset[str]) -> int:
    return sum(count for key, count in details.items() if key in keys)


def is_input_key(key: str) -> bool:
    """An input-side key that is not a cache bucket: `input`, aliases, or a detail such as `input_audio_tokens`."""
    if key in CACHE_READ_KEYS or key in CACHE_CREATION_KEYS:
        return False
    return key in INPUT_KEYS or key.startswith("input_")


def is_output_key(key: str) -> bool:
    """An output-side key: `output`, aliases, or a detail such as `output_reasoning_tokens`."""
    return key in OUTPUT_KEYS or key.startswith("output_")


@dataclass(frozen=True)
class Usage:
    """Normalised token usage: the Langfuse key -> count map and the headline counts derived from it.

    - `input_tokens`: `input` (and the raw aliases `input_tokens`, `prompt_tokens`) plus input
      details such as `input_audio_tokens`; never cache reads or cache writes.
    - `output_tokens`: `output` (and aliases) plus output details such as `output_reasoning_tokens`.
    - `cache_read_input_tokens`: `input_cached_tokens` + `cache_read_input_tokens` + `input_cache_read`.
    - `cache_creation_input_tokens`: `input_cache_creation` + `cache_creation_input_tokens` +
      `input_cache_creation_5m` + `input_cache_creation_1h`.
    - `total_tokens`: `total` (Langfuse always derives one).
    """

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0
    details: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}), hash=False)

    @classmethod
    def from_details(cls, details: Mapping[str, int]) -> Usage:
        """A `Usage` from an already normalised key -> count map (see `normalise_usage`)."""
        frozen = MappingProxyType(dict(details))
        total = frozen.get("total")
        return cls(
            input_tokens=sum(count for key, count in frozen.items() if is_input_key(key)),
            output_tokens=sum(count for key, count in frozen.items() if is_output_key(key)),
            total_tokens=total if total is not None else frozen.get("total_tokens", 0),
            cache_read_input_tokens=_sum(frozen, CACHE_READ_KEYS),
            cache_creation_input_tokens=_sum(frozen, CACHE_CREATION_KEYS),
            details=frozen,
        )

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> Usage:
        """A `Usage` from `usage_details` exactly as an SDK sent them."""
        return cls.from_details(normalise_usage(raw))

    def __add__(self, other: Usage) -> Usage:
        if not isinstance(other, Usage):
            return NotImplemented
        summed = dict(self.details)
        for key, count in other.details.items():
            summed[key] = summed.get(key, 0) + count
        return Usage.from_details(summed)

    def __bool__(self) -> bool:
        """True when any count is non-zero."""
        return any(self.details.values())


ZERO_USAGE = Usage()
