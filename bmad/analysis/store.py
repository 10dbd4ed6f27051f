"""Findings in the data store, so the daemon, the editor and the hooks share one result."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bmad.analysis.detect import DetectionReport
from bmad.analysis.findings import Finding
from bmad.analysis.inputs import AnalysisInput
from bmad.analysis.reference import ReferenceSource
from bmad.store.connection import Store, data_store_path, open_store

if TYPE_CHECKING:
    from bmad.config import Config

COMPONENT = "findings"
MIGRATIONS: list[str] = [
    """
    CREATE TABLE findings_runs (
        repo TEXT PRIMARY KEY,
        analysed_at INTEGER NOT NULL,
        functions INTEGER NOT NULL,
        files INTEGER NOT NULL,
        flagged INTEGER NOT NULL,
        suppressed INTEGER NOT NULL,
        notes TEXT NOT NULL
    );
    CREATE TABLE findings (
        repo TEXT NOT NULL REFERENCES findings_runs(repo) ON DELETE CASCADE,
        rank INTEGER NOT NULL,
        position INTEGER NOT NULL,
        priority REAL NOT NULL,
        rule_id TEXT NOT NULL,
        severity TEXT NOT NULL,
        path TEXT NOT NULL,
        start_line INTEGER NOT NULL,
        end_line INTEGER NOT NULL,
        function TEXT,
        message TEXT NOT NULL,
        evidence TEXT NOT NULL,
        anomaly_score REAL,
        fingerprint TEXT NOT NULL,
        PRIMARY KEY (repo, rank, position)
    );
    CREATE INDEX findings_by_path ON findings (repo, path);
    """
]


def open_findings_store(path: Path | None = None) -> Store:
    return open_store(path or data_store_path(), COMPONENT, MIGRATIONS)


def save_report(store: Store, repo: Path, report: DetectionReport) -> None:
    """Replace the repository's findings with this report's, in one transaction."""
    key = str(repo.resolve())
    with store.transaction() as connection:
        connection.execute("DELETE FROM findings_runs WHERE repo = ?", (key,))
        connection.execute(
            "INSERT INTO findings_runs VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                key,
                int(time.time()),
                report.functions,
                report.files,
                report.flagged,
                report.suppressed,
                json.dumps(list(report.notes)),
            ),
        )
        connection.executemany(
            "INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    key,
                    item.rank,
                    position,
                    item.priority,
                    finding.rule_id,
                    finding.severity,
                    finding.path,
                    finding.start_line,
                    finding.end_line,
                    finding.function,
                    finding.message,
                    json.dumps(finding.evidence, sort_keys=True),
                    finding.anomaly_score,
                    finding.fingerprint,
                )
                for item in report.items
                for position, finding in enumerate(item.findings)
            ],
        )


def load_findings(store: Store, repo: Path, path: str | None = None) -> list[Finding]:
    """Stored findings of a repository (optionally of one file), in ranking order."""
    query = (
        "SELECT rule_id, severity, path, start_line, end_line, function, message, evidence, "
        "anomaly_score FROM findings WHERE repo = ?"
    )
    arguments: Sequence[object] = (str(repo.resolve()),)
    if path is not None:
        query += " AND path = ?"
        arguments = (*arguments, path)
    rows = store.connection.execute(query + " ORDER BY rank, position", arguments).fetchall()
    return [
        Finding(
            rule_id=row[0],
            severity=row[1],
            path=row[2],
            start_line=row[3],
            end_line=row[4],
            function=row[5],
            message=row[6],
            evidence=json.loads(row[7]),
            anomaly_score=row[8],
        )
        for row in rows
    ]


def analyse_repository(
    repo_path: Path, reference_source: ReferenceSource | None = None
) -> tuple[AnalysisInput, DetectionReport, Path]:
    """Gather every lens for the repository, with its configuration, and detect."""
    from bmad import config
    from bmad.analysis.adapters import gather
    from bmad.analysis.detect import detect
    from bmad.analysis.settings import analysis_settings

    settings = config.load(repo_path if repo_path.is_dir() else None)
    analysis = analysis_settings(settings.section("rules"), settings.section("analysis"))
    analysis_input, root = gather(repo_path, settings)
    return analysis_input, detect(analysis_input, analysis, reference_source), root


def detect_and_store(
    analysis_input: AnalysisInput,
    settings: Config,
    root: Path,
    store_path: Path | None = None,
    reference_for: Callable[[str], ReferenceSource] | None = None,
) -> list[Finding]:
    """What the daemon runs after mining: detect with the repository's configuration, replace
    the repository's stored findings, return them. ``reference_for`` turns the repository's
    ``anomaly_reference`` setting into the anomaly model's reference (default: local)."""
    from bmad.analysis.detect import detect
    from bmad.analysis.settings import analysis_settings

    analysis = analysis_settings(settings.section("rules"), settings.section("analysis"))
    source = None if reference_for is None else reference_for(analysis.model.anomaly_reference)
    report = detect(analysis_input, analysis, source)
    with open_findings_store(store_path) as store:
        save_report(store, root, report)
    return report.findings
