"""The data detection works on, independent of how the extractors shape theirs.

``bmad.analysis.adapters`` fills these from the real scan, history and architecture outputs;
tests build them by hand. A ``None`` history or architecture means "no data", never zeros.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bmad.analysis.process_rules import ProcessFacts
from bmad.extractors.metrics import FunctionMetrics
from bmad.extractors.technology_trends import DeclaredEpisode


@dataclass(frozen=True, slots=True)
class FunctionRecord:
    path: str  # repository-relative posix path
    language: str
    metrics: FunctionMetrics


@dataclass(frozen=True, slots=True)
class FileHistoryFeatures:
    revisions: int
    churn: int  # lines added + deleted
    coupling: int  # sum of coupling: shared commits with every other file
    main_author_share: float  # 0..1, share of the lines added by the main developer
    knowledge_island: bool  # the history lens decided (share and activity thresholds)


@dataclass(frozen=True, slots=True)
class CouplingLink:
    path_a: str
    path_b: str
    degree: int  # 100 * shared / mean(revisions), code-maat's definition
    shared: int


@dataclass(frozen=True, slots=True)
class HistoryFacts:
    files: dict[str, FileHistoryFeatures]
    couplings: tuple[CouplingLink, ...] = ()
    commits: int = 0
    process: dict[str, ProcessFacts] = field(default_factory=dict)  # by path
    technology: tuple[DeclaredEpisode, ...] = ()  # dependencies and tools that came and went


@dataclass(frozen=True, slots=True)
class ModuleFacts:
    fan_in: int  # Ca
    fan_out: int  # Ce


@dataclass(frozen=True, slots=True)
class LayerBreach:
    source: str
    target: str
    line: int
    source_layer: str
    target_layer: str


@dataclass(frozen=True, slots=True)
class ArchitectureFacts:
    modules: dict[str, ModuleFacts]  # by file path
    cycles: tuple[tuple[str, ...], ...] = ()  # file paths of each cycle, sorted
    hubs: frozenset[str] = frozenset()  # decided by the architecture lens (its thresholds)
    layer_breaches: tuple[LayerBreach, ...] = ()
    layers_configured: bool = False


@dataclass(frozen=True, slots=True)
class AnalysisInput:
    functions: tuple[FunctionRecord, ...]
    file_complexity: dict[str, int] = field(default_factory=dict)  # total cognitive per file
    history: HistoryFacts | None = None
    architecture: ArchitectureFacts | None = None
    read_source: Callable[[str], bytes | None] = lambda _path: None  # None: unreadable
    notes: tuple[str, ...] = ()  # why some data is missing
