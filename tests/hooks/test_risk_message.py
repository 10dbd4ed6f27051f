"""The pre-commit message names the staged files' stored defect risk and why: for a file
that got worse, and for a file in the repository's top 10% by risk x lines (the files
``learn anti-patterns`` gives a defect-risk note) even when nothing got worse; the hook
reads the stored risks only (it never trains) and a risk never blocks a commit."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from bmad.analysis.risk_store import FileRisk, RiskReport, open_risk_store, save_risks
from tests.hooks.hookrepo import BAD_FUNCTION, GOOD_FUNCTION, bmad, git, write

RISKY = FileRisk("app.py", 0.58, 0.03, 40, 3.1, ("12 modules it imports",))
CALM = FileRisk("util.py", 0.05, 0.9, 10, 0.1, ())


def store_risks(repo: Path) -> None:
    report = RiskReport("local", "local model", 365, {"app.py": RISKY, "util.py": CALM})
    with open_risk_store() as store:
        save_risks(store, repo, "b" * 40, report)


def test_a_risky_staged_file_is_named_with_why_and_never_blocks(
    new_repo: Callable[..., Path],
) -> None:
    repo = new_repo(files={"app.py": GOOD_FUNCTION, "util.py": GOOD_FUNCTION})
    store_risks(repo)
    write(repo, {"app.py": GOOD_FUNCTION + "\n\ndef more():\n    return 2\n"})
    write(repo, {"util.py": GOOD_FUNCTION + "\n\ndef more():\n    return 3\n"})
    git(repo, "add", "app.py", "util.py")

    calm_change = bmad(repo, "hook", "pre-commit", "--strict")
    assert calm_change.returncode == 0
    assert calm_change.stdout.splitlines() == [
        "bmad: staged files with a high defect risk (a note, never blocks)",
        "  app.py: risk of a fix within a year: 58%, top 3% in this repository; "
        "driven by 12 modules it imports",
    ]
    document = json.loads(bmad(repo, "hook", "pre-commit", "--json").stdout)
    assert [risk["path"] for risk in document["risks"]] == ["app.py", "util.py"]
    assert document["risks"][0]["head"] == "b" * 40

    write(repo, {"util.py": BAD_FUNCTION})
    git(repo, "add", "util.py")
    worse = bmad(repo, "hook", "pre-commit", check=False).stdout
    assert "  defect risk of these files:" in worse
    assert "    util.py: risk of a fix within a year: 5%, top 90% in this repository" in worse


def test_without_stored_risks_the_hook_says_nothing_more(
    new_repo: Callable[..., Path],
) -> None:
    repo = new_repo(files={"app.py": GOOD_FUNCTION})
    write(repo, {"app.py": GOOD_FUNCTION + "\n\ndef more():\n    return 2\n"})
    git(repo, "add", "app.py")
    assert bmad(repo, "hook", "pre-commit").stdout == ""
    assert json.loads(bmad(repo, "hook", "pre-commit", "--json").stdout)["risks"] == []


def test_the_hook_names_files_by_risk_x_lines_as_the_ranking_does(
    new_repo: Callable[..., Path],
) -> None:
    """A small file with the highest risk is not in the top 10% by risk x lines; a big file
    with a middling risk is, and comes first."""
    small = FileRisk("small.py", 0.9, 0.05, 3, 0.2, ("2 earlier fixes",))
    big = FileRisk("big.py", 0.3, 0.5, 900, 6.0, ("900 lines of code",))
    others = {f"o{i}.py": FileRisk(f"o{i}.py", 0.2, 0.6, 60, 0.5, ()) for i in range(18)}
    report = RiskReport("local", "local model", 365, {"small.py": small, "big.py": big, **others})
    repo = new_repo(files={"small.py": GOOD_FUNCTION, "big.py": GOOD_FUNCTION})
    with open_risk_store() as store:
        save_risks(store, repo, "b" * 40, report)
    write(repo, {"small.py": GOOD_FUNCTION + "\n\ndef more():\n    return 2\n"})
    write(repo, {"big.py": GOOD_FUNCTION + "\n\ndef more():\n    return 3\n"})
    git(repo, "add", "small.py", "big.py")
    assert bmad(repo, "hook", "pre-commit").stdout.splitlines() == [
        "bmad: staged files with a high defect risk (a note, never blocks)",
        "  big.py: risk of a fix within a year: 30%, top 50% in this repository; "
        "driven by 900 lines of code",
    ]
    document = json.loads(bmad(repo, "hook", "pre-commit", "--json").stdout)
    assert [(r["path"], r["in_top_share"]) for r in document["risks"]] == [
        ("big.py", True),
        ("small.py", False),
    ]
