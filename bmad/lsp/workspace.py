"""Everything the analysis thread needs besides the buffer: which repository a file is in,
that repository's settings and context, and its stored findings. Runs off the event loop."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bmad.analysis.buffer import BufferReport, analyse_buffer
from bmad.analysis.context import (
    ReadOnlyStore,
    RepositoryContext,
    build_context,
    findings_from_store,
)
from bmad.analysis.findings import Finding
from bmad.analysis.risk_ranking import by_stored_priority
from bmad.analysis.risk_store import StoredRisk, stored_file_risks
from bmad.analysis.settings import AnalysisSettings
from bmad.errors import BmadError
from bmad.extractors.languages import LANGUAGE_NAMES, language_for_path
from bmad.lsp.federation import GlobalInsights, function_standings
from bmad.lsp.remote import findings_from_daemon, report_from_daemon
from bmad.lsp.render import GlobalStanding
from bmad.lsp.settings import LspSettings
from bmad.store.connection import data_store_path

# editor language ids -> bmad language names (others come from the file extension)
LANGUAGE_IDS: dict[str, str] = {
    "python": "python",
    "javascript": "javascript",
    "javascriptreact": "javascript",
    "typescript": "typescript",
    "typescriptreact": "tsx",
    "go": "go",
    "java": "java",
    "rust": "rust",
    "c": "c",
    "cpp": "cpp",
    "ruby": "ruby",
    "csharp": "csharp",
}


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of analysing one version of a document."""

    report: BufferReport | None
    skipped: str | None = None  # why the document was not analysed
    root: Path | None = None  # the repository the document belongs to
    logs: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()  # settings problems the user should see
    # function start line -> metric -> standing across the federation (cached insights)
    global_standings: dict[int, dict[str, GlobalStanding]] = field(default_factory=dict)
    file_risk: StoredRisk | None = None  # the file's stored defect risk (never trained here)
    # the stored one priority of the file's functions (by qualified name) and of the file (None)
    priorities: Mapping[str | None, float] = field(default_factory=dict)

    @property
    def findings(self) -> list[Finding]:
        """The buffer's findings in the order of the stored ranking (the one priority)."""
        if self.report is None:
            return []
        return by_stored_priority(self.report.findings, self.priorities)


def document_language(path: Path, language_id: str) -> str | None:
    language = LANGUAGE_IDS.get(language_id) or language_for_path(path)
    if language is None and language_id in LANGUAGE_NAMES:
        return language_id
    return language


def skip_reason(text: str, limit: int) -> str | None:
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > limit:
        return f"larger than maxFileBytes ({size} > {limit} bytes)"
    if "\x00" in text:
        return "binary (NUL characters)"
    return None


def file_risk(root: Path, path: Path) -> StoredRisk | None:
    """The file's defect risk as the daemon or the CLI last stored it (None: none stored)."""
    relative = path.relative_to(root).as_posix()
    return stored_file_risks(root, [relative]).get(relative)


def stored_priorities(root: Path, path: Path) -> dict[str | None, float]:
    """The stored ranking's priorities for the file's functions and the file; empty when
    nothing was stored (read without writing the store)."""
    from bmad.analysis.store import item_priorities

    store_path = data_store_path()
    if not store_path.exists():
        return {}
    try:
        with ReadOnlyStore(store_path) as store:
            return item_priorities(store, root, path.relative_to(root).as_posix())
    except (BmadError, sqlite3.OperationalError):  # no findings table: never analysed here
        return {}


@dataclass
class Analyst:
    """Per-repository caches; only the analysis thread calls it (so no two parses overlap)."""

    settings: LspSettings = field(default_factory=LspSettings)
    folders: tuple[Path, ...] = ()
    # root -> (arrival of the insights its models refer to, context)
    _contexts: dict[Path, tuple[str | None, RepositoryContext | None]] = field(default_factory=dict)
    _analysis: dict[Path | None, tuple[AnalysisSettings, tuple[str, ...], dict[str, Any]]] = field(
        default_factory=dict
    )
    _unregistered: set[Path] = field(default_factory=set)  # roots the daemon does not mine
    insights: GlobalInsights = field(default_factory=GlobalInsights)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self, settings: LspSettings) -> None:
        with self._lock:
            self.settings = settings
            self._contexts.clear()
            self._analysis.clear()
            self._unregistered.clear()
            self.insights.invalidate()

    def root_for(self, path: Path) -> Path | None:
        from bmad import git

        repository = git.find_work_tree(path.parent)
        if repository is not None:
            return git.work_tree_root(repository)
        containing = [folder for folder in self.folders if folder in path.parents]
        return max(containing, key=lambda folder: len(folder.parts), default=None)

    def analysis_settings(self, root: Path | None) -> tuple[AnalysisSettings, tuple[str, ...]]:
        chosen, problems, _rules = self._settings_of(root)
        return chosen, problems

    def _settings_of(
        self, root: Path | None
    ) -> tuple[AnalysisSettings, tuple[str, ...], dict[str, Any]]:
        """The analysis settings, the problems found in them, and the merged [rules] table."""
        from bmad import config
        from bmad.analysis.settings import analysis_settings

        if root not in self._analysis:
            problems: tuple[str, ...] = ()
            rules: dict[str, Any] = {}
            try:
                loaded = config.load(root)
                rules = self.settings.rules.apply(loaded.section("rules"))
                chosen = analysis_settings(rules, loaded.section("analysis"))
            except BmadError as exc:
                problems = (f"{exc.message}; using the default rule settings",)
                chosen = analysis_settings({}, {})
            self._analysis[root] = (chosen, problems, rules)
        return self._analysis[root]

    def from_daemon(self, root: Path, path: Path, language: str, text: str) -> BufferReport | None:
        """The daemon's analysis when it runs and mines ``root`` (and the settings are valid:
        otherwise the defaults apply in-process); None to analyse in this process."""
        _chosen, problems, rules = self._settings_of(root)
        wanted = self.settings.use_daemon and self.settings.daemon_analysis
        if not wanted or problems or root in self._unregistered:
            return None
        socket = Path(self.settings.daemon_socket) if self.settings.daemon_socket else None
        report, registered = report_from_daemon(path, language, text, rules, socket)
        if not registered:
            self._unregistered.add(root)
        return report

    def context(
        self, root: Path, settings: AnalysisSettings, logs: list[str]
    ) -> RepositoryContext | None:
        insights = self.insights.refresh()
        received_at = self.insights.received_at
        known = self._contexts.get(root)
        if known is None or known[0] != received_at:  # new insights: a new reference
            self._contexts[root] = (
                received_at,
                self._build_context(root, settings, insights, logs),
            )
        return self._contexts[root][1]

    def _build_context(
        self,
        root: Path,
        settings: AnalysisSettings,
        insights: dict[str, Any] | None,
        logs: list[str],
    ) -> RepositoryContext | None:
        try:
            from bmad.federation.synthetic import chosen_source

            source = chosen_source(settings.model.anomaly_reference, insights)
            built = build_context(root, settings.model, self.settings.max_file_bytes, source)
        except (BmadError, OSError) as exc:
            logs.append(f"no repository context for {root}: {exc}")
            return None
        models = ", ".join(sorted(built.models))
        logs.append(
            f"repository context for {root}: {built.functions} functions in "
            f"{built.seconds:.2f} s; models: {models or 'none'}"
        )
        logs += built.notes
        return built

    def stored_findings(
        self, root: Path, path: Path, relative: str, logs: list[str]
    ) -> list[Finding]:
        if self.settings.use_daemon:
            socket = Path(self.settings.daemon_socket) if self.settings.daemon_socket else None
            found = findings_from_daemon(path, socket)
            if found is not None:
                return found
        try:
            return findings_from_store(root, relative)
        except BmadError as exc:
            logs.append(f"stored findings unavailable: {exc.message}")
            return []

    def analyse(self, path: Path, language_id: str, text: str) -> Outcome:
        language = document_language(path, language_id)
        if language is None:
            technology_file = self._technology_file(path, text)
            return technology_file or Outcome(None, f"no supported language for {path.name}")
        reason = skip_reason(text, self.settings.max_file_bytes)
        if reason is not None:
            return Outcome(None, reason)
        logs: list[str] = []
        root = self.root_for(path)
        settings, problems = self.analysis_settings(root)
        risk = None if root is None else file_risk(root, path)
        priorities = {} if root is None else stored_priorities(root, path)
        if root is not None:
            remote = self.from_daemon(root, path, language, text)
            if remote is not None:
                outcome = Outcome(
                    remote, None, root, tuple(logs), problems, file_risk=risk, priorities=priorities
                )
                return self._with_standings(outcome)
        context = None
        stored: list[Finding] = []
        relative = path.name
        if root is not None:
            relative = path.relative_to(root).as_posix()
            context = self.context(root, settings, logs)
            stored = self.stored_findings(root, path, relative, logs)
        report = analyse_buffer(text, relative, language, settings, context, stored)
        outcome = Outcome(
            report, None, root, tuple(logs), problems, file_risk=risk, priorities=priorities
        )
        return self._with_standings(outcome)

    def _technology_file(self, path: Path, text: str) -> Outcome | None:
        """A manifest, CI or tool configuration file of a repository: its stored decision
        findings on the lines naming their technologies; None for any other file."""
        from bmad.analysis.technology_buffer import technology_file_report
        from bmad.extractors.technology import file_kind

        root = self.root_for(path)
        if root is None or skip_reason(text, self.settings.max_file_bytes) is not None:
            return None
        relative = path.relative_to(root).as_posix()
        if file_kind(relative) is None:
            return None
        logs: list[str] = []
        stored = self.stored_findings(root, path, relative, logs)
        return Outcome(technology_file_report(text, relative, stored), None, root, tuple(logs))

    def _with_standings(self, outcome: Outcome) -> Outcome:
        """The outcome with the federation standings of its functions, when insights exist."""
        insights = self.insights.refresh()
        logs = (*outcome.logs, *self.insights.take_logs())
        if insights is None or outcome.report is None:
            return replace(outcome, logs=logs)
        try:
            standings = function_standings(insights, outcome.report)
        except (KeyError, TypeError, ValueError, IndexError) as exc:  # another document format
            message = f"global insights not understood ({type(exc).__name__}: {exc})"
            return replace(outcome, logs=(*logs, message))
        return replace(outcome, logs=logs, global_standings=standings)
