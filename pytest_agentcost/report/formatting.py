"""Display formatting shared by the terminal, HTML and baseline output (never used for JSON)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

__all__ = ["fit", "format_count", "format_money", "format_share"]


def format_money(value: Decimal, width: int | None = None) -> str:
    """`$0.012345`: dollars rounded to 6 decimal places, for display only.

    With `width`, large amounts drop decimal places (down to none) so that they fit.
    """
    for places in (6, 4, 2, 0):
        text = f"${value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):,}"
        if width is None or len(text) <= width:
            break
    return text


def format_share(share: Decimal | None) -> str:
    """`42.5%`, or `-` when there is no total to share."""
    return "-" if share is None else f"{share.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


def format_count(value: int, width: int = 10) -> str:
    """`1,234,567`, or `12.3M` when the full number would not fit in `width`."""
    text = f"{value:,}"
    if len(text) <= width:
        return text
    for divisor, suffix in ((10**9, "G"), (10**6, "M"), (10**3, "k")):
        if value >= divisor:
            return f"{value / divisor:.1f}{suffix}"
    return text


def fit(text: str, width: int) -> str:
    """`text`, cut to `width` characters by dropping its middle (node ids keep both ends)."""
    if len(text) <= width:
        return text
    if width <= 3:
        return text[:width]
    head = (width - 3) // 3
    tail = width - 3 - head
    return f"{text[:head]}...{text[-tail:]}"
