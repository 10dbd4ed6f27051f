"""Where bmad keeps its files.

``BMAD_HOME`` puts everything under one folder (tests, several participants on one machine);
``BMAD_CACHE_DIR`` / ``BMAD_DATA_DIR`` / ``BMAD_RUNTIME_DIR`` / ``BMAD_LOG_DIR`` override one each.
Otherwise the platform's user directories (platformdirs) are used.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

APP_NAME = "bmad"


def _resolve(env_name: str, home_subdir: str, platform_dir: str) -> Path:
    """``platform_dir``: the platformdirs function's name; imported only when no variable
    decides (it costs ~10 ms, a third of what a git hook may spend before asking the daemon)."""
    explicit = os.environ.get(env_name)
    if explicit:
        return Path(explicit)
    home = os.environ.get("BMAD_HOME")
    if home:
        return Path(home) / home_subdir
    import platformdirs

    with warnings.catch_warnings():
        # Without XDG_RUNTIME_DIR platformdirs warns on every call, then falls back to a
        # checked per-user folder under /tmp, which bmad narrows to 0700 anyway.
        warnings.simplefilter("ignore", getattr(platformdirs, "RuntimeDirWarning", Warning))
        return Path(getattr(platformdirs, platform_dir)(APP_NAME))


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
    os.chmod(path, 0o700)
    return path
