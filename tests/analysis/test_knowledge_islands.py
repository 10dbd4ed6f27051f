"""Knowledge islands only where someone else works, and at most a fifth of any top N."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

from click.testing import CliRunner

from bmad.analysis.ranking import CAPPED_SHARES, ranked_order
from bmad.cli.main import cli
from tests.gitrepo import GIT_ENV

DAY = 86_400


def commit_as(repo: Path, author: str, files: dict[str, str], days_ago: int) -> None:
    for relative, text in files.items():
        (repo / relative).write_text(text)
    moment = f"@{int(time.time()) - days_ago * DAY} +0000"
    identity = {
        "GIT_AUTHOR_NAME": author,
        "GIT_AUTHOR_EMAIL": f"{author}@example.invalid",
        "GIT_AUTHOR_DATE": moment,
        "GIT_COMMITTER_DATE": moment,
    }
    environment = {**os.environ, **GIT_ENV, **identity}
    for command in (["add", "-A"], ["commit", "-q", "-m", f"work by {author}"]):
        subprocess.run(["git", *command], cwd=repo, env=environment, check=True)


def module(index: int) -> str:
    return "".join(f"def f{index}_{n}(x):\n    return x + {n}\n\n\n" for n in range(3))


def island_paths(repo: Path) -> list[str]:
    result = CliRunner().invoke(cli, ["learn", "anti-patterns", str(repo), "--json", "--top", "99"])
    assert result.exit_code == 0, result.stderr
    return sorted(
        item["path"]
        for item in json.loads(result.stdout)["items"]
        if any(finding["rule_id"] == "knowledge-island" for finding in item["findings"])
    )


def test_a_single_authors_files_are_no_islands_until_someone_else_works_there(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    commit_as(repo, "ann", {f"m{index}.py": module(index) for index in range(4)}, days_ago=30)
    commit_as(repo, "ann", {"m0.py": module(0) + "X = 1\n"}, days_ago=20)
    assert island_paths(repo) == []

    commit_as(repo, "bob", {"m3.py": module(3) + "Y = 2\n" * 4}, days_ago=10)
    assert island_paths(repo) == ["m0.py", "m1.py", "m2.py"]


def test_an_author_who_left_long_ago_does_not_make_islands(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    commit_as(repo, "bob", {"old.py": module(9)}, days_ago=400)
    commit_as(repo, "ann", {f"m{index}.py": module(index) for index in range(3)}, days_ago=30)
    assert island_paths(repo) == []


def test_capped_entries_hold_at_most_their_share_of_every_top_n() -> None:
    share = CAPPED_SHARES["knowledge-island"]
    islands = [(f"island{n}", 9.0 - n / 10, ("knowledge-island",)) for n in range(8)]
    others = [(f"other{n}", 5.0 - n / 10, ("complex-method",)) for n in range(6)]
    mixed = [("both", 4.0, ("knowledge-island", "hotspot"))]

    ordered = ranked_order(
        [*islands, *others, *mixed],
        key=lambda entry: (-entry[1], entry[0], 1, "file", ""),
        rule_ids=lambda entry: entry[2],
    )

    names = [entry[0] for entry in ordered]
    assert sorted(names) == sorted(entry[0] for entry in [*islands, *others, *mixed])
    assert names == [
        *("other0", "other1", "other2", "other3", "island0"),
        *("other4", "other5", "both"),  # "both" is not only an island: never held back
        *(f"island{n}" for n in range(1, 8)),  # once nothing else is left, in their order
    ]
    last_other = max(index for index, name in enumerate(names) if not name.startswith("island"))
    for size in range(1, last_other + 2):
        held = sum(1 for name in names[:size] if name.startswith("island"))
        assert held <= share * size
