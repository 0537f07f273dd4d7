"""What an SDK adapter hands to the observation model: one flat record per observation.

Adapters (`capture/sdk_otel.py` for Langfuse 3.9+, `capture/sdk_v2.py` for 2.x) turn whatever the
SDK emitted (OpenTelemetry spans, v2 ingestion events) into these records, already decoded:
metadata values are Python values, usage and cost are dicts, costs are `Decimal`. The model
(`capture/model.py`) builds traces and trees from them; it never sees SDK objects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass(frozen=True, slots=True)
class TraceAttributes:
    """Trace-level attributes as seen on one observation (they repeat; the model merges them)."""

    name: str | None = None
    session_id: str | None = None
    user_id: str | None = None
    tags: tuple[str, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ObservationRecord:
    """One observation exactly as the SDK reported it, decoded but not interpreted."""

    id: str
    trace_id: str
    parent_id: str | None
    name: str
    type: str  # "span", "generation", "embedding", "agent", "tool", "event", ...
    start_time: dt.datetime  # timezone-aware, UTC
    end_time: dt.datetime | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    trace: TraceAttributes = field(default_factory=TraceAttributes)
    model: str | None = None
    model_parameters: Mapping[str, Any] = field(default_factory=dict)
    usage_details: Mapping[str, Any] = field(default_factory=dict)  # as sent, before normalising
    cost_details: Mapping[str, Decimal] | None = None  # as sent; None when the SDK sent none
    level: str = "DEFAULT"
    status_message: str | None = None
    sdk_version: str = ""
