from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from bmad.errors import BmadError
from bmad.store.connection import data_store_path
from bmad.store.registry import (
    add_repository,
    find_repository,
    list_repositories,
    locate_work_tree,
    open_registry,
    remove_repository,
    repository_status,
)

GitRunner = Callable[..., str]


def test_add_list_remove_round_trip(bmad_home: Path, make_repo: Callable[..., Path]) -> None:
    repo = make_repo("alpha")
    with open_registry() as store:
        added, created = add_repository(store, repo)
        assert created and added.name == "alpha" and added.path == str(repo.resolve())
        again, created_again = add_repository(store, repo / ".")
        assert not created_again and again.id == added.id
        assert [item.name for item in list_repositories(store)] == ["alpha"]
        status = repository_status(store, added)
        assert status.exists and status.files == 0 and status.last_mined_commit is None
        assert remove_repository(store, "alpha").id == added.id
        assert list_repositories(store) == []
    mode = stat.S_IMODE(os.stat(data_store_path()).st_mode)
    assert mode == 0o600


def test_remove_by_path_and_subdirectory(bmad_home: Path, make_repo: Callable[..., Path]) -> None:
    repo = make_repo("beta", {"pkg/mod.py": "x = 1\n"})
    with open_registry() as store:
        add_repository(store, repo, name="b")
        assert find_repository(store, str(repo / "pkg")).name == "b"
        remove_repository(store, str(repo))
        assert list_repositories(store) == []


def test_linked_worktree_and_submodule_are_work_trees(
    bmad_home: Path, make_repo: Callable[..., Path], tmp_path: Path, run_git: GitRunner
) -> None:
    main = make_repo("main")
    linked = tmp_path / "linked"
    run_git(main, "worktree", "add", "-q", str(linked), "-b", "feature")
    tree = locate_work_tree(linked)
    assert tree.root == linked.resolve()
    assert tree.common_dir == (main / ".git").resolve()
    assert tree.git_dir != tree.common_dir

    library = make_repo("library")
    run_git(main, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(library), "lib")
    sub_tree = locate_work_tree(main / "lib")
    assert sub_tree.root == (main / "lib").resolve()
    assert (sub_tree.git_dir / "HEAD").is_file()
    with open_registry() as store:
        add_repository(store, main)
        add_repository(store, linked)
        add_repository(store, main / "lib", name="main-lib")
        assert sorted(item.name for item in list_repositories(store)) == [
            "linked",
            "main",
            "main-lib",
        ]


@pytest.mark.parametrize("kind", ["missing", "file", "plain-dir", "bare"])
def test_non_work_trees_are_refused(
    bmad_home: Path, tmp_path: Path, kind: str, run_git: GitRunner
) -> None:
    target = tmp_path / kind
    if kind == "file":
        target.write_text("x")
    elif kind == "plain-dir":
        target.mkdir()
    elif kind == "bare":
        target.mkdir()
        run_git(target, "init", "-q", "--bare")
    with open_registry() as store, pytest.raises(BmadError) as error:
        add_repository(store, target)
    assert error.value.exit_code == 2
    with open_registry() as store:
        assert list_repositories(store) == []


def test_name_clash_and_bad_names(bmad_home: Path, make_repo: Callable[..., Path]) -> None:
    first, second = make_repo("one"), make_repo("two")
    with open_registry() as store:
        add_repository(store, first, name="same")
        with pytest.raises(BmadError, match="already used"):
            add_repository(store, second, name="same")
        for bad in ("", "a/b", "  "):
            with pytest.raises(BmadError, match="invalid repository name"):
                add_repository(store, second, name=bad)
        with pytest.raises(BmadError, match="no registered repository"):
            remove_repository(store, "nothing")
        assert [item.name for item in list_repositories(store)] == ["same"]


def test_removing_a_repository_cascades_to_its_rows(
    bmad_home: Path, make_repo: Callable[..., Path]
) -> None:
    repo = make_repo()
    with open_registry() as store:
        added, _ = add_repository(store, repo)
        with store.transaction() as connection:
            connection.execute(
                "INSERT INTO repository_files VALUES (?, 'app.py', 'abc', 'python', 1, NULL)",
                (added.id,),
            )
        remove_repository(store, added.name)
        rows = store.connection.execute("SELECT COUNT(*) FROM repository_files").fetchone()
        assert rows[0] == 0
