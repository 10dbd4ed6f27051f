"""``bmad history`` end to end on fixture repositories."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from history_repos import RepoBuilder, build_branchy_repo, build_team_repo, git

from bmad.cli.main import cli

FILE_KEYS = {
    "path",
    "revisions",
    "added",
    "deleted",
    "authors",
    "main_dev_share",
    "fragmentation",
    "age_months",
    "cognitive",
}


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> RepoBuilder:
    return build_team_repo(tmp_path_factory.mktemp("team") / "repo")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["history", *args])
    return result.exit_code, result.stdout, result.stderr


def test_json_document_shape_and_privacy(team: RepoBuilder) -> None:
    code, out, _ = run(str(team.path), "--json")
    assert code == 0
    document = json.loads(out)
    assert document["version"] == 1
    assert document["commits"] == 17
    assert {
        "path",
        "tip",
        "fix_ratio",
        "revert_ratio",
        "merge_ratio",
        "commits_per_week",
        "files_per_commit",
        "lines_per_commit",
        "active_authors_per_month",
    } <= set(document["repository"])
    for entry in document["files"]:
        assert set(entry) >= FILE_KEYS
    (pair,) = document["coupling"]
    assert set(pair) == {"a", "b", "degree", "shared", "average_revs"}
    assert (pair["degree"], pair["shared"], pair["average_revs"]) == (66, 6, 9)
    assert document["knowledge"]["truck_factor"] == 2
    for secret in ("Alice", "alice@example.com", "Bob Roe", "dave@example.com"):
        assert secret not in out


def test_show_authors_reveals_names_locally(team: RepoBuilder) -> None:
    code, out, _ = run(str(team.path), "--json", "--show-authors")
    assert code == 0
    document = json.loads(out)
    names = [a["author"] for a in document["knowledge"]["truck_factor_authors"]]
    assert names == ["Alice Doe", "Dave Hoe"]
    assert "bobby" not in out  # mapped by .mailmap


def test_thresholds_and_window_flags(team: RepoBuilder) -> None:
    code, out, _ = run(str(team.path), "--json", "--min-coupling", "70")
    assert code == 0 and json.loads(out)["coupling"] == []
    code, out, _ = run(str(team.path), "--json", "--since", "2025-02-08", "--until", "2025-02-13")
    document = json.loads(out)
    assert document["commits"] == 6
    code, out, _ = run(str(team.path), "--json", "--no-renames")
    paths = {entry["path"] for entry in json.loads(out)["files"]}
    assert "helpers.py" in paths and "util.py" not in paths  # util.py was deleted by the rename


def test_human_output_has_the_tables(team: RepoBuilder) -> None:
    code, out, _ = run(str(team.path), "--top", "5")
    assert code == 0
    for title in ("Hotspots", "Change coupling", "Knowledge islands", "truck factor"):
        assert title in out
    assert "Alice" not in out


def test_hotspots_use_the_code_extractor(tmp_path: Path) -> None:
    repo = RepoBuilder.create(tmp_path / "r")
    body = (
        "def f(x):\n    if x:\n        for i in x:\n            if i:\n                return i\n"
    )
    for i in range(3):
        repo.write("app.py", body + f"# {i}\n")
        repo.commit("alice", f"app {i}")
    code, out, err = run(str(repo.path), "--json")
    assert code == 0, err
    document = json.loads(out)
    (entry,) = document["files"]
    if entry["cognitive"] is None:
        pytest.fail(f"no cognitive complexity: {document['repository']['notes']}")
    assert entry["cognitive"] > 0
    (spot,) = document["hotspots"]
    assert spot["score"] == 3 * entry["cognitive"]


def test_not_a_repository_exits_2(tmp_path: Path) -> None:
    code, _, err = run(str(tmp_path), "--json")
    assert code == 2
    assert "not a git repository" in err


def test_bad_date_and_revision_are_usage_errors(team: RepoBuilder) -> None:
    code, _, err = run(str(team.path), "--since", "last tuesday")
    assert code == 2 and "invalid date" in err
    code, _, err = run(str(team.path), "--rev", "nope")
    assert code == 2
    assert err == "bmad: error: 'nope' does not name a commit in this repository\n"


def test_a_window_that_ends_before_it_starts_is_a_usage_error(team: RepoBuilder) -> None:
    code, out, err = run(str(team.path), "--since", "2024-02-15", "--until", "2024-01-01")

    assert (code, out) == (2, "")
    assert err == (
        "bmad: error: --since 2024-02-15 is after --until 2024-01-01: the window holds no commit\n"
    )


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("BMAD_HISTORY__MIN_REVS", "abc", "[history] min_revs must be an integer >= 0"),
        ("BMAD_HISTORY__FIX_PATTERNS", "fix", "[history] fix_patterns must be a list of strings"),
        ("BMAD_HISTORY__ISLAND_SHARE", "2", "[history] island_share must be a number in [0, 1]"),
        ("BMAD_HISTORY__JOBS", "-1", "[history] jobs must be an integer >= 0"),
    ],
)
def test_history_settings_of_the_wrong_type_are_configuration_errors(
    team: RepoBuilder, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)

    code, out, err = run(str(team.path), "--json")

    assert code == 2
    assert out == ""
    assert err.startswith(f"bmad: error: {message}, got ")


def test_empty_repository_reports_why(tmp_path: Path) -> None:
    RepoBuilder.create(tmp_path / "empty")
    code, out, _ = run(str(tmp_path / "empty"), "--json")
    assert code == 0
    document = json.loads(out)
    assert document["commits"] == 0
    assert document["repository"]["partial"]
    assert any("no commits yet" in note for note in document["repository"]["notes"])


def test_shallow_clone_is_partial_with_reason(team: RepoBuilder, tmp_path: Path) -> None:
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "2", f"file://{team.path}", str(clone)], check=True
    )
    code, out, _ = run(str(clone), "--json")
    assert code == 0
    document = json.loads(out)
    assert document["repository"]["shallow"] and document["commits"] == 2
    assert any("shallow" in note for note in document["repository"]["notes"])


def test_second_run_is_incremental_and_rewrite_is_reported(
    team: RepoBuilder, tmp_path: Path
) -> None:
    clone = tmp_path / "c"
    subprocess.run(["git", "clone", "-q", str(team.path), str(clone)], check=True)
    first = json.loads(run(str(clone), "--json")[1])["repository"]
    second = json.loads(run(str(clone), "--json")[1])["repository"]
    assert (first["new_commits"], second["new_commits"]) == (17, 0)
    git(clone, "reset", "-q", "--hard", "HEAD~1")
    third = json.loads(run(str(clone), "--json")[1])
    assert third["repository"]["rewritten"] and third["commits"] == 16


def test_files_are_the_tree_of_the_revision_and_deleted_ones_come_only_when_asked(
    tmp_path: Path,
) -> None:
    repo = build_branchy_repo(tmp_path / "branchy")
    tree = set(git(repo.path, "ls-tree", "-r", "--name-only", "HEAD").split())
    for renames in ((), ("--no-renames",)):
        code, out, err = run(str(repo.path), "--json", *renames)
        assert code == 0, err
        assert {entry["path"] for entry in json.loads(out)["files"]} == tree
    code, out, _ = run(str(repo.path), "--json", "--include-deleted")
    files = json.loads(out)["files"]
    assert [(e["path"], e.get("deleted_file", False)) for e in files][-1] == ("gone.txt", True)
    assert {e["path"] for e in files if not e.get("deleted_file")} == tree
    code, out, _ = run(str(repo.path), "--json", "--rev", repo.ids["drop_old"])
    older = {entry["path"] for entry in json.loads(out)["files"]}
    assert older == {"app.txt", "gone.txt", "notes.txt"}
