"""The scan pipeline: read and check bytes, consult the content cache, analyse the rest in
worker processes, and return results in path order whatever the completion order."""

from __future__ import annotations

import os
import stat
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from bmad import git
from bmad.errors import BmadError
from bmad.extractors.metrics import FileMetrics
from bmad.scanning.analyse import Job, Outcome, analyse_batch, analyser_version
from bmad.scanning.discovery import Candidate, Skipped, discover
from bmad.scanning.freshness import FileStat, StatEntry, read_is_stable, vouches
from bmad.scanning.metrics_cache import MetricsCache
from bmad.scanning.stat_cache import StatCache

if TYPE_CHECKING:
    import pygit2

DEFAULT_MAX_FILE_SIZE = 1024 * 1024
BATCH_FILES = 128  # files read ahead of the workers (each at most max_file_size bytes)
CHUNK_FILES = 16  # files per task sent to a worker
BINARY_PROBE = 8000  # like git: a NUL in the first 8000 bytes means binary
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Non-blocking, so that opening a FIFO that happens to be named like source cannot hang.
READ_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC

ProgressCallback = Callable[[int, int], None]  # (files done, files in total)


@dataclass(frozen=True, slots=True)
class ScanOptions:
    jobs: int = 0  # 0: one worker per CPU
    use_cache: bool = True
    languages: frozenset[str] | None = None
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    cache_path: Path | None = None  # None: the user's cache store
    clock_ns: Callable[[], int] = time.time_ns  # wall clock stamped on stat-cache records


@dataclass(frozen=True, slots=True)
class ScannedFile:
    path: str
    language: str
    metrics: FileMetrics


@dataclass(slots=True)
class ScanResult:
    root: Path
    files: list[ScannedFile] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0
    analysed: int = 0  # files parsed in this run
    cache_hits: int = 0
    files_read: int = 0  # files whose bytes this run read (from disk or git's objects)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Fetched:
    data: bytes
    stat: FileStat | None = None  # of the file on disk, when it held still while being read
    read_started_ns: int = 0


Reader = Callable[[], Fetched | str]  # the file's bytes, or the reason they cannot be had


@dataclass(frozen=True, slots=True)
class Source:
    """A file to analyse, not read yet: a cache hit on ``known_blob_id`` never reads it."""

    path: str
    language: str
    is_header: bool
    known_blob_id: str | None
    read: Reader
    location: Path | None = None  # on disk (not a git object): its stat may vouch for its id


@dataclass(frozen=True, slots=True)
class _Loaded:
    source: Source
    data: bytes  # UTF-8, ready to parse
    blob_id: str  # of the bytes as stored, before any transcoding
    stat: FileStat | None  # of the file while it was read (files on disk only)
    read_started_ns: int


def effective_jobs(requested: int) -> int:
    return requested if requested > 0 else (os.cpu_count() or 1)


def check_bytes(raw: bytes, max_size: int) -> bytes | str:
    """The bytes to parse, as UTF-8, or the reason the file cannot be analysed."""
    if len(raw) > max_size:
        return f"larger than the size limit ({len(raw)} > {max_size} bytes)"
    if raw.startswith(UTF16_BOMS):
        try:
            return raw.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            return "binary (invalid UTF-16)"
    if b"\x00" in raw[:BINARY_PROBE]:
        return "binary (NUL bytes)"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"not UTF-8 (invalid byte at offset {exc.start})"
    return raw


def read_file(location: Path, max_size: int, clock_ns: Callable[[], int]) -> Fetched | str:
    """The file's bytes with its stat if it did not change while read, or why it cannot be read.

    The clock is read before the first stat, so that a write racing the read is never older
    than the record by the racy margin (see ``bmad.scanning.freshness``).
    """
    started = clock_ns()
    try:
        with open(os.open(location, READ_FLAGS), "rb") as handle:
            before = os.fstat(handle.fileno())
            if stat.S_ISDIR(before.st_mode):
                return "is a directory"
            if not stat.S_ISREG(before.st_mode):
                return "not a regular file"
            if before.st_size > max_size:
                return f"larger than the size limit ({before.st_size} > {max_size} bytes)"
            data = handle.read()
            after = os.fstat(handle.fileno())
    except FileNotFoundError:
        return "missing from the work tree"
    except IsADirectoryError:
        return "is a directory"
    except OSError as exc:
        return f"unreadable: {exc.strerror or exc}"
    seen, now = FileStat.of(before), FileStat.of(after)
    return Fetched(data, seen if read_is_stable(seen, now) else None, started)


def current_stat(location: Path) -> FileStat | None:
    try:
        return FileStat.of(os.stat(location))
    except OSError:
        return None


def is_regular_file(path: str) -> bool:
    """Without following a symbolic link: a scan never records a link's path."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def within_size_limit(location: Path, max_file_size: int) -> bool:
    """Whether the file on disk is (still) no larger than the limit. Git's index vouches for a
    file's bytes, not for this run's limit: the cached metrics of a blob may come from a run
    with a higher one, and a scan must skip the files over its own."""
    try:
        return os.stat(location).st_size <= max_file_size
    except OSError:
        return False


def vouched_blob_id(location: Path, entry: StatEntry | None, max_file_size: int) -> str | None:
    """The blob id that the stat record ``entry`` vouches for, if the file still has its stat
    (and a scan would read it: a file now over the size limit is not vouched for)."""
    if entry is None:
        return None
    now = current_stat(location)
    if now is None or now.size > max_file_size or not vouches(entry, now):
        return None
    return entry.blob_id


def unread_blob_id(
    location: Path, git_blob_id: str | None, entry: StatEntry | None, max_file_size: int
) -> str | None:
    """The blob id a scan may take for the file at ``location`` without reading it: git's,
    while the file is within the size limit, else the one its stat record ``entry`` vouches
    for; None when the file must be read."""
    if git_blob_id is not None:
        return git_blob_id if within_size_limit(location, max_file_size) else None
    return vouched_blob_id(location, entry, max_file_size)


def content_ids(
    files: Sequence[tuple[Path, str | None]], options: ScanOptions, stats: StatCache | None
) -> list[str]:
    """What a scan would take each (location, blob id git vouches for) to hold, reading as
    little as the scan: git's blob id, else the one its stat record vouches for, else the blob
    id of its bytes (read now, and recorded when the read held still), else the reason the
    scan would skip it."""
    unknown = [str(location) for location, known in files if known is None]
    entries: dict[str, StatEntry] = {}
    if stats is not None and unknown:
        try:
            entries = stats.lookup(unknown)
        except BmadError:
            stats = None
    ids: list[str] = []
    fresh: dict[str, StatEntry] = {}
    for location, known in files:
        entry = entries.get(str(location))
        blob_id = unread_blob_id(location, known, entry, options.max_file_size)
        if blob_id is None:
            fetched = read_file(location, options.max_file_size, options.clock_ns)
            if isinstance(fetched, str):
                ids.append(fetched)
                continue
            blob_id = git.blob_id_of(fetched.data)
            if fetched.stat is not None:
                fresh[str(location)] = StatEntry(fetched.stat, blob_id, fetched.read_started_ns)
        ids.append(blob_id)
    if stats is not None:
        with suppress(BmadError):  # an unwritable record only costs the next run a read
            stats.record(fresh)
    return ids


def _candidate_source(candidate: Candidate, options: ScanOptions) -> Source:
    location = candidate.location

    def read() -> Fetched | str:
        return read_file(location, options.max_file_size, options.clock_ns)

    is_header = location.suffix.lower() == ".h"
    return Source(
        candidate.path, candidate.language, is_header, candidate.known_blob_id, read, location
    )


class _Workers:
    """Runs analysis jobs in this process or over a pool, keeping a bounded number in flight."""

    def __init__(self, jobs: int) -> None:
        self.pool = ProcessPoolExecutor(max_workers=jobs) if jobs > 1 else None
        self.max_in_flight = jobs * 2
        self.in_flight: deque[Future[list[Outcome]]] = deque()
        self.ready: list[Outcome] = []

    def submit(self, jobs: list[Job]) -> None:
        for start in range(0, len(jobs), CHUNK_FILES):
            chunk = jobs[start : start + CHUNK_FILES]
            if self.pool is None:
                self.ready.extend(analyse_batch(chunk))
                continue
            while len(self.in_flight) >= self.max_in_flight:
                self.ready.extend(self.in_flight.popleft().result())
            self.in_flight.append(self.pool.submit(analyse_batch, chunk))

    def take_ready(self) -> list[Outcome]:
        while self.in_flight and self.in_flight[0].done():
            self.ready.extend(self.in_flight.popleft().result())
        ready, self.ready = self.ready, []
        return ready

    def drain(self) -> list[Outcome]:
        while self.in_flight:
            self.ready.extend(self.in_flight.popleft().result())
        return self.take_ready()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


def _open_cache(options: ScanOptions, result: ScanResult) -> MetricsCache | None:
    if not options.use_cache:
        return None
    from bmad.store.connection import cache_store_path

    path = options.cache_path or cache_store_path()
    try:
        return MetricsCache.open(path, analyser_version())
    except BmadError as exc:
        result.warnings.append(f"cache disabled: {exc.message}")
        return None


def _open_stat_cache(metrics: MetricsCache | None, result: ScanResult) -> StatCache | None:
    if metrics is None:
        return None
    try:
        return StatCache(metrics.store)
    except BmadError as exc:
        result.warnings.append(f"stat cache disabled: {exc.message}")
        return None


class _Analysis:
    """One pass over a stream of sources: cache look-ups in batches, misses to the workers."""

    def __init__(
        self,
        total: int,
        options: ScanOptions,
        result: ScanResult,
        progress: ProgressCallback | None,
    ) -> None:
        self.total = total
        self.result = result
        self.progress = progress
        self.cache = _open_cache(options, result)
        self.stats = _open_stat_cache(self.cache, result)
        self.workers = _Workers(effective_jobs(options.jobs))
        self.metrics_by_path: dict[str, FileMetrics] = {}
        self.waiting: dict[str, _Loaded] = {}
        self.present: set[str] = set()  # files on disk this run found regular (git or a stat)
        self.max_file_size = options.max_file_size
        self.done = 0

    def advance(self, count: int) -> None:
        self.done += count
        if self.progress is not None and count:
            self.progress(self.done, self.total)

    def skip(self, item: Skipped) -> None:
        self.result.skipped.append(item)
        self.advance(1)

    def collect(self, outcomes: list[Outcome]) -> None:
        fresh: dict[tuple[str, str], FileMetrics] = {}
        for path, outcome in outcomes:
            item = self.waiting.pop(path)
            if isinstance(outcome, str):
                self.result.skipped.append(Skipped(path, outcome))
            else:
                self.metrics_by_path[path] = outcome
                fresh[(item.blob_id, item.source.language)] = outcome
        self.result.analysed += len(fresh)
        if self.cache is not None and fresh:
            try:
                self.cache.save(fresh)
            except BmadError as exc:
                self.result.warnings.append(exc.message)
        self.advance(len(outcomes))

    def _hits(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], FileMetrics]:
        return self.cache.lookup(keys) if self.cache is not None and keys else {}

    def _use_cached(self, path: str, metrics: FileMetrics) -> None:
        self.metrics_by_path[path] = metrics
        self.result.cache_hits += 1
        self.advance(1)

    def _vouched(self, batch: list[Source]) -> list[Source]:
        """``batch`` with the blob id each file on disk may be taken to hold without reading:
        git's while it is within the size limit (a file over it is read, so it is skipped
        whatever the cache holds for its blob), else the one its stat record vouches for."""
        unknown = [s.location for s in batch if s.location is not None and not s.known_blob_id]
        entries: dict[str, StatEntry] = {}
        if self.stats is not None and unknown:
            try:
                entries = self.stats.lookup(str(location) for location in unknown)
            except BmadError as exc:
                self.result.warnings.append(f"stat cache disabled: {exc.message}")
                self.stats = None
        return [self._vouched_source(source, entries) for source in batch]

    def _vouched_source(self, source: Source, entries: dict[str, StatEntry]) -> Source:
        if source.location is None:
            return source
        entry = entries.get(str(source.location))
        known = source.known_blob_id or None
        blob_id = unread_blob_id(source.location, known, entry, self.max_file_size)
        return source if blob_id == known else replace(source, known_blob_id=blob_id)

    def _record_stats(self, loaded: list[_Loaded]) -> None:
        if self.stats is None:
            return
        entries = {
            str(item.source.location): StatEntry(item.stat, item.blob_id, item.read_started_ns)
            for item in loaded
            if item.stat is not None and item.source.location and not item.source.known_blob_id
        }
        try:
            self.stats.record(entries)
        except BmadError as exc:
            self.result.warnings.append(exc.message)

    def _load(self, source: Source) -> _Loaded | None:
        self.result.files_read += 1
        fetched = source.read()
        if isinstance(fetched, str):
            self.skip(Skipped(source.path, fetched))
            return None
        if source.location is not None:
            self.present.add(str(source.location))
        checked = check_bytes(fetched.data, self.max_file_size)
        if isinstance(checked, str):
            self.skip(Skipped(source.path, checked))
            return None
        # Bytes from disk are hashed even when git or a stat record vouched for them: the file
        # may have changed since, and its metrics must not be cached under the old id.
        if source.location is None and source.known_blob_id:
            blob_id = source.known_blob_id
        else:
            blob_id = git.blob_id_of(fetched.data)
        return _Loaded(source, checked, blob_id, fetched.stat, fetched.read_started_ns)

    def flush(self, batch: list[Source]) -> None:
        batch = self._vouched(batch)
        # git's index or a stat record vouched for these: each was a regular file just now.
        self.present.update(str(s.location) for s in batch if s.location and s.known_blob_id)
        known = self._hits([(s.known_blob_id, s.language) for s in batch if s.known_blob_id])
        loaded: list[_Loaded] = []
        for source in batch:
            cached = known.get((source.known_blob_id or "", source.language))
            if cached is not None:
                self._use_cached(source.path, cached)
            elif (item := self._load(source)) is not None:
                loaded.append(item)
        self._record_stats(loaded)
        hashed = self._hits(
            [
                (item.blob_id, item.source.language)
                for item in loaded
                if item.blob_id != item.source.known_blob_id
            ]
        )
        jobs: list[Job] = []
        for item in loaded:
            cached = hashed.get((item.blob_id, item.source.language))
            if cached is not None:
                self._use_cached(item.source.path, cached)
                continue
            self.waiting[item.source.path] = item
            jobs.append((item.source.path, item.source.language, item.data, item.source.is_header))
        self.workers.submit(jobs)
        self.collect(self.workers.take_ready())

    def run(self, items: Iterable[Source | Skipped]) -> None:
        batch: list[Source] = []
        for item in items:
            if isinstance(item, Skipped):
                self.skip(item)
                continue
            batch.append(item)
            if len(batch) >= BATCH_FILES:
                self.flush(batch)
                batch = []
        self.flush(batch)
        self.collect(self.workers.drain())

    def prune(self, folders: Sequence[Path]) -> None:
        """Forget the records under ``folders`` of files that are gone or no longer regular.

        Only records this run did not find present cost a ``lstat``: files outside the run
        (filtered out by language, excluded, ignored, scanned once by an explicit PATH) are
        still there, and keep their records."""
        if self.stats is None or not folders:
            return
        try:
            recorded = self.stats.paths_under(folders)
            self.stats.forget(path for path in recorded - self.present if not is_regular_file(path))
        except BmadError as exc:
            self.result.warnings.append(exc.message)

    def close(self) -> None:
        self.workers.close()
        if self.cache is not None:
            self.cache.close()


def analyse_sources(
    items: Iterable[Source | Skipped],
    total: int,
    options: ScanOptions,
    result: ScanResult,
    progress: ProgressCallback | None = None,
    prune_under: Sequence[Path] = (),
) -> None:
    """Fill ``result`` with metrics for every source (from the cache or freshly analysed),
    then drop the stat records of files gone from the folders ``prune_under``."""
    analysis = _Analysis(total, options, result, progress)
    try:
        analysis.run(items)
        analysis.prune(prune_under)
    finally:
        analysis.close()
    found = analysis.metrics_by_path
    result.files = [ScannedFile(path, found[path].language, found[path]) for path in sorted(found)]
    result.skipped.sort(key=lambda item: item.path)


def scan_paths(
    paths: Sequence[Path], options: ScanOptions, progress: ProgressCallback | None = None
) -> ScanResult:
    """Scan files and folders as ``bmad scan`` does."""
    started = time.perf_counter()
    discovery = discover(paths, options.languages)
    result = ScanResult(root=discovery.root, skipped=list(discovery.skipped))
    sources: Iterator[Source | Skipped] = (
        _candidate_source(candidate, options) for candidate in discovery.candidates
    )
    analyse_sources(
        sources, len(discovery.candidates), options, result, progress, discovery.folders
    )
    result.seconds = time.perf_counter() - started
    return result


def scan_repository(path: Path, options: ScanOptions | None = None) -> ScanResult:
    """The work tree of the repository at ``path`` (or the folder, outside git)."""
    repository = git.find_work_tree(path)
    root = git.work_tree_root(repository) if repository is not None else path.resolve()
    return scan_paths([root], options or ScanOptions())


def _blob_source(repository: pygit2.Repository, tree_file: git.TreeFile, language: str) -> Source:
    blob_id = tree_file.blob_id
    assert blob_id is not None

    def read() -> Fetched | str:
        try:
            return Fetched(git.read_blob(repository, blob_id))
        except BmadError as exc:
            return exc.message

    is_header = tree_file.path.lower().endswith(".h")
    return Source(tree_file.path, language, is_header, blob_id, read)


def scan_commit(repo_path: Path, revision: str, options: ScanOptions | None = None) -> ScanResult:
    """Metrics of every supported file in the tree of a commit, from git's objects."""
    from bmad.extractors.languages import language_for_path

    options = options or ScanOptions()
    started = time.perf_counter()
    repository = git.open_repository(repo_path)
    result = ScanResult(root=Path(repository.workdir or repository.path).resolve())
    wanted: list[tuple[git.TreeFile, str]] = []
    for tree_file in git.commit_tree_files(repository, revision):
        language = language_for_path(tree_file.path)
        if language is None or (options.languages and language not in options.languages):
            continue
        if tree_file.mode in (git.MODE_SYMLINK, git.MODE_GITLINK):
            continue
        wanted.append((tree_file, language))
    sources = (
        _blob_source(repository, tree_file, language)
        for tree_file, language in sorted(wanted, key=lambda pair: pair[0].path)
    )
    analyse_sources(sources, len(wanted), options, result)
    result.seconds = time.perf_counter() - started
    return result


def cognitive_by_path(repo_path: Path, commit_id: str) -> dict[str, int]:
    """Total cognitive complexity of each supported file in a commit's tree (for hotspots)."""
    result = scan_commit(repo_path, commit_id)
    return {
        scanned.path: sum(function.cognitive for function in scanned.metrics.functions)
        for scanned in result.files
    }
