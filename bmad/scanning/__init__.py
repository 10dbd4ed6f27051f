"""Turning source trees (work trees, folders, commits) into cached per-file metrics."""

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
