"""`[tool.agentcost]`: discovery, defaults and errors that name the key."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from pytest_agentcost.config import Config, ConfigError, find_pyproject, load_config, parse_config


def write_pyproject(directory: Path, body: str) -> Path:
    path = directory / "pyproject.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_a_project_without_a_table_gets_the_defaults(tmp_path: Path) -> None:
    path = write_pyproject(tmp_path, "[project]\nname = 'x'\n")
    config = load_config(path)
    assert config == Config()
    assert config.required_metadata == ("agent_type",)
    assert config.enabled_rules() == ("AC001", "AC002")


def test_every_key_is_parsed_into_typed_values(tmp_path: Path) -> None:
    path = write_pyproject(
        tmp_path,
        """
[tool.agentcost]
lint_paths = ["src"]
exclude = ["src/generated/**"]
required_metadata = ["agent_type", "team"]
observe_aliases = ["app.tracing.traced"]
select = ["ac001", "AC002"]
ignore = ["AC002"]
unverifiable_metadata = "ignore"
jobs = 3
price_date = "2026-06-01"
enforce_attribution = true
tolerance = "2.5"

[[tool.agentcost.models]]
name = "fine-tune"
match = "(?i)^ft:gpt-4o"
prices = { input = "0.0000003", output = "0.0000012" }
""",
    )
    config = load_config(path)
    assert config.lint_paths == ("src",)
    assert config.required_metadata == ("agent_type", "team")
    assert config.enabled_rules() == ("AC001",)
    assert config.unverifiable_metadata == "ignore"
    assert config.jobs == 3
    assert config.price_date == dt.date(2026, 6, 1)
    assert config.enforce_attribution is True
    assert config.tolerance == Decimal("2.5")
    (model,) = config.models
    assert model.prices == {"input": Decimal("0.0000003"), "output": Decimal("0.0000012")}
    assert model.pattern.search("FT:gpt-4o:acme")


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ({"lint_path": ["src"]}, "unknown key 'lint_path'. Did you mean 'lint_paths'?"),
        ({"exclude": "build"}, "exclude must be a list of strings"),
        ({"select": ["AC999"]}, "select names an unknown rule 'AC999'"),
        ({"select": []}, "select must name at least one rule"),
        ({"required_metadata": []}, 'To turn AC001 off, use ignore = ["AC001"]'),
        ({"required_metadata": ["agent_type", " "]}, "must name at least one metadata key"),
        ({"observe_aliases": ["traced"]}, 'module included, such as "app.tracing.traced"'),
        ({"observe_aliases": ["app.not a name"]}, "got 'app.not a name'"),
        ({"unverifiable_metadata": "warn"}, 'unverifiable_metadata must be "report" or "ignore"'),
        ({"jobs": 0}, 'jobs must be "auto" (one process per CPU) or a whole number of at least 1'),
        ({"jobs": "many"}, 'jobs must be "auto"'),
        ({"jobs": True}, 'jobs must be "auto"'),
        ({"price_date": "yesterday"}, "price_date must be a date"),
        ({"enforce_attribution": "yes"}, "enforce_attribution must be true or false"),
        (
            {"models": [{"match": "gpt-(", "prices": {"input": "1"}}]},
            "models[0].match is not a valid regular expression",
        ),
        (
            {"models": [{"match": "gpt", "prices": {"input": 0.5}}]},
            "models[0].prices.input must be written as a string",
        ),
        (
            {"models": [{"match": "gpt", "prices": {"input": "cheap"}}]},
            "models[0].prices.input must be a non-negative number",
        ),
        (
            {"models": [{"match": "gpt", "prices": {"input": "-1"}}]},
            "models[0].prices.input must be a non-negative number",
        ),
        (
            {"models": [{"match": "gpt", "prices": {"input": -1}}]},
            "models[0].prices.input must be a non-negative number",
        ),
        ({"models": [{"match": "gpt"}]}, "models[0].prices must be a table"),
        (
            {"models": [{"match": "gpt", "prices": {"input": "1"}, "cost": 1}]},
            "models[0] has an unknown key 'cost'",
        ),
    ],
)
def test_a_bad_key_or_value_raises_an_error_that_names_it(
    table: dict[str, object], expected: str
) -> None:
    with pytest.raises(ConfigError) as excinfo:
        parse_config(table)
    assert expected in str(excinfo.value)


def test_invalid_toml_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = write_pyproject(tmp_path, "[tool.agentcost\nselect = [")
    with pytest.raises(ConfigError, match="pyproject.toml: not valid TOML"):
        load_config(path)


def test_the_nearest_pyproject_with_an_agentcost_table_is_found(tmp_path: Path) -> None:
    write_pyproject(tmp_path, "[tool.agentcost]\nselect = ['AC001']\n")
    nested = tmp_path / "pkg" / "sub"
    nested.mkdir(parents=True)
    write_pyproject(tmp_path / "pkg", "[project]\nname = 'inner'\n")
    assert find_pyproject(nested) == tmp_path / "pyproject.toml"


def test_without_any_agentcost_table_the_nearest_pyproject_is_used(tmp_path: Path) -> None:
    write_pyproject(tmp_path, "[project]\nname = 'x'\n")
    assert find_pyproject(tmp_path) == tmp_path / "pyproject.toml"


def test_a_broken_table_stops_a_pytest_run_with_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml("[tool.agentcost]\nrequired_metadat = ['agent_type']\n")
    pytester.makepyfile("def test_ok():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "socket_guard")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*unknown key 'required_metadat'. Did you mean 'required_metadata'?*"]
    )


def nested_pyproject(tmp_path: Path, inner_text: str) -> Path:
    """An outer pyproject with `select = ['AC002']`, and an inner directory with `inner_text`."""
    write_pyproject(tmp_path, "[tool.agentcost]\nselect = ['AC002']\n")
    inner = tmp_path / "inner"
    inner.mkdir()
    write_pyproject(inner, inner_text)
    return inner


def test_a_table_written_with_dotted_keys_is_found(tmp_path: Path) -> None:
    inner = nested_pyproject(
        tmp_path, "[project]\nname = 'in'\n\n[tool]\nagentcost.select = ['AC001']\n"
    )
    assert find_pyproject(inner) == inner / "pyproject.toml"
    assert load_config(find_pyproject(inner)).select == ("AC001",)


def test_a_mention_of_agentcost_outside_the_table_does_not_count(tmp_path: Path) -> None:
    inner = nested_pyproject(tmp_path, "[project]\nname = 'x'  # [tool.agentcost] lives above\n")
    assert find_pyproject(inner) == tmp_path / "pyproject.toml"


def test_a_broken_file_that_mentions_agentcost_is_the_one_reported(tmp_path: Path) -> None:
    inner = nested_pyproject(tmp_path, "[tool.agentcost\nselect = [")
    assert find_pyproject(inner) == inner / "pyproject.toml"
