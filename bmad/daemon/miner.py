"""Incremental mining of one repository as a sequence of steps.

A mining step is a callable ``(MiningContext) -> StepReport``; it does its work in units,
each committed in one store transaction (``context.unit()``), so a crash (even ``kill -9``)
leaves whole units or nothing of them, and the next pass resumes from what is stored.
Only one process writes a repository at a time: a pass holds that repository's lock file.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bmad.daemon import gitstate
from bmad.daemon.locks import locked
from bmad.daemon.paths import repository_lock_path
from bmad.errors import BmadError
from bmad.store.connection import Store, cache_store_path
from bmad.store.registry import Repository

if TYPE_CHECKING:
    from bmad.analysis.reference import ReferenceSource
    from bmad.config import Config
    from bmad.extractors.metrics import FileMetrics
    from bmad.scanning.history_git import MiningSettings
    from bmad.scanning.metrics_cache import MetricsCache


# The analyser caches one tree-sitter parser per language, shared by all threads and not
# thread-safe: one analysis at a time per process.
ANALYSIS_LOCK = threading.Lock()


class MiningInterrupted(Exception):
    """The daemon is stopping; the pass ended at a unit boundary."""


class RepositoryRemoved(Exception):
    """The repository was unregistered while it was being mined."""


@dataclass(frozen=True, slots=True)
class MinerSettings:
    batch_size: int = 64
    throttle_seconds: float = 0.0
    max_file_size: int = 1024 * 1024


@dataclass(frozen=True, slots=True)
class StepReport:
    step: str
    units: int  # transactions committed
    items: int  # files, commits, modules... processed in this pass


@dataclass(slots=True)
class MiningContext:
    store: Store
    repository: Repository
    snapshot: gitstate.Snapshot
    settings: MinerSettings = field(default_factory=MinerSettings)
    stop: threading.Event = field(default_factory=threading.Event)
    reports: list[StepReport] = field(default_factory=list)  # of the steps run so far

    @property
    def work_tree(self) -> Path:
        return Path(self.repository.path)

    @contextmanager
    def unit(self) -> Iterator[sqlite3.Connection]:
        """One unit of work in one transaction; then honour a stop request and the throttle."""
        try:
            with self.store.transaction() as connection:
                yield connection
        except sqlite3.IntegrityError as exc:
            if "FOREIGN KEY" in str(exc):
                raise RepositoryRemoved(self.repository.name) from exc
            raise
        if self.stop.is_set() or (
            self.settings.throttle_seconds > 0 and self.stop.wait(self.settings.throttle_seconds)
        ):
            raise MiningInterrupted


MiningStep = Callable[[MiningContext], StepReport]


@dataclass(frozen=True, slots=True)
class PassResult:
    outcome: str  # "mined", "busy" (another process holds the repository), "removed"
    head_commit: str | None = None
    reports: tuple[StepReport, ...] = ()


def _chunks(
    items: Sequence[gitstate.IndexedFile], size: int
) -> Iterator[list[gitstate.IndexedFile]]:
    for start in range(0, len(items), max(1, size)):
        yield list(items[start : start + size])


def _mined_files(store: Store, repository_id: int) -> list[tuple[str, str]]:
    """(path, blob id) of the repository's mined files that were measured, by path."""
    rows = store.connection.execute(
        "SELECT path, blob_id FROM repository_files "
        "WHERE repository_id = ? AND error IS NULL ORDER BY path",
        (repository_id,),
    ).fetchall()
    return [(str(path), str(blob_id)) for path, blob_id in rows]


def _cached_metrics(cache_path: Path, files: Sequence[tuple[str, str]]) -> dict[str, FileMetrics]:
    """Path -> the metrics the code step left in the content cache for (path, blob id) pairs."""
    from bmad.scanning.analyse import analyser_version
    from bmad.scanning.metrics_cache import MetricsCache

    cache = MetricsCache.open(cache_path, analyser_version())
    try:
        return cache.lookup_files(files)
    finally:
        cache.close()


def _mining_settings(settings: Config) -> MiningSettings:
    from bmad.scanning.history_git import MiningSettings

    return MiningSettings(
        follow_renames=True,
        max_files_per_commit=int(settings.section("history")["max_files_per_commit"]),
        jobs=1,  # the daemon stays out of the way: no process pool
    )


class CodeMetricsStep:
    """Metrics of every supported file staged in the index, through the content cache:
    only blobs the cache has never seen are parsed."""

    name = "code"

    def __call__(self, context: MiningContext) -> StepReport:
        from bmad.scanning.analyse import analyser_version
        from bmad.scanning.metrics_cache import MetricsCache

        repository_id = context.repository.id
        desired = {item.path: item for item in context.snapshot.files}
        stored = dict(
            context.store.connection.execute(
                "SELECT path, blob_id FROM repository_files WHERE repository_id = ?",
                (repository_id,),
            ).fetchall()
        )
        gone = [(repository_id, path) for path in stored if path not in desired]
        todo = [item for item in context.snapshot.files if stored.get(item.path) != item.blob_id]
        units = 0
        with context.unit() as connection:
            connection.executemany(
                "DELETE FROM repository_files WHERE repository_id = ? AND path = ?", gone
            )
            connection.execute(
                "UPDATE repository_state SET target_commit = ?, pending = ? "
                "WHERE repository_id = ?",
                (context.snapshot.head_commit, len(todo), repository_id),
            )
        units += 1
        if not todo:
            return StepReport(self.name, units, 0)
        cache = MetricsCache.open(cache_store_path(), analyser_version())
        try:
            pending = len(todo)
            for batch in _chunks(todo, context.settings.batch_size):
                rows = self._measure(context, cache, batch)
                pending -= len(batch)
                with context.unit() as connection:
                    connection.executemany(
                        "INSERT OR REPLACE INTO repository_files "
                        "(repository_id, path, blob_id, language, functions, error) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        rows,
                    )
                    connection.execute(
                        "UPDATE repository_state SET pending = ? WHERE repository_id = ?",
                        (pending, repository_id),
                    )
                units += 1
        finally:
            cache.close()
        return StepReport(self.name, units, len(todo))

    def _measure(
        self,
        context: MiningContext,
        cache: MetricsCache,
        batch: list[gitstate.IndexedFile],
    ) -> list[tuple[int, str, str, str, int, str | None]]:
        from bmad.scanning.analyse import analyse_batch
        from bmad.scanning.pipeline import check_bytes

        hits = cache.lookup((item.blob_id, item.language) for item in batch)
        misses = [item for item in batch if (item.blob_id, item.language) not in hits]
        blobs = gitstate.read_blobs(context.work_tree, [item.blob_id for item in misses])
        errors: dict[str, str] = {}
        jobs = []
        for item in misses:
            raw = blobs.get(item.blob_id)
            checked = check_bytes(raw, context.settings.max_file_size) if raw is not None else None
            if checked is None:
                errors[item.path] = "blob missing from the object database"
            elif isinstance(checked, str):
                errors[item.path] = checked
            else:
                jobs.append((item.path, item.language, checked, item.path.endswith(".h")))
        measured: dict[str, FileMetrics] = {}
        with ANALYSIS_LOCK:
            outcomes = analyse_batch(jobs)
        for path, outcome in outcomes:
            if isinstance(outcome, str):
                errors[path] = outcome
            else:
                measured[path] = outcome
        fresh = {
            (item.blob_id, item.language): measured[item.path]
            for item in misses
            if item.path in measured
        }
        cache.save(fresh)
        rows = []
        for item in batch:
            metrics = hits.get((item.blob_id, item.language)) or measured.get(item.path)
            functions = len(metrics.functions) if metrics is not None else 0
            rows.append(
                (
                    context.repository.id,
                    item.path,
                    item.blob_id,
                    metrics.language if metrics is not None else item.language,
                    functions,
                    errors.get(item.path),
                )
            )
        return rows


class HistoryStep:
    """Commits after the last mined tip of HEAD, through the history component's incremental
    miner (batches of commits, one transaction each; the same source ``bmad history`` reads)."""

    name = "history"

    def __call__(self, context: MiningContext) -> StepReport:
        from bmad import config
        from bmad.scanning.history import BATCH_SIZE, update_history
        from bmad.store.history import COMPONENT, MIGRATIONS, HistoryStore

        if context.snapshot.head_commit is None:
            return StepReport(self.name, 0, 0)
        settings = _mining_settings(config.load(context.work_tree))
        context.store.migrate(COMPONENT, MIGRATIONS)
        result = update_history(HistoryStore(context.store), context.work_tree, None, settings)
        return StepReport(self.name, -(-result.new_commits // BATCH_SIZE), result.new_commits)


class TrendsStep:
    """The technology history of HEAD (dependencies, languages, tools per commit), mined from
    the last stored tip on: ``bmad insights trends``, the federated trend types and the
    abandoned-dependency rule then read it without walking the history again."""

    name = "trends"

    def __call__(self, context: MiningContext) -> StepReport:
        from bmad.scanning.trends import BATCH_SIZE, COMPONENT, MIGRATIONS, update_trends

        if context.snapshot.head_commit is None:
            return StepReport(self.name, 0, 0)
        context.store.migrate(COMPONENT, MIGRATIONS)
        update = update_trends(context.store, context.work_tree)
        return StepReport(self.name, -(-update.new_commits // BATCH_SIZE), update.new_commits)


class ArchitectureStep:
    """The import graph over the mined files (imports come from the cached code metrics, so
    nothing is parsed again), rebuilt only when a file or a project file changed, and stored
    in the architecture cache's encoding for the findings step."""

    name = "architecture"

    def __call__(self, context: MiningContext) -> StepReport:
        import hashlib

        from bmad import config
        from bmad.extractors.architecture import (
            ARCHITECTURE_CODEC_VERSION,
            build_architecture,
            encode_architecture,
        )
        from bmad.extractors.architecture_resolve import SourceFile
        from bmad.scanning.analyse import analyser_version
        from bmad.scanning.architecture import collect_project_files

        repository_id = context.repository.id
        rows = _mined_files(context.store, repository_id)
        project_files, _ = collect_project_files(context.work_tree)
        digest = hashlib.blake2b(digest_size=16)
        digest.update(f"{analyser_version()}/{ARCHITECTURE_CODEC_VERSION}".encode())
        for path, blob_id in rows:
            digest.update(f"{path}\0{blob_id}\n".encode())
        for name in sorted(project_files):
            digest.update(name.encode() + b"\0" + hashlib.blake2b(project_files[name]).digest())
        input_key = digest.hexdigest()
        stored = context.store.connection.execute(
            "SELECT input_key FROM repository_architecture WHERE repository_id = ?",
            (repository_id,),
        ).fetchone()
        if stored is not None and stored[0] == input_key:
            return StepReport(self.name, 0, 0)
        cached = _cached_metrics(cache_store_path(), rows)
        files = [
            SourceFile(path, metrics.language, metrics.imports)
            for path, _blob_id in rows
            if (metrics := cached.get(path)) is not None
        ]
        settings = config.load(context.work_tree).section("architecture")
        try:
            architecture = build_architecture(files, project_files, settings)
        except ValueError as exc:
            raise BmadError(f"invalid [architecture] settings: {exc}") from exc
        with context.unit() as connection:
            connection.execute(
                "INSERT OR REPLACE INTO repository_architecture (repository_id, input_key, "
                "mined_commit, modules, edges, cycles, graph, computed_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    repository_id,
                    input_key,
                    context.snapshot.head_commit,
                    len(architecture.modules),
                    len(architecture.edges),
                    len(architecture.cycles),
                    encode_architecture(architecture),
                    time.time(),
                ),
            )
        return StepReport(self.name, 1, len(architecture.modules))


def _detect_in_child(repository_id: int, work_tree: str, store_path: str, cache_path: str) -> int:
    """Detection over what the earlier steps stored, nothing else: each mined file's metrics
    from the content cache, the import graph from the architecture step's row, the history
    from the history store (the history step brought it up to date), and the lines of flagged
    files (for their suppression comments) as mined. The work tree is neither walked nor
    parsed."""
    from bmad import config, git
    from bmad.analysis.adapters import assemble
    from bmad.analysis.store import detect_and_store
    from bmad.extractors.architecture import Architecture, decode_architecture

    root = Path(work_tree)
    with Store(Path(store_path)) as store:
        mined = _mined_files(store, repository_id)
        row = store.connection.execute(
            "SELECT graph FROM repository_architecture WHERE repository_id = ?",
            (repository_id,),
        ).fetchone()
    cached = _cached_metrics(Path(cache_path), mined)
    files = [(path, cached[path]) for path, _blob_id in mined if path in cached]
    architecture: Architecture | str = (
        "architecture: no import graph stored yet" if row is None else decode_architecture(row[0])
    )
    blob_ids = dict(mined)

    def read_source(path: str) -> bytes | None:
        """The mined bytes: the work-tree file while it still holds them (reading it and
        hashing is cheaper than inflating a loose object), else the blob."""
        blob_id = blob_ids.get(path)
        if blob_id is None:
            return None
        try:
            data = (root / path).read_bytes()
        except OSError:
            data = b""
        if git.blob_id_of(data) == blob_id:
            return data
        try:
            return git.read_blob(git.open_repository(root), blob_id)
        except BmadError:
            return None

    settings = config.load(root)
    analysis_input = assemble(
        root,
        settings,
        files,
        architecture,
        read_source,
        history_store=Path(store_path),
        mining=_mining_settings(settings),
    )
    data_store = Path(store_path)

    def reference_for(setting: str) -> ReferenceSource:
        from bmad.federation.synthetic import machine_source

        return machine_source(setting, data_store)

    return len(detect_and_store(analysis_input, settings, root, data_store, reference_for))


class FindingsStep:
    """Anti-pattern detection over every lens, stored by the analysis component, from what the
    earlier steps mined (no file is parsed again). It runs after the mined commit is recorded,
    in a short-lived child process so scikit-learn and numpy never stay in the daemon's
    memory; re-run when an earlier step found something new or detection has not finished for
    this HEAD yet."""

    name = "findings"

    def __call__(self, context: MiningContext) -> StepReport:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        repository_id = context.repository.id
        row = context.store.connection.execute(
            "SELECT detected_commit FROM repository_state WHERE repository_id = ?",
            (repository_id,),
        ).fetchone()
        unchanged = all(report.items == 0 for report in context.reports)
        if unchanged and row is not None and row[0] == context.snapshot.head_commit:
            return StepReport(self.name, 0, 0)
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(1, mp_context=spawn, max_tasks_per_child=1) as child:
            count = child.submit(
                _detect_in_child,
                repository_id,
                str(context.work_tree),
                str(context.store.path),
                str(cache_store_path()),
            ).result()
        with context.unit() as connection:
            connection.execute(
                "UPDATE repository_state SET detected_commit = ? WHERE repository_id = ?",
                (context.snapshot.head_commit, repository_id),
            )
        return StepReport(self.name, 1, count)


def default_steps() -> list[MiningStep]:
    """The mining steps whose extractors have landed, in dependency order."""
    return [CodeMetricsStep(), HistoryStep(), TrendsStep(), ArchitectureStep()]


def default_followups() -> list[MiningStep]:
    """Steps that run after the mined commit is recorded (slow, derived from the rest)."""
    return [FindingsStep()]


def mine_repository(
    store: Store,
    repository: Repository,
    steps: Sequence[MiningStep],
    settings: MinerSettings | None = None,
    stop: threading.Event | None = None,
    wait_for_lock: bool = False,
    followups: Sequence[MiningStep] = (),
) -> PassResult:
    """One incremental pass over ``repository``; raises on errors (nothing half-written)."""
    with locked(repository_lock_path(repository.id), blocking=wait_for_lock) as obtained:
        if not obtained:
            return PassResult("busy")
        snapshot = gitstate.snapshot(Path(repository.path))
        context = MiningContext(
            store,
            repository,
            snapshot,
            settings or MinerSettings(),
            stop or threading.Event(),
        )
        try:
            for step in steps:
                context.reports.append(step(context))
            with context.unit() as connection:
                connection.execute(
                    "UPDATE repository_state SET last_mined_commit = ?, pending = 0, "
                    "last_error = NULL, error_count = 0, mined_at = ? WHERE repository_id = ?",
                    (snapshot.head_commit, time.time(), repository.id),
                )
            for step in followups:
                context.reports.append(step(context))
            reports = tuple(context.reports)
        except RepositoryRemoved:
            return PassResult("removed", snapshot.head_commit)
        return PassResult("mined", snapshot.head_commit, reports)


def record_failure(store: Store, repository: Repository, message: str) -> int:
    """Remember a failed pass; returns how many passes in a row have failed."""
    with store.transaction() as connection:
        connection.execute(
            "UPDATE repository_state SET last_error = ?, error_count = error_count + 1 "
            "WHERE repository_id = ?",
            (message, repository.id),
        )
        row = connection.execute(
            "SELECT error_count FROM repository_state WHERE repository_id = ?", (repository.id,)
        ).fetchone()
    return int(row[0]) if row else 0
