"""Findings in the data store, so the daemon, the editor and the hooks share one result.

What is stored is ranked by the one priority of ``bmad learn anti-patterns``
(:func:`bmad.analysis.risk_ranking.combined_report`) with the repository's stored risks, each
file's risk and its explanation kept with its items. Each item also keeps the detection's own
priority and its file's hotspot percentile, so that new risks (a retrained local model, a
model released by the federation) rank the stored findings again without detecting again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bmad.analysis.detect import DetectionReport
from bmad.analysis.findings import Finding, RankedItem
from bmad.analysis.inputs import AnalysisInput
from bmad.analysis.reference import ReferenceSource
from bmad.analysis.risk_ranking import DEFECT_RISK_RULE, combined_report
from bmad.analysis.risk_store import COMPONENT as RISK_COMPONENT
from bmad.analysis.risk_store import MIGRATIONS as RISK_MIGRATIONS
from bmad.analysis.risk_store import stored_report
from bmad.analysis.settings import AnalysisSettings
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
    """,
    """
    CREATE TABLE findings_items (
        repo TEXT NOT NULL REFERENCES findings_runs(repo) ON DELETE CASCADE,
        rank INTEGER NOT NULL,
        kind TEXT NOT NULL,
        path TEXT NOT NULL,
        start_line INTEGER NOT NULL,
        end_line INTEGER NOT NULL,
        name TEXT,
        priority DOUBLE PRECISION NOT NULL,
        detection_rank INTEGER,
        detection_priority DOUBLE PRECISION,
        hotspot_rank DOUBLE PRECISION NOT NULL,
        anomaly_score DOUBLE PRECISION,
        explanation TEXT,
        risk DOUBLE PRECISION,
        risk_explanation TEXT,
        PRIMARY KEY (repo, rank)
    );
    CREATE INDEX findings_items_by_path ON findings_items (repo, path);
    ALTER TABLE findings_runs ADD COLUMN ranked_with TEXT NOT NULL DEFAULT '';
    ALTER TABLE findings_runs ADD COLUMN detection TEXT NOT NULL DEFAULT '{}';
    """,
]


def open_findings_store(path: Path | None = None) -> Store:
    return open_store(path or data_store_path(), COMPONENT, MIGRATIONS)


def _entity(item: RankedItem) -> tuple[str, str, int, str | None]:
    return (item.kind, item.path, item.start_line, item.name)


def save_report(
    store: Store,
    repo: Path,
    report: DetectionReport,
    detection: DetectionReport | None = None,
    ranked_with: str = "",
) -> None:
    """Replace the repository's findings with this report's, in one transaction. ``detection``
    is the report before the risks ranked it (default: ``report`` itself); ``ranked_with``
    names the stored risks that did ('' none)."""
    key = str(repo.resolve())
    before = detection or report
    detected = {_entity(item): item for item in before.items}
    summary = {
        "models": before.models,
        "features": list(before.features),
        "rules_without_data": before.rules_without_data,
    }
    with store.transaction() as connection:
        connection.execute("DELETE FROM findings_runs WHERE repo = ?", (key,))
        connection.execute(
            "INSERT INTO findings_runs (repo, analysed_at, functions, files, flagged, "
            "suppressed, notes, ranked_with, detection) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                key,
                int(time.time()),
                report.functions,
                report.files,
                report.flagged,
                report.suppressed,
                json.dumps(list(report.notes)),
                ranked_with,
                json.dumps(summary, sort_keys=True),
            ),
        )
        connection.executemany(
            "INSERT INTO findings_items (repo, rank, kind, path, start_line, end_line, name, "
            "priority, detection_rank, detection_priority, hotspot_rank, anomaly_score, "
            "explanation, risk, risk_explanation) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    key,
                    item.rank,
                    item.kind,
                    item.path,
                    item.start_line,
                    item.end_line,
                    item.name,
                    item.priority,
                    None if (origin := detected.get(_entity(item))) is None else origin.rank,
                    None if origin is None else origin.priority,
                    before.hotspot_rank.get(item.path, 0.0),
                    item.anomaly_score,
                    item.explanation,
                    item.risk,
                    item.risk_explanation,
                )
                for item in report.items
            ],
        )
        connection.executemany(
            "INSERT INTO findings (repo, rank, position, priority, rule_id, severity, path, "
            "start_line, end_line, function, message, evidence, anomaly_score, fingerprint) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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


def _finding(row: Sequence[Any]) -> Finding:
    return Finding(
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


SELECT_FINDINGS = (
    "SELECT rank, rule_id, severity, path, start_line, end_line, function, message, evidence, "
    "anomaly_score FROM findings WHERE repo = ?"
)


def load_items(store: Store, repo: Path, path: str | None = None) -> list[RankedItem]:
    """Stored ranked items of a repository (optionally of one file), in ranking order, with
    the one priority, each file's risk and its explanation."""
    key = str(repo.resolve())
    query = (
        "SELECT rank, kind, path, start_line, end_line, name, priority, anomaly_score, "
        "explanation, risk, risk_explanation FROM findings_items WHERE repo = ?"
    )
    arguments: tuple[object, ...] = (key,)
    if path is not None:
        query += " AND path = ?"
        arguments = (*arguments, path)
    rows = store.connection.execute(query + " ORDER BY rank", arguments).fetchall()
    findings: dict[int, list[Finding]] = {}
    found_query = SELECT_FINDINGS
    if path is not None:
        found_query += " AND path = ?"
    for row in store.connection.execute(found_query + " ORDER BY rank, position", arguments):
        findings.setdefault(row[0], []).append(_finding(row[1:]))
    return [
        RankedItem(
            rank=row[0],
            kind=row[1],
            path=row[2],
            start_line=row[3],
            end_line=row[4],
            name=row[5],
            priority=row[6],
            anomaly_score=row[7],
            explanation=row[8],
            findings=tuple(findings.get(row[0], ())),
            risk=row[9],
            risk_explanation=row[10],
        )
        for row in rows
    ]


def item_priorities(store: Store, repo: Path, path: str) -> dict[str | None, float]:
    """The stored one priority of the file's functions (by qualified name) and of the file
    itself (``None``)."""
    rows = store.connection.execute(
        "SELECT name, priority FROM findings_items WHERE repo = ? AND path = ? ORDER BY rank",
        (str(repo.resolve()), path),
    ).fetchall()
    found: dict[str | None, float] = {}
    for name, priority in rows:
        found.setdefault(name, priority)
    return found


def load_detection(store: Store, repo: Path) -> DetectionReport | None:
    """The stored findings as detection ranked them, before any risk (None: none stored, or
    stored by a version that kept no ranked items, so they cannot be ranked again)."""
    key = str(repo.resolve())
    run = store.connection.execute(
        "SELECT functions, files, flagged, suppressed, notes, detection, "
        "(SELECT COUNT(*) FROM findings_items i WHERE i.repo = r.repo), "
        "(SELECT COUNT(*) FROM findings f WHERE f.repo = r.repo) "
        "FROM findings_runs r WHERE repo = ?",
        (key,),
    ).fetchone()
    if run is None or (run[6] == 0 and run[7] > 0):
        return None
    detection: dict[str, Any] = json.loads(run[5])
    rows = store.connection.execute(
        "SELECT rank, detection_rank, detection_priority, hotspot_rank FROM findings_items "
        "WHERE repo = ? AND detection_rank IS NOT NULL ORDER BY detection_rank",
        (key,),
    ).fetchall()
    stored = {item.rank: item for item in load_items(store, repo)}
    items: list[RankedItem] = []
    hotspot_rank: dict[str, float] = {}
    for rank, detection_rank, detection_priority, hotspot in rows:
        item = stored[rank]
        hotspot_rank[item.path] = hotspot
        kept = tuple(f for f in item.findings if f.rule_id != DEFECT_RISK_RULE)
        items.append(
            replace(
                item,
                rank=detection_rank,
                priority=detection_priority,
                findings=kept,
                risk=None,
                risk_explanation=None,
            )
        )
    without_data = {
        rule: reason
        for rule, reason in detection.get("rules_without_data", {}).items()
        if rule != DEFECT_RISK_RULE
    }
    return DetectionReport(
        items=tuple(items),
        functions=run[0],
        files=run[1],
        flagged=run[2],
        suppressed=run[3],
        models=dict(detection.get("models", {})),
        features=tuple(detection.get("features", ())),
        rules_without_data=without_data,
        notes=tuple(json.loads(run[4])),
        hotspot_rank=hotspot_rank,
    )


def rank_and_save(
    store: Store, repo: Path, detection: DetectionReport, settings: AnalysisSettings
) -> DetectionReport:
    """``detection`` ranked by the one priority with the repository's stored risks (those of
    the last run, whatever commit it was at), saved as the repository's findings."""
    store.migrate(RISK_COMPONENT, RISK_MIGRATIONS)
    found = stored_report(store, repo)
    if found is None:
        report, ranked_with = detection, ""
    else:
        run, risks = found
        report = combined_report(detection, risks, settings)
        ranked_with = run.identity if risks.files else ""
    save_report(store, repo, report, detection, ranked_with)
    return report


def rank_stored_findings(store: Store, repo: Path, settings: AnalysisSettings) -> bool:
    """Rank the repository's stored findings again with its stored risks; False when no
    findings are stored."""
    store.migrate(COMPONENT, MIGRATIONS)
    detection = load_detection(store, repo)
    if detection is None:
        return False
    rank_and_save(store, repo, detection, settings)
    return True


def ranked_with(store: Store, repo: Path) -> str | None:
    """Which stored risks ranked the stored findings ('' none; None: no findings stored)."""
    row = store.connection.execute(
        "SELECT ranked_with FROM findings_runs WHERE repo = ?", (str(repo.resolve()),)
    ).fetchone()
    return None if row is None else str(row[0])


def load_findings(store: Store, repo: Path, path: str | None = None) -> list[Finding]:
    """Stored findings of a repository (optionally of one file), in ranking order."""
    query = SELECT_FINDINGS
    arguments: Sequence[object] = (str(repo.resolve()),)
    if path is not None:
        query += " AND path = ?"
        arguments = (*arguments, path)
    rows = store.connection.execute(query + " ORDER BY rank, position", arguments).fetchall()
    return [_finding(row[1:]) for row in rows]


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
    """What the daemon runs after mining: detect with the repository's configuration, rank by
    the one priority with the stored risks, replace the repository's stored findings, return
    them. ``reference_for`` turns the repository's ``anomaly_reference`` setting into the
    anomaly model's reference (default: local)."""
    from bmad.analysis.detect import detect
    from bmad.analysis.settings import analysis_settings

    analysis = analysis_settings(settings.section("rules"), settings.section("analysis"))
    source = None if reference_for is None else reference_for(analysis.model.anomaly_reference)
    with open_findings_store(store_path) as store:
        return rank_and_save(
            store, root, detect(analysis_input, analysis, source), analysis
        ).findings
