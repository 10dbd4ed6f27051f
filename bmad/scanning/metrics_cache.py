"""The metrics cache as the scan uses it: :class:`FileMetrics` by (blob id, language).

Encoding is :func:`bmad.extractors.metrics.encode_metrics`; the table is
:mod:`bmad.store.metrics_cache`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from bmad.extractors.languages import language_for_path
from bmad.extractors.metrics import (
    METRICS_CODEC_VERSION,
    FileMetrics,
    decode_metrics,
    encode_metrics,
)
from bmad.store.connection import Store
from bmad.store.metrics_cache import MetricsTable


class MetricsCache:
    def __init__(self, table: MetricsTable) -> None:
        self.table = table

    @classmethod
    def open(cls, path: Path, analyser_version: str) -> MetricsCache:
        return cls(MetricsTable.open(path, f"{analyser_version}/{METRICS_CODEC_VERSION}"))

    @property
    def store(self) -> Store:
        return self.table.store

    def close(self) -> None:
        self.table.close()

    def lookup(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], FileMetrics]:
        """Cached metrics for the (blob id, language) pairs that have them."""
        return {key: decode_metrics(payload) for key, payload in self.table.lookup(keys).items()}

    def lookup_files(self, files: Iterable[tuple[str, str]]) -> dict[str, FileMetrics]:
        """Path -> cached metrics for (path, blob id) pairs, keyed as a scan stores them: by
        the language of the file's name (a C header measured as C++ is cached under C)."""
        keys = {
            path: (blob_id, language)
            for path, blob_id in files
            if (language := language_for_path(path)) is not None
        }
        found = self.lookup(keys.values())
        return {path: found[key] for path, key in keys.items() if key in found}

    def save(self, entries: Mapping[tuple[str, str], FileMetrics]) -> None:
        self.table.save({key: encode_metrics(metrics) for key, metrics in entries.items()})
