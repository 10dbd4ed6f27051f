"""Settings values of the wrong type or range are configuration errors that name the setting."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bmad import config
from bmad.errors import BmadError


def test_integer_reads_a_valid_value_from_the_repository_dotfile(tmp_path: Path) -> None:
    (tmp_path / ".bmad.toml").write_text("[scan]\njobs = 3\n", encoding="utf-8")

    assert config.load(tmp_path, environ={}).integer("scan.jobs", 0) == 3


@pytest.mark.parametrize("raw", ['"many"', "-1", "true", "1.5"])
def test_integer_refuses_wrong_types_and_ranges(tmp_path: Path, raw: str) -> None:
    (tmp_path / ".bmad.toml").write_text(f"[scan]\njobs = {raw}\n", encoding="utf-8")

    with pytest.raises(BmadError) as caught:
        config.load(tmp_path, environ={}).integer("scan.jobs", 0)

    assert caught.value.exit_code == 2
    assert caught.value.message.startswith("[scan] jobs must be an integer >= 0, got ")


def test_integer_of_an_environment_value_that_is_not_a_number() -> None:
    settings = config.load(None, environ={"BMAD_SCAN__MAX_FILE_SIZE": "big"})

    with pytest.raises(BmadError, match=r"\[scan\] max_file_size must be an integer >= 1"):
        settings.integer("scan.max_file_size", 1)


def test_integer_of_an_unknown_setting() -> None:
    with pytest.raises(BmadError, match=r"unknown setting 'scan\.nope'"):
        config.load(None, environ={}).integer("scan.nope", 0)


def test_require_number_bounds_are_inclusive() -> None:
    table = {"low": 0, "high": 1.0, "over": 1.01, "text": "0.5"}

    assert config.require_number("history", table, "low", 0, 1) == 0.0
    assert config.require_number("history", table, "high", 0, 1) == 1.0
    for key in ("over", "text"):
        with pytest.raises(BmadError, match=rf"\[history\] {key} must be a number in \[0, 1\]"):
            config.require_number("history", table, key, 0, 1)


def test_require_strings_refuses_a_bare_string() -> None:
    table = {"good": ["a", "b"], "bare": "abc", "mixed": ["a", 1]}

    assert config.require_strings("history", table, "good") == ("a", "b")
    for key in ("bare", "mixed"):
        with pytest.raises(BmadError, match=rf"\[history\] {key} must be a list of strings"):
            config.require_strings("history", table, key)


ENVIRONMENT_LITERALS = [
    "600", "0", "+0", "-0", "-17", "007", "1_000", "12345678901234567890123456789", " 5", "5 ",
    "true", "false", "True", "TRUE", "1.5", "1e3", "0x1F", "inf", "nan", '"quoted"', "'x'",
    "[1, 2]", "{ a = 1 }", "", "many", "1979-05-27", "-", "+", "٣",
]  # fmt: skip


@pytest.mark.parametrize("raw", ENVIRONMENT_LITERALS)
def test_environment_values_read_as_toml_reads_them(raw: str) -> None:
    try:
        expected = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        expected = raw

    value = config.load(None, environ={"BMAD_SCAN__JOBS": raw}).get("scan.jobs")

    assert (type(value), repr(value)) == (type(expected), repr(expected))


def test_a_configuration_file_that_is_not_toml_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.bmad\n", encoding="utf-8")

    with pytest.raises(BmadError, match=r"cannot read configuration .*pyproject\.toml"):
        config.load(tmp_path, environ={})


def test_settings_from_files_are_copies(tmp_path: Path) -> None:
    (tmp_path / ".bmad.toml").write_text('[analysis]\nexclude = ["a/*"]\n', encoding="utf-8")
    first = config.load(tmp_path, environ={})
    first.values["analysis"]["exclude"].append("b/*")
    first.values["rules"]["disabled"].append("deep-nesting")

    second = config.load(tmp_path, environ={})

    assert second.get("analysis.exclude") == ["a/*"]
    assert second.get("rules.disabled") == []
