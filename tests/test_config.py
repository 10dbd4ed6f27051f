"""Settings values of the wrong type or range are configuration errors that name the setting."""

from __future__ import annotations

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
