"""Starting, stopping and finding the daemon process.

A lock file held for the daemon's whole life is the source of truth: the kernel drops it
when the process dies, even by ``kill -9``, so a leftover pid file or socket is recognised
as stale and removed by the next start.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bmad import config, dirs
from bmad.daemon.client import DaemonUnavailable, call
from bmad.daemon.locks import FileLock, is_locked
from bmad.daemon.paths import lock_path, log_path, pid_path, socket_path
from bmad.errors import BmadError
from bmad.priority import lower_process

START_TIMEOUT = 20.0
STOP_TIMEOUT = 20.0
START_ERRORS_NAME = "daemon-start.err"


def read_pid() -> int | None:
    try:
        return int(pid_path().read_text().strip())
    except (OSError, ValueError):
        return None


def running_pid() -> int | None:
    """The pid of the live daemon, or None (a pid file without the lock is stale)."""
    if not is_locked(lock_path()):
        return None
    return read_pid()


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def configure_logging(path: Path, max_bytes: int, backups: int, to_stderr: bool) -> None:
    dirs.ensure_private_dir(path.parent)
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8"
    )
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handlers: list[logging.Handler] = [handler]
    if to_stderr:
        handlers.append(logging.StreamHandler(sys.stderr))
    root = logging.getLogger("bmad")
    root.setLevel(logging.INFO)
    for item in handlers:
        item.setFormatter(formatter)
        root.addHandler(item)


def run_foreground(log_to_stderr: bool = True) -> None:
    """Run the daemon in this process until SIGTERM or SIGINT."""
    from bmad.daemon.service import Daemon, DaemonSettings

    os.umask(0o077)  # everything the daemon creates (logs, stores, socket) is owner-only
    settings_config = config.load()
    settings = DaemonSettings.from_config(
        settings_config.section("daemon"), settings_config.integer("scan.max_file_size", 1)
    )
    dirs.ensure_private_dir(dirs.runtime_dir())
    daemon_lock = FileLock(lock_path())
    if not daemon_lock.acquire(blocking=False):
        raise BmadError(f"the bmad daemon is already running (pid {read_pid() or '?'})")
    try:
        # We hold the lock, so any socket or pid file left here belongs to a dead daemon.
        socket_path().unlink(missing_ok=True)
        _write_private(pid_path(), f"{os.getpid()}\n")
        configure_logging(log_path(), settings.log_max_bytes, settings.log_backups, log_to_stderr)
        lower_process(settings.nice)
        daemon = Daemon(settings, socket_path())
        signal.signal(signal.SIGTERM, lambda *_: daemon.request_stop())
        signal.signal(signal.SIGINT, lambda *_: daemon.request_stop())
        daemon.run()
    finally:
        pid_path().unlink(missing_ok=True)
        daemon_lock.release()


def start_background(timeout: float = START_TIMEOUT) -> int:
    """Start a detached daemon and wait until it answers; returns its pid."""
    existing = running_pid()
    if existing is not None:
        raise BmadError(f"the bmad daemon is already running (pid {existing})")
    errors_path = dirs.ensure_private_dir(dirs.log_dir()) / START_ERRORS_NAME
    command = [sys.executable, "-m", "bmad", "daemon", "start", "--foreground", "--no-stderr"]
    fd = os.open(errors_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as errors:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            start_new_session=True,
            close_fds=True,
            cwd="/",
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = process.poll()
        if code is not None:
            detail = errors_path.read_text(errors="replace").strip().splitlines()
            reason = detail[-1].removeprefix("bmad: error: ") if detail else f"exit code {code}"
            raise BmadError(f"the bmad daemon did not start: {reason}")
        try:
            status = call("status", timeout=1.0)
        except DaemonUnavailable:
            time.sleep(0.05)
            continue
        return int(status["pid"])
    raise BmadError(f"the bmad daemon did not answer within {timeout:.0f} s (see {log_path()})")


def stop(timeout: float = STOP_TIMEOUT) -> int | None:
    """Ask the daemon to stop and wait until it has; returns its pid, None if none ran."""
    pid = running_pid()
    if pid is None:
        return None
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return pid
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_locked(lock_path()):
            return pid
        time.sleep(0.05)
    raise BmadError(f"the bmad daemon (pid {pid}) did not stop within {timeout:.0f} s")
