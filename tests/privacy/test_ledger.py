"""The budget ledger: refusal, atomicity under concurrent threads, crash safety."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bmad.errors import BmadError
from bmad.privacy import accounting, audit
from bmad.privacy.accounting import Spend
from bmad.privacy.db import open_privacy_store
from bmad.privacy.ledger import Budget, BudgetExceeded, Ledger, period_key
from bmad.store.connection import data_store_path

REPO_BUDGET = Budget(1.0, 1e-5)
ORG_BUDGET = Budget(2.0, 1e-5)


def _ledger(**kwargs) -> Ledger:  # type: ignore[no-untyped-def]
    return Ledger(open_privacy_store(), REPO_BUDGET, ORG_BUDGET, **kwargs)


def test_reserve_commit_release_and_usage() -> None:
    ledger = _ledger()
    quarter = REPO_BUDGET.rho / 4
    first = ledger.reserve("/r", "org", "code_patterns", Spend(quarter))
    second = ledger.reserve("/r", "org", "anti_patterns", Spend(quarter))
    ledger.commit(first.id)
    usage = ledger.usage("repository", "/r")
    assert usage.spent_rho == pytest.approx(quarter)
    assert usage.reserved_rho == pytest.approx(quarter)
    assert usage.remaining_rho == pytest.approx(REPO_BUDGET.rho / 2)
    assert set(usage.by_type) == {"code_patterns", "anti_patterns"}
    assert usage.spent is not None
    assert usage.spent.epsilon == pytest.approx(accounting.zcdp_to_epsilon(2 * quarter, 1e-5))
    ledger.release(second.id)
    assert ledger.usage("repository", "/r").remaining_rho == pytest.approx(3 * quarter)
    with pytest.raises(BmadError, match="no open reservation"):
        ledger.release(second.id)  # released once only
    with pytest.raises(BmadError, match="no open reservation"):
        ledger.release(first.id)  # a committed spend can never be given back
    kinds = [entry.kind for entry in audit.entries(ledger.store)]
    assert kinds == ["budget_reserved", "budget_reserved", "budget_committed", "budget_released"]


def test_a_spend_over_the_budget_is_refused_and_changes_nothing() -> None:
    ledger = _ledger()
    ledger.reserve("/r", "org", "code_patterns", Spend(REPO_BUDGET.rho * 0.9))
    with pytest.raises(BudgetExceeded, match="budget exhausted for this repository"):
        ledger.reserve("/r", "org", "code_patterns", Spend(REPO_BUDGET.rho * 0.2))
    assert ledger.usage("organisation", "org").reserved_rho == pytest.approx(REPO_BUDGET.rho * 0.9)
    assert len(audit.entries(ledger.store)) == 1
    # another repository of the same organisation runs into the organisation's budget
    for other in ("/b", "/c", "/d"):  # 3.6 repository budgets > one organisation budget (3.54)
        if other == "/d":
            with pytest.raises(BudgetExceeded, match="organisation"):
                ledger.reserve(other, "org", "code_patterns", Spend(REPO_BUDGET.rho * 0.9))
        else:
            ledger.reserve(other, "org", "code_patterns", Spend(REPO_BUDGET.rho * 0.9))
    assert ledger.usage("repository", "/d").reserved_rho == 0


def test_pure_dp_spends_keep_their_epsilon() -> None:
    ledger = _ledger()
    ledger.reserve("/r", "org", "t", Spend(accounting.pure_to_zcdp(0.1), 0.1))
    ledger.reserve("/r", "org", "t", Spend(accounting.pure_to_zcdp(0.2), 0.2))
    usage = ledger.usage("repository", "/r")
    assert usage.spent is not None
    assert usage.spent.pure_epsilon == pytest.approx(0.3)


def test_periods_are_separate() -> None:
    moments = iter([datetime(2026, 1, 31, tzinfo=UTC)] * 3 + [datetime(2026, 2, 1, tzinfo=UTC)] * 3)
    ledger = _ledger(clock=lambda: next(moments))
    ledger.reserve("/r", "org", "t", Spend(REPO_BUDGET.rho))
    ledger.reserve("/r", "org", "t", Spend(REPO_BUDGET.rho))  # February: a fresh budget
    assert period_key("quarter", datetime(2026, 5, 1)) == "2026-Q2"
    assert period_key("year", datetime(2026, 5, 1)) == "2026"
    assert period_key("all", datetime(2026, 5, 1)) == "all"
    with pytest.raises(BmadError, match="unknown budget period"):
        _ledger(period="fortnight")


def test_concurrent_threads_cannot_overspend() -> None:
    open_privacy_store().close()  # migrate once up front
    step = REPO_BUDGET.rho / 10
    granted: list[str] = []
    refused: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def worker() -> None:
        ledger = _ledger()  # its own connection, as separate processes would have
        barrier.wait()
        for _ in range(5):
            try:
                reservation = ledger.reserve("/r", "org", "t", Spend(step))
            except BudgetExceeded:
                with lock:
                    refused.append("x")
            else:
                with lock:
                    granted.append(reservation.id)
        ledger.store.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(granted) == 10
    assert len(refused) == 30
    usage = _ledger().usage("repository", "/r")
    assert usage.reserved_rho == pytest.approx(REPO_BUDGET.rho)
    assert usage.reserved_rho <= REPO_BUDGET.rho * (1 + 1e-9)


CRASHING_CLIENT = """
import os
from bmad.privacy.accounting import Spend
from bmad.privacy.db import open_privacy_store
from bmad.privacy.ledger import Budget, Ledger
ledger = Ledger(open_privacy_store(), Budget(1.0, 1e-5), Budget(2.0, 1e-5))
ledger.reserve("/r", "org", "code_patterns", Spend(Budget(1.0, 1e-5).rho * 0.75))
os._exit(9)  # dies after reserving, before sending, committing or releasing
"""


def test_a_crash_between_reserve_and_send_never_frees_budget(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-c", CRASHING_CLIENT], check=False)
    assert result.returncode == 9
    assert data_store_path().exists()
    ledger = _ledger()
    usage = ledger.usage("repository", "/r")
    assert usage.reserved_rho == pytest.approx(REPO_BUDGET.rho * 0.75)
    with pytest.raises(BudgetExceeded):
        ledger.reserve("/r", "org", "code_patterns", Spend(REPO_BUDGET.rho * 0.5))


def test_budget_parsing() -> None:
    assert Budget.parse("epsilon=2,delta=1e-6") == Budget(2.0, 1e-6)
    with pytest.raises(BmadError):
        Budget.parse("epsilon=2")


def test_a_lifetime_budget_holds_across_periods_that_reset() -> None:
    """Each month starts a fresh period budget; the lifetime budget never comes back."""
    now = [datetime(2026, 1, 15, tzinfo=UTC)]
    per_period = Budget(1.0, 1e-5)
    lifetime = Budget(1.5, 1e-5)
    ledger = Ledger(
        open_privacy_store(),
        per_period,
        per_period,
        "month",
        clock=lambda: now[0],
        lifetime=(lifetime, Budget(100.0, 1e-5)),
    )
    spend = Spend(per_period.rho)  # one whole period budget per month
    ledger.reserve("repo", "org", "code_patterns", spend)  # January
    now[0] = datetime(2026, 2, 15, tzinfo=UTC)  # a new period
    ledger.reserve("repo", "org", "code_patterns", spend)
    now[0] = datetime(2026, 3, 15, tzinfo=UTC)
    with pytest.raises(BudgetExceeded, match="lifetime privacy budget exhausted"):
        ledger.reserve("repo", "org", "code_patterns", spend)  # March: the lifetime is spent
    usage = ledger.usage("repository", "repo")
    assert usage.spent_rho + usage.reserved_rho == 0  # March itself is untouched
    assert usage.lifetime_used_rho == pytest.approx(2 * per_period.rho)
    assert usage.lifetime_rho == pytest.approx(lifetime.rho)
    assert usage.to_dict()["lifetime_used_rho"] == pytest.approx(2 * per_period.rho)
