"""Where the daemon keeps its runtime files: socket, pid file, lock file and log.

Only the standard library and :mod:`bmad.dirs` are imported, so the client stays light.
"""

from __future__ import annotations

from pathlib import Path

from bmad import dirs

SOCKET_NAME = "daemon.sock"
PID_NAME = "daemon.pid"
LOCK_NAME = "daemon.lock"
LOG_NAME = "daemon.log"


def socket_path() -> Path:
    return dirs.runtime_dir() / SOCKET_NAME


def pid_path() -> Path:
    return dirs.runtime_dir() / PID_NAME


def lock_path() -> Path:
    return dirs.runtime_dir() / LOCK_NAME


def log_path() -> Path:
    return dirs.log_dir() / LOG_NAME


def repository_lock_path(repository_id: int) -> Path:
    return dirs.data_dir() / "locks" / f"repository-{repository_id}.lock"
