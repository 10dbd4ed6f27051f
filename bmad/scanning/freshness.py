"""When a file's stat may stand in for its bytes: git's index rule, for files git does not track.

A scan that reads a file records the file's stat (size, mtime, ctime, inode, device) with the
blob id of the bytes it read and the time the read began. A later scan trusts that blob id
without reading the file when both hold:

- the stat is the same in every field. An edit changes the ctime (and mostly the mtime and
  size), even when the mtime is forced back with ``utime``; replacing the file changes the
  inode; ``ctime`` cannot be set from user space.
- the record is not racy: the file's mtime and ctime were both older than the start of the
  read by ``RACY_MARGIN_NS``. A file system stamps times at a coarse granularity (a clock tick,
  or 2 s on FAT), so a write landing in the same tick as the one that was read could leave
  every field unchanged; such a record is re-read (and re-recorded) on the next scan, as git
  re-hashes its "racily clean" entries. The margin also absorbs a file-system clock (NFS
  server) up to that far behind this machine's.

Pure functions only; the table lives in ``bmad.scanning.stat_cache``.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass

RACY_MARGIN_NS = 2_000_000_000
_UINT64 = 1 << 64


def _as_int64(value: int) -> int:
    """Inode and device numbers are unsigned 64-bit; SQLite integers are signed."""
    return value - _UINT64 if value >= 1 << 63 else value


@dataclass(frozen=True, slots=True)
class FileStat:
    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int
    device: int

    @classmethod
    def of(cls, result: os.stat_result) -> FileStat | None:
        """The stat of a regular file; None for anything else (folders, devices, pipes)."""
        if not stat.S_ISREG(result.st_mode):
            return None
        return cls(
            result.st_size,
            result.st_mtime_ns,
            result.st_ctime_ns,
            _as_int64(result.st_ino),
            _as_int64(result.st_dev),
        )


@dataclass(frozen=True, slots=True)
class StatEntry:
    """What a scan saw: the file's stat while it read ``blob_id``'s bytes."""

    stat: FileStat
    blob_id: str
    read_started_ns: int  # wall clock, taken before the first stat of the read


def read_is_stable(before: FileStat | None, after: FileStat | None) -> bool:
    """Whether bytes read between two stats of one open file can be recorded for that stat."""
    return before is not None and before == after


def vouches(entry: StatEntry, current: FileStat, margin_ns: int = RACY_MARGIN_NS) -> bool:
    """Whether ``entry.blob_id`` is the id of the file that now has stat ``current``."""
    if current != entry.stat:
        return False
    newest_change = max(entry.stat.mtime_ns, entry.stat.ctime_ns)
    return newest_change < entry.read_started_ns - margin_ns
