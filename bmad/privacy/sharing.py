"""The privacy layer's edge: settings, local statistics of a repository, preview and release.

``prepare_release`` is the one way a payload is made for sending: it checks consent, reserves
the budget (refused before anything exists to send), then adds the noise. The caller sends the
bytes and calls ``confirm_sent`` (commits the spend and audits the payload digest in one
transaction) or, if nothing was sent, ``abandon`` (releases the reservation).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bmad.config import require_int, require_positive
from bmad.errors import BmadError
from bmad.privacy import consent
from bmad.privacy.accounting import Spend
from bmad.privacy.db import timestamp, utc_now
from bmad.privacy.ledger import PERIODS, Budget, BudgetExceeded, Ledger, Reservation
from bmad.privacy.noise import NoisePlan, plan_gaussian, plan_laplace
from bmad.privacy.payloads import Payload, build_payload, digest, serialise
from bmad.privacy.schemas import BoundedContribution, bounded_contribution, schema_for
from bmad.privacy.summaries import LocalStatistics
from bmad.store.connection import Store


@dataclass(frozen=True, slots=True)
class PrivacySettings:
    repository_budget: Budget
    organisation_budget: Budget
    repository_lifetime_budget: Budget  # over every period together
    organisation_lifetime_budget: Budget
    period: str
    organisation: str
    mechanism: str  # "gaussian" (zCDP) or "laplace" (pure DP)
    release_rho: float
    release_epsilon: float
    k_min_participants: int
    max_round_epsilon: float  # local cap on one federation round, whatever its rules allow
    organisation_share: float = 1.0  # of the organisation's budget, certified at join

    @classmethod
    def from_section(cls, section: Mapping[str, Any]) -> PrivacySettings:
        def budget(key: str) -> Budget:
            try:
                return Budget.parse(str(section[key]))
            except BmadError as exc:
                raise BmadError(f"[privacy] {key}: {exc.message}") from None

        try:
            settings = cls(
                repository_budget=budget("budget"),
                organisation_budget=budget("organisation_budget"),
                repository_lifetime_budget=budget("lifetime_budget"),
                organisation_lifetime_budget=budget("organisation_lifetime_budget"),
                period=str(section["period"]),
                organisation=str(section["organisation"]),
                mechanism=str(section["mechanism"]),
                release_rho=require_positive("privacy", section, "release_rho"),
                release_epsilon=require_positive("privacy", section, "release_epsilon"),
                k_min_participants=require_int("privacy", section, "k_min_participants", 1),
                max_round_epsilon=require_positive("privacy", section, "max_round_epsilon"),
            )
        except KeyError as exc:
            raise BmadError(f"missing privacy setting {exc.args[0]!r}") from None
        if settings.period not in PERIODS:
            raise BmadError(f"privacy.period must be one of {', '.join(PERIODS)}")
        if settings.mechanism not in {"gaussian", "laplace"}:
            raise BmadError("privacy.mechanism must be 'gaussian' or 'laplace'")
        return settings

    def ledger(self, store: Store) -> Ledger:
        return Ledger(
            store,
            self.repository_budget,
            self.organisation_budget,
            self.period,
            organisation_share=self.organisation_share,
            lifetime=(self.repository_lifetime_budget, self.organisation_lifetime_budget),
        )

    def for_machine(self, store: Store) -> PrivacySettings:
        """These settings as this machine spends them: once it joined a federation, under the
        organisation's name there (one ledger name for rounds, exports and ``privacy budget``)
        and within the share of the organisation's budget its certificate gives it."""
        row = store.connection.execute(
            "SELECT name, budget_share FROM privacy_organisation WHERE id = 1"
        ).fetchone()
        if row is None:
            return self
        return replace(self, organisation=str(row[0]), organisation_share=float(row[1]))

    def noise_plan(self, learning_type: str) -> NoisePlan:
        """The noise one release of ``learning_type`` gets outside a federation round.

        Such a payload leaves unmasked (an export, a preview), so it carries the full central
        noise: a distributed share is only ever sized inside a round, from numbers the
        participant checked (``bmad.federation.trust``)."""
        schema = schema_for(learning_type)
        if self.mechanism == "laplace":
            return plan_laplace(self.release_epsilon, schema.l1_sensitivity)
        return plan_gaussian(self.release_rho, schema.l2_sensitivity)


def record_organisation(store: Store, name: str, budget_share: float) -> None:
    """The organisation this machine joined a federation for, and its certified budget share."""
    with store.transaction() as connection:
        connection.execute(
            "INSERT INTO privacy_organisation (id, name, budget_share) VALUES (1, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET name = excluded.name, "
            "budget_share = excluded.budget_share",
            (name, budget_share),
        )


def settings_for(root: Path | None = None) -> PrivacySettings:
    from bmad import config

    return PrivacySettings.from_section(config.load(root).section("privacy"))


def repository_key(path: Path) -> str:
    """The local name of a repository in the ledger and consent tables: its work-tree root."""
    from bmad import git

    if not path.exists():
        raise BmadError(f"{path}: no such file or directory")
    repository = git.find_work_tree(path)
    if repository is not None:
        return str(git.work_tree_root(repository))
    if not path.is_dir():
        raise BmadError(f"{path}: not a repository or folder")
    return str(path.resolve())


@dataclass(frozen=True, slots=True)
class PreviewRow:
    label: str
    bounded: int
    noisy: int


@dataclass(frozen=True, slots=True)
class Preview:
    learning_type: str
    schema_version: int
    available: bool
    plan: NoisePlan
    l1_sensitivity: int
    l2_sensitivity: float
    rows: tuple[PreviewRow, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "learning_type": self.learning_type,
            "schema_version": self.schema_version,
            "available": self.available,
            "noise": self.plan.to_dict(),
            "l1_sensitivity": self.l1_sensitivity,
            "l2_sensitivity": self.l2_sensitivity,
            "bins": [
                {"label": r.label, "before_noise": r.bounded, "after_noise": r.noisy}
                for r in self.rows
            ],
        }


def preview(learning_type: str, stats: LocalStatistics, settings: PrivacySettings) -> Preview:
    """Exactly what a release would hold, bin by bin, before and after (a fresh draw of) noise.

    A preview is shown locally only; it spends no budget.
    """
    schema = schema_for(learning_type)
    plan = settings.noise_plan(learning_type)
    contribution = bounded_contribution(learning_type, stats)
    if contribution is None:
        return Preview(
            learning_type,
            schema.version,
            False,
            plan,
            schema.l1_sensitivity,
            schema.l2_sensitivity,
            (),
        )
    noisy = build_payload(contribution, plan).vector
    rows = tuple(
        PreviewRow(label, bounded, after)
        for label, bounded, after in zip(schema.labels, contribution.vector, noisy, strict=True)
    )
    return Preview(
        learning_type,
        schema.version,
        True,
        plan,
        schema.l1_sensitivity,
        schema.l2_sensitivity,
        rows,
    )


@dataclass(frozen=True, slots=True)
class PreparedRelease:
    payload: Payload
    data: bytes
    digest: str
    reservation: Reservation


def prepare_release(
    store: Store,
    settings: PrivacySettings,
    repository: str,
    contribution: BoundedContribution,
    plan: NoisePlan | None = None,
) -> PreparedRelease:
    """Consent check, budget reservation, then noise: the payload ready to send."""
    learning_type = contribution.schema.learning_type
    consent.require(store, repository, learning_type)
    settings = settings.for_machine(store)
    plan = plan or settings.noise_plan(learning_type)
    reservation = settings.ledger(store).reserve(
        repository, settings.organisation, learning_type, Spend(plan.rho, plan.epsilon)
    )
    try:
        payload = build_payload(contribution, plan)
    except BaseException:
        settings.ledger(store).release(reservation.id)  # nothing was built, nothing can be sent
        raise
    data = serialise(payload)
    return PreparedRelease(payload, data, digest(data), reservation)


def confirm_sent(
    store: Store, settings: PrivacySettings, release: PreparedRelease, destination: str
) -> None:
    """The bytes left the machine: commit the spend and audit their digest, atomically."""
    settings.for_machine(store).ledger(store).commit(
        release.reservation.id,
        sent={
            "digest": release.digest,
            "learning_type": release.payload.learning_type,
            "schema_version": release.payload.schema_version,
            "destination": destination,
        },
    )


def abandon(store: Store, settings: PrivacySettings, release: PreparedRelease) -> None:
    """Nothing was sent: give the reservation back."""
    settings.ledger(store).release(release.reservation.id)


def cache_global_insights(
    store: Store, learning_type: str, schema_version: int, document: Mapping[str, Any]
) -> None:
    """Keep the latest global insights the federation returned for a learning type."""
    schema_for(learning_type)
    with store.transaction() as connection:
        connection.execute(
            "INSERT INTO privacy_global_insights (learning_type, schema_version, received_at, "
            "document) VALUES (?, ?, ?, ?) ON CONFLICT(learning_type) DO UPDATE SET "
            "schema_version = excluded.schema_version, received_at = excluded.received_at, "
            "document = excluded.document",
            (learning_type, schema_version, timestamp(utc_now()), json.dumps(document)),
        )


def cached_global_insights(store: Store) -> list[dict[str, Any]]:
    rows = store.connection.execute(
        "SELECT learning_type, schema_version, received_at, document "
        "FROM privacy_global_insights ORDER BY learning_type"
    )
    return [
        {
            "learning_type": row[0],
            "schema_version": row[1],
            "received_at": row[2],
            "insights": json.loads(row[3]),
        }
        for row in rows
    ]


@dataclass
class Export:
    document: dict[str, Any]
    releases: list[PreparedRelease]


def prepare_export(
    store: Store,
    settings: PrivacySettings,
    statistics: Mapping[str, LocalStatistics],
    include_learning_outcomes: bool,
) -> Export:
    """Privacy-preserved payloads of every consented (repository, learning type), plus cached
    global insights. Each payload is a release: it is charged to the ledger like an upload, so
    exporting again cannot average the noise away. Repository names are not in the document.
    """
    releases: list[PreparedRelease] = []
    skipped: list[dict[str, str]] = []
    if include_learning_outcomes:
        for repository, stats in statistics.items():
            for learning_type in consent.get(store, repository).learning_types:
                contribution = bounded_contribution(learning_type, stats)
                if contribution is None:
                    skipped.append({"learning_type": learning_type, "reason": "no local data"})
                    continue
                try:
                    releases.append(prepare_release(store, settings, repository, contribution))
                except BudgetExceeded:
                    skipped.append({"learning_type": learning_type, "reason": "budget exhausted"})
    document = {
        "format": 1,
        "generated_at": timestamp(utc_now()),
        "privacy_preserved": True,
        "learning_outcomes": [
            {**release.payload.to_dict(), "digest": release.digest} for release in releases
        ],
        "skipped": skipped,
        "global_insights": cached_global_insights(store),
    }
    return Export(document, releases)
