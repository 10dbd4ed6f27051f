"""Technology adoption over time from per-commit technology sets (pure).

Input: one :class:`TechnologyCommit` per commit (the technology keys of
:mod:`bmad.extractors.technology` its tree shows), parents before children. Output:

- presence: per technology the first and last time (author time) any commit showed it, and
  whether the tip does;
- the mainline (the tip's first-parent chain) and its changes: what each commit added and
  removed against its first parent; episodes are the stretches between an addition and the
  next removal along it;
- abandonment, a decision anti-pattern (rule ``abandoned-dependency``): a dependency or tool
  added and removed again within ``[rules] abandoned_dependency_months``;
- migrations: a technology removed and another of the same category (ecosystem, "language",
  or the tool's job) added in the same commit, or, within a window, a removal with exactly one
  such addition (a commit that removes or adds more than ``MAX_PAIRED_IN_ONE_CHANGE`` of a
  category is a reshuffle, not a migration);
- :func:`trends_view`, the typed model the terminal, ``--json`` and plots draw: for a time
  window, per technology the number of repositories showing it at the end of each bucket.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from bmad.errors import BmadError
from bmad.extractors.technology import Technology

ABANDONMENT_RULE = "abandoned-dependency"
ABANDONED_KINDS = ("dependency", "tool")
MONTH_SECONDS = 30.44 * 24 * 3600
DAY_SECONDS = 24 * 3600
MAX_PAIRED_IN_ONE_CHANGE = 3


@dataclass(frozen=True, slots=True)
class TechnologyCommit:
    id: str
    first_parent: str | None
    time: int  # author time, seconds since the epoch
    technologies: frozenset[str]  # technology keys


@dataclass(frozen=True, slots=True)
class Presence:
    technology: str
    first_seen: int
    last_seen: int
    at_tip: bool


@dataclass(frozen=True, slots=True)
class TechnologyChange:
    commit: str
    time: int
    added: frozenset[str]
    removed: frozenset[str]


@dataclass(frozen=True, slots=True)
class Episode:
    """One stretch of presence along the mainline; ``removed`` None while it lasts."""

    technology: str
    added: int
    added_commit: str
    removed: int | None = None
    removed_commit: str | None = None


@dataclass(frozen=True, slots=True)
class DeclaredEpisode:
    """An ended episode of a dependency or tool, with the technology file that declared it
    when it was added and the line of that file naming it now (1 when none does)."""

    episode: Episode
    path: str
    line: int


@dataclass(frozen=True, slots=True)
class Abandonment:
    technology: str
    added: int
    removed: int
    added_commit: str
    removed_commit: str
    threshold_months: int
    rule_id: str = ABANDONMENT_RULE

    @property
    def days(self) -> float:
        return (self.removed - self.added) / DAY_SECONDS

    @property
    def message(self) -> str:
        return (
            f"{self.technology} was added and removed again after {self.days:.0f} days "
            f"(within {self.threshold_months} months): a decision reverted"
        )


@dataclass(frozen=True, slots=True)
class Migration:
    replaced: str
    replacement: str
    time: int  # of the later of the two changes
    removed_commit: str
    added_commit: str

    @property
    def same_change(self) -> bool:
        return self.removed_commit == self.added_commit


@dataclass(frozen=True, slots=True)
class TechnologyHistory:
    """One repository's technology history."""

    name: str
    tip: str
    mainline: tuple[TechnologyCommit, ...]  # root first
    presence: tuple[Presence, ...]

    @property
    def end(self) -> int:
        """The latest author time on the mainline: where open episodes are censored."""
        return max((commit.time for commit in self.mainline), default=0)


def technology_history(
    name: str, commits: Sequence[TechnologyCommit], tip: str
) -> TechnologyHistory:
    return TechnologyHistory(
        name, tip, tuple(mainline(commits, tip)), tuple(presence(commits, tip))
    )


def mainline(commits: Sequence[TechnologyCommit], tip: str) -> list[TechnologyCommit]:
    """The tip's first-parent chain, root first."""
    by_id = {commit.id: commit for commit in commits}
    chain: list[TechnologyCommit] = []
    current: str | None = tip
    while current is not None and current in by_id:
        commit = by_id[current]
        chain.append(commit)
        current = commit.first_parent
    chain.reverse()
    return chain


def presence(commits: Sequence[TechnologyCommit], tip: str) -> list[Presence]:
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    at_tip: frozenset[str] = frozenset()
    for commit in commits:
        for key in commit.technologies:
            first[key] = min(first.get(key, commit.time), commit.time)
            last[key] = max(last.get(key, commit.time), commit.time)
        if commit.id == tip:
            at_tip = commit.technologies
    return [Presence(key, first[key], last[key], key in at_tip) for key in sorted(first)]


def changes_along(chain: Sequence[TechnologyCommit]) -> list[TechnologyChange]:
    """What each mainline commit added and removed against the one before it."""
    found: list[TechnologyChange] = []
    before: frozenset[str] = frozenset()
    for commit in chain:
        added, removed = commit.technologies - before, before - commit.technologies
        if added or removed:
            found.append(TechnologyChange(commit.id, commit.time, added, removed))
        before = commit.technologies
    return found


def episodes(changes: Iterable[TechnologyChange]) -> list[Episode]:
    open_since: dict[str, TechnologyChange] = {}
    found: list[Episode] = []
    for change in changes:
        for key in sorted(change.removed):
            start = open_since.pop(key, None)
            if start is not None:
                found.append(Episode(key, start.time, start.commit, change.time, change.commit))
        for key in sorted(change.added):
            open_since[key] = change
    found.extend(Episode(key, start.time, start.commit) for key, start in open_since.items())
    return sorted(found, key=lambda episode: (episode.added, episode.technology))


def naming_line(text: str, key: str) -> int:
    """The first line of a technology file's ``text`` naming the technology ``key`` (its name
    without the ecosystem, as a whole word), 1 when none does."""
    name = Technology.from_key(key).name.rsplit(":", 1)[-1]
    pattern = re.compile(rf"(?<![\w.-]){re.escape(name)}(?![\w-])", re.IGNORECASE)
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.search(line):
            return number
    return 1


def abandonments(found: Iterable[Episode], threshold_months: int) -> list[Abandonment]:
    """Dependencies and tools removed within ``threshold_months`` of being added."""
    limit = threshold_months * MONTH_SECONDS
    return [
        Abandonment(
            episode.technology,
            episode.added,
            episode.removed,
            episode.added_commit,
            episode.removed_commit,
            threshold_months,
        )
        for episode in found
        if episode.removed is not None
        and episode.removed_commit is not None
        and Technology.from_key(episode.technology).kind in ABANDONED_KINDS
        and episode.removed - episode.added <= limit
    ]


def _category(key: str) -> tuple[str, str]:
    technology = Technology.from_key(key)
    return technology.kind, technology.category


def _by_category(keys: Iterable[str]) -> dict[tuple[str, str], list[str]]:
    grouped: dict[tuple[str, str], list[str]] = {}
    for key in sorted(keys):
        grouped.setdefault(_category(key), []).append(key)
    return grouped


def migrations(changes: Sequence[TechnologyChange], window_days: int) -> list[Migration]:
    """Replacements: in one change, or a removal and a lone addition within the window."""
    found: list[Migration] = []
    paired_removals: set[tuple[str, str]] = set()  # (commit, technology)
    paired_additions: set[tuple[str, str]] = set()
    for change in changes:
        removed, added = _by_category(change.removed), _by_category(change.added)
        for category, gone in removed.items():
            came = added.get(category, [])
            if not came or max(len(gone), len(came)) > MAX_PAIRED_IN_ONE_CHANGE:
                continue
            for old in gone:
                paired_removals.add((change.commit, old))
                for new in came:
                    paired_additions.add((change.commit, new))
                    found.append(Migration(old, new, change.time, change.commit, change.commit))
    window = window_days * DAY_SECONDS
    for removal in changes:
        for category, gone in _by_category(removal.removed).items():
            candidates = [
                (addition, new)
                for addition in changes
                if addition.commit != removal.commit and abs(addition.time - removal.time) <= window
                for new in _by_category(addition.added).get(category, [])
                if new not in gone and (addition.commit, new) not in paired_additions
            ]
            unpaired = [old for old in gone if (removal.commit, old) not in paired_removals]
            if len(candidates) != 1 or len(unpaired) != 1:
                continue
            (addition, new), old = candidates[0], unpaired[0]
            paired_additions.add((addition.commit, new))
            paired_removals.add((removal.commit, old))
            when = max(addition.time, removal.time)
            found.append(Migration(old, new, when, removal.commit, addition.commit))
    return sorted(found, key=lambda migration: (migration.time, migration.replaced))


def present_at(chain: Sequence[TechnologyCommit], moment: int) -> frozenset[str]:
    """What the mainline showed at ``moment``: its last commit (in chain order) by then."""
    shown: frozenset[str] = frozenset()
    for commit in chain:
        if commit.time <= moment:
            shown = commit.technologies
    return shown


# -- time windows and quarters --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TimeWindow:
    start: int
    end: int
    label: str


_RELATIVE = re.compile(r"^\s*(\d+)\s*-?\s*(day|week|month|year)s?\s*$", re.IGNORECASE)
_UNIT_DAYS = {"day": 1.0, "week": 7.0, "month": 30.44, "year": 365.25}


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise BmadError(f"not a date: {text.strip()!r} (use YYYY-MM-DD)") from None


def parse_time_window(text: str, now: int) -> TimeWindow:
    """``3-months``, ``1-year``, ``2-years`` (any number of days, weeks, months or years back
    from ``now``), or a date range ``2023-01-01..2024-06-30`` (both days included)."""
    relative = _RELATIVE.match(text)
    if relative is not None:
        count, unit = int(relative.group(1)), relative.group(2).lower()
        if count < 1:
            raise BmadError(f"the time window must be at least one {unit}, got {text!r}")
        span = count * _UNIT_DAYS[unit] * DAY_SECONDS
        return TimeWindow(int(now - span), now, text.strip())
    if ".." in text:
        first, last = (_day(part) for part in text.split("..", 1))
        if last < first:
            raise BmadError(f"the time window {text!r} ends before it starts")
        start = datetime(first.year, first.month, first.day, tzinfo=UTC)
        stop = datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1)
        return TimeWindow(int(start.timestamp()), int(stop.timestamp()) - 1, text.strip())
    raise BmadError(
        f"unknown time window {text!r}: use 3-months, 1-year, 2-years or a date range "
        "such as 2023-01-01..2024-06-30"
    )


def quarter_of(moment: int) -> str:
    when = datetime.fromtimestamp(moment, UTC)
    return f"{when.year}Q{(when.month - 1) // 3 + 1}"


def buckets(window: TimeWindow) -> list[tuple[str, int]]:
    """(label, end time) of the window's buckets: weeks back from its end up to 3 months,
    calendar months up to 2 years, calendar quarters beyond (the last one ends with the window)."""
    span_days = (window.end - window.start) / DAY_SECONDS
    if span_days <= 95:
        found: list[tuple[str, int]] = []
        end = window.end
        while end > window.start:
            found.append((datetime.fromtimestamp(end, UTC).strftime("%Y-%m-%d"), end))
            end -= 7 * DAY_SECONDS
        return found[::-1]
    months = 1 if span_days <= 2 * 366 else 3
    first = datetime.fromtimestamp(window.start, UTC)
    year, month = first.year, first.month - (first.month - 1) % months
    found = []
    while True:
        label = f"{year}-{month:02d}" if months == 1 else f"{year}Q{(month - 1) // 3 + 1}"
        year, month = (
            (year + 1, month + months - 12) if month + months > 12 else (year, month + months)
        )
        following = int(datetime(year, month, 1, tzinfo=UTC).timestamp())
        found.append((label, min(following - 1, window.end)))
        if following > window.end:
            return found


# -- the view --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TechnologyRow:
    technology: str
    kind: str
    first_seen: int  # earliest in any repository
    last_seen: int
    repositories_now: int  # repositories whose tip shows it
    series: tuple[int, ...]  # repositories showing it at each bucket's end
    added_in_window: int  # additions along the mainlines inside the window
    removed_in_window: int


@dataclass(frozen=True, slots=True)
class TrendsView:
    window: TimeWindow
    bucket_labels: tuple[str, ...]
    bucket_ends: tuple[int, ...]
    repositories: int
    rows: tuple[TechnologyRow, ...]
    abandonments: tuple[tuple[str, Abandonment], ...]  # (repository, finding) in the window
    migrations: tuple[tuple[str, Migration], ...]  # (repository, migration) in the window


@dataclass(frozen=True, slots=True)
class TrendOptions:
    abandoned_dependency_months: int = 6
    migration_window_days: int = 30
    kinds: tuple[str, ...] = ()  # empty: every kind
    changed_only: bool = False  # only technologies added or removed inside the window


def trends_view(
    histories: Sequence[TechnologyHistory], window: TimeWindow, options: TrendOptions
) -> TrendsView:
    """What the window shows over the repositories (``options.kinds`` filters the rows)."""
    marks = buckets(window)
    ends = tuple(end for _, end in marks)
    series: dict[str, list[int]] = {}
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    now_count: dict[str, int] = {}
    added: dict[str, int] = {}
    removed: dict[str, int] = {}
    findings: list[tuple[str, Abandonment]] = []
    replaced: list[tuple[str, Migration]] = []
    inside = range(window.start, window.end + 1)
    for history in histories:
        for seen in history.presence:
            first[seen.technology] = min(
                first.get(seen.technology, seen.first_seen), seen.first_seen
            )
            last[seen.technology] = max(last.get(seen.technology, seen.last_seen), seen.last_seen)
            now_count[seen.technology] = now_count.get(seen.technology, 0) + int(seen.at_tip)
        for index, end in enumerate(ends):
            for key in present_at(history.mainline, end):
                series.setdefault(key, [0] * len(ends))[index] += 1
        changes = changes_along(history.mainline)
        for change in changes:
            if change.time in inside:
                for key in change.added:
                    added[key] = added.get(key, 0) + 1
                for key in change.removed:
                    removed[key] = removed.get(key, 0) + 1
        findings.extend(
            (history.name, found)
            for found in abandonments(episodes(changes), options.abandoned_dependency_months)
            if found.removed in inside
        )
        replaced.extend(
            (history.name, found)
            for found in migrations(changes, options.migration_window_days)
            if found.time in inside
        )
    rows = []
    for key in sorted(first):
        kind = Technology.from_key(key).kind
        if options.kinds and kind not in options.kinds:
            continue
        if options.changed_only and not (added.get(key) or removed.get(key)):
            continue
        rows.append(
            TechnologyRow(
                key,
                kind,
                first[key],
                last[key],
                now_count.get(key, 0),
                tuple(series.get(key, [0] * len(ends))),
                added.get(key, 0),
                removed.get(key, 0),
            )
        )
    return TrendsView(
        window,
        tuple(label for label, _ in marks),
        ends,
        len(histories),
        tuple(rows),
        tuple(findings),
        tuple(replaced),
    )


SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[int], top: int) -> str:
    """One character per value, scaled to ``top`` (a blank for zero)."""
    if top <= 0:
        return " " * len(values)
    return "".join(
        " " if value <= 0 else SPARKS[min(len(SPARKS) - 1, (value * len(SPARKS) - 1) // top)]
        for value in values
    )


def view_document(view: TrendsView) -> dict[str, object]:
    """The view as JSON-ready data (times as ISO dates)."""

    def day(moment: int) -> str:
        return datetime.fromtimestamp(moment, UTC).date().isoformat()

    return {
        "window": {
            "label": view.window.label,
            "start": day(view.window.start),
            "end": day(view.window.end),
        },
        "buckets": list(view.bucket_labels),
        "repositories": view.repositories,
        "technologies": [
            {
                "technology": row.technology,
                "kind": row.kind,
                "first_seen": day(row.first_seen),
                "last_seen": day(row.last_seen),
                "repositories_now": row.repositories_now,
                "series": list(row.series),
                "added_in_window": row.added_in_window,
                "removed_in_window": row.removed_in_window,
            }
            for row in view.rows
        ],
        "findings": [
            {
                "rule_id": found.rule_id,
                "repository": repository,
                "technology": found.technology,
                "added": day(found.added),
                "removed": day(found.removed),
                "added_commit": found.added_commit,
                "removed_commit": found.removed_commit,
                "days": round(found.days, 1),
                "threshold_months": found.threshold_months,
                "message": found.message,
            }
            for repository, found in view.abandonments
        ],
        "migrations": [
            {
                "repository": repository,
                "from": found.replaced,
                "to": found.replacement,
                "date": day(found.time),
                "same_change": found.same_change,
                "removed_commit": found.removed_commit,
                "added_commit": found.added_commit,
            }
            for repository, found in view.migrations
        ],
    }


def survival_records(history: TechnologyHistory) -> list[tuple[str, int, bool]]:
    """(kind, quarters observed, removed) per mainline episode: the input of Kaplan-Meier
    curves; an episode still open is censored at the history's end."""
    quarter = 3 * MONTH_SECONDS
    found = []
    for episode in episodes(changes_along(history.mainline)):
        ended = episode.removed is not None
        stop = episode.removed if episode.removed is not None else history.end
        found.append(
            (
                Technology.from_key(episode.technology).kind,
                int((stop - episode.added) // quarter),
                ended,
            )
        )
    return found


def first_adoptions(histories: Iterable[TechnologyHistory]) -> Mapping[str, int]:
    """Per technology, the earliest time any of the histories showed it."""
    earliest: dict[str, int] = {}
    for history in histories:
        for seen in history.presence:
            earliest[seen.technology] = min(
                earliest.get(seen.technology, seen.first_seen), seen.first_seen
            )
    return earliest
