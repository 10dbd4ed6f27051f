"""When to mine which repository: change detection, one pass at a time per repository,
and exponential back-off after failures. Pure bookkeeping; the daemon supplies the clock."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Entry:
    seen: str | None = None  # fingerprint observed by the last poll
    mined: str | None = None  # fingerprint at the start of the last successful pass
    dirty: bool = True  # a pass is due (new repository, change, notify, retry)
    running: bool = False
    started: str | None = None  # fingerprint when the running pass started
    failures: int = 0
    retry_at: float = 0.0
    missing: bool = False


class Scheduler:
    def __init__(self, backoff_base: float, backoff_max: float) -> None:
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.entries: dict[int, Entry] = {}

    def sync(self, repository_ids: set[int]) -> None:
        """Follow the registry: new repositories are due at once, removed ones forgotten."""
        for repository_id in repository_ids - self.entries.keys():
            self.entries[repository_id] = Entry()
        for repository_id in self.entries.keys() - repository_ids:
            del self.entries[repository_id]

    def observe(self, repository_id: int, fingerprint: str | None) -> None:
        entry = self.entries[repository_id]
        entry.missing = fingerprint is None
        entry.seen = fingerprint
        # While a pass runs, compare with what it is mining, not with the previous pass.
        reference = entry.started if entry.running else entry.mined
        if fingerprint is not None and fingerprint != reference:
            entry.dirty = True

    def poke(self, repository_id: int) -> None:
        """A hook or the CLI says something changed: mine now, even during a back-off."""
        entry = self.entries.get(repository_id)
        if entry is not None:
            entry.dirty = True
            entry.retry_at = 0.0

    def due(self, now: float) -> list[int]:
        return [
            repository_id
            for repository_id, entry in sorted(self.entries.items())
            if entry.dirty and not entry.running and not entry.missing and entry.retry_at <= now
        ]

    def started(self, repository_id: int) -> None:
        entry = self.entries[repository_id]
        entry.running = True
        entry.dirty = False
        entry.started = entry.seen

    def succeeded(self, repository_id: int) -> None:
        entry = self.entries.get(repository_id)
        if entry is None:
            return
        entry.running = False
        entry.failures = 0
        entry.retry_at = 0.0
        entry.mined = entry.started
        if entry.seen != entry.mined:
            entry.dirty = True

    def deferred(self, repository_id: int) -> None:
        """The pass did not run (repository busy elsewhere, daemon stopping): due again."""
        entry = self.entries.get(repository_id)
        if entry is not None:
            entry.running = False
            entry.dirty = True

    def failed(self, repository_id: int, now: float) -> float:
        """Back off exponentially; returns the delay before the next attempt."""
        entry = self.entries.get(repository_id)
        if entry is None:
            return 0.0
        entry.running = False
        entry.dirty = True
        entry.failures += 1
        delay = min(self.backoff_base * 2.0 ** (entry.failures - 1), self.backoff_max)
        entry.retry_at = now + delay
        return delay

    def state_of(self, repository_id: int, now: float) -> str:
        entry = self.entries.get(repository_id)
        if entry is None:
            return "unknown"
        if entry.missing:
            return "missing"
        if entry.running:
            return "mining"
        if entry.retry_at > now:
            return "backing-off"
        return "pending" if entry.dirty else "idle"

    def retry_in(self, repository_id: int, now: float) -> float:
        entry = self.entries.get(repository_id)
        return max(0.0, entry.retry_at - now) if entry is not None else 0.0
