"""Where bmad keeps its files.

``BMAD_HOME`` puts everything under one folder (tests, several participants on one machine);
``BMAD_CACHE_DIR`` / ``BMAD_DATA_DIR`` / ``BMAD_RUNTIME_DIR`` / ``BMAD_LOG_DIR`` override one each.
Otherwise the platform's user directories, as platformdirs names them. On Linux the usual case
(absolute XDG variables or HOME, a private runtime folder) is read here with the standard
library: importing platformdirs costs ~10 ms (it imports tempfile, shutil and random), a
tenth of what a git hook may spend before asking the daemon. Anything less usual goes to
platformdirs itself, so the folders are platformdirs' everywhere.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

APP_NAME = "bmad"
PRIVATE_MODE = 0o700
# platformdirs' function -> (the XDG variable, its default under HOME, a folder under bmad's)
XDG_HOMES: dict[str, tuple[str, str, str]] = {
    "user_config_dir": ("XDG_CONFIG_HOME", ".config", ""),
    "user_cache_dir": ("XDG_CACHE_HOME", ".cache", ""),
    "user_data_dir": ("XDG_DATA_HOME", ".local/share", ""),
    "user_log_dir": ("XDG_STATE_HOME", ".local/state", "log"),
}


def _resolve(env_name: str, home_subdir: str, platform_dir: str) -> Path:
    explicit = os.environ.get(env_name)
    if explicit:
        return Path(explicit)
    home = os.environ.get("BMAD_HOME")
    if home:
        return Path(home) / home_subdir
    return user_dir(platform_dir)


def user_dir(platform_dir: str) -> Path:
    """platformdirs' ``platform_dir`` (``user_config_dir``, ``user_runtime_dir``, ...) for bmad."""
    return linux_user_dir(platform_dir) or _platformdirs_dir(platform_dir)


def _platformdirs_dir(platform_dir: str) -> Path:
    import warnings

    import platformdirs

    with warnings.catch_warnings():
        # Without a usable XDG_RUNTIME_DIR platformdirs warns on every call, then falls back
        # to a checked per-user folder under /tmp, which bmad narrows to 0700 anyway.
        warnings.simplefilter("ignore", getattr(platformdirs, "RuntimeDirWarning", Warning))
        return Path(getattr(platformdirs, platform_dir)(APP_NAME))


def _on_plain_linux() -> bool:
    """Linux, where platformdirs uses its XDG rules (not an Android app's folders)."""
    android = (
        os.environ.get("ANDROID_DATA") == "/data" and os.environ.get("ANDROID_ROOT") == "/system"
    )
    return sys.platform == "linux" and not hasattr(sys, "getandroidapilevel") and not android


def linux_user_dir(platform_dir: str) -> Path | None:
    """The folder platformdirs gives on Linux, read from the environment and a few ``lstat``
    calls; None where that would not be certain (another platform, HOME unset or relative, a
    runtime folder that is missing or that platformdirs' ownership and mode checks might
    refuse): then platformdirs answers."""
    if not _on_plain_linux():
        return None
    if platform_dir == "user_runtime_dir":
        runtime = os.environ.get("XDG_RUNTIME_DIR", "")
        return Path(runtime, APP_NAME) if _is_private_runtime_dir(runtime) else None
    variable, default, leaf = XDG_HOMES[platform_dir]
    base = os.environ.get(variable, "")
    if not os.path.isabs(base):
        if not os.path.isabs(os.environ.get("HOME", "")):
            return None  # platformdirs asks the password database
        base = os.path.expanduser(f"~/{default}")
    return Path(base, APP_NAME, leaf)


def _is_private_runtime_dir(path: str) -> bool:
    """What platformdirs accepts as XDG_RUNTIME_DIR, narrowed to what is quick to be sure of:
    an existing real folder of this user with mode 0700, below real folders (no symbolic
    links, no ``..``) owned by root or this user that no one else may write to (unless sticky,
    as /tmp)."""
    if not os.path.isabs(path):
        return False
    parts = Path(path).parts[1:]
    if not parts or ".." in parts:
        return False
    user = os.geteuid()
    current = Path("/")
    for part in parts[:-1]:
        current /= part
        try:
            info = os.lstat(current)
        except OSError:
            return False
        shared = info.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and not info.st_mode & stat.S_ISVTX
        if not stat.S_ISDIR(info.st_mode) or info.st_uid not in (0, user) or shared:
            return False
    try:
        info = os.lstat(current / parts[-1])
    except OSError:
        return False
    return (
        stat.S_ISDIR(info.st_mode) and info.st_uid == user and info.st_mode & 0o777 == PRIVATE_MODE
    )


def cache_dir() -> Path:
    return _resolve("BMAD_CACHE_DIR", "cache", "user_cache_dir")


def data_dir() -> Path:
    return _resolve("BMAD_DATA_DIR", "data", "user_data_dir")


def runtime_dir() -> Path:
    return _resolve("BMAD_RUNTIME_DIR", "run", "user_runtime_dir")


def log_dir() -> Path:
    return _resolve("BMAD_LOG_DIR", "log", "user_log_dir")


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) and make the leaf owner-only (0700)."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, PRIVATE_MODE)
    return path
