"""Settings values of the wrong type or range are configuration errors that name the setting."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bmad import config, dirs
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


def test_a_file_read_before_is_not_parsed_again_until_its_text_changes(tmp_path: Path) -> None:
    dotfile = tmp_path / ".bmad.toml"
    dotfile.write_text("[scan]\njobs = 3\n", encoding="utf-8")
    script = (
        "import sys; from pathlib import Path; from bmad import config; "
        f"jobs = config.load(Path({str(tmp_path)!r}), environ={{}}).get('scan.jobs'); "
        "print(jobs, 'tomllib' in sys.modules)"
    )

    def load_in_a_new_process() -> str:
        return subprocess.run(
            [sys.executable, "-c", script], check=True, capture_output=True, text=True
        ).stdout.strip()

    assert load_in_a_new_process() == "3 True"
    assert load_in_a_new_process() == "3 False"
    stat = dotfile.stat()
    dotfile.write_text("[scan]\njobs = 4\n", encoding="utf-8")  # same size, same times
    os.utime(dotfile, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert load_in_a_new_process() == "4 True"
    assert load_in_a_new_process() == "4 False"


def test_values_json_cannot_hold_are_read_by_tomllib_each_time(tmp_path: Path) -> None:
    (tmp_path / ".bmad.toml").write_text(
        "[scan]\nsince = 1979-05-27T07:32:00Z\nlimit = inf\n", encoding="utf-8"
    )

    for _ in range(2):
        scan = config.load(tmp_path, environ={}).section("scan")
        assert scan["since"] == datetime(1979, 5, 27, 7, 32, tzinfo=UTC)
        assert scan["limit"] == math.inf


def test_a_damaged_cache_entry_is_read_again_from_the_file(tmp_path: Path) -> None:
    (tmp_path / ".bmad.toml").write_text('[analysis]\nexclude = ["a/*"]\n', encoding="utf-8")
    assert config.load(tmp_path, environ={}).get("analysis.exclude") == ["a/*"]
    (entry,) = (dirs.cache_dir() / config.PARSED_TOML_FOLDER).iterdir()
    for damage in ('{"path": "elsewhere"', "[1, 2]", '{"parsed": []}'):
        entry.write_text(damage, encoding="utf-8")
        assert config.load(tmp_path, environ={}).get("analysis.exclude") == ["a/*"]
