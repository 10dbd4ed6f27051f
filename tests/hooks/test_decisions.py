"""The pre-commit hook says when the staged change reverts a recent decision: a dependency
added along the mainline within [rules] abandoned_dependency_months and removed now."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.hooks.hookrepo import bmad, git, make_repo, write

DAY = 24 * 3600


def dated_commit(repo: Path, days_ago: int, message: str) -> None:
    when = datetime.fromtimestamp(time.time() - days_ago * DAY, UTC).isoformat()
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message, GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when)


def stack(tmp_path: Path) -> Path:
    """requests for 200 days, celery for 10, and the code beside them."""
    repo = make_repo(tmp_path / "stack")
    write(repo, {"requirements.txt": "requests\n", "app.py": "def main():\n    return 1\n"})
    dated_commit(repo, 200, "start with requests")
    write(repo, {"requirements.txt": "requests\ncelery\n"})
    dated_commit(repo, 10, "try celery")
    return repo


def test_removing_a_dependency_added_days_ago_is_reported_and_blocks_when_strict(
    tmp_path: Path,
) -> None:
    repo = stack(tmp_path)
    write(repo, {"requirements.txt": "requests\n"})
    git(repo, "add", "requirements.txt")
    checked = bmad(repo, "hook", "pre-commit", "--json")
    (decision,) = json.loads(checked.stdout)["decisions"]
    assert decision["rule_id"] == "abandoned-dependency"
    assert (decision["path"], decision["technology"]) == (
        "requirements.txt",
        "dependency:pypi:celery",
    )
    assert 9 <= decision["days"] <= 11 and decision["threshold_months"] == 6
    warned = bmad(repo, "hook", "pre-commit")
    assert "reverts a recent decision" in warned.stdout and "celery" in warned.stdout
    blocked = bmad(repo, "hook", "pre-commit", "--strict", check=False)
    assert blocked.returncode == 1 and "commit blocked" in blocked.stdout


def test_an_old_dependency_or_a_code_only_change_is_no_reverted_decision(tmp_path: Path) -> None:
    repo = stack(tmp_path)
    write(repo, {"requirements.txt": "celery\n"})  # requests came 200 days ago
    git(repo, "add", "requirements.txt")
    assert json.loads(bmad(repo, "hook", "pre-commit", "--json").stdout)["decisions"] == []
    git(repo, "reset", "-q", "requirements.txt")
    write(repo, {"app.py": "def main():\n    return 2\n"})
    git(repo, "add", "app.py")
    assert json.loads(bmad(repo, "hook", "pre-commit", "--json").stdout)["decisions"] == []
    write(repo, {".bmad.toml": "[rules]\nabandoned_dependency_months = 12\n"})
    write(repo, {"requirements.txt": "celery\n"})
    git(repo, "add", "requirements.txt")
    (decision,) = json.loads(bmad(repo, "hook", "pre-commit", "--json").stdout)["decisions"]
    assert decision["technology"] == "dependency:pypi:requests"
