"""Ledger arithmetic at its boundaries: a spend that exactly fills the budget is accepted and one
more is refused, periods switch at the first moment of the next month, quarter and year, and
usage adds committed and reserved spends per learning type. Real SQLite store, fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bmad.errors import BmadError
from bmad.privacy import accounting, audit
from bmad.privacy.accounting import Spend
from bmad.privacy.db import open_privacy_store
from bmad.privacy.ledger import (
    Budget,
    BudgetExceeded,
    Ledger,
    Usage,
    check_period_key,
    period_key,
)

REPOSITORY = Budget(1.0, 1e-5)
ORGANISATION = Budget(2.0, 1e-5)
MOMENT = datetime(2026, 5, 17, 12, 0, tzinfo=UTC)


def ledger(period: str = "month", moment: datetime = MOMENT) -> Ledger:
    return Ledger(open_privacy_store(), REPOSITORY, ORGANISATION, period, lambda: moment)


@pytest.mark.parametrize(
    ("month", "quarter"), [(1, 1), (3, 1), (4, 2), (6, 2), (7, 3), (9, 3), (10, 4), (12, 4)]
)
def test_quarters_switch_after_march_june_and_september(month: int, quarter: int) -> None:
    assert period_key("quarter", datetime(2026, month, 1, tzinfo=UTC)) == f"2026-Q{quarter}"


def test_period_keys_are_zero_padded() -> None:
    moment = datetime(987, 3, 1, tzinfo=UTC)
    assert period_key("month", moment) == "0987-03"
    assert period_key("year", moment) == "0987"
    assert period_key("all", moment) == "all"
    with pytest.raises(BmadError) as raised:
        period_key("week", moment)
    assert str(raised.value) == "unknown budget period 'week' (known: month, quarter, year, all)"


@pytest.mark.parametrize(
    ("period", "good", "bad", "shown"),
    [
        ("month", ["2026-01", "2026-12"], ["2026-00", "2026-13", "2026-1", "26-01"], "YYYY-MM"),
        ("quarter", ["2026-Q1", "2026-Q4"], ["2026-Q0", "2026-Q5", "2026-q1"], "YYYY-Qn"),
        ("year", ["2026", "0001"], ["26", "20266", "2026-01"], "YYYY"),
        ("all", ["all"], ["All", "2026"], "all"),
    ],
)
def test_period_keys_are_checked_against_their_period(
    period: str, good: list[str], bad: list[str], shown: str
) -> None:
    for key in good:
        assert check_period_key(period, key) == key
    for key in bad:
        with pytest.raises(BmadError) as raised:
            check_period_key(period, key)
        message = str(raised.value)
        assert message.startswith(f"budget periods are {period}s here: give one as {shown}")
        assert message.endswith(f"got {key!r}")


def test_a_spend_that_exactly_fills_the_budget_is_accepted_and_one_more_is_not() -> None:
    book = ledger()
    limit = REPOSITORY.rho
    book.reserve("/r", "org", "code_patterns", Spend(limit / 2))
    book.reserve("/r", "org", "code_patterns", Spend(limit / 2))
    usage = book.usage("repository", "/r")
    assert usage.reserved_rho == pytest.approx(limit)
    assert usage.remaining_rho == 0.0
    with pytest.raises(BudgetExceeded) as raised:
        book.reserve("/r", "org", "code_patterns", Spend(limit * 1e-9))
    assert str(raised.value).startswith(
        f"privacy budget exhausted for this repository in period 2026-05: rho {limit:.6g} used "
        f"of {limit:.6g}, this release needs"
    )
    # A zero spend always fits.
    book.reserve("/r", "org", "code_patterns", Spend(0.0))


def test_the_organisation_budget_binds_across_repositories() -> None:
    # An organisation budget of epsilon 2 is about 3.54 repository budgets of epsilon 1: three
    # full repositories and the rest on a fourth fill it exactly.
    book = ledger()
    for repository in ("/a", "/b", "/c"):
        book.reserve(repository, "org", "t", Spend(REPOSITORY.rho))
    book.reserve("/d", "org", "t", Spend(ORGANISATION.rho - 3 * REPOSITORY.rho))
    with pytest.raises(BudgetExceeded, match=r"^privacy budget exhausted for this organisation"):
        book.reserve("/e", "org", "t", Spend(ORGANISATION.rho * 1e-6))
    # Another organisation's budget is untouched.
    book.reserve("/e", "other", "t", Spend(REPOSITORY.rho))


def test_a_new_period_starts_with_a_full_budget() -> None:
    store = open_privacy_store()
    may = Ledger(store, REPOSITORY, ORGANISATION, "month", lambda: MOMENT)
    may.reserve("/r", "org", "t", Spend(REPOSITORY.rho))
    june = Ledger(
        store, REPOSITORY, ORGANISATION, "month", lambda: datetime(2026, 6, 1, tzinfo=UTC)
    )
    june.reserve("/r", "org", "t", Spend(REPOSITORY.rho))
    assert june.usage("repository", "/r", "2026-05").reserved_rho == pytest.approx(REPOSITORY.rho)
    assert june.current_period() == "2026-06"
    # The same store with a quarterly ledger sees both months in one quarter... under its own
    # keys, so nothing recorded monthly counts against it.
    quarterly = Ledger(store, REPOSITORY, ORGANISATION, "quarter", lambda: MOMENT)
    assert quarterly.usage("repository", "/r").reserved_rho == 0.0


def test_negative_spends_are_refused() -> None:
    with pytest.raises(BmadError, match=r"^a spend needs a non-negative rho$"):
        ledger().reserve("/r", "org", "t", Spend(-1e-9))
    with pytest.raises(BmadError, match=r"^a spend needs a non-negative rho$"):
        ledger().reserve("/r", "org", "t", Spend(float("nan")))


def test_usage_splits_committed_and_reserved_per_learning_type() -> None:
    book = ledger()
    first = book.reserve("/r", "org", "code_patterns", Spend(0.001, 0.04))
    book.reserve("/r", "org", "anti_patterns", Spend(0.002, 0.06))
    third = book.reserve("/r", "org", "code_patterns", Spend(0.004))
    book.commit(first.id)
    book.release(third.id)
    usage = book.usage("repository", "/r")
    assert (usage.spent_rho, usage.reserved_rho) == (0.001, 0.002)
    assert usage.by_type == {
        "code_patterns": {"spent_rho": 0.001, "reserved_rho": 0.0},
        "anti_patterns": {"spent_rho": 0.0, "reserved_rho": 0.002},
    }
    assert usage.spent == accounting.compose([Spend(0.001, 0.04), Spend(0.002, 0.06)], 1e-5)
    assert usage.remaining_rho == pytest.approx(REPOSITORY.rho - 0.003)
    shown = usage.to_dict()
    assert shown["used_pure_epsilon"] == pytest.approx(0.1)
    assert shown["remaining_rho"] == usage.remaining_rho
    assert shown["budget"] == {"epsilon": 1.0, "delta": 1e-5}
    assert shown["by_learning_type"] == usage.by_type
    assert book.subjects("repository") == ["/r"]
    assert book.subjects("organisation") == ["org"]


def test_usage_of_an_untouched_subject() -> None:
    usage = ledger().usage("organisation", "nobody")
    assert usage == Usage(
        "organisation", "nobody", "2026-05", ORGANISATION, ORGANISATION.rho, 0.0, 0.0, {}, None
    )
    shown = usage.to_dict()
    assert (shown["used_epsilon"], shown["used_pure_epsilon"]) == (None, None)
    assert shown["remaining_rho"] == ORGANISATION.rho


def test_a_ledger_with_an_unknown_period_is_refused() -> None:
    with pytest.raises(BmadError, match=r"^unknown budget period 'fortnight'"):
        ledger(period="fortnight")


def test_budget_text_and_rho() -> None:
    budget = Budget.parse("epsilon=1.0,delta=1e-5")
    assert budget == Budget(1.0, 1e-5)
    assert budget.rho == accounting.rho_budget(1.0, 1e-5)


def test_every_step_is_audited_with_what_it_did() -> None:
    book = ledger()
    first = book.reserve("/r", "org", "code_patterns", Spend(0.001, 0.04))
    second = book.reserve("/r", "org", "anti_patterns", Spend(0.002))
    book.commit(first.id, {"digest": "abc", "to": "aggregator"})
    book.release(second.id)
    book.commit(book.reserve("/r", "org", "t", Spend(0.0)).id)
    logged = [(entry.kind, entry.detail) for entry in audit.entries(book.store)]
    assert logged[:5] == [
        (
            "budget_reserved",
            {
                "reservation": first.id,
                "repository": "/r",
                "organisation": "org",
                "period": "2026-05",
                "learning_type": "code_patterns",
                "rho": 0.001,
                "epsilon": 0.04,
            },
        ),
        (
            "budget_reserved",
            {
                "reservation": second.id,
                "repository": "/r",
                "organisation": "org",
                "period": "2026-05",
                "learning_type": "anti_patterns",
                "rho": 0.002,
                "epsilon": None,
            },
        ),
        ("budget_committed", {"reservation": first.id}),
        ("payload_sent", {"digest": "abc", "to": "aggregator", "reservation": first.id}),
        ("budget_released", {"reservation": second.id}),
    ]
    # A commit without a payload record audits the commit only.
    assert [kind for kind, _ in logged[5:]] == ["budget_reserved", "budget_committed"]


def test_reservations_are_unique_and_finish_once() -> None:
    book = ledger()
    ids = {book.reserve("/r", "org", "t", Spend(0.0)).id for _ in range(20)}
    assert len(ids) == 20 and all(len(value) == 32 for value in ids)
    reservation = book.reserve("/r", "org", "t", Spend(0.001))
    assert (reservation.repository, reservation.organisation) == ("/r", "org")
    assert (reservation.period, reservation.learning_type) == ("2026-05", "t")
    book.commit(reservation.id)
    with pytest.raises(BmadError) as raised:
        book.commit(reservation.id)
    assert str(raised.value) == f"no open reservation {reservation.id}"
    # the committed spend stays on both subjects
    assert book.usage("organisation", "org").spent_rho == 0.001


def test_usage_as_a_document() -> None:
    book = ledger()
    book.commit(book.reserve("/r", "org", "code_patterns", Spend(0.001, 0.04)).id)
    usage = book.usage("repository", "/r")
    assert usage.spent is not None
    assert usage.to_dict() == {
        "scope": "repository",
        "subject": "/r",
        "period": "2026-05",
        "budget": {"epsilon": 1.0, "delta": 1e-5},
        "total_rho": REPOSITORY.rho,
        "spent_rho": 0.001,
        "reserved_rho": 0.0,
        "remaining_rho": REPOSITORY.rho - 0.001,
        "used_epsilon": usage.spent.epsilon,
        "used_pure_epsilon": 0.04,
        "by_learning_type": {"code_patterns": {"spent_rho": 0.001, "reserved_rho": 0.0}},
        "lifetime_rho": None,  # this ledger has no lifetime budget
        "lifetime_used_rho": 0.001,
    }


def test_the_slack_admits_exactly_the_budget_times_one_plus_1e_12() -> None:
    book = ledger()
    spend = Spend(REPOSITORY.rho * (1 + 1e-12))
    reservation = book.reserve("/r", "org", "t", spend)
    assert reservation.spend == spend


def test_a_ledger_checks_period_keys_against_its_own_period() -> None:
    assert ledger(period="quarter").checked_period("2026-Q2") == "2026-Q2"
    with pytest.raises(BmadError, match=r"^budget periods are quarters here"):
        ledger(period="quarter").checked_period("2026-05")


def test_spends_of_one_learning_type_add_up() -> None:
    book = ledger()
    for rho in (0.001, 0.002):
        book.commit(book.reserve("/r", "org", "code_patterns", Spend(rho)).id)
    usage = book.usage("repository", "/r")
    assert usage.spent_rho == pytest.approx(0.003)
    assert usage.by_type["code_patterns"]["spent_rho"] == pytest.approx(0.003)
