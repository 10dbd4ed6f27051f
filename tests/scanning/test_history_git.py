"""Mining real fixture repositories: hand-calculated numbers, agreement with git log --numstat,
and every kind of bad input."""

from __future__ import annotations

import math
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from history_repos import RepoBuilder, build_team_repo, git, numstat

from bmad.errors import BmadError
from bmad.extractors.history import CommitRecord, TipTree
from bmad.extractors.history_report import HistoryOptions, analyse_history, subject_patterns
from bmad.extractors.history_summary import percentile
from bmad.scanning.history_git import (
    MiningSettings,
    _pool_context,
    commits_between,
    describe,
    grafted_commits,
    open_repository,
    read_commits,
    resolve_tip,
    tree_paths,
)

PATTERNS = subject_patterns(
    [r"\bfix(?:e[sd]|ing)?\b", r"\bbugs?\b", r"\bhotfix\b", r"\bpatch(?:e[sd])?\b"],
    [r"^revert\b"],
)


def mine(
    path: Path, settings: MiningSettings | None = None, rev: str | None = None
) -> list[CommitRecord]:
    repository = open_repository(path)
    tip = resolve_tip(repository, rev)
    assert tip is not None
    ids = commits_between(repository, tip, None)
    return list(
        read_commits(
            describe(repository).git_dir,
            ids,
            settings or MiningSettings(),
            grafted_commits(repository),
        )
    )


def tip_tree(path: Path, rev: str | None = None) -> TipTree:
    repository = open_repository(path)
    tip = resolve_tip(repository, rev)
    assert tip is not None
    return TipTree(tip, tree_paths(repository, tip))


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> RepoBuilder:
    return build_team_repo(tmp_path_factory.mktemp("team") / "repo")


def test_team_history_by_hand(team: RepoBuilder) -> None:
    commits = mine(team.path)
    now = team.time_of(team.day + 30)
    report = analyse_history(commits, tip_tree(team.path), HistoryOptions(patterns=PATTERNS), now)
    files = {history.path: history for _, history in report.live_files()}
    assert set(files) == {".mailmap", "core.py", "legacy.c", "helpers.py", "solo.py", "logo.png"}

    core = files["core.py"]
    assert (core.revisions, core.added, core.deleted, core.authors) == (10, 31, 1, 4)
    assert core.main_developer() == ("alice@example.com", 17 / 31)
    assert math.isclose(core.fragmentation(), 1 - 405 / 961)
    # the .mailmap folds "bobby <Bob@Old.example.com>" into Bob
    helpers = files["helpers.py"]
    assert (helpers.revisions, helpers.added, helpers.authors) == (8, 30, 2)
    assert helpers.main_developer() == ("bob@example.com", 0.6)
    assert files["logo.png"].added == 0

    (pair,) = report.coupling
    assert {report.path(pair.a), report.path(pair.b)} == {"core.py", "helpers.py"}
    assert (pair.degree, pair.shared, pair.average_revs) == (66, 6, 9)

    summary = report.summary
    assert (summary.commits, summary.merges, summary.fixes, summary.reverts) == (17, 1, 4, 1)
    assert summary.authors == 4
    assert summary.files_per_commit.maximum == 3

    assert sorted(report.path(f.index) for f in report.islands) == ["logo.png", "solo.py"]
    assert sorted(report.path(f.index) for f in report.inactive) == [".mailmap", "legacy.c"]
    assert report.truck_factor.value == 2
    assert report.truck_factor.removed == ("alice@example.com", "dave@example.com")


def test_churn_agrees_with_git_log_numstat(team: RepoBuilder) -> None:
    expected = numstat(team.path, "--no-renames")
    commits = mine(team.path, MiningSettings(follow_renames=False))
    assert {c.id for c in commits} == set(expected)
    for record in commits:
        if record.is_merge:
            assert expected[record.id] == []
            continue
        mine_rows = sorted((c.path, c.added, c.deleted) for c in record.changes)
        assert mine_rows == sorted(expected[record.id]), record.subject
    sizes = sorted(sum(a + d for _, a, d in rows) for rows in expected.values() if rows)
    options = HistoryOptions(patterns=PATTERNS, follow_renames=False)
    report = analyse_history(commits, tip_tree(team.path), options, 0)
    assert report.summary.lines_per_commit.maximum == sizes[-1]
    assert report.summary.lines_per_commit.percentiles[90] == round(percentile(sizes, 90), 2)


def test_renamed_file_matches_git_log_follow(team: RepoBuilder) -> None:
    follow = numstat(team.path, "--follow", "--", "helpers.py")
    added = sum(a for rows in follow.values() for _, a, _ in rows)
    (helpers,) = [
        f
        for f in analyse_history(
            mine(team.path), tip_tree(team.path), HistoryOptions(patterns=PATTERNS), 0
        ).files
        if f.path == "helpers.py"
    ]
    assert helpers.added == added
    assert helpers.revisions == len(follow)


def test_merge_counts_only_its_own_resolution(tmp_path: Path) -> None:
    repo = RepoBuilder.create(tmp_path / "r")
    repo.write("x.txt", "base\n")
    repo.write("y.txt", "y\n")
    repo.commit("alice", "base")
    git(repo.path, "checkout", "-q", "-b", "side")
    repo.write("x.txt", "side\n")
    repo.write("y.txt", "y side\n")
    repo.commit("bob", "side change")
    git(repo.path, "checkout", "-q", "main")
    repo.write("x.txt", "main\n")
    repo.commit("alice", "main change")
    subprocess.run(
        ["git", "-C", str(repo.path), "merge", "-q", "side"], capture_output=True, check=False
    )
    repo.write("x.txt", "resolved\n")
    merge_id = repo.commit("alice", "Merge side")
    (merge,) = [c for c in mine(repo.path) if c.id == merge_id]
    assert merge.is_merge
    assert [(c.path, c.added, c.deleted) for c in merge.changes] == [("x.txt", 0, 0)]


def test_shallow_clone_marks_grafted_commits(team: RepoBuilder, tmp_path: Path) -> None:
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "3", f"file://{team.path}", str(clone)], check=True
    )
    repository = open_repository(clone)
    info = describe(repository)
    assert info.shallow
    assert any("shallow" in note for note in info.notes())
    commits = mine(clone)
    assert len(commits) == 3
    grafted = [c for c in commits if c.note]
    assert len(grafted) == 1 and "shallow" in grafted[0].note
    assert grafted[0].changes == ()


def test_bare_repository_is_mined_like_its_source(team: RepoBuilder, tmp_path: Path) -> None:
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(team.path), str(bare)], check=True)
    info = describe(open_repository(bare))
    assert info.bare and info.work_tree is None
    assert [(c.id, c.changes, c.author) for c in mine(bare)] == [
        (c.id, c.changes, c.author) for c in mine(team.path)
    ]


def test_detached_head(team: RepoBuilder, tmp_path: Path) -> None:
    clone = tmp_path / "detached"
    subprocess.run(["git", "clone", "-q", str(team.path), str(clone)], check=True)
    git(clone, "checkout", "-q", team.ids["solo"])
    info = describe(open_repository(clone))
    assert info.head_detached and info.head == "(detached)"
    assert any("detached" in note for note in info.notes())
    assert mine(clone)[-1].id == team.ids["solo"]


def test_empty_repository_has_no_tip(tmp_path: Path) -> None:
    RepoBuilder.create(tmp_path / "empty")
    repository = open_repository(tmp_path / "empty")
    info = describe(repository)
    assert info.head_unborn and info.head == "(unborn main)"
    assert resolve_tip(repository, None) is None
    assert any("no commits yet" in note for note in info.notes())


def test_not_a_repository_and_bad_revision(tmp_path: Path, team: RepoBuilder) -> None:
    with pytest.raises(BmadError, match="not a git repository") as raised:
        open_repository(tmp_path)
    assert raised.value.exit_code == 2
    with pytest.raises(BmadError, match="no such file"):
        open_repository(tmp_path / "missing")
    with pytest.raises(BmadError, match="does not name a commit"):
        resolve_tip(open_repository(team.path), "no-such-branch")


def test_missing_objects_give_partial_results(tmp_path: Path) -> None:
    repo = RepoBuilder.create(tmp_path / "r")
    repo.lines("a.txt", 5)
    repo.commit("alice", "one")
    repo.lines("a.txt", 9)
    broken = repo.commit("alice", "two")
    repo.lines("a.txt", 12)
    repo.commit("alice", "three")
    blob = git(repo.path, "rev-parse", f"{broken}:a.txt").strip()
    (repo.path / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    commits = mine(repo.path)
    assert len(commits) == 3
    notes = {c.subject: c.note for c in commits}
    assert "missing objects" in notes["two"]
    assert "missing objects" in notes["three"]
    assert notes["one"] == ""


def test_commit_with_too_many_files_keeps_revisions_without_lines(tmp_path: Path) -> None:
    repo = RepoBuilder.create(tmp_path / "r")
    for i in range(60):
        repo.write(f"gen/f{i}.txt", f"{i}\n")
    repo.commit("alice", "generated")
    (record,) = mine(repo.path, MiningSettings(max_files_per_commit=50))
    assert len(record.changes) == 60
    assert record.insertions == 0
    assert "60 files changed" in record.note
    (whole,) = mine(repo.path)
    assert whole.insertions == 60 and whole.note == ""


def test_huge_binary_file_counts_without_lines(tmp_path: Path) -> None:
    repo = RepoBuilder.create(tmp_path / "r")
    repo.write("blob.bin", bytes(range(256)) * 40_000)  # ~10 MB with NUL bytes
    repo.commit("alice", "add blob")
    repo.write("blob.bin", bytes(reversed(range(256))) * 40_000)
    repo.commit("alice", "change blob")
    commits = mine(repo.path)
    assert [(c.changes[0].binary, c.insertions, c.deletions) for c in commits] == [
        (True, 0, 0),
        (True, 0, 0),
    ]


def test_submodule_changes_agree_with_numstat(tmp_path: Path) -> None:
    inner = RepoBuilder.create(tmp_path / "inner")
    inner.lines("lib.txt", 3)
    inner.commit("bob", "lib")
    outer = RepoBuilder.create(tmp_path / "outer")
    outer.lines("main.txt", 2)
    outer.commit("alice", "main")
    git(
        outer.path,
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        str(inner.path),
        "vendor/inner",
    )
    outer.commit("alice", "add submodule")
    inner.lines("lib.txt", 4)
    inner.commit("bob", "lib grows")
    git(outer.path / "vendor" / "inner", "pull", "-q", "origin", "main")
    outer.commit("alice", "bump submodule")
    expected = numstat(outer.path, "--no-renames")
    for record in mine(outer.path, MiningSettings(follow_renames=False)):
        assert sorted((c.path, c.added, c.deleted) for c in record.changes) == sorted(
            expected[record.id]
        ), record.subject


def test_window_selects_by_author_date(team: RepoBuilder) -> None:
    commits = mine(team.path)
    since = team.time_of(403)
    until = team.time_of(408)
    report = analyse_history(
        commits, tip_tree(team.path), HistoryOptions(patterns=PATTERNS, since=since, until=until), 0
    )
    assert report.summary.commits == 6  # the six paired commits
    assert report.reference_time == until
    # util.py was renamed to helpers.py after the window: the file is named as at the tip
    assert {f.path for f in report.files} == {"core.py", "helpers.py"}
    assert all(f.revisions == 6 for f in report.files)
    assert (report.summary.first_commit, report.summary.last_commit) == (since, until)


def test_signature_with_empty_email_is_read_raw(tmp_path: Path) -> None:
    repo = RepoBuilder.create(tmp_path / "r")
    repo.lines("a.txt", 2)
    parent = repo.commit("alice", "one")
    tree = git(repo.path, "rev-parse", "HEAD^{tree}").strip()
    raw = (
        f"tree {tree}\nparent {parent}\nauthor nomail <> 1618252420 -0700\n"
        "committer nomail <> 1618252454 -0700\n\nfixup comments\n"
    )
    created = subprocess.run(
        [
            "git",
            "-C",
            str(repo.path),
            "hash-object",
            "-t",
            "commit",
            "-w",
            "--stdin",
            "--literally",
        ],
        input=raw,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    git(repo.path, "update-ref", "refs/heads/main", created)
    last = mine(repo.path)[-1]
    assert (last.id, last.author_name, last.author_email, last.author_time) == (
        created,
        "nomail",
        "",
        1618252420,
    )
    assert last.author == "nomail" and last.subject == "fixup comments"


def code_like(count: int, tag: str) -> str:
    """Statements between blank lines and braces: edits share lines with their context."""
    shapes = ["", "}", "    pass"]
    return "".join(f"{tag} {i}\n" if i % 4 else f"{shapes[i % 3]}\n" for i in range(count))


@pytest.fixture(scope="module")
def edge_repo(tmp_path_factory: pytest.TempPathFactory) -> RepoBuilder:
    """Edits at the start, middle and end, files without a final newline, CRLF, empty files,
    a NUL byte after the first 8000 bytes (text) and before (binary), symlinks, a mode
    change, a type change, a rename with edits, a deletion."""
    repo = RepoBuilder.create(tmp_path_factory.mktemp("edge") / "repo")
    body = code_like(300, "stmt")
    repo.write("code.py", code_like(60, "code"))
    repo.write("crlf.txt", b"a\r\nb\r\nc\r\nd\r\n")
    repo.write("nonl.txt", "x\ny\nz")
    repo.write("empty.txt", "")
    repo.write("late_nul.txt", b"t\n" * 4500 + b"\0 tail\n")
    repo.write("data.bin", b"\0\1\2" * 100)
    repo.write("big.txt", body)
    repo.commit("alice", "add everything")
    repo.write("code.py", "import os\n\n" + code_like(60, "code"))
    repo.write("nonl.txt", "x\nz")
    repo.write("crlf.txt", b"a\r\nB\r\n\r\nd\r\n")
    repo.write("empty.txt", "now one line\n")
    repo.write("late_nul.txt", b"t\n" * 4500 + b"\0 tail\nmore\n")
    repo.write("data.bin", b"\0\1\3" * 100)
    repo.write("big.txt", body.replace("stmt 101\n\n}\n", "changed\n\n}\n\nagain\n"))
    repo.commit("bob", "edit everything")
    repo.write("code.py", "import os\n\n" + code_like(60, "code") + "last line")
    repo.write("nonl.txt", "x\nz\n")
    repo.write("big.txt", body.replace("stmt 201\n", "").replace("stmt 5\n", "stmt five\n\n"))
    (repo.path / "link").symlink_to("code.py")
    repo.commit("carol", "newlines, a symlink, more edits")
    (repo.path / "link").unlink()
    (repo.path / "link").symlink_to("big.txt")
    (repo.path / "code.py").chmod(0o755)
    git(repo.path, "mv", "big.txt", "big2.txt")
    repo.write("big2.txt", body.replace("stmt 250\n", "stmt 250 renamed\n"))
    (repo.path / "crlf.txt").unlink()
    repo.commit("alice", "retarget, chmod, rename with an edit, delete")
    (repo.path / "link").unlink()
    repo.write("link", "now a file\n")
    repo.write("late_nul.txt", b"\0 now binary\n")
    repo.write("nonl.txt", "")
    repo.commit("bob", "type change, text to binary, emptied")
    return repo


def test_edge_cases_count_like_git_log_numstat(edge_repo: RepoBuilder) -> None:
    # libgit2 reports a type change (symlink to file) as a deletion plus an addition of the
    # path where git prints one row: compared per path
    expected = numstat(edge_repo.path, "--no-renames")
    for record in mine(edge_repo.path, MiningSettings(follow_renames=False)):
        per_path: dict[str, tuple[int, int]] = {}
        for change in record.changes:
            added, deleted = per_path.get(change.path, (0, 0))
            per_path[change.path] = (added + change.added, deleted + change.deleted)
        rows = sorted((path, *counts) for path, counts in per_path.items())
        assert rows == sorted(expected[record.id]), record.subject


@pytest.mark.parametrize("where", ["work tree", "info", "config"])
def test_attributes_marking_files_binary_are_honoured_like_git_log(
    tmp_path: Path, where: str
) -> None:
    # The miner diffs through a bare view unless attributes set diff/binary: this guards
    # that choice wherever the rule lives. "-diff" files count without lines, as in git log.
    repo = RepoBuilder.create(tmp_path / "repo")
    rules = "*.dat -diff\n"
    if where == "work tree":
        repo.write(".gitattributes", rules)
    elif where == "info":
        (repo.path / ".git" / "info").mkdir(exist_ok=True)
        (repo.path / ".git" / "info" / "attributes").write_text(rules)
    else:
        (tmp_path / "attributes").write_text(rules)
        git(repo.path, "config", "core.attributesFile", str(tmp_path / "attributes"))
    repo.lines("table.dat", 12)
    repo.lines("code.py", 3)
    repo.commit("alice", "add data and code")
    repo.lines("table.dat", 20, tag="row")
    repo.lines("code.py", 5)
    repo.commit("bob", "grow both")

    expected = numstat(repo.path, "--no-renames")
    for record in mine(repo.path, MiningSettings(follow_renames=False)):
        rows = sorted((c.path, c.added, c.deleted) for c in record.changes)
        assert rows == sorted(expected[record.id]), record.subject
        assert {c.path for c in record.changes if c.binary} == {"table.dat"}
    data_rows = [row for rows in expected.values() for row in rows if row[0] == "table.dat"]
    assert data_rows == [("table.dat", 0, 0), ("table.dat", 0, 0)]


@pytest.mark.parametrize("other_thread", [False, True])
def test_worker_processes_read_like_this_process(team: RepoBuilder, other_thread: bool) -> None:
    # on Linux a process running no other thread forks its workers; any other spawns them
    serial = mine(team.path, MiningSettings(jobs=1))
    parallel_settings = MiningSettings(jobs=2, parallel_from=1)
    release = threading.Event()
    waiter = threading.Thread(target=release.wait)
    if other_thread:
        waiter.start()
    try:
        method = _pool_context().get_start_method()
        assert method == ("fork" if sys.platform == "linux" and not other_thread else "spawn")
        assert mine(team.path, parallel_settings) == serial
    finally:
        release.set()
        if other_thread:
            waiter.join()
