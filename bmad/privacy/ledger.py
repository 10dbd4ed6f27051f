"""The persisted privacy budget ledger (zCDP per repository and per organisation).

Every spend charges two subjects: the repository it describes and the organisation (the
participant, the privacy unit). Its life is reserve -> commit (sent) or reserve -> release
(nothing was sent). Each step is one ``BEGIN IMMEDIATE`` transaction, so concurrent reservers
are serialised by SQLite and cannot overspend. A reservation counts as spent until it is
released; nothing releases it automatically, so a crash between reserving and sending can only
waste budget, never free budget that may have been used.

Budgets are (epsilon, delta) per period, converted once to a rho budget (CKS20, see
``accounting``); spends are charged in rho, and pure-DP spends also keep their epsilon. Besides
the per-period budgets, optional lifetime budgets bound the sum over every period: periods
reset, a subject's lifetime loss does not.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from bmad.errors import BmadError
from bmad.privacy import accounting, audit
from bmad.privacy.accounting import Spend
from bmad.privacy.db import timestamp, utc_now
from bmad.store.connection import Store

Period = Literal["month", "quarter", "year", "all"]
PERIODS: tuple[str, ...] = ("month", "quarter", "year", "all")
Scope = Literal["repository", "organisation"]
_RHO_SLACK = 1e-12  # float rounding when many spends add up exactly to the budget


def period_key(period: str, moment: datetime) -> str:
    if period == "month":
        return f"{moment.year:04d}-{moment.month:02d}"
    if period == "quarter":
        return f"{moment.year:04d}-Q{(moment.month - 1) // 3 + 1}"
    if period == "year":
        return f"{moment.year:04d}"
    if period == "all":
        return "all"
    raise BmadError(f"unknown budget period {period!r} (known: {', '.join(PERIODS)})")


# The key of each kind of period, as period_key writes it: (what to show, full match).
PERIOD_KEY_FORMS: dict[str, tuple[str, str]] = {
    "month": ("YYYY-MM, e.g. 2026-10", r"\d{4}-(0[1-9]|1[0-2])"),
    "quarter": ("YYYY-Qn, e.g. 2026-Q3", r"\d{4}-Q[1-4]"),
    "year": ("YYYY, e.g. 2026", r"\d{4}"),
    "all": ("all", "all"),
}


def check_period_key(period: str, key: str) -> str:
    """``key`` when it names one ``period`` (as :func:`period_key` spells it); a usage error
    otherwise, so that a typo is not reported as an untouched budget."""
    shown, pattern = PERIOD_KEY_FORMS[period]
    if re.fullmatch(pattern, key) is None:
        raise BmadError(f"budget periods are {period}s here: give one as {shown}, got {key!r}")
    return key


@dataclass(frozen=True, slots=True)
class Budget:
    epsilon: float
    delta: float

    @property
    def rho(self) -> float:
        return accounting.rho_budget(self.epsilon, self.delta)

    @classmethod
    def parse(cls, text: str) -> Budget:
        epsilon, delta = accounting.parse_budget(text)
        return cls(epsilon, delta)


@dataclass(frozen=True, slots=True)
class Reservation:
    id: str
    repository: str
    organisation: str
    period: str
    learning_type: str
    spend: Spend


@dataclass(frozen=True, slots=True)
class Usage:
    scope: str
    subject: str
    period: str
    budget: Budget
    total_rho: float
    spent_rho: float  # committed
    reserved_rho: float  # reserved, not yet committed or released
    by_type: dict[str, dict[str, float]] = field(default_factory=dict)
    spent: accounting.Guarantee | None = None  # committed + reserved, as (epsilon, delta)
    lifetime_rho: float | None = None  # the subject's budget over every period
    lifetime_used_rho: float = 0.0  # committed + reserved over every period

    @property
    def remaining_rho(self) -> float:
        return max(0.0, self.total_rho - self.spent_rho - self.reserved_rho)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "subject": self.subject,
            "period": self.period,
            "budget": {"epsilon": self.budget.epsilon, "delta": self.budget.delta},
            "total_rho": self.total_rho,
            "spent_rho": self.spent_rho,
            "reserved_rho": self.reserved_rho,
            "remaining_rho": self.remaining_rho,
            "used_epsilon": None if self.spent is None else self.spent.epsilon,
            "used_pure_epsilon": None if self.spent is None else self.spent.pure_epsilon,
            "by_learning_type": self.by_type,
            "lifetime_rho": self.lifetime_rho,
            "lifetime_used_rho": self.lifetime_used_rho,
        }


class BudgetExceeded(BmadError):
    pass


class Ledger:
    def __init__(
        self,
        store: Store,
        repository_budget: Budget,
        organisation_budget: Budget,
        period: str = "month",
        clock: Callable[[], datetime] = utc_now,
        organisation_share: float = 1.0,
        lifetime: tuple[Budget, Budget] | None = None,
    ) -> None:
        period_key(period, clock())  # validates the period name
        if not 0 < organisation_share <= 1:
            raise BmadError("a machine's share of its organisation's budget must be in (0, 1]")
        self.store = store
        self.budgets = {"repository": repository_budget, "organisation": organisation_budget}
        # the share of the organisation's budget this machine may spend: its organisation key
        # certified it at join, and the shares of all its machines add up to at most 1
        self.shares = {"repository": 1.0, "organisation": organisation_share}
        # (repository, organisation) budgets over every period together
        self.lifetime = (
            None if lifetime is None else {"repository": lifetime[0], "organisation": lifetime[1]}
        )
        self.period = period
        self.clock = clock

    def current_period(self) -> str:
        return period_key(self.period, self.clock())

    def checked_period(self, key: str) -> str:
        """``key`` when it names one of this ledger's periods (a usage error otherwise)."""
        return check_period_key(self.period, key)

    def reserve(
        self, repository: str, organisation: str, learning_type: str, spend: Spend
    ) -> Reservation:
        """Reserve ``spend`` on both subjects, or raise BudgetExceeded and change nothing."""
        if not spend.rho >= 0:
            raise BmadError("a spend needs a non-negative rho")
        period = self.current_period()
        reservation = Reservation(
            secrets.token_hex(16), repository, organisation, period, learning_type, spend
        )
        now = timestamp(self.clock())
        with self.store.transaction() as connection:
            for scope, subject in (("repository", repository), ("organisation", organisation)):
                used = self._used_rho(scope, subject, period)
                limit = self.limit(scope)
                if used + spend.rho > limit * (1 + _RHO_SLACK):
                    raise BudgetExceeded(
                        f"privacy budget exhausted for this {scope} in period {period}: "
                        f"rho {used:.6g} used of {limit:.6g}, this release needs {spend.rho:.6g}"
                    )
                lifetime = self.lifetime_limit(scope)
                ever = self._used_rho(scope, subject, None)
                if lifetime is not None and ever + spend.rho > lifetime * (1 + _RHO_SLACK):
                    raise BudgetExceeded(
                        f"lifetime privacy budget exhausted for this {scope}: rho {ever:.6g} "
                        f"used of {lifetime:.6g} over every period, this release needs "
                        f"{spend.rho:.6g}"
                    )
                connection.execute(
                    "INSERT INTO privacy_spends (reservation, scope, subject, period, "
                    "learning_type, rho, epsilon, state, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, 'reserved', ?, ?)",
                    (
                        reservation.id,
                        scope,
                        subject,
                        period,
                        learning_type,
                        spend.rho,
                        spend.epsilon,
                        now,
                        now,
                    ),
                )
            audit.append(
                connection,
                "budget_reserved",
                {
                    "reservation": reservation.id,
                    "repository": repository,
                    "organisation": organisation,
                    "period": period,
                    "learning_type": learning_type,
                    "rho": spend.rho,
                    "epsilon": spend.epsilon,
                },
            )
        return reservation

    def commit(self, reservation_id: str, sent: dict[str, Any] | None = None) -> None:
        """The payload was sent: the reservation becomes a spend for good.

        ``sent`` (the payload digest and where it went) is audited in the same transaction.
        """
        self._finish(reservation_id, "committed", "budget_committed", sent)

    def release(self, reservation_id: str) -> None:
        """Nothing was sent: give the reserved budget back. Never call it after sending."""
        self._finish(reservation_id, "released", "budget_released", None)

    def _finish(
        self, reservation_id: str, state: str, kind: str, sent: dict[str, Any] | None
    ) -> None:
        with self.store.transaction() as connection:
            updated = connection.execute(
                "UPDATE privacy_spends SET state = ?, updated_at = ? "
                "WHERE reservation = ? AND state = 'reserved'",
                (state, timestamp(self.clock()), reservation_id),
            ).rowcount
            if updated == 0:
                raise BmadError(f"no open reservation {reservation_id}")
            audit.append(connection, kind, {"reservation": reservation_id})
            if sent is not None:
                audit.append(connection, "payload_sent", {**sent, "reservation": reservation_id})

    def _used_rho(self, scope: str, subject: str, period: str | None) -> float:
        """Reserved and committed rho in ``period`` (None: over every period)."""
        row = self.store.connection.execute(
            "SELECT COALESCE(SUM(rho), 0) FROM privacy_spends WHERE scope = ? AND subject = ? "
            "AND (? IS NULL OR period = ?) AND state IN ('reserved', 'committed')",
            (scope, subject, period, period),
        ).fetchone()
        return float(row[0])

    def lifetime_limit(self, scope: str) -> float | None:
        """The rho this machine may spend on ``scope`` over every period (None: unbounded)."""
        if self.lifetime is None:
            return None
        return self.lifetime[scope].rho * self.shares[scope]

    def usage(self, scope: Scope, subject: str, period: str | None = None) -> Usage:
        period = period or self.current_period()
        rows = self.store.connection.execute(
            "SELECT learning_type, state, rho, epsilon FROM privacy_spends "
            "WHERE scope = ? AND subject = ? AND period = ? AND state != 'released'",
            (scope, subject, period),
        ).fetchall()
        spent = reserved = 0.0
        by_type: dict[str, dict[str, float]] = {}
        spends = []
        for learning_type, state, rho, epsilon in rows:
            entry = by_type.setdefault(str(learning_type), {"spent_rho": 0.0, "reserved_rho": 0.0})
            key = "spent_rho" if state == "committed" else "reserved_rho"
            entry[key] += float(rho)
            if state == "committed":
                spent += float(rho)
            else:
                reserved += float(rho)
            spends.append(Spend(float(rho), None if epsilon is None else float(epsilon)))
        budget = self.budgets[scope]
        guarantee = accounting.compose(spends, budget.delta) if spends else None
        return Usage(
            scope,
            subject,
            period,
            budget,
            self.limit(scope),
            spent,
            reserved,
            by_type,
            guarantee,
            self.lifetime_limit(scope),
            self._used_rho(scope, subject, None),
        )

    def limit(self, scope: str) -> float:
        """The rho this machine may spend on ``scope`` per period."""
        return self.budgets[scope].rho * self.shares[scope]

    def subjects(self, scope: Scope) -> list[str]:
        rows = self.store.connection.execute(
            "SELECT DISTINCT subject FROM privacy_spends WHERE scope = ? ORDER BY subject", (scope,)
        )
        return [str(row[0]) for row in rows]
