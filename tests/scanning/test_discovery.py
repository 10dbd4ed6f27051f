from __future__ import annotations

import os
from pathlib import Path

import pytest
from gitrepo import git, init_repo, write_files

from bmad.errors import BmadError
from bmad.scanning.discovery import discover


def paths_of(discovery_result: object) -> list[str]:
    return [candidate.path for candidate in discovery_result.candidates]  # type: ignore[attr-defined]


def test_git_work_tree_lists_tracked_and_unignored_files(tmp_path: Path) -> None:
    repo = init_repo(
        tmp_path / "repo",
        {
            ".gitignore": "ignored.py\ngenerated/\n",
            "app/main.py": "def main():\n    return 1\n",
            "app/util.go": "package app\n",
            "README.md": "# readme\n",
        },
    )
    write_files(repo, {"ignored.py": "x = 1\n", "generated/g.py": "y = 2\n", "new.js": "f()\n"})

    result = discover([repo])

    assert result.root == repo.resolve()
    assert paths_of(result) == ["app/main.py", "app/util.go", "new.js"]
    tracked = {c.path: c.known_blob_id for c in result.candidates}
    assert tracked["app/main.py"] == git(repo, "rev-parse", "HEAD:app/main.py").strip()
    assert tracked["new.js"] is None


def test_subfolder_of_a_work_tree_keeps_repository_relative_paths(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo", {"a/x.py": "pass\n", "b/y.py": "pass\n"})

    result = discover([repo / "a"])

    assert paths_of(result) == ["a/x.py"]


def test_outside_git_walk_skips_dependency_build_and_virtualenv_folders(tmp_path: Path) -> None:
    write_files(
        tmp_path / "tree",
        {
            "src/keep.py": "pass\n",
            "node_modules/dep/index.js": "x()\n",
            "build/out.c": "int x;\n",
            "env-custom/pyvenv.cfg": "home = /usr\n",
            "env-custom/lib/site.py": "pass\n",
            ".hg/store.py": "pass\n",
            "notes.txt": "text\n",
        },
    )

    result = discover([tmp_path / "tree"])

    assert paths_of(result) == ["src/keep.py"]


def test_language_filter_and_explicit_files(tmp_path: Path) -> None:
    write_files(tmp_path, {"a.py": "pass\n", "b.rs": "fn main() {}\n", "c.txt": "hi\n"})

    assert paths_of(discover([tmp_path], frozenset({"rust"}))) == ["b.rs"]
    explicit = discover([tmp_path / "c.txt", tmp_path / "a.py"])
    assert paths_of(explicit) == ["a.py"]
    assert [(s.path, s.reason) for s in explicit.skipped] == [("c.txt", "unsupported language")]


def test_folders_are_the_folder_arguments_resolved(tmp_path: Path) -> None:
    write_files(tmp_path, {"one/a.py": "pass\n", "two/b.py": "pass\n", "three/c.py": "pass\n"})
    repo = init_repo(tmp_path / "repo", {"pkg/d.py": "pass\n"})
    (tmp_path / "link").symlink_to(tmp_path / "two")

    result = discover([tmp_path / "one", tmp_path / "link", tmp_path / "three/c.py", repo / "pkg"])

    assert result.folders == [
        (tmp_path / "one").resolve(),
        (tmp_path / "two").resolve(),
        (repo / "pkg").resolve(),
    ]


def test_symbolic_links_are_reported_not_followed(tmp_path: Path) -> None:
    write_files(tmp_path, {"real.py": "pass\n"})
    os.symlink(tmp_path / "real.py", tmp_path / "alias.py")
    os.symlink(tmp_path / "gone.py", tmp_path / "broken.py")

    result = discover([tmp_path])

    assert paths_of(result) == ["real.py"]
    reasons = {s.path: s.reason for s in result.skipped}
    assert reasons["broken.py"] == "broken symbolic link"
    assert reasons["alias.py"].startswith("symbolic link")


def test_tracked_symlink_in_git_is_skipped(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo", {"real.py": "pass\n"})
    os.symlink("real.py", repo / "link.py")
    git(repo, "add", "link.py")
    git(repo, "commit", "-q", "-m", "link")

    result = discover([repo])

    assert paths_of(result) == ["real.py"]
    assert [s.path for s in result.skipped] == ["link.py"]


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(BmadError) as raised:
        discover([tmp_path / "nope"])
    assert raised.value.exit_code == 2
    assert "no such file or directory" in raised.value.message


def test_folder_ignored_by_the_enclosing_repository_is_walked_as_a_plain_folder(
    tmp_path: Path,
) -> None:
    repo = init_repo(tmp_path / "repo", {".gitignore": "installed/\n", "tracked.py": "pass\n"})
    write_files(repo, {"installed/lib/mod.py": "pass\n"})

    result = discover([repo / "installed"])

    assert result.root == (repo / "installed").resolve()
    assert paths_of(result) == ["lib/mod.py"]


def test_only_unmodified_tracked_files_carry_a_blob_id_known_without_reading(
    tmp_path: Path,
) -> None:
    repo = init_repo(tmp_path / "repo", {"same.py": "pass\n", "edited.py": "pass\n"})
    (repo / "edited.py").write_text("x = 2\n")

    known = {c.path: c.known_blob_id for c in discover([repo]).candidates}

    assert known == {"edited.py": None, "same.py": git(repo, "rev-parse", "HEAD:same.py").strip()}
