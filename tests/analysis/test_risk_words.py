"""The risk in words, the same on every surface: the horizon the model looks ahead, the file's
place in the repository and what drives it ("risk of a fix within 6 months: 34%, top 5% in
this repository; driven by ..."), from the horizon stored with the risks."""

from __future__ import annotations

from pathlib import Path

import pytest

from bmad.analysis.risk_store import (
    FileRisk,
    RiskReport,
    horizon_words,
    open_risk_store,
    risk_sentence,
    save_risks,
    stored_file_risks,
    stored_report,
)


@pytest.mark.parametrize(
    ("days", "words"),
    [
        (365, "a year"),
        (730, "2 years"),
        (183, "6 months"),
        (182, "6 months"),
        (30, "a month"),
        (90, "90 days"),
        (7, "7 days"),
    ],
)
def test_the_horizon_in_words(days: int, words: str) -> None:
    assert horizon_words(days) == words


def test_the_issues_example_sentence() -> None:
    drivers = ["340 lines changed in the last 6 months", "6 minor contributors"]
    assert risk_sentence(0.34, 0.05, drivers, 183) == (
        "risk of a fix within 6 months: 34%, top 5% in this repository; driven by 340 lines "
        "changed in the last 6 months and 6 minor contributors"
    )
    assert risk_sentence(0.34, 0.001, []) == (
        "risk of a fix within a year: 34%, top 1% in this repository"
    )


def test_stored_risks_keep_their_horizon_for_the_editor_and_the_hook(tmp_path: Path) -> None:
    risky = FileRisk("app.py", 0.34, 0.05, 120, 2.0, ("6 minor contributors",), 183)
    with open_risk_store() as store:
        save_risks(store, tmp_path, "f" * 40, RiskReport("local", "local", 183, {"app.py": risky}))
        found = stored_report(store, tmp_path)
    assert found is not None and found[1].files["app.py"] == risky
    stored = stored_file_risks(tmp_path, ["app.py"])["app.py"]
    assert (
        stored.explanation()
        == risky.explanation()
        == (
            "risk of a fix within 6 months: 34%, top 5% in this repository; driven by 6 minor "
            "contributors"
        )
    )
