"""Advisory file locks (fcntl): one daemon per user, one writer per repository.

The kernel releases a lock when its holder dies, even by ``kill -9``, so a crashed process
never leaves a lock behind.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bmad import dirs


class FileLock:
    """An exclusive lock on ``path``; the file is created owner-only when missing."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, blocking: bool = True) -> bool:
        """Take the lock; without ``blocking`` return False at once when another holds it."""
        if self._fd is not None:
            return True
        dirs.ensure_private_dir(self.path.parent)
        fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def is_locked(path: Path) -> bool:
    """Whether some process holds the lock on ``path`` (without waiting for it)."""
    if not path.exists():
        return False
    probe = FileLock(path)
    if probe.acquire(blocking=False):
        probe.release()
        return False
    return True


@contextmanager
def locked(path: Path, blocking: bool = True) -> Iterator[bool]:
    """Hold the lock for the ``with`` block; yields whether it was obtained."""
    lock = FileLock(path)
    obtained = lock.acquire(blocking=blocking)
    try:
        yield obtained
    finally:
        lock.release()
