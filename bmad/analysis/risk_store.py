"""Each file's defect risk in the data store, keyed by the commit it was computed at.

The daemon (after mining) and ``bmad learn anti-patterns --risk`` train the model and write
here; the editor and the pre-commit hook only read, so neither ever trains (nor imports numpy
or scikit-learn: this module needs the standard library and the store only). What is kept of
the model is what serves: which model (local, global, blend), why, and the risks it gave each
file with their drivers.
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bmad.store.connection import Store, data_store_path, open_store

COMPONENT = "risk"
MIGRATIONS: list[str] = [
    """
    CREATE TABLE risk_runs (
        repo TEXT PRIMARY KEY,
        head TEXT NOT NULL,
        computed_at INTEGER NOT NULL,
        source TEXT NOT NULL,
        reason TEXT NOT NULL,
        horizon_days INTEGER NOT NULL
    );
    CREATE TABLE risk_files (
        repo TEXT NOT NULL REFERENCES risk_runs(repo) ON DELETE CASCADE,
        path TEXT NOT NULL,
        risk DOUBLE PRECISION NOT NULL,
        top_share DOUBLE PRECISION NOT NULL,
        lines INTEGER NOT NULL,
        risk_x_size DOUBLE PRECISION NOT NULL,
        drivers TEXT NOT NULL,
        PRIMARY KEY (repo, path)
    );
    """
]


def risk_sentence(risk: float, top_share: float, drivers: Sequence[str]) -> str:
    """ "risk of a fix within a year: 34%, top 5% in this repository; driven by 340 lines
    changed in the last 6 months and 6 minor contributors"."""
    text = (
        f"risk of a fix within a year: {risk:.0%}, "
        f"top {max(1, math.ceil(top_share * 100))}% in this repository"
    )
    return f"{text}; driven by {' and '.join(drivers)}" if drivers else text


@dataclass(frozen=True, slots=True)
class FileRisk:
    path: str
    risk: float  # probability of a fix within the horizon
    top_share: float  # share of the repository's files at or above this risk
    lines: int
    expected_fixes: float  # risk x lines / mean lines: the size-aware priority (see rank_key)
    drivers: tuple[str, ...]  # the features that raise the risk most, described

    def explanation(self) -> str:
        return risk_sentence(self.risk, self.top_share, self.drivers)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "risk": round(self.risk, 4),
            "top_share": round(self.top_share, 4),
            "lines": self.lines,
            "expected_fixes": round(self.expected_fixes, 4),
            "drivers": list(self.drivers),
            "explanation": self.explanation(),
        }


@dataclass(frozen=True, slots=True)
class RiskReport:
    source: str  # "local", "global", "blend" or "none"
    reason: str  # why that source serves
    horizon_days: int
    files: Mapping[str, FileRisk]  # by path

    def to_dict(self, top: int | None = None) -> dict[str, Any]:
        ranked = sorted(self.files.values(), key=lambda f: (-f.expected_fixes, f.path))
        return {
            "source": self.source,
            "reason": self.reason,
            "horizon_days": self.horizon_days,
            "files": [f.to_dict() for f in ranked[:top]],
        }


NO_RISK = RiskReport("none", "no model: too little history and no federated model", 0, {})


@dataclass(frozen=True, slots=True)
class StoredRisk:
    """One file's stored risk, with the run it came from."""

    path: str
    risk: float
    top_share: float
    lines: int
    drivers: tuple[str, ...]
    head: str  # the commit the risk was computed at
    source: str  # local | global | blend

    def explanation(self) -> str:
        return risk_sentence(self.risk, self.top_share, self.drivers)

    def to_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "risk": round(self.risk, 4),
            "top_share": round(self.top_share, 4),
            "lines": self.lines,
            "drivers": list(self.drivers),
            "explanation": self.explanation(),
            "head": self.head,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class StoredRun:
    head: str
    computed_at: int
    source: str
    reason: str
    horizon_days: int


def open_risk_store(path: Path | None = None) -> Store:
    return open_store(path or data_store_path(), COMPONENT, MIGRATIONS)


def repository_key(repo: Path) -> str:
    return str(repo.resolve())


def save_risks(store: Store, repo: Path, head: str, report: RiskReport) -> None:
    """Replace the repository's stored risks with ``report``'s (computed at ``head``)."""
    key = repository_key(repo)
    with store.transaction() as connection:
        connection.execute("DELETE FROM risk_files WHERE repo = ?", (key,))
        connection.execute("DELETE FROM risk_runs WHERE repo = ?", (key,))
        connection.execute(
            "INSERT INTO risk_runs (repo, head, computed_at, source, reason, horizon_days) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (key, head, int(time.time()), report.source, report.reason, report.horizon_days),
        )
        connection.executemany(
            "INSERT INTO risk_files (repo, path, risk, top_share, lines, risk_x_size, drivers) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    key,
                    risk.path,
                    risk.risk,
                    risk.top_share,
                    risk.lines,
                    risk.expected_fixes,
                    json.dumps(list(risk.drivers)),
                )
                for risk in report.files.values()
            ],
        )


def stored_run(store: Store, repo: Path) -> StoredRun | None:
    row = store.connection.execute(
        "SELECT head, computed_at, source, reason, horizon_days FROM risk_runs WHERE repo = ?",
        (repository_key(repo),),
    ).fetchone()
    return None if row is None else StoredRun(str(row[0]), int(row[1]), row[2], row[3], row[4])


def stored_report(store: Store, repo: Path) -> tuple[StoredRun, RiskReport] | None:
    """The repository's last stored run and its report (None: never computed here)."""
    run = stored_run(store, repo)
    if run is None:
        return None
    rows = store.connection.execute(
        "SELECT path, risk, top_share, lines, risk_x_size, drivers FROM risk_files "
        "WHERE repo = ? ORDER BY path",
        (repository_key(repo),),
    ).fetchall()
    files = {
        row[0]: FileRisk(row[0], row[1], row[2], row[3], row[4], tuple(json.loads(row[5])))
        for row in rows
    }
    return run, RiskReport(run.source, run.reason, run.horizon_days, files)


def stored_file_risks(
    repo: Path, paths: Sequence[str], store_path: Path | None = None
) -> Mapping[str, StoredRisk]:
    """The stored risks of ``paths`` (relative to ``repo``), read without writing the store;
    empty when nothing was stored for the repository."""
    path = store_path or data_store_path()
    if not path.exists() or not paths:
        return {}
    try:
        connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return {}
    try:
        rows = connection.execute(
            "SELECT f.path, f.risk, f.top_share, f.lines, f.drivers, r.head, r.source "
            "FROM risk_files f JOIN risk_runs r ON r.repo = f.repo WHERE f.repo = ?",
            (repository_key(repo),),
        ).fetchall()
    except sqlite3.OperationalError:  # no risk tables: no risk was ever computed here
        return {}
    finally:
        connection.close()
    return {
        row[0]: StoredRisk(
            row[0], row[1], row[2], row[3], tuple(json.loads(row[4])), row[5], row[6]
        )
        for row in rows
    }
