"""What the terminal shows: counts in the right number, each rule once per finding, every
crossed threshold in "why", a sentence instead of an empty table, and no wrapping on a pipe."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from bmad.analysis.findings import Finding, RankedItem
from bmad.analysis.inputs import FunctionRecord
from bmad.analysis.rules import function_smells
from bmad.analysis.settings import RuleSettings
from bmad.cli._common import counted, rule_list
from bmad.cli.learn import why_text
from bmad.cli.main import cli
from tests.analysis.factories import metrics
from tests.gitrepo import init_repo

TANGLED = (
    "def tangled(a, b, c, d, e, f):\n"
    + "".join(f"    if a > {n}:\n        a -= {n}\n" for n in range(10))
    + "    return a\n"
)


def test_counts_agree_with_their_nouns() -> None:
    assert [counted(n, "cycle") for n in (0, 1, 2)] == ["0 cycles", "1 cycle", "2 cycles"]
    assert counted(1, "dependency", "dependencies") == "1 dependency"
    assert counted(3, "dependency", "dependencies") == "3 dependencies"


def test_a_rule_that_fired_twice_is_listed_once_with_its_count() -> None:
    fired = ["hotspot", "change-coupled-across-modules", "change-coupled-across-modules"]
    assert rule_list(fired) == "hotspot, change-coupled-across-modules (x2)"


def test_why_names_every_threshold_crossed_then_the_anomaly() -> None:
    record = FunctionRecord("a.py", "python", metrics(name="tangled", ccn=12, params=7))
    smells = function_smells(record, RuleSettings())
    anomaly = Finding(
        "anomalous-function", "warning", "a.py", 1, 9, "tangled stands out: 7 parameters", {}
    )
    item = RankedItem(
        1, "function", "a.py", 1, 9, "tangled", 5.0, 0.7, "7 parameters", (anomaly, *smells)
    )
    assert why_text(item) == (
        "has cyclomatic complexity 12 (threshold 9); takes 7 parameters (threshold 5); "
        "stands out: 7 parameters"
    )


def test_an_architecture_with_one_cycle_says_one_cycle(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo", {"a.py": "import b\n", "b.py": "import a\n"})
    result = CliRunner().invoke(cli, ["architecture", str(repo)], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.stderr
    assert "2 modules, 2 dependencies, 1 cycle (2 modules in cycles)" in result.stdout
    assert "Cycle 1: 2 modules" in result.stdout


def test_history_without_coupling_says_so_instead_of_an_empty_table(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo", {"a.py": "x = 1\n", "b/c.py": "y = 2\n"})
    result = CliRunner().invoke(cli, ["history", str(repo)], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.stderr
    assert (
        "Change coupling: none above the thresholds (min-revs 5, min-shared-revs 5, "
        "min-coupling 30%, max-changeset 30)"
    ) in result.stdout
    assert "coupled with" not in result.stdout  # no empty table's header


def test_a_piped_table_keeps_every_cell_on_one_line(tmp_path: Path) -> None:
    path = "a_rather_long_package_name/with_a_long_subpackage/and_a_long_module_name.py"
    repo = init_repo(tmp_path / "repo", {path: TANGLED})
    environment = {key: value for key, value in os.environ.items() if key != "COLUMNS"}
    piped = subprocess.run(
        [sys.executable, "-m", "bmad", "learn", "anti-patterns", str(repo)],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    (row,) = [line for line in piped.stdout.splitlines() if f"{path}:1" in line]
    assert "has cyclomatic complexity 11 (threshold 9); takes 6 parameters (threshold 5)" in row
    assert len(row) > 80
