"""Helpers for tests of what the stat cache lets a run skip reading (the scan's, the
architecture lens')."""

from __future__ import annotations

import os
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bmad.scanning import pipeline

TEN_SECONDS = 10 * 1_000_000_000


def later_clock() -> int:
    """A run well after the files were last changed (outside the racy window)."""
    return time.time_ns() + TEN_SECONDS


def count_reads(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often the pipeline's reader opens each file (by name) from now on."""
    counts: Counter[str] = Counter()
    real = pipeline.read_file

    def counting(location: Path, max_size: int, clock_ns: Callable[[], int]) -> object:
        counts[location.name] += 1
        return real(location, max_size, clock_ns)

    monkeypatch.setattr(pipeline, "read_file", counting)
    return counts


_open_counters: list[tuple[str, Counter[str]]] = []


def _count_open(event: str, args: tuple[object, ...]) -> None:
    if event != "open" or not _open_counters or not isinstance(args[0], str | bytes | os.PathLike):
        return
    opened = os.path.abspath(os.fsdecode(args[0]))
    for prefix, counts in _open_counters:
        if opened.startswith(prefix):
            counts[os.path.relpath(opened, prefix)] += 1


sys.addaudithook(_count_open)  # inert while no ``files_opened`` block is running


@contextmanager
def files_opened(folder: Path) -> Iterator[Counter[str]]:
    """Every file below ``folder`` that this process opens in the block, by relative path,
    however it is opened (the interpreter's "open" audit event)."""
    counts: Counter[str] = Counter()
    entry = (os.path.join(str(folder.resolve()), ""), counts)
    _open_counters.append(entry)
    try:
        yield counts
    finally:
        _open_counters.remove(entry)


def rewrite_keeping_size_and_mtime(path: Path, content: str) -> os.stat_result:
    """Edit in place with the same size and force the old mtime back, as `cp -p` or a careless
    tool would; returns the stat before the edit. Only the ctime can tell the edit apart."""
    before = path.stat()
    assert len(content.encode()) == before.st_size
    path.write_text(content)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    while path.stat().st_ctime_ns == before.st_ctime_ns:  # same clock tick: touch again
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (
        before.st_size,
        before.st_mtime_ns,
        before.st_ino,
    )
    return before


def replace_keeping_size_and_mtime(path: Path, content: str) -> None:
    """Put a new file (a new inode) in ``path``'s place with its size and mtime."""
    old = path.stat()
    assert len(content.encode()) == old.st_size
    replacement = path.with_name(path.name + ".new")
    replacement.write_text(content)
    os.utime(replacement, ns=(old.st_atime_ns, old.st_mtime_ns))
    os.replace(replacement, path)
    assert path.stat().st_ino != old.st_ino


def recorded_paths(cache_path: Path) -> set[str]:
    """The paths the stat cache holds records for."""
    with sqlite3.connect(cache_path) as connection:
        rows = connection.execute("SELECT path FROM file_stats").fetchall()
    connection.close()
    return {path for (path,) in rows}
