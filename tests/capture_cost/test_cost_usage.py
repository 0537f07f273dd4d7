"""Usage normalisation follows the Langfuse server's rules; `Usage` derives its counts from them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from pytest_agentcost.capture.usage import (
    ZERO_USAGE,
    Usage,
    legacy_usage_to_details,
    normalise_usage,
    with_total,
)

NORMALISATION_CASES: list[tuple[str, dict[str, Any], dict[str, int]]] = [
    (
        "openai chat with details subtracts each detail from its side",
        {
            "prompt_tokens": 100,
            "completion_tokens": 50,
            "total_tokens": 150,
            "prompt_tokens_details": {"cached_tokens": 30, "audio_tokens": None},
            "completion_tokens_details": {"reasoning_tokens": 10},
        },
        {
            "input": 70,
            "input_cached_tokens": 30,
            "output": 40,
            "output_reasoning_tokens": 10,
            "total": 150,
        },
    ),
    (
        "openai chat details larger than the side floor it at zero",
        {
            "prompt_tokens": 5,
            "completion_tokens": 1,
            "total_tokens": 6,
            "prompt_tokens_details": {"cached_tokens": 4, "audio_tokens": 3},
        },
        {"input": 0, "input_cached_tokens": 4, "input_audio_tokens": 3, "output": 1, "total": 6},
    ),
    (
        "openai responses shape is converted the same way",
        {
            "input_tokens": 200,
            "output_tokens": 80,
            "total_tokens": 280,
            "input_tokens_details": {"cached_tokens": 120},
            "output_tokens_details": {"reasoning_tokens": 64},
        },
        {
            "input": 80,
            "input_cached_tokens": 120,
            "output": 16,
            "output_reasoning_tokens": 64,
            "total": 280,
        },
    ),
    (
        "openai chat without total_tokens stays raw and gets a summed total",
        {"prompt_tokens": 5, "completion_tokens": 7},
        {"prompt_tokens": 5, "completion_tokens": 7, "total": 12},
    ),
    (
        "openai shape with an extra key is not the strict shape and stays raw",
        {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12, "extra": 1},
        {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12, "extra": 1, "total": 25},
    ),
    (
        "openai shape with a fractional detail falls back to the raw map dropping the nested dict",
        {
            "prompt_tokens": 5,
            "completion_tokens": 7,
            "total_tokens": 12,
            "prompt_tokens_details": {"cached_tokens": 1.5},
        },
        {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12, "total": 24},
    ),
    (
        "raw map keeps langfuse keys and derives total from every value including cache keys",
        {"input": 10, "output": 5, "cache_read_input_tokens": 3},
        {"input": 10, "output": 5, "cache_read_input_tokens": 3, "total": 18},
    ),
    (
        "raw map keeps a provided total",
        {"input": 10, "output": 5, "total": 99},
        {"input": 10, "output": 5, "total": 99},
    ),
    (
        "raw map drops floats with a fraction, negatives, nested dicts, bools, nulls and junk strings",
        {
            "input": 10,
            "fraction": 1.5,
            "negative": -3,
            "nested": {"a": 1},
            "flag": True,
            "nothing": None,
            "word": "many",
        },
        {"input": 10, "total": 10},
    ),
    (
        "raw map reads numeric strings like parseInt and keeps integral floats",
        {
            "input": "42",
            "output": " 7 tokens",
            "cached": "3.9",
            "whole": 4.0,
            "exact": Decimal(2),
        },
        {"input": 42, "output": 7, "cached": 3, "whole": 4, "exact": 2, "total": 58},
    ),
    ("raw map reads a negative numeric string as negative and drops it", {"input": "-5"}, {}),
    ("an empty map stays empty with no total", {}, {}),
]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [case[1:] for case in NORMALISATION_CASES],
    ids=[case[0] for case in NORMALISATION_CASES],
)
def test_usage_details_are_normalised_like_the_langfuse_server(
    raw: dict[str, Any], expected: dict[str, int]
) -> None:
    assert normalise_usage(raw) == expected


USAGE_FIELD_CASES: list[tuple[str, dict[str, int], tuple[int, int, int, int, int]]] = [
    # (input, output, total, cache read, cache creation)
    ("plain input and output", {"input": 10, "output": 5, "total": 15}, (10, 5, 15, 0, 0)),
    (
        "input_cached_tokens is a cache read and not input",
        {"input": 70, "input_cached_tokens": 30, "output": 5, "total": 105},
        (70, 5, 105, 30, 0),
    ),
    (
        "cache_read_input_tokens and input_cache_read are cache reads",
        {"input": 1, "cache_read_input_tokens": 2, "input_cache_read": 4, "total": 7},
        (1, 0, 7, 6, 0),
    ),
    (
        "every cache creation key is a cache write and not input",
        {
            "input": 1,
            "input_cache_creation": 2,
            "cache_creation_input_tokens": 4,
            "input_cache_creation_5m": 8,
            "input_cache_creation_1h": 16,
            "total": 31,
        },
        (1, 0, 31, 0, 30),
    ),
    (
        "input and output details count on their side",
        {
            "input": 3,
            "input_audio_tokens": 2,
            "output": 4,
            "output_reasoning_tokens": 6,
            "total": 15,
        },
        (5, 10, 15, 0, 0),
    ),
    (
        "anthropic-style raw keys count as input and output",
        {"input_tokens": 9, "output_tokens": 2, "cache_read_input_tokens": 100, "total": 111},
        (9, 2, 111, 100, 0),
    ),
    ("no usage is all zero", {}, (0, 0, 0, 0, 0)),
]


@pytest.mark.parametrize(
    ("details", "expected"),
    [case[1:] for case in USAGE_FIELD_CASES],
    ids=[case[0] for case in USAGE_FIELD_CASES],
)
def test_usage_fields_follow_langfuse_input_excluding_cache(
    details: dict[str, int], expected: tuple[int, int, int, int, int]
) -> None:
    usage = Usage.from_details(details)
    assert (
        usage.input_tokens,
        usage.output_tokens,
        usage.total_tokens,
        usage.cache_read_input_tokens,
        usage.cache_creation_input_tokens,
    ) == expected
    assert dict(usage.details) == details


def test_openai_usage_buckets_add_up_to_the_total() -> None:
    usage = Usage.from_raw(
        {
            "prompt_tokens": 100,
            "completion_tokens": 50,
            "total_tokens": 150,
            "prompt_tokens_details": {"cached_tokens": 30},
            "completion_tokens_details": {"reasoning_tokens": 10},
        }
    )
    assert (usage.input_tokens, usage.output_tokens, usage.cache_read_input_tokens) == (70, 50, 30)
    parts = usage.input_tokens + usage.output_tokens + usage.cache_read_input_tokens
    assert parts == usage.total_tokens


def test_adding_usages_sums_details_key_by_key() -> None:
    first = Usage.from_details({"input": 10, "output": 5, "total": 15})
    second = Usage.from_details({"input": 1, "input_cached_tokens": 7, "total": 8})
    combined = first + second
    assert dict(combined.details) == {
        "input": 11,
        "output": 5,
        "input_cached_tokens": 7,
        "total": 23,
    }
    assert (combined.input_tokens, combined.cache_read_input_tokens, combined.total_tokens) == (
        11,
        7,
        23,
    )


def test_zero_usage_is_the_identity_of_addition_and_is_falsy() -> None:
    usage = Usage.from_details({"input": 3, "total": 3})
    assert ZERO_USAGE + usage == usage
    assert not ZERO_USAGE
    assert usage


def test_usage_details_cannot_be_mutated() -> None:
    usage = Usage.from_details({"input": 3})
    with pytest.raises(TypeError):
        usage.details["input"] = 4  # type: ignore[index]


LEGACY_CASES: list[tuple[str, dict[str, Any], dict[str, int], dict[str, Decimal]]] = [
    (
        "input output total and costs map to usage and cost details",
        {
            "input": 10,
            "output": 20,
            "total": 30,
            "unit": "TOKENS",
            "inputCost": 0.001,
            "outputCost": Decimal("0.002"),
            "totalCost": 0.003,
        },
        {"input": 10, "output": 20, "total": 30},
        {"input": Decimal("0.001"), "output": Decimal("0.002"), "total": Decimal("0.003")},
    ),
    (
        "a missing total is input plus output",
        {"input": 10, "output": 20},
        {"input": 10, "output": 20, "total": 30},
        {},
    ),
    (
        "camelCase openai keys map to input output total and drop costs like the server",
        {"promptTokens": 4, "completionTokens": 6, "totalTokens": 10, "totalCost": 1.5},
        {"input": 4, "output": 6, "total": 10},
        {},
    ),
    ("unit alone carries no usage", {"unit": "CHARACTERS"}, {}, {}),
]


@pytest.mark.parametrize(
    ("usage", "details", "costs"),
    [case[1:] for case in LEGACY_CASES],
    ids=[case[0] for case in LEGACY_CASES],
)
def test_legacy_usage_objects_map_like_the_langfuse_server(
    usage: dict[str, Any], details: dict[str, int], costs: dict[str, Decimal]
) -> None:
    assert legacy_usage_to_details(usage) == (details, costs)


def test_total_derivation_can_wait_until_usage_maps_are_merged() -> None:
    raw = normalise_usage({"input": 3}, derive_total=False)
    legacy, _ = legacy_usage_to_details({"output": 4}, derive_total=False)
    assert (raw, legacy) == ({"input": 3}, {"output": 4})
    assert with_total({**raw, **legacy}) == {"input": 3, "output": 4, "total": 7}
    shaped = normalise_usage(
        {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 9}, derive_total=False
    )
    assert shaped == {"input": 1, "output": 2, "total": 9}  # a supplied total is kept
