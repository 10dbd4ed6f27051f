"""The stat cache end to end: real files, real SQLite, the scan pipeline's own reader counted."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from gitrepo import init_repo, write_files

from bmad.daemon.store import open_store
from bmad.scanning import ScanOptions, ScanResult, pipeline, scan_paths
from bmad.scanning.cache import COMPONENT as METRICS_COMPONENT
from bmad.scanning.cache import MIGRATIONS as METRICS_MIGRATIONS
from bmad.scanning.freshness import FileStat, StatEntry
from bmad.scanning.stat_cache import COMPONENT, StatCache

ONE = "def one(a):\n    return a\n"
TWO = "def two(b):\n    if b:\n        return 1\n    return 2\n"
TEN_SECONDS = 10 * 1_000_000_000


def later_clock() -> int:
    """A scan that runs well after the files were last changed (outside the racy window)."""
    return time.time_ns() + TEN_SECONDS


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
    """How often the pipeline's reader opened each file (by name)."""
    counts: Counter[str] = Counter()
    real = pipeline.read_file

    def counting(location: Path, max_size: int, clock_ns: Callable[[], int]) -> object:
        counts[location.name] += 1
        return real(location, max_size, clock_ns)

    monkeypatch.setattr(pipeline, "read_file", counting)
    return counts


def functions(result: ScanResult) -> dict[str, list[str]]:
    return {f.path: [function.name for function in f.metrics.functions] for f in result.files}


def rewrite_keeping_size_and_mtime(path: Path, content: str) -> os.stat_result:
    """Edit in place with the same size and force the old mtime back, as `cp -p` or a careless
    tool would; returns the stat before the edit. Only the ctime can tell the edit apart."""
    before = path.stat()
    assert len(content.encode()) == before.st_size
    path.write_text(content)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    while path.stat().st_ctime_ns == before.st_ctime_ns:  # same clock tick: touch again
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    return before


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

    before = rewrite_keeping_size_and_mtime(tree / "a.py", ONE.replace("one", "uno"))
    after = (tree / "a.py").stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (
        before.st_size,
        before.st_mtime_ns,
        before.st_ino,
    )
    result = scan_paths([tree], options(tmp_path))

    assert functions(result) == {"a.py": ["uno"], "b.py": ["two"]}
    assert result.analysed == 1
    assert reads == {"a.py": 2, "b.py": 1}


def test_replaced_file_with_the_same_size_and_mtime_is_reanalysed(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    write_files(tree, {"a.py": ONE})
    scan_paths([tree], options(tmp_path))
    old = (tree / "a.py").stat()

    replacement = tmp_path / "replacement.py"
    replacement.write_text(ONE.replace("one", "ein"))
    os.utime(replacement, ns=(old.st_atime_ns, old.st_mtime_ns))
    os.replace(replacement, tree / "a.py")
    assert (tree / "a.py").stat().st_ino != old.st_ino
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
