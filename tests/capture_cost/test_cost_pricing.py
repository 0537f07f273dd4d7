"""Offline cost: provided costs, `[[tool.agentcost.models]]`, pinned genai-prices, unknown costs."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap
import tomllib
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from pytest_agentcost.capture.pricing import (
    Cost,
    Pricer,
    UnknownCostError,
    decimal_costs,
    genai_prices_usage,
    parse_json,
    price_snippet,
    sum_costs,
)
from pytest_agentcost.capture.usage import normalise_usage
from pytest_agentcost.config import parse_config

WHEN = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


def pricer(**table: Any) -> Pricer:
    """A Pricer for a `[tool.agentcost]` table written as keyword arguments."""
    return Pricer(parse_config(table))


def price(
    p: Pricer,
    model: str | None,
    usage: dict[str, Any],
    cost_details: dict[str, Any] | None = None,
    when: dt.datetime = WHEN,
) -> Cost:
    """Price raw usage_details the way the capture model does: normalise, then cost."""
    costs = decimal_costs(cost_details) if cost_details is not None else None
    return p.cost(model=model, usage=normalise_usage(usage), cost_details=costs, start_time=when)


# --- JSON and provided costs ------------------------------------------------------------------


def test_json_numbers_are_parsed_as_exact_decimals() -> None:
    parsed = parse_json('{"total": 0.001, "input": 1e-7, "count": 3}')
    assert parsed == {"total": Decimal("0.001"), "input": Decimal("1e-7"), "count": 3}
    assert type(parsed["count"]) is int


def test_two_thousand_provided_costs_of_a_tenth_of_a_cent_sum_to_exactly_two() -> None:
    p = pricer()
    details = parse_json('{"total": 0.001}')
    costs = [
        (f"gen {i}", p.cost(model="gpt-4o", usage={}, cost_details=details, start_time=WHEN))
        for i in range(2000)
    ]
    total = sum_costs(costs)
    assert total == Decimal("2.000")
    assert str(total) == "2.000"


DECIMAL_COST_CASES: list[tuple[str, dict[str, Any], dict[str, Decimal]]] = [
    (
        "a float goes through its repr, not its binary value",
        {"total": 0.1},
        {"total": Decimal("0.1")},
    ),
    (
        "ints and decimals are kept exactly",
        {"a": 2, "b": Decimal("0.30")},
        {"a": Decimal(2), "b": Decimal("0.30")},
    ),
    (
        "negatives, strings, bools, nulls and non-finite numbers are dropped",
        {
            "neg": -0.5,
            "s": "0.1",
            "b": True,
            "n": None,
            "inf": float("inf"),
            "nan": Decimal("NaN"),
            "ok": 0,
        },
        {"ok": Decimal(0)},
    ),
]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [case[1:] for case in DECIMAL_COST_CASES],
    ids=[case[0] for case in DECIMAL_COST_CASES],
)
def test_cost_details_become_exact_decimals(
    raw: dict[str, Any], expected: dict[str, Decimal]
) -> None:
    result = decimal_costs(raw)
    assert result == expected
    assert all(type(value) is Decimal for value in result.values())


PROVIDED_CASES: list[tuple[str, dict[str, Any], Decimal | None]] = [
    (
        "total wins over the parts",
        {"input": 1, "output": 2, "total": Decimal("0.5")},
        Decimal("0.5"),
    ),
    (
        "input plus output when they are the only keys",
        {"input": 0.25, "output": 0.5},
        Decimal("0.75"),
    ),
    ("input alone is its own total", {"input": Decimal("0.125")}, Decimal("0.125")),
    ("any other key without total is unknown", {"input": 1, "cache_read": 1}, None),
]


@pytest.mark.parametrize(
    ("cost_details", "expected"),
    [case[1:] for case in PROVIDED_CASES],
    ids=[case[0] for case in PROVIDED_CASES],
)
def test_provided_cost_details_follow_langfuse_rules(
    cost_details: dict[str, Any], expected: Decimal | None
) -> None:
    cost = price(pricer(), "gpt-4o", {"input": 1000, "output": 500}, cost_details)
    assert cost.amount == expected
    if expected is None:
        assert cost.source is None
        assert cost.problem is not None and "no `total`" in cost.problem
        assert "Send `total`" in cost.problem
    else:
        assert cost.source == "provided"


def test_provided_cost_wins_even_without_a_model() -> None:
    cost = price(pricer(), None, {"input": 5}, {"total": 0.02})
    assert (cost.amount, cost.source) == (Decimal("0.02"), "provided")


def test_an_empty_cost_details_map_counts_as_no_provided_cost() -> None:
    cost = price(pricer(), "gpt-4o", {"input": 1000, "output": 500}, {})
    assert (cost.amount, cost.source) == (Decimal("0.0075"), "computed")


# --- [[tool.agentcost.models]] ----------------------------------------------------------------


def test_langfuse_unit_test_example_total_price_decides_the_cost() -> None:
    p = pricer(
        models=[
            {
                "match": "^test-model$",
                "prices": {"input": "0.01", "output": "0.02", "total": "0.03"},
            }
        ]
    )
    cost = price(p, "test-model", {"input": 100, "output": 200, "total": 300})
    assert (cost.amount, cost.source) == (Decimal(9), "computed")


OVERRIDE_CASES: list[tuple[str, dict[str, str], dict[str, int], Decimal]] = [
    (
        "each usage key with an exactly equal price key is priced",
        {"input": "0.000001", "output": "0.000002", "input_cached_tokens": "0.0000005"},
        {"input": 1000, "output": 10, "input_cached_tokens": 100},
        Decimal("0.00107"),
    ),
    (
        "usage keys without a price cost nothing",
        {"input": "0.000001"},
        {"input": 1000, "output": 10},
        Decimal("0.001"),
    ),
    (
        "a total price prices only the total",
        {"total": "0.0000001", "input": "5"},
        {"input": 10, "output": 10},
        Decimal("0.000002"),
    ),
]


@pytest.mark.parametrize(
    ("prices", "usage", "expected"),
    [case[1:] for case in OVERRIDE_CASES],
    ids=[case[0] for case in OVERRIDE_CASES],
)
def test_model_overrides_use_langfuse_arithmetic_in_decimal(
    prices: dict[str, str], usage: dict[str, int], expected: Decimal
) -> None:
    p = pricer(models=[{"match": "(?i)^my-model$", "prices": prices}])
    cost = price(p, "My-Model", usage)
    assert cost.amount == expected
    assert cost.via is not None and "tool.agentcost.models" in cost.via


def test_unpriced_usage_keys_of_an_override_are_listed_as_ignored() -> None:
    p = pricer(models=[{"match": "^m$", "prices": {"input": "1"}}])
    cost = price(p, "m", {"input": 2, "output": 3})
    assert cost.ignored_usage == ("output",)


def test_the_first_matching_model_entry_wins() -> None:
    p = pricer(
        models=[
            {"match": "^gpt-4o-mini$", "prices": {"input": "1"}},
            {"match": "gpt-4o", "prices": {"input": "2"}},
            {"match": "gpt", "prices": {"input": "3"}},
        ]
    )
    assert price(p, "gpt-4o-mini", {"input": 1}).amount == Decimal(1)
    assert price(p, "openai/gpt-4o", {"input": 1}).amount == Decimal(2)
    assert price(p, "gpt-5", {"input": 1}).amount == Decimal(3)


def test_match_is_an_unanchored_case_sensitive_search_like_postgres() -> None:
    p = pricer(models=[{"match": "ft:acme", "prices": {"input": "1"}}])
    assert price(p, "openai/ft:acme:v2", {"input": 1}).amount == Decimal(1)
    assert (
        price(p, "openai/FT:ACME:v2", {"input": 1}).amount is None
    )  # not matched, not in genai-prices


def test_an_override_beats_genai_prices() -> None:
    p = pricer(models=[{"match": "(?i)^gpt-4o$", "prices": {"input": "0.001", "output": "0"}}])
    assert price(p, "gpt-4o", {"input": 1000, "output": 500}).amount == Decimal(1)


def test_an_entry_whose_start_date_is_after_the_price_date_does_not_apply() -> None:
    models = [
        {"match": "^m$", "start_date": "2026-07-01", "prices": {"input": "2"}},
        {"match": "^m$", "prices": {"input": "1"}},
    ]
    assert price(pricer(models=models), "m", {"input": 1}, when=WHEN).amount == Decimal(1)
    later = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
    assert price(pricer(models=models), "m", {"input": 1}, when=later).amount == Decimal(2)


# --- genai-prices -----------------------------------------------------------------------------


GENAI_CASES: list[tuple[str, str, dict[str, Any], Decimal, str]] = [
    ("gpt-4o", "gpt-4o", {"input": 1000, "output": 500}, Decimal("0.0075"), "openai/gpt-4o"),
    (
        "openai chat usage for gpt-4o is priced on the full prompt",
        "gpt-4o",
        {"prompt_tokens": 1000, "completion_tokens": 500, "total_tokens": 1500},
        Decimal("0.0075"),
        "openai/gpt-4o",
    ),
    (
        "claude with cache read and write, as in pricing.md",
        "claude-3-5-sonnet-20241022",
        {
            "input": 1000,
            "cache_read_input_tokens": 8000,
            "cache_creation_input_tokens": 1000,
            "output": 500,
        },
        Decimal("0.01665"),
        "anthropic/claude-3-5-sonnet",
    ),
    (
        "openai cached prompt tokens are billed at the cache-read price",
        "gpt-4o",
        {
            "prompt_tokens": 1000,
            "completion_tokens": 0,
            "total_tokens": 1000,
            "prompt_tokens_details": {"cached_tokens": 1000},
        },
        Decimal("0.00125"),
        "openai/gpt-4o",
    ),
    (
        "provider prefixed openai",
        "openai/gpt-4o",
        {"input": 1000, "output": 500},
        Decimal("0.0075"),
        "openai/gpt-4o",
    ),
    (
        "provider prefixed anthropic",
        "anthropic/claude-sonnet-4",
        {"input": 1000, "output": 500},
        Decimal("0.0105"),
        "anthropic/claude-sonnet-4-0",
    ),
    (
        "provider prefixed google",
        "google/gemini-2.5-pro",
        {"input": 1000, "output": 500},
        Decimal("0.00625"),
        "google/gemini-2.5-pro",
    ),
    (
        "a bare bedrock id resolves under aws",
        "us.anthropic.claude-3-5-sonnet-20241022-v2:0",
        {"input": 1000, "output": 500},
        Decimal("0.0105"),
        "aws/regional.anthropic.claude-3-5-sonnet-20241022-v2:0",
    ),
    (
        "an unknown proxy prefix is stripped",
        "my-gateway/gpt-4o",
        {"input": 1000, "output": 500},
        Decimal("0.0075"),
        "openai/gpt-4o",
    ),
]


@pytest.mark.parametrize(
    ("model", "usage", "expected", "resolved"),
    [case[1:] for case in GENAI_CASES],
    ids=[case[0] for case in GENAI_CASES],
)
def test_genai_prices_prices_known_models_offline(
    model: str, usage: dict[str, Any], expected: Decimal, resolved: str
) -> None:
    cost = price(pricer(), model, usage)
    assert (cost.amount, cost.source) == (expected, "computed")
    assert type(cost.amount) is Decimal
    assert cost.via == f"genai-prices {resolved}"


def test_langfuse_usage_maps_to_genai_prices_inclusive_input() -> None:
    mapped, ignored = genai_prices_usage(
        {
            "input": 10,
            "input_cached_tokens": 20,
            "input_cache_creation_5m": 3,
            "input_cache_creation_1h": 4,
            "output": 5,
            "output_reasoning_tokens": 6,
            "total": 48,
            "web_search_calls": 2,
        }
    )
    assert mapped == {
        "input_tokens": 37,
        "output_tokens": 11,
        "cache_read_tokens": 20,
        "cache_write_tokens": 7,
        "cache_write_5m_tokens": 3,
        "cache_write_1h_tokens": 4,
        "output_reasoning_tokens": 6,
    }
    assert ignored == ("web_search_calls",)


def test_price_date_changes_a_dated_genai_price() -> None:
    usage = {"input": 1_000_000, "output": 1_000_000}
    before = price(pricer(price_date="2026-03-12"), "claude-opus-4-6", usage)
    after = price(pricer(price_date="2026-03-13"), "claude-opus-4-6", usage)
    assert before.amount == Decimal("47.5")
    assert after.amount == Decimal(30)


def test_without_price_date_the_start_time_selects_the_price() -> None:
    usage = {"input": 1_000_000, "output": 1_000_000}
    p = pricer()
    late = dt.datetime(2026, 3, 12, 23, 59, tzinfo=dt.UTC)
    early = dt.datetime(2026, 3, 13, 0, 1, tzinfo=dt.UTC)
    assert price(p, "claude-opus-4-6", usage, when=late).amount == Decimal("47.5")
    assert price(p, "claude-opus-4-6", usage, when=early).amount == Decimal(30)


def test_price_date_wins_over_the_start_time() -> None:
    usage = {"input": 1_000_000, "output": 1_000_000}
    p = pricer(price_date="2026-03-12")
    assert price(
        p, "claude-opus-4-6", usage, when=dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    ).amount == Decimal("47.5")
    assert p.price_time(WHEN) == dt.datetime(2026, 3, 12, tzinfo=dt.UTC)


@pytest.fixture
def foreign_snapshot() -> Iterator[None]:
    """Someone else in the process installs an (empty) genai-prices snapshot, as UpdatePrices would."""
    from genai_prices import data_snapshot

    data_snapshot.set_custom_snapshot(
        data_snapshot.DataSnapshot(providers=[], from_auto_update=True)
    )
    yield
    data_snapshot.set_custom_snapshot(None)


@pytest.mark.usefixtures("foreign_snapshot")
def test_prices_come_from_the_pinned_snapshot_whatever_else_is_installed() -> None:
    from genai_prices import calc_price

    with pytest.raises(LookupError):
        calc_price({"input_tokens": 1}, "gpt-4o")  # the foreign snapshot knows nothing
    assert price(pricer(), "gpt-4o", {"input": 1000, "output": 500}).amount == Decimal("0.0075")


def test_importing_pricing_does_not_import_genai_prices_until_a_lookup() -> None:
    script = textwrap.dedent(
        """
        import datetime as dt, json, sys
        import pytest_agentcost.capture.pricing as pricing
        from pytest_agentcost.config import Config
        before = "genai_prices" in sys.modules
        p = pricing.Pricer(Config())
        when = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
        provided = p.cost(model="gpt-4o", usage={}, cost_details={"total": 1}, start_time=when)
        after_provided = "genai_prices" in sys.modules
        p.cost(model="gpt-4o", usage={"input": 1, "total": 1}, cost_details=None, start_time=when)
        print(json.dumps([before, after_provided, "genai_prices" in sys.modules]))
        """
    )
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert json.loads(result.stdout) == [False, False, True]


# --- unknown and zero costs -------------------------------------------------------------------


def test_a_generation_without_usage_or_cost_costs_zero() -> None:
    cost = price(pricer(), "no-such-model", {})
    assert (cost.amount, cost.source) == (Decimal(0), "computed")


def test_all_zero_usage_costs_zero_even_for_an_unknown_model() -> None:
    cost = price(pricer(), "no-such-model", {"input": 0, "output": 0})
    assert cost.amount == Decimal(0)


UNKNOWN_CASES: list[tuple[str, str | None, dict[str, Any], str]] = [
    ("an unknown model", "acme-llm-7b", {"input": 10, "output": 2}, "acme-llm-7b"),
    ("a prefixed unknown model", "unknown/foo", {"input": 10}, "unknown/foo"),
    ("a known provider without that model", "groq/gpt-4o", {"input": 10}, "groq/gpt-4o"),
    ("a generation without a model", None, {"input": 10}, "Set `model`"),
    ("usage with only a total", "gpt-4o", {"total": 10}, "without input or output token counts"),
]


@pytest.mark.parametrize(
    ("model", "usage", "mentioned"),
    [case[1:] for case in UNKNOWN_CASES],
    ids=[case[0] for case in UNKNOWN_CASES],
)
def test_unpriceable_usage_gives_an_unknown_cost_that_says_why(
    model: str | None, usage: dict[str, Any], mentioned: str
) -> None:
    cost = price(pricer(), model, usage)
    assert (cost.amount, cost.source) == (None, None)
    assert cost.problem is not None and mentioned in cost.problem
    assert cost.unpriced_model == model


def test_usage_genai_prices_rejects_is_unknown_with_the_reason() -> None:
    # OpenAI reports cached and audio prompt tokens without saying how many cached ones are audio;
    # genai-prices refuses to guess for a model that prices cached audio separately.
    usage = {
        "prompt_tokens": 100,
        "completion_tokens": 10,
        "total_tokens": 110,
        "prompt_tokens_details": {"cached_tokens": 40, "audio_tokens": 30},
    }
    cost = price(pricer(), "gpt-realtime", usage)
    assert (cost.amount, cost.source) == (None, None)
    assert cost.problem is not None and "genai-prices rejected the usage" in cost.problem
    assert "'gpt-realtime'" in cost.problem and "cache_audio_read_tokens" in cost.problem
    assert cost.unpriced_model == "gpt-realtime"


def test_summing_unknown_costs_names_every_unpriced_model_and_the_snippet() -> None:
    p = pricer()
    items = [
        ("agent-a / plan", price(p, "acme-llm-7b", {"input": 10})),
        ("agent-a / known", price(p, "gpt-4o", {"input": 10})),
        ("agent-b / draft", price(p, "openrouter/acme/secret-model.v2", {"input": 10})),
        ("agent-c / nameless", price(p, None, {"input": 10})),
    ]
    with pytest.raises(UnknownCostError) as caught:
        sum_costs(items)
    message = str(caught.value)
    assert message.startswith("3 observations have an unknown cost")
    for label in ("agent-a / plan", "agent-b / draft", "agent-c / nameless"):
        assert label in message
    assert "agent-a / known" not in message
    assert "'acme-llm-7b'" in message and "'openrouter/acme/secret-model.v2'" in message
    assert message.count("[[tool.agentcost.models]]\nmatch = ") == 2
    assert "[tool.agentcost.models.prices]" in message
    assert isinstance(caught.value, AssertionError)


@pytest.mark.parametrize(
    "model", ["acme-llm-7b", "openrouter/acme/secret-model.v2", "ft:gpt-4o:org(x)+1"]
)
def test_the_suggested_snippet_is_valid_config_that_prices_the_model(model: str) -> None:
    snippet = price_snippet(model)
    table = tomllib.loads(snippet)["tool"]["agentcost"]
    p = Pricer(parse_config(table))
    cost = price(p, model, {"input": 1_000_000, "output": 100_000})
    assert cost.amount == Decimal("3.5")
    assert (
        price(p, model + "-other", {"input": 1}).amount is None
    )  # anchored: no accidental matches


def test_sum_of_known_costs_is_exact() -> None:
    items = [(str(i), Cost(Decimal("0.1"), "computed")) for i in range(10)]
    assert sum_costs(items) == Decimal("1.0")
    assert sum_costs([]) == Decimal(0)
