"""Turning source trees (work trees, folders, commits) into cached per-file metrics.

Names are loaded on first use, so that importing a submodule (``bmad.scanning.metrics_cache`` in the
pre-commit hook, say) does not import the whole pipeline and its worker pool.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bmad.scanning.discovery import Skipped
    from bmad.scanning.pipeline import (
        ScannedFile,
        ScanOptions,
        ScanResult,
        cognitive_by_path,
        scan_commit,
        scan_paths,
        scan_repository,
    )

_HOMES = {
    "Skipped": "bmad.scanning.discovery",
    "ScannedFile": "bmad.scanning.pipeline",
    "ScanOptions": "bmad.scanning.pipeline",
    "ScanResult": "bmad.scanning.pipeline",
    "cognitive_by_path": "bmad.scanning.pipeline",
    "scan_commit": "bmad.scanning.pipeline",
    "scan_paths": "bmad.scanning.pipeline",
    "scan_repository": "bmad.scanning.pipeline",
}

__all__ = [
    "ScanOptions",
    "ScanResult",
    "ScannedFile",
    "Skipped",
    "cognitive_by_path",
    "scan_commit",
    "scan_paths",
    "scan_repository",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'bmad.scanning' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
