"""The content-addressed metrics cache, read by path as the daemon's steps and answers read it."""

from __future__ import annotations

from pathlib import Path

from bmad.extractors.metrics import FileMetrics
from bmad.scanning.metrics_cache import MetricsCache


def test_files_are_found_under_the_language_of_their_name(tmp_path: Path) -> None:
    # A C header that only parses as C++ is measured as C++ but cached under C, its name's
    # language: a lookup by its measured language would miss it.
    header = FileMetrics("cpp", 3, 3, 0, 0, False)
    module = FileMetrics("python", 1, 1, 0, 0, False)
    cache = MetricsCache.open(tmp_path / "cache.sqlite3", "analyser-1")
    try:
        cache.save({("b" * 40, "c"): header, ("a" * 40, "python"): module})
        found = cache.lookup_files(
            [("include/shape.h", "b" * 40), ("app.py", "a" * 40), ("notes.txt", "c" * 40)]
        )
        assert found == {"include/shape.h": header, "app.py": module}
        assert cache.lookup_files([("include/shape.h", "a" * 40)]) == {}
    finally:
        cache.close()
