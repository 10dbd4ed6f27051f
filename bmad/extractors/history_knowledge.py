"""Knowledge distribution: knowledge islands, orphaned files and the truck factor.

Truck factor after Avelino, Passos, Hora and Valente, "A novel approach for estimating truck
factors" (ICPC 2016):

- degree of authorship DOA(d, f) = 3.293 + 1.098 * FA + 0.164 * DL - 0.321 * ln(1 + AC), where
  FA is 1 when d created f, DL the number of d's commits on f, AC the commits by others on f;
- d is an author of f when DOA / max DOA over f's developers > 0.75 and DOA >= 3.293;
- greedily remove the developer who authors the most files until more than half of the files
  are left without a remaining author; the truck factor is the number removed.

Only files present at the end of the history are considered, as in the paper.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bmad.extractors.history import SECONDS_PER_MONTH, FileHistory

DOA_BASE = 3.293
DOA_FIRST_AUTHORSHIP = 1.098
DOA_DELIVERIES = 0.164
DOA_ACCEPTANCES = 0.321
DOA_NORMALISED_THRESHOLD = 0.75
COVERAGE_THRESHOLD = 0.5


@dataclass(frozen=True, slots=True)
class OwnedFile:
    index: int  # into the file histories
    author: str
    share: float
    inactive_months: float  # months since the author's last commit anywhere in the repository


@dataclass(frozen=True, slots=True)
class TruckFactor:
    value: int
    removed: tuple[str, ...]  # the developers whose departure orphans most files, in order
    files: int  # files considered


def degree_of_authorship(history: FileHistory, developer: str) -> float:
    deliveries = history.commits_by.get(developer, 0)
    acceptances = sum(history.commits_by.values()) - deliveries
    first = 1.0 if history.creator == developer else 0.0
    return (
        DOA_BASE
        + DOA_FIRST_AUTHORSHIP * first
        + DOA_DELIVERIES * deliveries
        - DOA_ACCEPTANCES * math.log1p(acceptances)
    )


def file_authors(history: FileHistory) -> frozenset[str]:
    developers = set(history.commits_by)
    if history.creator is not None:
        developers.add(history.creator)
    degrees = {developer: degree_of_authorship(history, developer) for developer in developers}
    if not degrees:
        return frozenset()
    best = max(degrees.values())
    return frozenset(
        developer
        for developer, degree in degrees.items()
        if degree >= DOA_BASE and degree / best > DOA_NORMALISED_THRESHOLD
    )


def truck_factor(histories: Sequence[FileHistory]) -> TruckFactor:
    authorship = [set(file_authors(history)) for history in histories if history.alive]
    total = len(authorship)
    removed: list[str] = []
    while total and _covered(authorship) / total >= COVERAGE_THRESHOLD:
        counts: dict[str, int] = {}
        for authors in authorship:
            for author in authors:
                counts[author] = counts.get(author, 0) + 1
        top = min(counts, key=lambda author: (-counts[author], author))
        removed.append(top)
        for authors in authorship:
            authors.discard(top)
    return TruckFactor(value=len(removed), removed=tuple(removed), files=total)


def _covered(authorship: Sequence[set[str]]) -> int:
    return sum(1 for authors in authorship if authors)


def main_developers(
    histories: Sequence[FileHistory], last_seen: Mapping[str, int], reference_time: int
) -> list[OwnedFile]:
    """Each file's main developer (deleted files too: the caller chooses what to show)."""
    owned: list[OwnedFile] = []
    for index, history in enumerate(histories):
        main = history.main_developer()
        if main is None:
            continue
        author, share = main
        idle = max(0.0, (reference_time - last_seen.get(author, 0)) / SECONDS_PER_MONTH)
        owned.append(OwnedFile(index, author, share, idle))
    return owned


def active_authors(
    last_seen: Mapping[str, int], reference_time: int, inactive_months: float
) -> int:
    """Authors who committed within ``inactive_months`` before ``reference_time``."""
    return sum(
        1
        for seen in last_seen.values()
        if (reference_time - seen) / SECONDS_PER_MONTH < inactive_months
    )


def knowledge_islands(
    owned: Sequence[OwnedFile], island_share: float, inactive_months: float, active: int
) -> list[OwnedFile]:
    """Files written (>= island_share of added lines) by one author who is still active, in a
    repository where someone else is active too (``active`` authors): with a single active
    author every file is theirs, and an island says nothing."""
    if active < 2:
        return []
    islands = [f for f in owned if f.share >= island_share and f.inactive_months < inactive_months]
    return sorted(islands, key=lambda f: (-f.share, f.index))


def inactive_owners(owned: Sequence[OwnedFile], inactive_months: float) -> list[OwnedFile]:
    """Files whose main developer has not committed anywhere for ``inactive_months``."""
    idle = [f for f in owned if f.inactive_months >= inactive_months]
    return sorted(idle, key=lambda f: (-f.inactive_months, -f.share, f.index))
