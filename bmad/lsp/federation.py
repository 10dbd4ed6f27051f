"""The federation's cached code-pattern insights as the language server uses them: read from
the data store (read-only) once per session and after a configuration change, and read again
only when the cache holds a newer document. Runs on the analysis thread."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bmad.analysis.buffer import BufferReport
from bmad.errors import BmadError
from bmad.lsp.render import GlobalStanding

LEARNING_TYPE = "code_patterns"


def _received_at(path: Path) -> str | None:
    """When the cached code-pattern insights arrived; None when there are none."""
    from bmad.analysis.context import ReadOnlyStore

    if not path.exists():
        return None
    with ReadOnlyStore(path) as store:
        try:
            row = store.connection.execute(
                "SELECT received_at FROM privacy_global_insights WHERE learning_type = ?",
                (LEARNING_TYPE,),
            ).fetchone()
        except sqlite3.OperationalError:  # the privacy tables were never created
            return None
    return None if row is None else str(row[0])


def _cached_document(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    from bmad.analysis.context import ReadOnlyStore
    from bmad.privacy.sharing import cached_global_insights

    if not path.exists():
        return None, None
    with ReadOnlyStore(path) as store:
        try:
            cached = cached_global_insights(store)
        except sqlite3.OperationalError:
            return None, None
    for entry in cached:
        if entry["learning_type"] == LEARNING_TYPE:
            return dict(entry["insights"]), str(entry["received_at"])
    return None, None


def function_standings(
    insights: Mapping[str, Any], report: BufferReport
) -> dict[int, dict[str, GlobalStanding]]:
    """Per function (by start line): where each compared metric stands across the federation,
    as the federation's own comparison computes it."""
    from bmad.federation.learning import compare_functions

    functions = [
        (str(function.metrics.start_line), report.language, function.metrics.to_dict())
        for function in report.functions
    ]
    return {
        int(row["function"]): {
            item["metric"]: GlobalStanding(
                value=float(item["value"]),
                language=str(item["language"]),
                above_share=float(item["above_share"]),
                organisations=int(item["organisations"]),
                confidence=float(item["confidence"]),
                plus_minus=None if item.get("plus_minus") is None else float(item["plus_minus"]),
            )
            for item in row["global"]
        }
        for row in compare_functions(insights, functions)
    }


@dataclass
class GlobalInsights:
    """The latest cached code-pattern insights; ``refresh`` keeps them current cheaply."""

    path: Path | None = None  # the data store; None: bmad.store.connection.data_store_path()
    document: dict[str, Any] | None = None
    received_at: str | None = None
    _loaded: bool = False
    logs: list[str] = field(default_factory=list)

    def _store_path(self) -> Path:
        from bmad.store.connection import data_store_path

        return self.path or data_store_path()

    def invalidate(self) -> None:
        """Read the cache again on the next ``refresh`` (the configuration changed)."""
        self._loaded = False

    def refresh(self) -> dict[str, Any] | None:
        """The current insights document: loaded when not yet (or no longer) read, or when the
        cache received a newer one since; otherwise only its arrival time is read."""
        try:
            if self._loaded and _received_at(self._store_path()) == self.received_at:
                return self.document
            self.document, self.received_at = _cached_document(self._store_path())
        except (BmadError, sqlite3.Error, ValueError) as exc:
            self.logs.append(f"global insights unavailable: {exc}")
            self.document, self.received_at = None, None
        self._loaded = True
        if self.document is not None:
            organisations = self.document.get("organisations")
            self.logs.append(
                f"global code-pattern insights from {organisations} organisations "
                f"(received {self.received_at})"
            )
        return self.document

    def take_logs(self) -> list[str]:
        taken, self.logs = self.logs, []
        return taken
