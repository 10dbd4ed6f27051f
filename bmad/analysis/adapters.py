"""The one place that knows the extractors' output shapes: scan, history and architecture
results become :mod:`bmad.analysis.inputs` data. Also gathers them for a repository, from a
scan of its work tree or from what the daemon mined."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from bmad.analysis.inputs import (
    AnalysisInput,
    ArchitectureFacts,
    CouplingLink,
    FileHistoryFeatures,
    FunctionRecord,
    HistoryFacts,
    LayerBreach,
    ModuleFacts,
)
from bmad.analysis.process_rules import process_facts
from bmad.errors import BmadError

if TYPE_CHECKING:
    from bmad.config import Config
    from bmad.extractors.architecture import Architecture
    from bmad.extractors.history import SubjectPatterns
    from bmad.extractors.history_report import HistoryReport
    from bmad.extractors.metrics import FileMetrics
    from bmad.extractors.technology_trends import DeclaredEpisode
    from bmad.scanning import ScanResult
    from bmad.scanning.history_git import MiningSettings

MeasuredFile = tuple[str, "FileMetrics"]  # path, its metrics


def functions_of(scan: ScanResult) -> tuple[tuple[FunctionRecord, ...], dict[str, int]]:
    """Every function of a scan, and each file's total cognitive complexity."""
    return measured_functions((scanned.path, scanned.metrics) for scanned in scan.files)


def measured_functions(
    files: Iterable[MeasuredFile],
) -> tuple[tuple[FunctionRecord, ...], dict[str, int]]:
    """Every function, and each file's total cognitive complexity (the hotspot measure)."""
    records: list[FunctionRecord] = []
    complexity: dict[str, int] = {}
    for path, metrics in files:
        functions = metrics.functions
        complexity[path] = sum(function.cognitive for function in functions)
        records += [FunctionRecord(path, metrics.language, f) for f in functions]
    return tuple(records), complexity


def history_facts(report: HistoryReport, patterns: SubjectPatterns | None = None) -> HistoryFacts:
    """Per-path features; when a path names several file identities, the latest one wins.
    With ``patterns`` (what marks a fix or a revert), the process measures too."""
    owned = {item.index: item.share for item in report.owned}
    islands = {item.index for item in report.islands}
    chosen: dict[str, int] = {}
    for index, history in enumerate(report.files):
        previous = chosen.get(history.path)
        if previous is None or report.files[previous].last_change <= history.last_change:
            chosen[history.path] = index
    files = {
        path: FileHistoryFeatures(
            revisions=report.files[index].revisions,
            churn=report.files[index].added + report.files[index].deleted,
            coupling=int(report.sum_of_coupling.get(index, 0)),
            main_author_share=float(owned.get(index, 1.0)),
            knowledge_island=index in islands,
        )
        for path, index in chosen.items()
    }
    couplings = tuple(
        CouplingLink(report.path(pair.a), report.path(pair.b), pair.degree, pair.shared)
        for pair in report.coupling
    )
    process = {} if patterns is None else process_facts(report.commits, patterns)
    return HistoryFacts(
        files=files, couplings=couplings, commits=len(report.commits), process=process
    )


def _module_paths(module_ids: Iterable[str], paths: Iterable[str]) -> dict[str, str]:
    """Module id -> a file path: the id itself, or for folder modules (Go) its first file."""
    known = sorted(paths)
    by_folder: dict[str, str] = {}
    for path in known:
        by_folder.setdefault(str(PurePosixPath(path).parent), path)
    found: dict[str, str] = {}
    for module_id in module_ids:
        if module_id in known:
            found[module_id] = module_id
        elif module_id.rstrip("/") in by_folder:
            found[module_id] = by_folder[module_id.rstrip("/")]
    return found


def architecture_facts(
    architecture: Architecture, paths: Iterable[str], layers_configured: bool
) -> ArchitectureFacts:
    where = _module_paths(architecture.modules, paths)
    edge_line = {(edge.source, edge.target): (edge.path, edge.line) for edge in architecture.edges}
    modules = {
        where[module_id]: ModuleFacts(module.ca, module.ce)
        for module_id, module in architecture.modules.items()
        if module_id in where
    }
    cycles = tuple(
        tuple(sorted({where[member] for member in members if member in where}))
        for members in architecture.cycles
    )
    breaches = []
    for violation in architecture.layer_violations:
        path, line = edge_line.get(
            (violation.source, violation.target), (where.get(violation.source), violation.line)
        )
        if path is None:
            continue
        target = where.get(violation.target, violation.target)
        breaches.append(
            LayerBreach(path, target, line, violation.source_layer, violation.target_layer)
        )
    return ArchitectureFacts(
        modules=modules,
        cycles=tuple(cycle for cycle in cycles if len(cycle) > 1),
        hubs=frozenset(where[hub] for hub in architecture.hubs if hub in where),
        layer_breaches=tuple(breaches),
        layers_configured=layers_configured,
    )


def _mine_history(
    root: Path,
    settings: Mapping[str, Any],
    cognitive: Mapping[str, int],
    store_path: Path | None,
    mining: MiningSettings | None,
) -> HistoryReport | None:
    from bmad.extractors.history_report import analyse_history, options_from_settings
    from bmad.scanning.history import stored_commits, update_history
    from bmad.scanning.history_git import MiningSettings
    from bmad.store.history import open_history_store

    options = options_from_settings(settings)
    with open_history_store(store_path) as store:
        result = update_history(store, root, None, mining or MiningSettings.from_settings(settings))
        if result.source_id is None:
            return None
        commits = stored_commits(store, result.source_id)
    return analyse_history(
        commits, result.tip_tree, options, int(time.time()), cognitive, result.notes()
    )


def _ended_episodes(root: Path, store_path: Path | None) -> tuple[DeclaredEpisode, ...]:
    """The technology history's dependencies and tools that came and went (mined from the
    last stored tip on, in the data store by default)."""
    from bmad.scanning.trends import ended_episodes, open_trends_store

    with open_trends_store(store_path) as store:
        return ended_episodes(store, root)


def assemble(
    root: Path,
    settings: Config,
    files: Sequence[MeasuredFile],
    architecture: Architecture | str,
    read_source: Callable[[str], bytes | None],
    notes: Sequence[str] = (),
    history_store: Path | None = None,
    mining: MiningSettings | None = None,
) -> AnalysisInput:
    """Every lens over the measured ``files`` of the repository at ``root``: their functions,
    the history of HEAD (brought up to date in ``history_store``, the data store by default,
    with ``mining`` or the configured settings) and the import graph ``architecture`` (or why
    there is none). A lens that cannot run leaves its part empty and says why in ``notes``."""
    from bmad import git
    from bmad.extractors.history_report import subject_patterns

    functions, complexity = measured_functions(files)
    found: list[str] = list(notes)
    history: HistoryFacts | None = None
    if git.find_work_tree(root) is None:
        found.append("history: not a git work tree")
    else:
        try:
            report = _mine_history(
                root, settings.section("history"), complexity, history_store, mining
            )
        except BmadError as exc:
            found.append(f"history: {exc.message}")
        else:
            if report is None:
                found.append("history: the repository has no commits yet")
            else:
                section = settings.section("history")
                patterns = subject_patterns(section["fix_patterns"], section["revert_patterns"])
                history = history_facts(report, patterns)
                found += [f"history: {note}" for note in report.notes]
                try:
                    history = replace(history, technology=_ended_episodes(root, history_store))
                except BmadError as exc:
                    found.append(f"technology history: {exc.message}")
    facts: ArchitectureFacts | None = None
    if isinstance(architecture, str):
        found.append(architecture)
    else:
        layers = bool(settings.section("architecture").get("layers"))
        facts = architecture_facts(architecture, complexity, layers)
    return AnalysisInput(
        functions=functions,
        file_complexity=complexity,
        history=history,
        architecture=facts,
        read_source=read_source,
        notes=tuple(found),
    )


def gather(repo_path: Path, settings: Config) -> tuple[AnalysisInput, Path]:
    """Scan the work tree, mine its history and build its import graph."""
    from bmad.extractors.architecture import build_architecture
    from bmad.extractors.architecture_resolve import SourceFile
    from bmad.scanning import ScanOptions, scan_repository
    from bmad.scanning.architecture import collect_project_files

    if not repo_path.exists():
        raise BmadError(f"{repo_path} does not exist")
    scan = scan_repository(
        repo_path,
        ScanOptions(
            jobs=settings.integer("scan.jobs", 0),
            max_file_size=settings.integer("scan.max_file_size", 1),
        ),
    )
    root = scan.root
    files = [(scanned.path, scanned.metrics) for scanned in scan.files]
    architecture: Architecture | str
    try:
        contents, _problems = collect_project_files(root)
        sources = [SourceFile(path, metrics.language, metrics.imports) for path, metrics in files]
        architecture = build_architecture(sources, contents, settings.section("architecture"))
    except ValueError as exc:
        architecture = f"architecture: {exc}"

    def read_source(path: str) -> bytes | None:
        try:
            return (root / path).read_bytes()
        except OSError:
            return None

    return assemble(root, settings, files, architecture, read_source, scan.warnings), root
