from __future__ import annotations

import os
import stat

from hypothesis import given
from hypothesis import strategies as st

from bmad.scanning.freshness import (
    RACY_MARGIN_NS,
    FileStat,
    StatEntry,
    read_is_stable,
    vouches,
)

SECOND = 1_000_000_000
times = st.integers(min_value=-(10**18), max_value=10**18)
file_stats = st.builds(
    FileStat,
    size=st.integers(min_value=0, max_value=2**40),
    mtime_ns=times,
    ctime_ns=times,
    inode=st.integers(min_value=-(2**63), max_value=2**63 - 1),
    device=st.integers(min_value=-(2**63), max_value=2**63 - 1),
)


def raw_stat(
    mode: int, inode: int, device: int, size: int, mtime_ns: int, ctime_ns: int
) -> os.stat_result:
    seconds = (0, mtime_ns // SECOND, ctime_ns // SECOND)
    return os.stat_result(
        (mode, inode, device, 1, 0, 0, size, *seconds, *map(float, seconds), 0, mtime_ns, ctime_ns)
    )


def settled(entry_stat: FileStat) -> StatEntry:
    """A record made well after the file's last change."""
    newest = max(entry_stat.mtime_ns, entry_stat.ctime_ns)
    return StatEntry(entry_stat, "b" * 40, newest + RACY_MARGIN_NS + SECOND)


@given(file_stats)
def test_an_unchanged_stat_recorded_after_the_racy_margin_vouches(current: FileStat) -> None:
    assert vouches(settled(current), current)


@given(file_stats, file_stats)
def test_any_difference_in_the_stat_refuses(recorded: FileStat, current: FileStat) -> None:
    if recorded != current:
        assert not vouches(settled(recorded), current)


@given(file_stats, st.sampled_from(["size", "mtime_ns", "ctime_ns", "inode", "device"]))
def test_each_field_alone_refuses(recorded: FileStat, field: str) -> None:
    values = {name: getattr(recorded, name) for name in FileStat.__slots__}
    values[field] += 1
    assert not vouches(settled(recorded), FileStat(**values))


@given(file_stats, st.integers(min_value=0, max_value=RACY_MARGIN_NS + 5 * SECOND))
def test_a_record_within_the_racy_margin_of_a_change_never_vouches(
    recorded: FileStat, delay_ns: int
) -> None:
    """Even with every field equal: a write in the same clock tick would have left them so."""
    newest = max(recorded.mtime_ns, recorded.ctime_ns)
    entry = StatEntry(recorded, "b" * 40, newest + delay_ns)

    assert vouches(entry, recorded) == (delay_ns > RACY_MARGIN_NS)


def test_a_recent_ctime_alone_makes_the_record_racy() -> None:
    """A chmod just before the read, then a same-size write with the mtime forced back in the
    same tick, would leave every field unchanged; so the ctime counts as a change too."""
    recorded = FileStat(10, mtime_ns=0, ctime_ns=100 * SECOND, inode=1, device=1)

    assert not vouches(StatEntry(recorded, "b" * 40, 101 * SECOND), recorded)
    assert vouches(StatEntry(recorded, "b" * 40, 103 * SECOND), recorded)


@given(st.one_of(st.none(), file_stats), st.one_of(st.none(), file_stats))
def test_a_read_is_recorded_only_when_the_file_held_still(
    before: FileStat | None, after: FileStat | None
) -> None:
    assert read_is_stable(before, after) == (before is not None and before == after)


def test_stat_of_a_regular_file_fits_sqlite_integers() -> None:
    result = raw_stat(stat.S_IFREG | 0o644, 2**64 - 5, 2**63, 10, 7 * SECOND, 9 * SECOND)

    converted = FileStat.of(result)

    assert converted == FileStat(10, 7 * SECOND, 9 * SECOND, -5, -(2**63))


def test_only_regular_files_have_a_stat_to_record() -> None:
    for mode in (stat.S_IFDIR | 0o755, stat.S_IFIFO | 0o644, stat.S_IFCHR | 0o600):
        assert FileStat.of(raw_stat(mode, 1, 1, 0, 0, 0)) is None
