"""The daemon: watch the registered repositories, mine them in the background, answer the
local API. One main thread sleeps on a selector (API socket + wake-up pipe) with the poll
interval as timeout, so an idle daemon costs a few ``stat`` calls every few seconds.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import queue
import resource
import selectors
import sqlite3
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bmad import __version__
from bmad.config import require_int, require_number
from bmad.daemon import gitstate
from bmad.daemon.buffers import BufferAnalyst, buffer_language, check_text
from bmad.daemon.hookcheck import HookChecker
from bmad.daemon.miner import (
    ANALYSIS_LOCK,
    MinerSettings,
    MiningInterrupted,
    MiningStep,
    default_followups,
    default_steps,
    mine_repository,
    record_failure,
)
from bmad.daemon.risk_step import RiskStep
from bmad.daemon.rpc import Method, Params, RpcFailure, invalid_params, optional, require
from bmad.daemon.scheduler import Scheduler
from bmad.daemon.server import RpcServer, ServerLimits
from bmad.errors import BmadError
from bmad.federation.background import BackgroundParticipation
from bmad.priority import lower_current_thread
from bmad.store.connection import Store, cache_store_path, data_store_path
from bmad.store.registry import (
    Repository,
    find_repository,
    list_repositories,
    open_registry,
    repository_status,
)

if TYPE_CHECKING:
    from bmad.scanning.metrics_cache import MetricsCache

logger = logging.getLogger("bmad.daemon")
NOT_FOUND = -32004
MISSING_WORK_TREE = "work tree not found (moved or deleted?)"


@dataclass(frozen=True, slots=True)
class DaemonSettings:
    poll_interval: float = 1.0
    workers: int = 1
    nice: int = 10
    miner: MinerSettings = field(default_factory=MinerSettings)
    backoff_base: float = 5.0
    backoff_max: float = 600.0
    limits: ServerLimits = field(default_factory=ServerLimits)
    log_max_bytes: int = 1024 * 1024
    log_backups: int = 3

    @classmethod
    def from_config(cls, section: Mapping[str, Any], max_file_size: int) -> DaemonSettings:
        """The ``[daemon]`` settings; a value of the wrong type or below its floor is a
        configuration error naming the setting."""

        def integer(key: str, minimum: int) -> int:
            return require_int("daemon", section, key, minimum)

        def number(key: str, minimum: float) -> float:
            return require_number("daemon", section, key, minimum, math.inf)

        return cls(
            poll_interval=number("poll_interval", 0.05),
            workers=integer("workers", 1),
            nice=integer("nice", 0),
            miner=MinerSettings(
                batch_size=integer("batch_size", 1),
                throttle_seconds=number("throttle_ms", 0) / 1000,
                max_file_size=max_file_size,
            ),
            backoff_base=number("backoff_base", 0.1),
            backoff_max=number("backoff_max", 0.1),
            limits=ServerLimits(
                max_message_bytes=integer("max_message_bytes", 1024),
                connection_timeout=number("connection_timeout", 0.1),
                max_connections=integer("max_connections", 1),
            ),
            log_max_bytes=integer("log_max_bytes", 4096),
            log_backups=integer("log_backups", 0),
        )


def resident_bytes() -> int:
    """Current resident set size (peak size where /proc is missing)."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


class Daemon:
    def __init__(
        self,
        settings: DaemonSettings,
        socket_path: Path,
        steps: Sequence[MiningStep] | None = None,
    ) -> None:
        self.settings = settings
        self.steps = list(steps) if steps is not None else default_steps()
        self.followups: list[MiningStep] = (
            [*default_followups(), RiskStep()] if steps is None else []
        )
        self.started_at = time.time()
        self.stop_event = threading.Event()
        self._lock = threading.Lock()  # guards self.store (reads), scheduler, repositories
        self.store: Store = open_registry()
        self.scheduler = Scheduler(settings.backoff_base, settings.backoff_max)
        self.repositories: dict[int, Repository] = {}
        self._missing: set[int] = set()
        self._completions: queue.SimpleQueue[tuple[int, str]] = queue.SimpleQueue()
        self._worker_stores = threading.local()
        self._executor = ThreadPoolExecutor(
            settings.workers,
            thread_name_prefix="bmad-miner",
            initializer=lower_current_thread,
            initargs=(settings.nice,),
        )
        self._cache: MetricsCache | None = None
        self._findings_store: Store | None = None
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        os.set_blocking(self._wake_write, False)
        self.server = RpcServer(socket_path, self.methods(), settings.limits)
        self.buffers = BufferAnalyst(data_store_path(), cache_store_path(), ANALYSIS_LOCK)
        self.hook_checker = HookChecker(cache_store_path(), ANALYSIS_LOCK, self._cached_insights)
        self.federation = BackgroundParticipation(self.stop_event, settings.nice)

    # -- main loop -------------------------------------------------------------------------

    def methods(self) -> dict[str, Method]:
        return {
            "status": self.api_status,
            "repos": self.api_repos,
            "analyze_buffer": self.api_analyze_buffer,
            "file_report": self.api_file_report,
            "notify": self.api_notify,
            "insights": self.api_insights,
            "check_staged": self.api_check_staged,
        }

    def wake(self) -> None:
        # A full pipe means the main loop is waking up anyway.
        with contextlib.suppress(BlockingIOError):
            os.write(self._wake_write, b"!")

    def request_stop(self) -> None:
        self.stop_event.set()
        self.wake()

    def run(self) -> None:
        self.server.bind()
        self.federation.start()
        logger.info(
            "bmad daemon %s started (pid %d, steps: %s)",
            __version__,
            os.getpid(),
            ", ".join(self.step_names()),
        )
        selector = selectors.DefaultSelector()
        selector.register(self.server.fileno(), selectors.EVENT_READ, "api")
        selector.register(self._wake_read, selectors.EVENT_READ, "wake")
        next_poll = 0.0
        try:
            while not self.stop_event.is_set():
                # Poll on the interval, or when woken by notify / a finished pass; API
                # traffic alone never triggers a poll.
                if time.monotonic() >= next_poll or self._retry_due():
                    self._tick()
                    next_poll = time.monotonic() + self.settings.poll_interval
                for key, _ in selector.select(self._sleep_seconds(next_poll)):
                    if key.data == "api":
                        self.server.accept_ready()
                    else:
                        self._drain_wake_pipe()
                        next_poll = 0.0
                self._collect_completions()
        finally:
            selector.close()
            self._shutdown()

    def _sleep_seconds(self, next_poll: float) -> float:
        now = time.time()
        with self._lock:
            retries = [
                entry.retry_at - now
                for entry in self.scheduler.entries.values()
                if entry.dirty and not entry.running and entry.retry_at > now
            ]
        return max(0.0, min([next_poll - time.monotonic(), *retries]))

    def _retry_due(self) -> bool:
        now = time.time()
        with self._lock:
            return any(
                entry.dirty and not entry.running and 0 < entry.retry_at <= now
                for entry in self.scheduler.entries.values()
            )

    def _drain_wake_pipe(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while os.read(self._wake_read, 4096):
                pass

    def _shutdown(self) -> None:
        logger.info("stopping")
        self.server.close()
        self._executor.shutdown(wait=True, cancel_futures=True)
        self.federation.join()
        self._collect_completions()
        with self._lock:
            if self._cache is not None:
                self._cache.close()
            if self._findings_store is not None:
                self._findings_store.close()
            self.store.close()
        self.buffers.close()
        self.hook_checker.close()
        os.close(self._wake_read)
        os.close(self._wake_write)
        logger.info("stopped")

    def _tick(self) -> None:
        try:
            with self._lock:
                repositories = list_repositories(self.store)
        except sqlite3.Error as exc:
            logger.error("cannot read the repository registry: %s", exc)
            return
        now = time.time()
        due: list[Repository] = []
        with self._lock:
            self.repositories = {repository.id: repository for repository in repositories}
            self.scheduler.sync(set(self.repositories))
            for repository in repositories:
                seen = gitstate.fingerprint(
                    Path(repository.path), Path(repository.git_dir), Path(repository.common_dir)
                )
                self.scheduler.observe(repository.id, seen)
                self._note_missing(repository, seen is None)
            for repository_id in self.scheduler.due(now):
                self.scheduler.started(repository_id)
                due.append(self.repositories[repository_id])
            self._missing &= set(self.repositories)
        for repository in due:
            self._executor.submit(self._mine, repository)

    def _note_missing(self, repository: Repository, missing: bool) -> None:
        if missing and repository.id not in self._missing:
            self._missing.add(repository.id)
            logger.warning("%s: %s (%s)", repository.name, MISSING_WORK_TREE, repository.path)
            self._record_failure(self.store, repository, MISSING_WORK_TREE)
        elif not missing and repository.id in self._missing:
            self._missing.discard(repository.id)
            logger.info("%s: work tree is back", repository.name)

    def _record_failure(self, store: Store, repository: Repository, message: str) -> None:
        try:
            record_failure(store, repository, message)
        except sqlite3.Error as exc:
            logger.error("%s: cannot record the error in the store: %s", repository.name, exc)

    def _collect_completions(self) -> None:
        now = time.time()
        while True:
            try:
                repository_id, outcome = self._completions.get_nowait()
            except queue.Empty:
                return
            with self._lock:
                if outcome == "mined":
                    self.scheduler.succeeded(repository_id)
                elif outcome == "failed":
                    delay = self.scheduler.failed(repository_id, now)
                    logger.info("repository %d: next attempt in %.0f s", repository_id, delay)
                else:
                    self.scheduler.deferred(repository_id)

    # -- mining (worker threads) -----------------------------------------------------------

    def _worker_store(self) -> Store:
        store: Store | None = getattr(self._worker_stores, "store", None)
        if store is None:
            store = open_registry()
            self._worker_stores.store = store
        return store

    def _mine(self, repository: Repository) -> None:
        outcome = "failed"
        try:
            store = self._worker_store()
            started = time.perf_counter()
            result = mine_repository(
                store,
                repository,
                self.steps,
                self.settings.miner,
                self.stop_event,
                followups=self.followups,
            )
            outcome = result.outcome
            if outcome == "mined":
                logger.info(
                    "%s: mined %s in %.2f s (%s)",
                    repository.name,
                    (result.head_commit or "unborn HEAD")[:12],
                    time.perf_counter() - started,
                    ", ".join(f"{report.step}: {report.items}" for report in result.reports),
                )
        except MiningInterrupted:
            outcome = "interrupted"
        except (BmadError, sqlite3.Error, OSError) as exc:
            logger.error("%s: mining failed: %s", repository.name, exc)
            self._record_failure(self._worker_store(), repository, str(exc))
        except Exception as exc:  # a bug in one step must not take the daemon down
            logger.exception("%s: mining failed", repository.name)
            self._record_failure(
                self._worker_store(), repository, f"internal error: {type(exc).__name__}"
            )
        finally:
            self._completions.put((repository.id, outcome))
            self.wake()

    # -- local API (connection threads) ----------------------------------------------------

    def step_names(self) -> list[str]:
        steps = [*self.steps, *self.followups]
        return [str(getattr(step, "name", type(step).__name__)) for step in steps]

    def _repository_rows(self) -> list[dict[str, Any]]:
        now = time.time()
        with self._lock:
            rows = []
            for repository in list_repositories(self.store):
                row = repository_status(self.store, repository).to_dict()
                row["state"] = self.scheduler.state_of(repository.id, now)
                row["retry_in"] = round(self.scheduler.retry_in(repository.id, now), 1)
                rows.append(row)
        return rows

    def api_status(self, params: Params) -> dict[str, Any]:
        times = os.times()
        return {
            "pid": os.getpid(),
            "version": __version__,
            "started_at": self.started_at,
            "uptime_seconds": round(time.time() - self.started_at, 3),
            "rss_bytes": resident_bytes(),
            "cpu_seconds": {"user": times.user, "system": times.system},
            "socket": str(self.server.path),
            "workers": self.settings.workers,
            "poll_interval": self.settings.poll_interval,
            "steps": self.step_names(),
            "repositories": self._repository_rows(),
        }

    def api_repos(self, params: Params) -> list[dict[str, Any]]:
        return self._repository_rows()

    def api_insights(self, params: Params) -> dict[str, Any]:
        """The federation's global insights cached on this machine (none before a round)."""
        from bmad.privacy.db import open_privacy_store
        from bmad.privacy.sharing import cached_global_insights

        learning_type = optional(params, "learning_type", str)
        with open_privacy_store(data_store_path()) as store:
            cached = cached_global_insights(store)
        if learning_type is not None:
            cached = [entry for entry in cached if entry["learning_type"] == learning_type]
        return {"insights": cached}

    def _cached_insights(self) -> list[dict[str, Any]]:
        return list(self.api_insights({"learning_type": "code_patterns"})["insights"])

    def api_check_staged(self, params: Params) -> dict[str, Any]:
        """The pre-commit comparison of the blobs a hook sends (see :mod:`bmad.hooks.request`)."""
        return self.hook_checker.check(params)

    def api_analyze_buffer(self, params: Params) -> dict[str, Any]:
        """Metrics and findings of a buffer; an absolute path inside a registered repository
        is analysed with that repository's context and stored findings."""
        path = require(params, "path", str)
        text = require(params, "text", str)
        language = buffer_language(path, optional(params, "language", str))
        rules = optional(params, "rules", dict)
        check_text(text)
        repository = None
        target = Path(path).expanduser()
        if target.is_absolute():
            with self._lock, contextlib.suppress(RpcFailure):
                repository = self._repository_containing(target)
        return self.buffers.analyse(str(target), text, language, repository, rules)

    def _metrics_cache(self) -> MetricsCache:
        from bmad.scanning.analyse import analyser_version
        from bmad.scanning.metrics_cache import MetricsCache

        if self._cache is None:
            self._cache = MetricsCache.open(cache_store_path(), analyser_version())
        return self._cache

    def api_file_report(self, params: Params) -> dict[str, Any]:
        from bmad import git

        raw_path = require(params, "path", str)
        target = Path(raw_path).expanduser()
        if not target.is_absolute():
            raise invalid_params("'path' must be absolute")
        with self._lock:
            repository = self._repository_containing(target)
            relative = target.resolve().relative_to(repository.path).as_posix()
            row = self.store.connection.execute(
                "SELECT f.blob_id, f.language, f.functions, f.error, s.last_mined_commit "
                "FROM repository_files f JOIN repository_state s USING (repository_id) "
                "WHERE f.repository_id = ? AND f.path = ?",
                (repository.id, relative),
            ).fetchone()
            cached = {} if row is None else self._metrics_cache().lookup_files([(relative, row[0])])
        if row is None:  # a manifest's file findings (abandoned dependencies) are stored too
            return {
                "repository": repository.name,
                "path": relative,
                "metrics": None,
                "reason": "not mined (not staged, not a supported language, or pending)",
                "findings": self._findings(Path(repository.path), relative),
            }
        blob_id, language, functions, error, mined_commit = row
        metrics = cached.get(relative)
        try:
            modified = git.blob_id_of(target.read_bytes()) != blob_id
        except OSError:
            modified = True
        return {
            "repository": repository.name,
            "path": relative,
            "blob_id": blob_id,
            "language": language,
            "functions": functions,
            "mined_commit": mined_commit,
            "modified": modified,  # the work-tree file differs from the mined (staged) blob
            "metrics": metrics.to_dict() if metrics is not None else None,
            "error": error,
            "findings": self._findings(Path(repository.path), relative),
        }

    def _findings(self, root: Path, relative: str) -> list[dict[str, Any]]:
        from dataclasses import asdict

        from bmad.analysis.store import load_findings, open_findings_store

        with self._lock:
            if self._findings_store is None:
                self._findings_store = open_findings_store(self.store.path)
            return [asdict(item) for item in load_findings(self._findings_store, root, relative)]

    def _repository_containing(self, target: Path) -> Repository:
        resolved = target.resolve()
        for repository in list_repositories(self.store):
            root = Path(repository.path)
            if resolved == root or root in resolved.parents:
                return repository
        raise RpcFailure(NOT_FOUND, "the path is not inside a registered repository")

    def api_notify(self, params: Params) -> dict[str, Any]:
        key = require(params, "repository", str)
        event = optional(params, "event", str, "changed")
        try:
            with self._lock:
                repository = find_repository(self.store, key)
                self.scheduler.poke(repository.id)
        except BmadError:
            if event == "removed":
                self.wake()
                return {"repository": key, "queued": False}
            message = f"no registered repository named or containing {key!r}"
            raise RpcFailure(NOT_FOUND, message) from None
        self.wake()
        return {"repository": repository.name, "queued": True}
