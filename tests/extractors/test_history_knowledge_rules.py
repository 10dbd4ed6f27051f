"""Knowledge distribution at its thresholds, worked by hand from Avelino et al.'s definitions.

DOA = 3.293 + 1.098 FA + 0.164 DL - 0.321 ln(1 + AC); an author of a file has DOA >= 3.293 and
DOA / max DOA > 0.75. The truck factor removes top authors until fewer than half of the files
keep an author. Islands: main developer's share >= the island share, still active; inactive
owners: idle for at least the given months.
"""

from __future__ import annotations

import math

import pytest

from bmad.extractors.history import SECONDS_PER_MONTH, FileHistory
from bmad.extractors.history_knowledge import (
    OwnedFile,
    active_authors,
    degree_of_authorship,
    file_authors,
    inactive_owners,
    knowledge_islands,
    main_developers,
    truck_factor,
)


def history(
    creator: str | None, alive: bool = True, added: dict[str, int] | None = None, **commits: int
) -> FileHistory:
    return FileHistory(
        path="f",
        alive=alive,
        creator=creator,
        commits_by=dict(commits),
        added_by=dict(added or {}),
    )


def test_degree_of_authorship_is_the_papers_linear_model() -> None:
    # ann created the file and made 3 of its 5 commits: DL 3, AC 2.
    doa = degree_of_authorship(history("ann", ann=3, bob=2), "ann")
    assert doa == pytest.approx(3.293 + 1.098 + 0.164 * 3 - 0.321 * math.log(3), rel=1e-12)
    # bob: not the creator, DL 2, AC 3.
    doa = degree_of_authorship(history("ann", ann=3, bob=2), "bob")
    assert doa == pytest.approx(3.293 + 0.164 * 2 - 0.321 * math.log(4), rel=1e-12)
    # someone who never touched it: DL 0, AC 5.
    assert degree_of_authorship(history("ann", ann=3, bob=2), "cat") == pytest.approx(
        3.293 - 0.321 * math.log(6), rel=1e-12
    )


def test_an_author_needs_the_base_degree_and_three_quarters_of_the_best() -> None:
    # Alone on a file: DOA 3.293 + 0.164 * 1 >= 3.293, ratio 1: an author.
    assert file_authors(history(None, ann=1)) == {"ann"}
    # The creator counts even without a counted commit: DOA 3.293 + 1.098 = 4.391.
    assert file_authors(history("ann")) == {"ann"}
    # bob with 1 commit after ann's 1 as creator: ann 3.293 + 1.098 + 0.164 - 0.321 ln 2 = 4.3325,
    # bob 3.293 + 0.164 - 0.321 ln 2 = 3.2345 < 3.293: not an author.
    assert file_authors(history("ann", ann=1, bob=1)) == {"ann"}
    assert file_authors(history(None)) == frozenset()


def test_the_ratio_to_the_best_must_exceed_three_quarters() -> None:
    # Without a creator, DOA_ann = 3.293 + 0.164 a - 0.321 ln(1 + b) and symmetrically for bob.
    # ann 20 commits, bob 2: ann 3.293 + 3.28 - 0.321 ln 3 = 6.2203; bob 3.293 + 0.328 -
    # 0.321 ln 21 = 2.6438: below the base. With bob at 12: bob 3.293 + 1.968 - 0.321 ln 21 =
    # 4.2837 >= 3.293 and 4.2837 / (3.293 + 3.28 - 0.321 ln 13 = 5.7497) = 0.745 <= 0.75.
    assert file_authors(history(None, ann=20, bob=12)) == {"ann"}
    # bob at 13: 4.4477 / (3.293 + 3.28 - 0.321 ln 14 = 5.7259) = 0.777 > 0.75: both.
    assert file_authors(history(None, ann=20, bob=13)) == {"ann", "bob"}


def test_truck_factor_removes_top_authors_until_half_the_files_are_orphaned() -> None:
    files = [history(None, ann=1)] * 3 + [history(None, bob=1)] * 2 + [history(None, cat=1)]
    # 6 files: removing ann leaves 3 of 6 covered (exactly half: keep going); removing bob
    # leaves 1 of 6. Truck factor 2.
    factor = truck_factor(files)
    assert (factor.value, factor.removed, factor.files) == (2, ("ann", "bob"), 6)


def test_truck_factor_ties_go_to_the_first_name_and_deleted_files_do_not_count() -> None:
    files = [history(None, bob=1), history(None, ann=1), history(None, ann=1, alive=False)]
    factor = truck_factor(files)
    # ann and bob author one live file each: ann goes first (name order), then 1 of 2 is
    # covered, exactly half, so bob goes too.
    assert (factor.value, factor.removed, factor.files) == (2, ("ann", "bob"), 2)
    assert truck_factor([]).value == 0


def test_main_developers_measure_idle_months_from_last_seen() -> None:
    month = SECONDS_PER_MONTH
    now = round(100 * month)
    histories = [
        history("ann", added={"ann": 30, "bob": 10}, ann=2, bob=1),
        history(None),  # nobody added or committed: no main developer
        history("bob", added={"bob": 5}, bob=1),
    ]
    owned = main_developers(histories, {"ann": now - round(3 * month)}, now)
    assert [(f.index, f.author, f.share) for f in owned] == [(0, "ann", 0.75), (2, "bob", 1.0)]
    # ann was seen 3 months ago; bob never (idle since the epoch: 100 months).
    assert [f.inactive_months for f in owned] == [
        pytest.approx(3.0, abs=1e-6),
        pytest.approx(100.0, abs=1e-6),
    ]
    # last seen after the reference time: never negative
    (future,) = main_developers(histories[2:], {"bob": now + 10}, now)
    assert future.inactive_months == 0.0


def test_islands_and_inactive_owners_at_their_thresholds() -> None:
    owned = [
        OwnedFile(0, "ann", 0.95, 0.0),
        OwnedFile(1, "bob", 0.949, 0.0),
        OwnedFile(2, "cat", 1.0, 5.99),
        OwnedFile(3, "dan", 1.0, 6.0),
        OwnedFile(4, "eve", 0.97, 1.0),
    ]
    islands = knowledge_islands(owned, island_share=0.95, inactive_months=6.0, active=2)
    # share >= 0.95 and idle < 6 months; highest share first, then file order.
    assert [f.index for f in islands] == [2, 4, 0]
    # with one active author (or none) every file is theirs: no island
    assert knowledge_islands(owned, island_share=0.95, inactive_months=6.0, active=1) == []
    idle = inactive_owners(owned, inactive_months=6.0)
    assert [f.index for f in idle] == [3]
    ordered = inactive_owners(
        [OwnedFile(0, "a", 0.5, 7.0), OwnedFile(1, "b", 0.9, 7.0), OwnedFile(2, "c", 0.1, 9.0)],
        inactive_months=6.0,
    )
    # longest idle first, then larger share, then file order
    assert [f.index for f in ordered] == [2, 1, 0]


def test_truck_factor_removes_the_author_of_most_files_not_the_first_name() -> None:
    files = [history(None, zed=1)] * 3 + [history(None, amy=1)] * 2 + [history(None, bob=1)]
    # zed authors 3 of 6: removing zed leaves 3 of 6 covered (half: go on), removing amy
    # leaves 1 of 6. By name order it would take amy, bob and zed.
    factor = truck_factor(files)
    assert (factor.value, factor.removed) == (2, ("zed", "amy"))


def test_active_authors_are_those_seen_within_the_inactivity_window() -> None:
    month = SECONDS_PER_MONTH
    now = round(100 * month)
    last_seen = {"ann": now, "bob": now - round(5.9 * month), "cat": now - round(6 * month)}
    assert active_authors(last_seen, now, inactive_months=6.0) == 2
    assert active_authors({}, now, inactive_months=6.0) == 0
