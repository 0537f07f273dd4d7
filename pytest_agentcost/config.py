"""`[tool.agentcost]` in pyproject.toml: discovery, validation and the frozen `Config`.

Plain Python: the lint engine, the capture model and the CLI share it, and it never imports pytest.
Every problem raises `ConfigError` with a message that names the key and says how to fix it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "Config",
    "ConfigError",
    "Jobs",
    "ModelPrice",
    "find_pyproject",
    "jobs_value",
    "load_config",
    "parse_config",
]

RULE_CODES = ("AC001", "AC002")

#: How many processes a lint run may extract files in: a number, or "auto" (one per CPU).
Jobs = int | Literal["auto"]


class ConfigError(Exception):
    """A `[tool.agentcost]` key or value is wrong; the message names it and the fix."""


@dataclass(frozen=True)
class ModelPrice:
    """One `[[tool.agentcost.models]]` entry: a user price that wins over genai-prices."""

    match: str
    prices: Mapping[str, Decimal]
    name: str = ""
    start_date: dt.date | None = None

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(self.match)


@dataclass(frozen=True)
class Config:
    """Everything `[tool.agentcost]` can set, with the defaults a project gets without one."""

    # lint
    lint_paths: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    required_metadata: tuple[str, ...] = ("agent_type",)
    observe_aliases: tuple[str, ...] = ()
    select: tuple[str, ...] = RULE_CODES
    ignore: tuple[str, ...] = ()
    unverifiable_metadata: Literal["report", "ignore"] = "report"
    jobs: Jobs = "auto"
    # capture and cost
    price_date: dt.date | None = None
    models: tuple[ModelPrice, ...] = ()
    enforce_attribution: bool = False
    # run-wide report
    tolerance: Decimal = Decimal(5)
    # where it came from (not a key)
    source: Path | None = field(default=None, compare=False)

    def enabled_rules(self) -> tuple[str, ...]:
        """The rule codes that `select` keeps and `ignore` does not drop."""
        return tuple(code for code in self.select if code not in self.ignore)

    def lint_fingerprint(self) -> str:
        """A stable hash of the keys that change lint results (part of the cache key)."""
        keys = {
            "required_metadata": self.required_metadata,
            "observe_aliases": self.observe_aliases,
            "unverifiable_metadata": self.unverifiable_metadata,
        }
        return hashlib.sha256(json.dumps(keys, sort_keys=True).encode()).hexdigest()[:16]


def find_pyproject(start: Path) -> Path | None:
    """The nearest `pyproject.toml` at or above `start` that has a `[tool.agentcost]` table,
    else the nearest `pyproject.toml` at all, else None."""
    start = start.resolve()
    candidates = [start, *start.parents] if start.is_dir() else list(start.parents)
    nearest: Path | None = None
    for directory in candidates:
        path = directory / "pyproject.toml"
        if path.is_file():
            nearest = nearest or path
            if _has_agentcost_table(path):
                return path
    return nearest


def _has_agentcost_table(path: Path) -> bool:
    """Whether the file has `[tool.agentcost]`, in any TOML spelling (`[tool]` + `agentcost.x = 1`).

    A file that mentions `agentcost` but is not valid TOML counts, so that loading it names the
    syntax error instead of a farther file being used in silence.
    """
    try:
        data = path.read_bytes()
    except OSError:
        return False
    if b"agentcost" not in data:
        return False  # (the common case: no TOML parse)
    try:
        tool = tomllib.loads(data.decode("utf-8")).get("tool")
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return True
    return isinstance(tool, dict) and "agentcost" in tool


def load_config(path: Path | None) -> Config:
    """Read and validate `[tool.agentcost]` from `path` (no file, or no table, means defaults)."""
    if path is None:
        return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the file ({exc.strerror}).") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}). Fix the syntax error.") from exc
    table = data.get("tool", {}).get("agentcost", {})
    return parse_config(table, source=path)


_FIELDS = {f.name for f in dataclasses.fields(Config)} - {"source"}


def parse_config(table: Mapping[str, Any], *, source: Path | None = None) -> Config:
    """Validate a `[tool.agentcost]` table; raise ConfigError naming the first bad key."""
    where = f"{source}: " if source else ""
    prefix = f"{where}[tool.agentcost]"
    if not isinstance(table, Mapping):
        raise ConfigError(f"{prefix} must be a table.")
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in _FIELDS:
            import difflib  # only for the error message

            hint = difflib.get_close_matches(key, sorted(_FIELDS), n=1)
            suggestion = f" Did you mean '{hint[0]}'?" if hint else ""
            raise ConfigError(
                f"{prefix} has an unknown key '{key}'.{suggestion} "
                f"Known keys: {', '.join(sorted(_FIELDS))}."
            )
        values[key] = _PARSERS[key](value, f"{prefix}.{key}")
    return Config(source=source, **values)


def _strings(value: Any, name: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{name} must be a list of strings, got {value!r}.")
    return tuple(value)


def _keys(value: Any, name: str) -> tuple[str, ...]:
    keys = _strings(value, name)
    if not keys or not all(key.strip() for key in keys):
        raise ConfigError(
            f'{name} must name at least one metadata key, such as ["agent_type"], got {value!r}. '
            'To turn AC001 off, use ignore = ["AC001"].'
        )
    return keys


_DOTTED = r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+"  # (compiled on first use, not at start-up)


def _aliases(value: Any, name: str) -> tuple[str, ...]:
    aliases = _strings(value, name)
    for alias in aliases:
        if not re.fullmatch(_DOTTED, alias):
            raise ConfigError(
                f"{name} entries are the dotted paths of your wrappers, module included, such as "
                f'"app.tracing.traced"; got {alias!r}.'
            )
    return aliases


def _selected(value: Any, name: str) -> tuple[str, ...]:
    codes = _rule_codes(value, name)
    if not codes:
        raise ConfigError(
            f'{name} must name at least one rule, such as ["AC001"], got []. To run no rule, '
            "do not pass --agentcost-lint (or leave the lint out of CI)."
        )
    return codes


def _rule_codes(value: Any, name: str) -> tuple[str, ...]:
    codes = tuple(code.upper() for code in _strings(value, name))
    for code in codes:
        if code not in RULE_CODES:
            raise ConfigError(
                f"{name} names an unknown rule '{code}'. Known rules: {', '.join(RULE_CODES)}."
            )
    return codes


def _unverifiable(value: Any, name: str) -> str:
    if value not in ("report", "ignore"):
        raise ConfigError(f'{name} must be "report" or "ignore", got {value!r}.')
    return str(value)


def jobs_value(value: Any, name: str) -> Jobs:
    """A process count: a whole number of at least 1, or "auto"."""
    if value == "auto":
        return "auto"
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    if isinstance(value, str) and value.isdigit() and int(value) >= 1:
        return int(value)
    raise ConfigError(
        f'{name} must be "auto" (one process per CPU) or a whole number of at least 1, '
        f"got {value!r}."
    )


def _bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{name} must be true or false, got {value!r}.")
    return value


def _date(value: Any, name: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ConfigError(f'{name} must be a date such as "2026-12-01", got {value!r}.')


def non_negative_decimal(value: str | int | Decimal) -> Decimal | None:
    """`value` as a finite, non-negative Decimal, or None when it is not one."""
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    return number if number.is_finite() and number >= 0 else None


def decimal_value(value: Any, name: str) -> Decimal:
    """A money or percentage value written as a string (or an int); floats are refused."""
    if isinstance(value, bool | float):
        raise ConfigError(
            f'{name} must be written as a string such as "0.0000025" (a TOML float loses '
            f"precision), got {value!r}."
        )
    number = non_negative_decimal(value) if isinstance(value, int | str) else None
    if number is None:
        raise ConfigError(
            f"{name} must be a non-negative number written as a string, got {value!r}."
        )
    return number


def _tolerance(value: Any, name: str) -> Decimal:
    if isinstance(value, float):  # a percentage, not money: a float such as 5.0 is fine
        value = repr(value)
    return decimal_value(value, name)


def _models(value: Any, name: str) -> tuple[ModelPrice, ...]:
    if not isinstance(value, list):
        raise ConfigError(f"{name} must be an array of tables ([[tool.agentcost.models]]).")
    models = []
    for index, entry in enumerate(value):
        here = f"{name}[{index}]"
        if not isinstance(entry, Mapping):
            raise ConfigError(f"{here} must be a table with 'match' and 'prices'.")
        unknown = set(entry) - {"match", "prices", "name", "start_date"}
        if unknown:
            raise ConfigError(
                f"{here} has an unknown key '{min(unknown)}'. "
                "Known keys: match, prices, name, start_date."
            )
        match = entry.get("match")
        if not isinstance(match, str) or not match:
            raise ConfigError(
                f'{here}.match must be a regular expression string, such as "(?i)^gpt-4o$".'
            )
        try:
            re.compile(match)
        except re.error as exc:
            raise ConfigError(f"{here}.match is not a valid regular expression: {exc}.") from exc
        prices = entry.get("prices")
        if not isinstance(prices, Mapping) or not prices:
            raise ConfigError(
                f"{here}.prices must be a table of USD per unit keyed by usage type, "
                'such as { input = "0.0000025", output = "0.00001" }.'
            )
        parsed = {str(k): decimal_value(v, f"{here}.prices.{k}") for k, v in prices.items()}
        label = entry.get("name", "")
        if not isinstance(label, str):
            raise ConfigError(f"{here}.name must be a string.")
        start = _date(entry["start_date"], f"{here}.start_date") if "start_date" in entry else None
        models.append(ModelPrice(match=match, prices=parsed, name=label, start_date=start))
    return tuple(models)


_PARSERS: dict[str, Any] = {
    "lint_paths": _strings,
    "exclude": _strings,
    "required_metadata": _keys,
    "observe_aliases": _aliases,
    "select": _selected,
    "ignore": _rule_codes,
    "unverifiable_metadata": _unverifiable,
    "jobs": jobs_value,
    "price_date": _date,
    "models": _models,
    "enforce_attribution": _bool,
    "tolerance": _tolerance,
}


def config_for_args(sequence: Sequence[str]) -> tuple[str, ...]:
    """Normalise a list of strings given on a command line (comma-separated allowed)."""
    return tuple(item.strip() for part in sequence for item in part.split(",") if item.strip())
