"""Everything the dashboard shows, gathered once when it starts, from this machine only.

The findings come from the analysis ``bmad learn anti-patterns`` runs (scan, history and
architecture through their caches), ranked by its one priority with the stored defect risks
(the daemon keeps them; never trained here), the trends from the mined history in the store, the
architecture from ``bmad architecture``'s analysis, the privacy view from the budget ledger,
consent table and audit log, the federation view from this machine's membership, round log and
cached global insights. Nothing here contacts an aggregator.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bmad.analysis.detect import DetectionReport
from bmad.analysis.findings import RankedItem
from bmad.analysis.inputs import FunctionRecord
from bmad.dashboard.trends import MonthTrend, monthly_trends, with_complexity
from bmad.errors import BmadError

if TYPE_CHECKING:
    from bmad.config import Config
    from bmad.federation.membership import Membership
    from bmad.privacy.audit import AuditEntry
    from bmad.privacy.consent import Consent
    from bmad.privacy.ledger import Usage

COMPLEXITY_MONTHS = 12  # months whose total complexity is measured (each scans a past tree)
AUDIT_ROWS = 500  # latest audit entries listed
ROUND_ROWS = 50


@dataclass(frozen=True, slots=True)
class FileEntry:
    path: str
    language: str
    nloc: int  # lines holding code, from the scan
    priority: float  # the highest one priority of the file and its functions
    hotspot: int  # revisions x total cognitive complexity (0 without history)
    findings: int


@dataclass(frozen=True, slots=True)
class PeriodSpend:
    scope: str
    subject: str
    period: str
    rho: float  # reserved or committed, never released


@dataclass(frozen=True, slots=True)
class PrivacyView:
    period: str
    usages: tuple[Usage, ...]  # the current period: each repository in the ledger, then the org
    spends: tuple[PeriodSpend, ...]  # every period, from the audit log
    audit: tuple[AuditEntry, ...]  # latest first
    audit_problems: tuple[str, ...]  # empty when the hash chain verifies
    audit_entries: int
    consents: tuple[Consent, ...]
    consent_events: tuple[dict[str, Any], ...]

    @property
    def shared(self) -> list[AuditEntry]:
        """What left the machine, and when (payloads whose spend was committed)."""
        return [entry for entry in self.audit if entry.kind == "payload_sent"]

    def lifetime(self) -> dict[tuple[str, str], float]:
        """(scope, subject) -> rho spent over every period."""
        totals: dict[tuple[str, str], float] = {}
        for spend in self.spends:
            key = (spend.scope, spend.subject)
            totals[key] = totals.get(key, 0.0) + spend.rho
        return totals


@dataclass(frozen=True, slots=True)
class FederationView:
    membership: Membership | None
    rounds: tuple[dict[str, str], ...]  # this machine's own log, latest first
    insights: tuple[dict[str, Any], ...]  # cached global insights, one per learning type
    # the members' trust levels as `bmad federation status --trust-levels` last fetched them
    trust_levels: tuple[str, dict[str, Any]] | None = None

    def code_patterns(self) -> dict[str, Any] | None:
        for entry in self.insights:
            if entry["learning_type"] == "code_patterns":
                return dict(entry["insights"])
        return None


@dataclass(frozen=True, slots=True)
class DashboardData:
    repository: Path
    gathered_at: str
    files: tuple[FileEntry, ...]  # largest first
    functions: Mapping[str, tuple[FunctionRecord, ...]]  # by path, in line order
    report: DetectionReport
    trends: tuple[MonthTrend, ...]
    architecture: Mapping[str, Any] | None  # ``bmad architecture --json``'s document
    privacy: PrivacyView
    federation: FederationView
    notes: tuple[str, ...] = ()
    seconds: Mapping[str, float] = field(default_factory=dict)  # per gathering step

    @property
    def items(self) -> tuple[RankedItem, ...]:
        return self.report.items

    def file(self, path: str) -> FileEntry | None:
        for entry in self.files:
            if entry.path == path:
                return entry
        return None


@contextmanager
def _step(seconds: dict[str, float], name: str, progress: Callable[[str], None]) -> Iterator[None]:
    progress(name)
    started = time.perf_counter()
    try:
        yield
    finally:
        seconds[name] = round(time.perf_counter() - started, 3)


def gather(repo: Path, progress: Callable[[str], None] = lambda _step: None) -> DashboardData:
    """Analyse ``repo`` as the CLI commands do and read the local stores."""
    from bmad import config
    from bmad.analysis.store import analyse_repository
    from bmad.scanning import ScanOptions, scan_repository

    if not repo.is_dir():
        raise BmadError(f"{repo}: not a folder")
    seconds: dict[str, float] = {}
    notes: list[str] = []
    with _step(seconds, "findings", progress):
        analysis_input, report, root = analyse_repository(repo)
        report = _ranked_with_stored_risks(report, root)
    settings = config.load(root)
    options = ScanOptions(
        jobs=settings.integer("scan.jobs", 0),
        max_file_size=settings.integer("scan.max_file_size", 1),
    )
    with _step(seconds, "file sizes", progress):
        scan = scan_repository(root, options)  # answered from the scan's cache
    functions: dict[str, list[FunctionRecord]] = {}
    for record in analysis_input.functions:
        functions.setdefault(record.path, []).append(record)
    hotspots: dict[str, int] = {}
    if analysis_input.history is not None:
        from bmad.analysis.rules import hotspot_weights

        hotspots = hotspot_weights(analysis_input.history, analysis_input.file_complexity)
    findings = Counter(finding.path for finding in report.findings)
    risk = dict(report.file_priority)
    for (path, _line, _name), value in report.function_priority.items():
        risk[path] = max(value, risk.get(path, 0.0))
    files = sorted(
        (
            FileEntry(
                scanned.path,
                scanned.language,
                scanned.metrics.sloc,
                risk.get(scanned.path, 0.0),
                hotspots.get(scanned.path, 0),
                findings[scanned.path],
            )
            for scanned in scan.files
        ),
        key=lambda entry: (-entry.nloc, entry.path),
    )
    with _step(seconds, "trends", progress):
        trends = _trends(root, settings, notes)
    with _step(seconds, "architecture", progress):
        architecture = _architecture(root, settings, options, notes)
    with _step(seconds, "privacy and federation", progress):
        privacy = _privacy(root)
        federation = _federation()
    return DashboardData(
        repository=root,
        gathered_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        files=tuple(files),
        functions={
            path: tuple(sorted(records, key=lambda r: r.metrics.start_line))
            for path, records in functions.items()
        },
        report=report,
        trends=tuple(trends),
        architecture=architecture,
        privacy=privacy,
        federation=federation,
        notes=(*analysis_input.notes, *notes),
        seconds=seconds,
    )


def _ranked_with_stored_risks(report: DetectionReport, root: Path) -> DetectionReport:
    """``report`` ranked by the one priority with the stored risks, as the CLI ranks it."""
    from bmad.analysis.risk_serving import ranked_with_stored_risks
    from bmad.analysis.risk_store import open_risk_store
    from bmad.federation.participant import open_participant_store
    from bmad.federation.risk_rounds import cached_global_model

    with open_participant_store() as participant:
        global_model = cached_global_model(participant)
    with open_risk_store() as store:
        return ranked_with_stored_risks(report, root, store, global_model)


def _trends(root: Path, settings: Config, notes: list[str]) -> list[MonthTrend]:
    from bmad import git
    from bmad.extractors.history_report import options_from_settings
    from bmad.scanning import cognitive_by_path
    from bmad.scanning.history import stored_commits, update_history
    from bmad.scanning.history_git import MiningSettings
    from bmad.store.history import open_history_store

    if git.find_work_tree(root) is None:
        notes.append("trends: not a git work tree")
        return []
    section = settings.section("history")
    try:
        with open_history_store() as store:
            result = update_history(store, root, None, MiningSettings.from_settings(section))
            commits = (
                stored_commits(store, result.source_id) if result.source_id is not None else []
            )
    except BmadError as exc:
        notes.append(f"trends: {exc.message}")
        return []
    trends = monthly_trends(commits, options_from_settings(section).patterns)
    cognitive: dict[str, int] = {}
    for trend in trends[-COMPLEXITY_MONTHS:]:
        try:
            cognitive[trend.last_commit] = sum(cognitive_by_path(root, trend.last_commit).values())
        except BmadError as exc:
            notes.append(f"trends: complexity of {trend.month} unavailable: {exc.message}")
    return with_complexity(trends, cognitive)


def _architecture(
    root: Path, settings: Config, options: Any, notes: list[str]
) -> dict[str, Any] | None:
    from bmad.scanning.architecture import analyse_architecture

    try:
        return analyse_architecture(root, settings.section("architecture"), options).to_json()
    except ValueError as exc:
        notes.append(f"architecture: invalid settings: {exc}")
        return None


def spends_from_audit(entries: Sequence[AuditEntry]) -> list[PeriodSpend]:
    """Budget charged per subject and period: every reservation that was not released."""
    released = {
        entry.detail.get("reservation") for entry in entries if entry.kind == "budget_released"
    }
    totals: dict[tuple[str, str, str], float] = {}
    for entry in entries:
        if entry.kind != "budget_reserved" or entry.detail.get("reservation") in released:
            continue
        detail = entry.detail
        for scope in ("repository", "organisation"):
            key = (scope, str(detail.get(scope, "")), str(detail.get("period", "")))
            totals[key] = totals.get(key, 0.0) + float(detail.get("rho", 0.0))
    return [PeriodSpend(*key, rho) for key, rho in sorted(totals.items())]


def _privacy(root: Path) -> PrivacyView:
    from bmad.privacy import audit, consent
    from bmad.privacy.db import open_privacy_store
    from bmad.privacy.sharing import repository_key, settings_for

    with open_privacy_store() as store:
        settings = settings_for(root).for_machine(store)  # one ledger name per organisation
        ledger = settings.ledger(store)
        period = ledger.current_period()
        subjects = sorted({repository_key(root), *ledger.subjects("repository")})
        usages = [ledger.usage("repository", subject, period) for subject in subjects]
        usages.append(ledger.usage("organisation", settings.organisation, period))
        entries = audit.entries(store)
        verification = audit.verify(store)
        consents = consent.all_consents(store)
        events = consent.history(store)
    return PrivacyView(
        period=period,
        usages=tuple(usages),
        spends=tuple(spends_from_audit(entries)),
        audit=tuple(reversed(entries[-AUDIT_ROWS:])),
        audit_problems=tuple(verification.problems),
        audit_entries=len(entries),
        consents=tuple(consents),
        consent_events=tuple(reversed(events)),
    )


def _federation() -> FederationView:
    from bmad.federation import membership
    from bmad.federation.participant import open_participant_store
    from bmad.privacy.sharing import cached_global_insights

    with open_participant_store() as store:
        member = membership.current(store)
        rounds = membership.round_log(store, ROUND_ROWS)
        insights = cached_global_insights(store)
        levels = (
            None if member is None else membership.cached_trust_levels(store, member.federation)
        )
    return FederationView(member, tuple(rounds), tuple(insights), levels)
