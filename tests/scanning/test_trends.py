"""Mining a real repository's technology history: dates, changes, findings, incremental runs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from technology_repos import HISTORY, dated_commit, technology_repo

from bmad.extractors.technology_trends import (
    abandonments,
    changes_along,
    episodes,
    migrations,
    quarter_of,
)
from bmad.scanning.trends import mine_technology_history, open_trends_store


def day(moment: int) -> str:
    return datetime.fromtimestamp(moment, UTC).date().isoformat()


def test_first_and_last_presence_follow_the_commit_dates(tmp_path: Path) -> None:
    repo = technology_repo(tmp_path / "repo")
    with open_trends_store(tmp_path / "store.sqlite3") as store:
        update, history = mine_technology_history(store, repo)
    assert update.new_commits == len(HISTORY)
    assert history is not None
    seen = {p.technology: p for p in history.presence}
    assert day(seen["dependency:pypi:requests"].first_seen) == "2023-01-10"
    assert day(seen["dependency:pypi:requests"].last_seen) == "2023-02-01"
    assert not seen["dependency:pypi:requests"].at_tip
    assert day(seen["dependency:pypi:httpx"].first_seen) == "2023-03-01"
    assert seen["dependency:pypi:httpx"].at_tip
    assert day(seen["tool:flake8"].last_seen) == "2023-06-15"  # setup.cfg lost [flake8] after
    assert seen["language:typescript"].at_tip and seen["language:python"].at_tip
    assert seen["tool:eslint"].at_tip and "dependency:npm:eslint" not in seen


def test_replacements_and_a_reverted_decision_are_found(tmp_path: Path) -> None:
    repo = technology_repo(tmp_path / "repo")
    with open_trends_store(tmp_path / "store.sqlite3") as store:
        _, history = mine_technology_history(store, repo)
    assert history is not None
    changes = changes_along(history.mainline)
    found = {(m.replaced, m.replacement, m.same_change) for m in migrations(changes, 30)}
    assert ("dependency:pypi:requests", "dependency:pypi:httpx", True) in found
    assert ("tool:travis-ci", "tool:github-actions", True) in found
    assert ("tool:flake8", "tool:ruff", True) in found
    # one change removing two packages and adding one pairs both with it
    assert ("dependency:pypi:celery", "dependency:pypi:httpx", True) in found
    within_a_month = abandonments(episodes(changes), 1)
    assert [(a.technology, round(a.days)) for a in within_a_month] == [
        ("dependency:pypi:celery", 28)
    ]
    assert within_a_month[0].rule_id == "abandoned-dependency"
    within_half_a_year = {a.technology for a in abandonments(episodes(changes), 6)}
    assert within_half_a_year == {
        "dependency:pypi:celery",
        "dependency:pypi:requests",
        "tool:travis-ci",
        "tool:flake8",
    }
    assert quarter_of(history.mainline[-1].time) == "2024Q1"


def test_a_second_run_mines_only_new_commits_and_reuses_parsed_blobs(tmp_path: Path) -> None:
    repo = technology_repo(tmp_path / "repo", steps=3)
    with open_trends_store(tmp_path / "store.sqlite3") as store:
        first, _ = mine_technology_history(store, repo)
        again, _ = mine_technology_history(store, repo)
        (repo / "requirements.txt").write_text("httpx\nclick\nrequests\n")
        dated_commit(repo, "2023-04-01T00:00:00Z", "requests is back")
        later, history = mine_technology_history(store, repo)
    assert (first.new_commits, again.new_commits, later.new_commits) == (3, 0, 1)
    assert later.blobs_parsed == 1  # only the new requirements.txt
    assert history is not None
    assert "dependency:pypi:requests" in history.mainline[-1].technologies


def test_a_rewritten_history_is_mined_again(tmp_path: Path) -> None:
    repo = technology_repo(tmp_path / "repo", steps=4)
    with open_trends_store(tmp_path / "store.sqlite3") as store:
        mine_technology_history(store, repo)
        import subprocess

        subprocess.run(["git", "reset", "-q", "--hard", "HEAD~2"], cwd=repo, check=True)
        (repo / "requirements.txt").write_text("flask\n")
        dated_commit(repo, "2023-05-01T00:00:00Z", "another way")
        update, history = mine_technology_history(store, repo)
    assert update.rewritten and update.new_commits == 3
    assert history is not None
    assert "dependency:pypi:flask" in history.mainline[-1].technologies
    assert "tool:github-actions" not in {p.technology for p in history.presence}
