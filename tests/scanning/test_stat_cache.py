"""The stat cache end to end: real files, real SQLite, the scan pipeline's own reader counted."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from gitrepo import git, init_repo, write_files

from bmad.scanning import ScanOptions, ScanResult, pipeline, scan_paths
from bmad.scanning.freshness import FileStat, StatEntry
from bmad.scanning.stat_cache import COMPONENT, StatCache
from bmad.store.connection import open_store
from bmad.store.metrics_cache import COMPONENT as METRICS_COMPONENT
from bmad.store.metrics_cache import MIGRATIONS as METRICS_MIGRATIONS
from tests.scanning.stat_files import (
    count_reads,
    later_clock,
    recorded_paths,
    replace_keeping_size_and_mtime,
    rewrite_keeping_size_and_mtime,
)

ONE = "def one(a):\n    return a\n"
TWO = "def two(b):\n    if b:\n        return 1\n    return 2\n"


def options(
    tmp_path: Path, clock: Callable[[], int] = later_clock, **overrides: object
) -> ScanOptions:
    values: dict[str, object] = {
        "jobs": 1,
        "cache_path": tmp_path / "cache.sqlite3",
        "clock_ns": clock,
    }
    values.update(overrides)
    return ScanOptions(**values)  # type: ignore[arg-type]


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    return count_reads(monkeypatch)


@pytest.fixture
def lstats(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths whose records the scan's pruning had to check on disk."""
    checked: list[str] = []
    real = pipeline.is_regular_file

    def counting(path: str) -> bool:
        checked.append(path)
        return real(path)

    monkeypatch.setattr(pipeline, "is_regular_file", counting)
    return checked


def functions(result: ScanResult) -> dict[str, list[str]]:
    return {f.path: [function.name for function in f.metrics.functions] for f in result.files}


def test_unchanged_files_outside_git_are_not_read_on_a_warm_scan(
    tmp_path: Path, reads: Counter[str]
) -> None:
    write_files(tmp_path / "tree", {"a.py": ONE, "pkg/b.py": TWO, "c.js": "function c() {}\n"})

    cold = scan_paths([tmp_path / "tree"], options(tmp_path))
    cold_reads = sum(reads.values())
    warm = scan_paths([tmp_path / "tree"], options(tmp_path))

    assert cold_reads == 3
    assert sum(reads.values()) == cold_reads  # the warm scan opened no file
    assert (warm.files_read, warm.analysed, warm.cache_hits) == (0, 0, 3)
    assert warm.files == cold.files


def test_same_size_edit_with_the_mtime_forced_back_is_reanalysed(
    tmp_path: Path, reads: Counter[str]
) -> None:
    tree = tmp_path / "tree"
    write_files(tree, {"a.py": ONE, "b.py": TWO})
    scan_paths([tree], options(tmp_path))

    rewrite_keeping_size_and_mtime(tree / "a.py", ONE.replace("one", "uno"))
    result = scan_paths([tree], options(tmp_path))

    assert functions(result) == {"a.py": ["uno"], "b.py": ["two"]}
    assert result.analysed == 1
    assert reads == {"a.py": 2, "b.py": 1}


def test_replaced_file_with_the_same_size_and_mtime_is_reanalysed(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    write_files(tree, {"a.py": ONE})
    scan_paths([tree], options(tmp_path))

    replace_keeping_size_and_mtime(tree / "a.py", ONE.replace("one", "ein"))
    result = scan_paths([tree], options(tmp_path))

    assert functions(result) == {"a.py": ["ein"]}
    assert result.analysed == 1


def test_a_file_recorded_within_the_racy_window_is_read_again_until_it_settles(
    tmp_path: Path, reads: Counter[str]
) -> None:
    tree = tmp_path / "tree"
    write_files(tree, {"a.py": ONE})
    now = options(tmp_path, clock=time.time_ns)

    scan_paths([tree], now)  # the file changed less than the margin before this read
    second = scan_paths([tree], now)
    assert (second.files_read, second.analysed, second.cache_hits) == (1, 0, 1)

    scan_paths([tree], options(tmp_path))  # re-recorded by a scan well after the change
    assert scan_paths([tree], options(tmp_path)).files_read == 0
    assert reads == {"a.py": 3}


def test_a_file_edited_within_the_racy_window_is_reanalysed(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    write_files(tree, {"a.py": ONE})
    now = options(tmp_path, clock=time.time_ns)
    scan_paths([tree], now)

    rewrite_keeping_size_and_mtime(tree / "a.py", ONE.replace("one", "une"))
    result = scan_paths([tree], now)

    assert functions(result) == {"a.py": ["une"]}
    assert result.analysed == 1


def test_no_cache_reads_every_file_and_records_nothing(tmp_path: Path, reads: Counter[str]) -> None:
    tree = tmp_path / "tree"
    write_files(tree, {"a.py": ONE, "b.py": TWO})
    scan_paths([tree], options(tmp_path, use_cache=False))
    assert not (tmp_path / "cache.sqlite3").exists()

    scan_paths([tree], options(tmp_path))
    bypass = scan_paths([tree], options(tmp_path, use_cache=False))

    assert bypass.files_read == 2
    assert reads == {"a.py": 3, "b.py": 3}


def test_untracked_files_in_a_work_tree_are_vouched_for_by_their_stat(
    tmp_path: Path, reads: Counter[str]
) -> None:
    repo = init_repo(tmp_path / "repo", {"tracked.py": ONE})
    write_files(repo, {"untracked.py": TWO})

    scan_paths([repo], options(tmp_path))
    warm = scan_paths([repo], options(tmp_path))

    assert (warm.files_read, warm.cache_hits) == (0, 2)
    assert reads == {"tracked.py": 1, "untracked.py": 1}


def test_a_file_over_a_lowered_size_limit_is_not_served_from_the_cache(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    write_files(tree, {"a.py": ONE})
    scan_paths([tree], options(tmp_path))

    result = scan_paths([tree], options(tmp_path, max_file_size=10))

    assert result.files == []
    assert [item.reason for item in result.skipped] == [
        "larger than the size limit (25 > 10 bytes)"
    ]


def test_a_stat_cache_from_a_newer_bmad_is_bypassed_with_a_warning(
    tmp_path: Path, reads: Counter[str]
) -> None:
    tree = tmp_path / "tree"
    write_files(tree, {"a.py": ONE})
    cache_path = tmp_path / "cache.sqlite3"
    with open_store(cache_path, METRICS_COMPONENT, METRICS_MIGRATIONS) as store:
        store.connection.execute(
            "INSERT INTO schema_versions (component, version) VALUES (?, 99)", (COMPONENT,)
        )

    first = scan_paths([tree], options(tmp_path))
    second = scan_paths([tree], options(tmp_path))

    assert any(w.startswith("stat cache disabled: the store at") for w in second.warnings)
    assert (second.files_read, second.analysed, second.cache_hits) == (1, 0, 1)
    assert second.files == first.files
    assert reads == {"a.py": 2}


def test_a_fifo_named_like_source_is_skipped_without_blocking(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    write_files(tree, {"a.py": ONE})
    os.mkfifo(tree / "pipe.py")

    result = scan_paths([tree], options(tmp_path))

    assert [f.path for f in result.files] == ["a.py"]
    assert [(s.path, s.reason) for s in result.skipped] == [("pipe.py", "not a regular file")]


def test_records_round_trip_and_a_later_read_replaces_the_earlier_record(tmp_path: Path) -> None:
    store = open_store(tmp_path / "cache.sqlite3", METRICS_COMPONENT, METRICS_MIGRATIONS)
    try:
        cache = StatCache(store)
        extremes = FileStat(25, -1, 2**62, -(2**63), 2**63 - 1)
        cache.record({"/x/a.py": StatEntry(extremes, "c" * 40, 3)})
        cache.record({"/x/a.py": StatEntry(extremes, "d" * 40, 4)})

        found = cache.lookup(["/x/a.py", "/x/missing.py"])
    finally:
        store.close()

    assert found == {"/x/a.py": StatEntry(extremes, "d" * 40, 4)}


def under(folder: Path, *names: str) -> set[str]:
    return {str(folder.resolve() / name) for name in names}


def test_a_deleted_files_record_is_pruned_and_records_the_scan_saw_cost_no_stat(
    tmp_path: Path, lstats: list[str]
) -> None:
    tree = tmp_path / "tree"
    write_files(tree, {"a.py": ONE, "b.py": TWO})
    scan_paths([tree], options(tmp_path))
    scan_paths([tree], options(tmp_path))
    assert recorded_paths(tmp_path / "cache.sqlite3") == under(tree, "a.py", "b.py")
    assert lstats == []

    (tree / "b.py").unlink()
    scan_paths([tree], options(tmp_path))

    assert recorded_paths(tmp_path / "cache.sqlite3") == under(tree, "a.py")
    assert lstats == [str(tree.resolve() / "b.py")]


@pytest.mark.parametrize("replacement", ["folder", "symbolic link"])
def test_a_record_whose_path_is_no_longer_a_regular_file_is_pruned(
    tmp_path: Path, replacement: str
) -> None:
    tree = tmp_path / "tree"
    write_files(tree, {"a.py": ONE, "b.py": TWO})
    scan_paths([tree], options(tmp_path))

    (tree / "b.py").unlink()
    if replacement == "folder":
        (tree / "b.py").mkdir()
    else:
        (tree / "b.py").symlink_to(tree / "a.py")
    scan_paths([tree], options(tmp_path))

    assert recorded_paths(tmp_path / "cache.sqlite3") == under(tree, "a.py")


def test_a_scan_prunes_only_under_its_own_folders(tmp_path: Path) -> None:
    # "one-b" sorts before "one/" and "one_b" after it: neither lies under "one".
    folders = [tmp_path / name for name in ("one", "one-b", "one_b")]
    for folder in folders:
        write_files(folder, {"kept.py": ONE, "gone.py": TWO})
        scan_paths([folder], options(tmp_path))
        (folder / "gone.py").unlink()

    scan_paths([folders[0]], options(tmp_path))

    assert recorded_paths(tmp_path / "cache.sqlite3") == (
        under(folders[0], "kept.py")
        | under(folders[1], "kept.py", "gone.py")
        | under(folders[2], "kept.py", "gone.py")
    )


def test_records_of_files_filtered_out_or_excluded_are_kept(
    tmp_path: Path, lstats: list[str]
) -> None:
    tree = tmp_path / "tree"
    write_files(tree, {"a.py": ONE, "c.js": "function c() {}\n", "node_modules/d.js": "d()\n"})
    scan_paths([tree], options(tmp_path))
    scan_paths([tree / "node_modules"], options(tmp_path))  # excluded from a walk of the tree
    every = under(tree, "a.py", "c.js", "node_modules/d.js")
    assert recorded_paths(tmp_path / "cache.sqlite3") == every

    python_only = scan_paths([tree], options(tmp_path, languages=frozenset({"python"})))

    assert [f.path for f in python_only.files] == ["a.py"]
    assert recorded_paths(tmp_path / "cache.sqlite3") == every
    assert sorted(lstats) == sorted(under(tree, "c.js", "node_modules/d.js"))


def test_a_renamed_file_is_recorded_under_its_new_path_only(
    tmp_path: Path, reads: Counter[str]
) -> None:
    tree = tmp_path / "tree"
    write_files(tree, {"a.py": ONE, "b.py": TWO})
    scan_paths([tree], options(tmp_path))

    (tree / "b.py").rename(tree / "c.py")
    scan_paths([tree], options(tmp_path))
    warm = scan_paths([tree], options(tmp_path))

    assert recorded_paths(tmp_path / "cache.sqlite3") == under(tree, "a.py", "c.py")
    assert functions(warm) == {"a.py": ["one"], "c.py": ["two"]}
    assert warm.files_read == 0
    assert reads == {"a.py": 1, "b.py": 1, "c.py": 1}


def test_a_scan_of_one_file_prunes_nothing_in_its_folder(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    write_files(tree, {"a.py": ONE, "b.py": TWO})
    scan_paths([tree], options(tmp_path))
    (tree / "b.py").unlink()

    scan_paths([tree / "a.py"], options(tmp_path))
    assert recorded_paths(tmp_path / "cache.sqlite3") == under(tree, "a.py", "b.py")

    scan_paths([tree], options(tmp_path))
    assert recorded_paths(tmp_path / "cache.sqlite3") == under(tree, "a.py")


def test_a_deleted_untracked_files_record_is_pruned_in_a_work_tree(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo", {"tracked.py": ONE})
    write_files(repo, {"untracked.py": TWO, "gone.py": TWO, "ignored.py": ONE})
    scan_paths([repo / "ignored.py"], options(tmp_path))
    (repo / ".gitignore").write_text("ignored.py\n")
    git(repo, "add", ".gitignore")
    scan_paths([repo], options(tmp_path))

    (repo / "gone.py").unlink()
    scan_paths([repo], options(tmp_path))

    assert recorded_paths(tmp_path / "cache.sqlite3") == under(repo, "untracked.py", "ignored.py")


def test_names_that_are_not_utf8_are_scanned_and_read_on_every_scan(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    odd_name = os.fsdecode(b"\xff.py")
    odd_folder = tree / os.fsdecode(b"dir\xfe")
    write_files(tree, {"a.py": ONE, odd_name: TWO, f"{odd_folder.name}/b.py": TWO})

    scan_paths([tree], options(tmp_path))
    warm = scan_paths([tree], options(tmp_path))
    assert functions(warm) == {
        "a.py": ["one"],
        f"{odd_folder.name}/b.py": ["two"],
        odd_name: ["two"],
    }
    assert (warm.files_read, warm.analysed, warm.cache_hits) == (2, 0, 3)
    assert recorded_paths(tmp_path / "cache.sqlite3") == under(tree, "a.py")

    (tree / odd_name).unlink()
    assert functions(scan_paths([odd_folder], options(tmp_path))) == {"b.py": ["two"]}
    assert list(functions(scan_paths([tree], options(tmp_path)))) == [
        "a.py",
        f"{odd_folder.name}/b.py",
    ]
