"""The daemon's trends step keeps each repository's technology history current: a first pass
mines every commit, later passes only the new ones, and what it stores is what a full mining
of the same history gives."""

from __future__ import annotations

from pathlib import Path

from bmad.daemon.miner import StepReport, TrendsStep, mine_repository
from bmad.scanning.trends import mine_technology_history, open_trends_store, stored_history
from bmad.store.registry import add_repository, open_registry
from tests.gitrepo import write_files
from tests.technology_repos import HISTORY, dated_commit, technology_repo


def test_the_trends_step_mines_only_new_commits_and_matches_a_full_mining(
    bmad_home: Path, tmp_path: Path
) -> None:
    repo = technology_repo(tmp_path / "repo", steps=3)
    with open_registry() as store:
        repository, _ = add_repository(store, repo)
        first = mine_repository(store, repository, [TrendsStep()])
        assert first.reports == (StepReport("trends", 1, 3),)
        for when, subject, files, deleted in HISTORY[3:]:
            write_files(repo, dict(files))
            for path in deleted:
                (repo / path).unlink()
            dated_commit(repo, when, subject)
        later = mine_repository(store, repository, [TrendsStep()])
        assert later.reports == (StepReport("trends", 1, len(HISTORY) - 3),)
        assert mine_repository(store, repository, [TrendsStep()]).reports == (
            StepReport("trends", 0, 0),
        )
        assert later.head_commit is not None
        git_dir = str(repo / ".git")
        kept = stored_history(store, git_dir, "repo")
    with open_trends_store() as store:
        update, read = mine_technology_history(store, repo)
    assert update.new_commits == 0 and not update.rewritten
    with open_trends_store(tmp_path / "fresh.sqlite3") as fresh:
        full_update, full = mine_technology_history(fresh, repo)
    assert full_update.new_commits == len(HISTORY)
    assert kept is not None and full is not None and read == kept
    assert kept.tip == later.head_commit == full.tip
    assert kept.mainline == full.mainline and kept.presence == full.presence
