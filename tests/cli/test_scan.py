from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from gitrepo import init_repo, write_files

from bmad import __version__
from bmad.cli.main import cli

SOURCE = """\
def flat(a, b):
    return a + b


def branchy(values):
    total = 0
    for value in values:
        if value > 10 and value < 100:
            total += value
        elif value < 0:
            total -= value
    return total
"""


def test_scan_json_document_matches_the_documented_schema(tmp_path: Path) -> None:
    repo = init_repo(
        tmp_path / "repo",
        {"pkg/mod.py": SOURCE, "web/app.ts": "export const f = (x: number) => x * 2;\n"},
    )
    write_files(repo, {"bin.py": b"\x00\x01"})

    outcome = CliRunner().invoke(cli, ["scan", str(repo), "--json", "--jobs", "1"])

    assert outcome.exit_code == 0, outcome.output
    document = json.loads(outcome.stdout)
    assert document["version"] == 1
    assert [f["path"] for f in document["files"]] == ["pkg/mod.py", "web/app.ts"]
    module = document["files"][0]
    assert set(module) == {
        "path", "language", "loc", "sloc", "comment_lines", "blank_lines",
        "has_syntax_errors", "functions",
    }  # fmt: skip
    assert module["loc"] == 12
    branchy = module["functions"][1]
    assert set(branchy) == {
        "name", "qualified_name", "start_line", "end_line", "nloc", "length", "ccn",
        "cognitive", "max_nesting", "params", "returns", "tokens",
    }  # fmt: skip
    assert (branchy["name"], branchy["start_line"], branchy["end_line"]) == ("branchy", 5, 12)
    assert branchy["ccn"] == 5  # 1 + for + if + and + elif
    # cognitive: for +1, if +2 (nested once), "and" sequence +1, elif +1
    assert branchy["cognitive"] == 5
    assert document["skipped"] == [{"path": "bin.py", "reason": "binary (NUL bytes)"}]
    summary = document["summary"]
    assert summary["files"] == 2
    assert summary["languages"]["python"]["functions"] == 2
    assert set(summary) >= {"files", "functions", "languages", "seconds"}


def test_scan_human_output_shows_top_functions_and_languages(tmp_path: Path) -> None:
    write_files(tmp_path, {"m.py": SOURCE})

    outcome = CliRunner().invoke(cli, ["scan", str(tmp_path), "--top", "1", "--jobs", "1"])

    assert outcome.exit_code == 0, outcome.output
    assert "branchy" in outcome.stdout
    assert "flat" not in outcome.stdout.split("Languages")[0]
    assert "python" in outcome.stdout


def test_missing_path_exits_2_with_a_clear_message(tmp_path: Path) -> None:
    outcome = CliRunner().invoke(cli, ["scan", str(tmp_path / "absent")])

    assert outcome.exit_code == 2
    assert "absent: no such file or directory" in outcome.stderr


def test_scan_runs_as_a_real_process(tmp_path: Path) -> None:
    write_files(
        tmp_path / "src", {"main.go": "package main\n\nfunc main() {\n\tif true {\n\t}\n}\n"}
    )

    completed = subprocess.run(
        [sys.executable, "-m", "bmad", "scan", "--json", "--lang", "go", str(tmp_path / "src")],
        capture_output=True,
        text=True,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    document = json.loads(completed.stdout)
    (function,) = document["files"][0]["functions"]
    assert (function["name"], function["ccn"]) == ("main", 2)


def test_version_and_help_do_not_import_heavy_modules() -> None:
    probe = (
        "import sys; from bmad.cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('tree_sitter', 'numpy', 'sklearn', 'rich', 'pygit2', 'opendp', "
        "'pygls', 'lsprotocol', 'fastapi') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert "HEAVY []" in completed.stdout
    assert "scan" in completed.stdout

    version = subprocess.run(
        [sys.executable, "-m", "bmad", "--version"], capture_output=True, text=True, check=True
    )
    assert version.stdout.strip() == f"bmad, version {__version__}"


def test_a_scan_setting_of_the_wrong_type_is_a_configuration_error(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo", {"mod.py": SOURCE})
    write_files(repo, {".bmad.toml": '[scan]\njobs = "many"\n'})

    outcome = CliRunner().invoke(cli, ["scan", str(repo)])

    assert outcome.exit_code == 2
    assert outcome.stderr == "bmad: error: [scan] jobs must be an integer >= 0, got 'many'\n"


def test_human_output_wraps_long_locations_instead_of_cutting_them(tmp_path: Path) -> None:
    deep = "package/subpackage/another_level/module_with_a_long_name.py"
    repo = init_repo(tmp_path / "repo", {deep: SOURCE})

    outcome = CliRunner().invoke(cli, ["scan", str(repo), "--jobs", "1"])

    assert outcome.exit_code == 0, outcome.output
    assert "…" not in outcome.stdout
    location_cells = [line.split("│")[2].strip() for line in outcome.stdout.splitlines()[4:8]]
    assert "".join(location_cells).startswith(f"{deep}:5")
