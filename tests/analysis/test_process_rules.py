"""Process and collaboration findings on a hand-worked history: which file each rule flags,
with which numbers, and that the thresholds come from ``[rules]``."""

from __future__ import annotations

from bmad.analysis.detect import detect
from bmad.analysis.inputs import AnalysisInput, HistoryFacts
from bmad.analysis.process_rules import process_facts, process_smells
from bmad.analysis.settings import AnalysisSettings, RuleSettings, rule_settings
from bmad.extractors.history import SECONDS_PER_DAY, CommitRecord, FileChange, SubjectPatterns

PATTERNS = SubjectPatterns(fix=(r"\bfix\b",), revert=(r"^revert\b",))
DAY = SECONDS_PER_DAY


def commit(number: int, day: int, author: str, subject: str, *changes: FileChange) -> CommitRecord:
    parents = (f"c{number - 1}",) if number else ()
    return CommitRecord(
        f"c{number}", parents, author, f"{author}@example.com", day * DAY, subject, changes
    )


def m(path: str, old_path: str | None = None) -> FileChange:
    return FileChange(path, "R" if old_path else "M", 1, 1, old_path)


def history() -> list[CommitRecord]:
    """
    chain.py: fixes on days 10, 20, 45, 50, 55 -> the longest run with gaps <= 30 days is 5
      (10, 20, 45, 50, 55: gaps 10, 25, 5, 5);
    spaced.py: fixes on days 0, 100, 200 -> runs of 1;
    swept.py: in three commits of 30 files each (the sweep also touches filler files);
    reverted.py: two reverts;
    shared.py: five authors with one commit each -> fragmentation 1 - 5 x (1/5)^2 = 0.8;
    owned.py (renamed from old.py): alice 40 commits, bob, carol and dave one each -> three
      minor contributors (each 1 of 43 commits, under 5%).
    """
    filler = [m(f"filler{i:02}.py") for i in range(29)]
    commits: list[CommitRecord] = []

    def add(day: int, author: str, subject: str, *changes: FileChange) -> None:
        commits.append(commit(len(commits), day, author, subject, *changes))

    for day in (10, 20, 45, 50, 55):
        add(day, "ann", "fix parser", m("chain.py"))
    for day in (0, 100, 200):
        add(day, "ann", "fix spacing", m("spaced.py"))
    for day in (1, 2, 3):
        add(day, "ann", "sweep: rename everything", m("swept.py"), *filler)
    for day in (4, 5):
        add(day, "ann", "Revert the speedup", m("reverted.py"))
    for author in ("p", "q", "r", "s", "t"):
        add(6, author, "tweak", m("shared.py"))
    for index in range(40):
        add(7 + index, "alice", "work", m("old.py"))
    add(60, "alice", "move", m("owned.py", "old.py"))
    for author in ("bob", "carol", "dave"):
        add(61, author, "small change", m("owned.py"))
    return commits


def test_each_pattern_is_measured_per_file() -> None:
    facts = process_facts(history(), PATTERNS)
    assert facts["chain.py"].longest_fix_chain(30) == 5
    assert facts["chain.py"].longest_fix_chain(9) == 3  # 45, 50, 55
    assert facts["spaced.py"].longest_fix_chain(30) == 1
    assert facts["swept.py"].large_commits(30) == 3
    assert facts["swept.py"].large_commits(31) == 0
    assert facts["reverted.py"].reverts == 2 and facts["reverted.py"].fix_times == []
    assert round(facts["shared.py"].fragmentation, 6) == 0.8
    assert "old.py" not in facts and facts["owned.py"].revisions == 44
    assert facts["owned.py"].minor_contributors == 3


def test_the_findings_name_the_files_and_their_numbers() -> None:
    facts = process_facts(history(), PATTERNS)
    found = process_smells(facts, facts, RuleSettings())
    by_rule = {(f.rule_id, f.path) for f in found if not f.path.startswith("filler")}
    fillers = {f.rule_id for f in found if f.path.startswith("filler")}
    assert fillers == {"very-large-commits"}  # the sweep touched them three times too
    assert by_rule == {
        ("fix-on-fix", "chain.py"),
        ("very-large-commits", "swept.py"),
        ("reverted-changes", "reverted.py"),
        ("fragmented-ownership", "shared.py"),
        ("minor-contributors", "owned.py"),
    }
    messages = {f.rule_id: f.message for f in found}
    assert messages["fix-on-fix"] == (
        "5 fixes in a row, each within 30 days of the last (threshold 3)"
    )
    assert messages["minor-contributors"] == (
        "3 minor contributors (each under 5% of its 44 commits; threshold 3)"
    )
    assert messages["fragmented-ownership"] == (
        "5 authors share its commits, fragmentation 0.80 (threshold 0.75)"
    )


def test_thresholds_come_from_the_rules_settings() -> None:
    facts = process_facts(history(), PATTERNS)
    strict = rule_settings({"fix_chain_fixes": 6, "reverts": 3, "fragmentation_above": 0.9})
    rules = {f.rule_id for f in process_smells(facts, facts, strict)}
    assert {"fix-on-fix", "reverted-changes", "fragmented-ownership"}.isdisjoint(rules)
    loose = rule_settings({"large_commit_files": 31, "disabled": ["minor-contributors"]})
    rules = {f.rule_id for f in process_smells(facts, facts, loose)}
    assert "very-large-commits" not in rules and "minor-contributors" not in rules


def test_detection_ranks_them_with_the_other_findings() -> None:
    facts = process_facts(history(), PATTERNS)
    analysis_input = AnalysisInput(
        functions=(),
        file_complexity={"chain.py": 3, "owned.py": 1},
        history=HistoryFacts(files={}, process=facts),
    )
    report = detect(analysis_input, AnalysisSettings())
    assert {(f.rule_id, f.path) for f in report.findings} == {
        ("fix-on-fix", "chain.py"),
        ("minor-contributors", "owned.py"),
    }
