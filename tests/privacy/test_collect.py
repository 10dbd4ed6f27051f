"""The adapters from the other lenses to the contribution inputs, on a real repository."""

from __future__ import annotations

from pathlib import Path

from bmad.privacy.collect import collect_local_statistics
from bmad.privacy.schemas import LEARNING_TYPES, ROUND_ONLY_TYPES, bounded_contribution
from tests.gitrepo import git, init_repo

FILES = {
    "pkg/__init__.py": "",
    "pkg/a.py": "from pkg import b\n\n\ndef f(x):\n    return b.g(x)\n",
    "pkg/b.py": (
        "from pkg import a\n\n\ndef g(x):\n    if x:\n        return a.f(x - 1)\n    return 0\n"
    ),
    "tests/test_a.py": "def test_f():\n    assert True\n",
}


def test_every_learning_type_gets_its_input(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo", FILES)
    (repo / "pkg" / "a.py").write_text("from pkg import b\n\n\ndef f(x):\n    return b.g(x) + 1\n")
    git(repo, "commit", "-q", "-am", "Fix the off-by-one")
    collected = collect_local_statistics(repo)
    assert collected.notes == []
    stats = collected.statistics
    assert stats.workflow is not None
    assert stats.workflow.total_commits == 2 and stats.workflow.fix_commits == 1
    assert sorted(stats.workflow.commit_sizes)[-1] > 0
    assert stats.architecture is not None
    assert 2 in stats.architecture.cycle_sizes  # a <-> b
    assert stats.anti_patterns is not None and stats.anti_patterns.functions_analysed == 3
    assert stats.success is not None
    assert stats.success.has_tests and not stats.success.has_ci
    assert stats.success.fix_ratio == 0.5 and stats.success.merge_share == 0
    for learning_type in sorted(set(LEARNING_TYPES) - ROUND_ONLY_TYPES):
        assert bounded_contribution(learning_type, stats) is not None


def test_an_empty_repository_has_no_history(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "empty")
    (repo / "x.py").write_text("def f():\n    return 1\n")
    collected = collect_local_statistics(repo)
    assert collected.statistics.workflow is None
    assert any("no commits" in note for note in collected.notes)
