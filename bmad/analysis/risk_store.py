"""Each file's defect risk in the data store, keyed by the commit it was computed at and by the
models that computed it; and the repository's local model itself.

The daemon (after mining) and ``bmad learn anti-patterns --risk`` train the model and write
here; the editor and the pre-commit hook only read, so neither ever trains (nor imports numpy
or scikit-learn: this module needs the standard library and the store only). Kept per
repository: which model serves (local, global, blend) and why, the risks it gave each file
with their drivers, the identities (digests) of the local and the federation's model the
risks came from, and the local model as portable JSON (:mod:`bmad.analysis.risk_portable`),
so that serving after a new federated model needs no retraining. Risks whose models are no
longer the ones that would serve are stale (:func:`stale_reason`).
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

from bmad.analysis.excludes import is_excluded
from bmad.analysis.ranking import percentile_ranks
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
    """,
    """
    ALTER TABLE risk_runs ADD COLUMN local_model TEXT NOT NULL DEFAULT '';
    ALTER TABLE risk_runs ADD COLUMN global_model TEXT NOT NULL DEFAULT '';
    CREATE TABLE risk_models (
        repo TEXT PRIMARY KEY,
        head TEXT NOT NULL,
        trained_at INTEGER NOT NULL,
        digest TEXT NOT NULL,
        windows INTEGER NOT NULL,
        document TEXT NOT NULL
    );
    """,
]
YEAR_DAYS = 365
TOP_SHARE = 0.1  # files this high by risk x lines get the defect-risk note


def size_aware_ranks(risk_x_size: Mapping[str, float], exclude: Sequence[str]) -> dict[str, float]:
    """Each file's percentile (0..1) by risk x lines, the files ``exclude`` matches left out:
    the one priority's risk term, and (above 1 - TOP_SHARE) the defect-risk note's rule."""
    return percentile_ranks(
        {path: value for path, value in risk_x_size.items() if not is_excluded(path, exclude)}
    )


def horizon_words(days: int) -> str:
    """ "a year", "6 months", "90 days": how far ahead a risk looks."""
    if days == YEAR_DAYS:
        return "a year"
    if days % YEAR_DAYS == 0:
        return f"{days // YEAR_DAYS} years"
    months = days / (YEAR_DAYS / 12)
    if days >= 28 and abs(months - round(months)) * (YEAR_DAYS / 12) < 1:
        return "a month" if round(months) == 1 else f"{round(months)} months"
    return f"{days} days"


def risk_sentence(
    risk: float, top_share: float, drivers: Sequence[str], horizon_days: int = YEAR_DAYS
) -> str:
    """ "risk of a fix within a year: 34%, top 5% in this repository; driven by 340 lines
    changed in the last 6 months and 6 minor contributors"."""
    text = (
        f"risk of a fix within {horizon_words(horizon_days)}: {risk:.0%}, "
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
    horizon_days: int = YEAR_DAYS  # the window the risk looks ahead

    def explanation(self) -> str:
        return risk_sentence(self.risk, self.top_share, self.drivers, self.horizon_days)

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
    local_model: str = ""  # digest of the local model the risks came from ('' none)
    global_model: str = ""  # digest of the federation's model at hand then ('' none)

    def to_dict(self, top: int | None = None) -> dict[str, Any]:
        ranked = sorted(self.files.values(), key=lambda f: (-f.expected_fixes, f.path))
        return {
            "source": self.source,
            "reason": self.reason,
            "horizon_days": self.horizon_days,
            "models": {"local": self.local_model, "global": self.global_model},
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
    horizon_days: int = YEAR_DAYS
    risk_x_size: float = 0.0  # the size-aware priority's input (risk x lines / mean lines)
    size_rank: float = 0.0  # percentile by risk x lines in the repository (size_aware_ranks)

    @property
    def in_top_share(self) -> bool:
        """Whether the file is among those the defect-risk note names."""
        return self.size_rank > 1 - TOP_SHARE

    def explanation(self) -> str:
        return risk_sentence(self.risk, self.top_share, self.drivers, self.horizon_days)

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
            "risk_x_size": round(self.risk_x_size, 4),
            "size_rank": round(self.size_rank, 4),
            "in_top_share": self.in_top_share,
        }


@dataclass(frozen=True, slots=True)
class StoredRun:
    head: str
    computed_at: int
    source: str
    reason: str
    horizon_days: int
    local_model: str = ""
    global_model: str = ""

    @property
    def identity(self) -> str:
        """Which risks these are: the commit and the models' digests (short)."""
        return f"{self.head[:12]}/{self.local_model[:12] or '-'}/{self.global_model[:12] or '-'}"


@dataclass(frozen=True, slots=True)
class StoredModel:
    """The repository's local model as stored: trained at ``head``; ``document`` is the portable
    JSON, '' when the past was too short for a model (so nothing is retrained to learn that)."""

    head: str
    trained_at: int
    digest: str
    windows: int  # validation windows its form was chosen on
    document: str


def stale_reason(run: StoredRun, global_model: str) -> str | None:
    """Why risks stored by ``run`` are not what the models at hand would give (None: they
    are): the federation's model (``global_model``: its digest now, '' none) changed since.
    The local model cannot have: it is stored with the risks it gives, in one transaction."""
    if global_model == run.global_model:
        return None
    if not global_model:
        return "the federation's model they used is no longer cached"
    return "the federation released a new model since"


def open_risk_store(path: Path | None = None) -> Store:
    return open_store(path or data_store_path(), COMPONENT, MIGRATIONS)


def repository_key(repo: Path) -> str:
    return str(repo.resolve())


def save_risks(
    store: Store, repo: Path, head: str, report: RiskReport, model: StoredModel | None = None
) -> None:
    """Replace the repository's stored risks with ``report``'s (computed at ``head``) and, when
    given, its stored local model with ``model``, together."""
    key = repository_key(repo)
    with store.transaction() as connection:
        if model is not None:
            connection.execute(
                "INSERT INTO risk_models (repo, head, trained_at, digest, windows, document) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (repo) DO UPDATE SET "
                "head = excluded.head, trained_at = excluded.trained_at, "
                "digest = excluded.digest, windows = excluded.windows, "
                "document = excluded.document",
                (key, model.head, model.trained_at, model.digest, model.windows, model.document),
            )
        connection.execute("DELETE FROM risk_files WHERE repo = ?", (key,))
        connection.execute("DELETE FROM risk_runs WHERE repo = ?", (key,))
        connection.execute(
            "INSERT INTO risk_runs (repo, head, computed_at, source, reason, horizon_days, "
            "local_model, global_model) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                key,
                head,
                int(time.time()),
                report.source,
                report.reason,
                report.horizon_days,
                report.local_model,
                report.global_model,
            ),
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
        "SELECT head, computed_at, source, reason, horizon_days, local_model, global_model "
        "FROM risk_runs WHERE repo = ?",
        (repository_key(repo),),
    ).fetchone()
    if row is None:
        return None
    return StoredRun(str(row[0]), int(row[1]), row[2], row[3], int(row[4]), row[5], row[6])


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
        row[0]: FileRisk(
            row[0], row[1], row[2], row[3], row[4], tuple(json.loads(row[5])), run.horizon_days
        )
        for row in rows
    }
    report = RiskReport(
        run.source, run.reason, run.horizon_days, files, run.local_model, run.global_model
    )
    return run, report


def stored_local_model(store: Store, repo: Path) -> StoredModel | None:
    row = store.connection.execute(
        "SELECT head, trained_at, digest, windows, document FROM risk_models WHERE repo = ?",
        (repository_key(repo),),
    ).fetchone()
    return None if row is None else StoredModel(row[0], int(row[1]), row[2], int(row[3]), row[4])


def stored_file_risks(
    repo: Path, paths: Sequence[str], exclude: Sequence[str] = (), store_path: Path | None = None
) -> Mapping[str, StoredRisk]:
    """The stored risks of ``paths`` (relative to ``repo``), each with its percentile by risk x
    lines among the repository's files (``exclude``: the files left out of that ranking), read
    without writing the store; empty when nothing was stored for the repository."""
    path = store_path or data_store_path()
    if not path.exists() or not paths:
        return {}
    try:
        connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return {}
    try:
        rows = connection.execute(
            "SELECT f.path, f.risk, f.top_share, f.lines, f.drivers, r.head, r.source, "
            "r.horizon_days, f.risk_x_size "
            "FROM risk_files f JOIN risk_runs r ON r.repo = f.repo WHERE f.repo = ?",
            (repository_key(repo),),
        ).fetchall()
    except sqlite3.OperationalError:  # no risk tables: no risk was ever computed here
        return {}
    finally:
        connection.close()
    ranks = size_aware_ranks({row[0]: float(row[8]) for row in rows}, exclude)
    wanted = set(paths)
    return {
        row[0]: StoredRisk(
            row[0],
            row[1],
            row[2],
            row[3],
            tuple(json.loads(row[4])),
            row[5],
            row[6],
            int(row[7]),
            float(row[8]),
            ranks.get(row[0], 0.0),
        )
        for row in rows
        if row[0] in wanted
    }
