"""A participant taking part in rounds: consent, budget and noise first, then secure aggregation.

For every round open for enrolment in the federation this machine joined, a participant:

1. skips it unless at least one of its repositories has sharing of the round's learning type
   enabled (``bmad share enable``): without consent nothing is sent, not even an enrolment;
2. checks the round's terms against the rules the federation's admin signed (pinned at join)
   and the local limits (``bmad.federation.trust``): the unit, epsilon (at most the rules' and
   the local ``privacy.max_round_epsilon``), delta, k, the vector layout; a round that breaks
   one is refused and the refusal written to the audit log;
3. builds the bounded contribution for the round's unit of privacy (``bmad.privacy.units``:
   for the organisation, its consenting repositories merged into one histogram, each
   repository weighted equally; for smaller units, each unit bounded on its own and at most
   the unit's cap of them, sampled with ``secrets``) and enrols;
4. checks its group (every roster key certified by an admitted organisation key, each
   organisation once, at least k of them, a threshold of at least 2n/3 + 1) and derives the
   noise itself: its share is sized for the group's least number of survivors minus the
   collusion allowance (``governance.noise_shares``), whatever else the aggregator says;
5. answers the secure-aggregation phases; just before the masked input it reserves the budget
   through the privacy layer (refused atomically if exhausted: it then stays silent and the
   round counts it as a dropout), adds its noise share, masks and sends the vector, and
   commits the spend with the payload digest in the audit log;
6. after the release, fetches the federation's insights and caches them locally.

Every repository whose data is in the vector is charged the round's spend; so is the
organisation, once per repository (conservative when one machine merges several).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bmad.errors import BmadError
from bmad.federation import membership, risk_rounds, trust
from bmad.federation.client import AggregatorClient, AggregatorError
from bmad.federation.consortium import member as consortium
from bmad.federation.consortium.policy import LocalPolicy, local_policy
from bmad.federation.consortium.rules import ConsortiumRules
from bmad.federation.governance import Governance
from bmad.federation.learning import cache_insights
from bmad.federation.sessions import ClientDriver
from bmad.federation.settings import FederationSettings, federation_settings
from bmad.federation.trust import GroupTerms, RoundRefused, RoundTerms
from bmad.federation.wire import round_contribution
from bmad.privacy import audit, consent
from bmad.privacy.accounting import Spend
from bmad.privacy.identity import Identity, sign_recorded
from bmad.privacy.ledger import BudgetExceeded, Reservation
from bmad.privacy.noise import plan_distributed_gaussian
from bmad.privacy.risk_schema import LEARNING_TYPE as RISK_MODEL
from bmad.privacy.schemas import BoundedContribution
from bmad.privacy.sharing import (
    PreparedRelease,
    PrivacySettings,
    abandon,
    confirm_sent,
    prepare_release,
)
from bmad.privacy.summaries import LocalStatistics
from bmad.privacy.units import Unit, unit_contribution, unit_for
from bmad.store.connection import Store, data_store_path

logger = logging.getLogger(__name__)

StatisticsSource = Callable[[str], LocalStatistics]
FINISHED = ("released", "aborted")
LONG_POLL = 5.0  # seconds the aggregator may hold a look at the round until something changes


def open_participant_store(path: Path | None = None) -> Store:
    """The data store with the federation and privacy tables this module uses."""
    from bmad.privacy.db import COMPONENT, MIGRATIONS

    store = membership.open_federation_store(path or data_store_path())
    store.migrate(COMPONENT, MIGRATIONS)
    return store


def local_statistics(repository: str) -> LocalStatistics:
    from bmad.privacy.collect import collect_local_statistics

    return collect_local_statistics(Path(repository)).statistics


def _load_noise_sampler() -> None:
    """Import OpenDP now (1-3 s, much more on a busy machine or a niced daemon), while the
    enrolment window is open, rather than inside a phase deadline."""
    import opendp.prelude  # noqa: F401


def merged_contribution(
    learning_type: str, statistics: Sequence[LocalStatistics], unit: Unit | None = None
) -> BoundedContribution | None:
    """One organisation's bounded vector from several repositories, per unit of privacy
    (``None``: the organisation, each repository weighted equally)."""
    return unit_contribution(
        learning_type, unit or unit_for(learning_type, "organisation"), statistics
    )


@dataclass
class RoundOutcome:
    round: str
    learning_type: str
    outcome: str  # released, aborted, skipped, refused, dropped
    detail: str

    def to_dict(self) -> dict[str, str]:
        return {
            "round": self.round,
            "learning_type": self.learning_type,
            "outcome": self.outcome,
            "detail": self.detail,
        }


class _Signer:
    """The identity key as the secagg signer, each use written to the audit log."""

    def __init__(self, store: Store, identity: Identity) -> None:
        self.store = store
        self.identity = identity

    def sign(self, message: bytes, /) -> bytes:
        return sign_recorded(self.store, self.identity, message, "secure aggregation")


class RoundParticipation:
    """One round from this machine's side; ``step`` does what the round's state asks for now."""

    def __init__(
        self,
        store: Store,
        client: AggregatorClient,
        settings: PrivacySettings,
        member: membership.Membership,
        round_id: str,
        learning_type: str,
        repositories: Sequence[str],
        contribution: BoundedContribution,
        terms: RoundTerms,
        consortium_rules: ConsortiumRules | None = None,
    ) -> None:
        self.store = store
        self.client = client
        self.settings = settings
        self.member = member
        self.round_id = round_id
        self.learning_type = learning_type
        self.repositories = list(repositories)
        self.contribution = contribution
        self.terms = terms
        self.rules, self.admin_key = pinned_rules(member)
        self.consortium_rules = consortium_rules
        if consortium_rules is not None:  # the version in force, which a quorum may change
            self.rules = consortium_rules.governance
        self.driver: ClientDriver | None = None
        self.group: GroupTerms | None = None
        self.answered: set[str] = set()
        self.outcome: RoundOutcome | None = None
        self.seen: int | None = None  # the aggregator's change counter at the last look

    @property
    def unit(self) -> Unit:
        return self.terms.unit

    def step(self) -> bool:
        """Poll the round and answer its current phase; True once the round is over for us."""
        if self.outcome is not None:
            return True
        state = self.client.round(self.round_id, self.seen, LONG_POLL)
        self.seen = int(state["changes"])
        if state["state"] in FINISHED:
            self._finish(state)
            return True
        try:
            self._check_terms_unchanged(state)
            return self._step(state)
        except RoundRefused as exc:
            self.refuse(exc.message)
            return True

    def _check_terms_unchanged(self, state: dict[str, Any]) -> None:
        terms = trust.check_round(
            self.rules, local_limits(self.settings), self.learning_type, state["parameters"]
        )
        if terms != self.terms:
            raise RoundRefused("the aggregator changed the round's terms after enrolment")

    def _step(self, state: dict[str, Any]) -> bool:
        you = state.get("you")
        if state["state"] != "running" or you is None or state["phase"] in self.answered:
            return False
        if not you["alive"]:
            self.conclude("dropped", f"dropped out before {state['phase']}")
            return True
        if you["answered"]:
            self.answered.add(state["phase"])
            return False
        if self.driver is None:
            self.driver = self._driver(you)
        self._answer(state["phase"], you.get("inbox"))
        return self.outcome is not None

    def _driver(self, you: dict[str, Any]) -> ClientDriver:
        seats = None if self.consortium_rules is None else self.consortium_rules.member_keys()
        group = trust.check_group(
            self.terms,
            self.round_id,
            self.member.federation,
            self.admin_key,
            you,
            self.client.public_key,
            seats,
        )
        self.group = group
        # The plain vector is only made (noised) when the masked input is due.
        return ClientDriver(
            group.config, group.participant, _Signer(self.store, self.client.identity), []
        )

    def _answer(self, phase: str, inbox: str | None) -> None:
        assert self.driver is not None
        if phase == "masked_input":
            release, extra = self._reserve_and_noise()
            if release is None:
                return
            self.driver.vector = list(release.payload.vector)
            if not self._split_noise(release, extra):
                return
            try:
                message = self.driver.answer(phase, inbox)
            except BaseException:  # nothing left the machine: give the budget back
                self._abandon(release, extra)
                raise
            try:
                self.client.submit(self.round_id, phase, message)
            finally:
                self._commit(release, extra)
        else:
            self.client.submit(self.round_id, phase, self.driver.answer(phase, inbox))
        self.answered.add(phase)

    def _split_noise(self, release: PreparedRelease, extra: list[Reservation]) -> bool:
        """In a round that proves its inputs, hand the contribution and the noise share over
        apart; a share beyond the proved bound (about once in 10^13 rounds) is not redrawn
        but the round left as a dropout, with nothing sent and the budget given back."""
        assert self.driver is not None and self.group is not None
        bounds = self.group.config.input_bounds
        if bounds is None:
            return True
        contribution = list(round_contribution(self.contribution, self.unit).vector)
        noise = [sent - value for sent, value in zip(self.driver.vector, contribution, strict=True)]
        if max(map(abs, noise)) > bounds.noise:
            self._abandon(release, extra)
            self.conclude("dropped", "the noise share fell beyond its proved bound")
            return False
        self.driver.vector, self.driver.noise = contribution, noise
        return True

    def _reserve_and_noise(self) -> tuple[PreparedRelease | None, list[Reservation]]:
        assert self.group is not None
        extended = round_contribution(self.contribution, self.unit)
        plan = plan_distributed_gaussian(
            self.terms.rho,
            self.group.noise_shares,
            extended.schema.l2_sensitivity,
            extended.schema.dim,
        )
        primary, *others = self.repositories
        ledger = self.settings.ledger(self.store)
        extra: list[Reservation] = []
        try:
            for repository in others:
                consent.require(self.store, repository, self.learning_type)
                extra.append(
                    ledger.reserve(
                        repository,
                        self.settings.organisation,
                        self.learning_type,
                        Spend(plan.rho, plan.epsilon),
                    )
                )
            release = prepare_release(self.store, self.settings, primary, extended, plan)
        except BudgetExceeded as exc:
            for reservation in extra:
                ledger.release(reservation.id)
            self.conclude("skipped", f"budget: {exc.message}")
            return None, []
        return release, extra

    def _abandon(self, release: PreparedRelease, extra: list[Reservation]) -> None:
        abandon(self.store, self.settings, release)
        ledger = self.settings.ledger(self.store)
        for reservation in extra:
            ledger.release(reservation.id)

    def _commit(self, release: PreparedRelease, extra: list[Reservation]) -> None:
        destination = f"{self.member.aggregator}/v1/rounds/{self.round_id}"
        confirm_sent(self.store, self.settings, release, destination)
        ledger = self.settings.ledger(self.store)
        for reservation in extra:
            ledger.commit(
                reservation.id,
                sent={"digest": release.digest, "destination": destination, "merged": True},
            )

    def _finish(self, state: dict[str, Any]) -> None:
        if state["state"] == "aborted":
            self.conclude("aborted", str(state.get("reason") or "aborted"))
            return
        for item in self.client.insights(self.member.federation, self.learning_type):
            cache_insights(self.store, item)
        self.conclude("released", f"{state['organisations']}")

    def refuse(self, reason: str) -> None:
        """Refuse the round for good, and say so in the audit log."""
        refuse_round(self.store, self.member, self.round_id, self.learning_type, reason)
        consortium.report_refusal(self.client, self.round_id, reason)
        self.outcome = RoundOutcome(self.round_id, self.learning_type, "refused", reason)

    def conclude(self, outcome: str, detail: str) -> None:
        self.outcome = RoundOutcome(self.round_id, self.learning_type, outcome, detail)
        membership.record_round(
            self.store, self.round_id, self.member.federation, self.learning_type, outcome, detail
        )


def participate_in_open_rounds(
    store: Store,
    identity: Identity,
    repos: Sequence[str],
    *,
    settings: PrivacySettings | None = None,
    federation: FederationSettings | None = None,
    statistics: StatisticsSource = local_statistics,
    stop: Callable[[], bool] = lambda: False,
    policy: LocalPolicy | None = None,
    risk_records: risk_rounds.RiskRecords = risk_rounds.local_risk_records,
) -> list[RoundOutcome]:
    """Take part in every round now open for enrolment; return when each one is over.

    ``repos`` are repository keys (``bmad.privacy.sharing.repository_key``); only those with
    sharing of a round's learning type enabled contribute to it. ``store`` must hold the
    privacy and federation tables (``open_participant_store``). The daemon calls this on its
    schedule; the CLI calls it for ``bmad federation participate``.
    """
    member = membership.current(store)
    if member is None or not any(consent.get(store, repo).enabled for repo in repos):
        return []  # nothing may be shared, so the aggregator is not even asked
    if settings is None:
        from bmad.privacy.sharing import settings_for

        settings = settings_for()
    federation = federation or federation_settings()
    settings = replace(settings, organisation=member.organisation).for_machine(store)
    outcomes: list[RoundOutcome] = []
    with federation.client(member.aggregator, identity, member.pinned_aggregator_key) as client:
        active = _enrol_all(
            store,
            client,
            settings,
            member,
            repos,
            statistics,
            outcomes,
            policy or local_policy(),
            risk_records,
        )
        outcomes.extend(drive_rounds(active, federation, stop))
    return outcomes


def drive_rounds(
    active: list[RoundParticipation],
    federation: FederationSettings,
    stop: Callable[[], bool] = lambda: False,
) -> list[RoundOutcome]:
    """Step every enrolled round until each one is over (or the round timeout passes)."""
    outcomes: list[RoundOutcome] = []
    deadline = time.monotonic() + federation.round_timeout
    while active and not stop() and time.monotonic() < deadline:
        for participation in list(active):
            try:
                finished = participation.step()
            except AggregatorError as exc:
                if exc.status >= 500:
                    raise
                participation.conclude("dropped", exc.message)
                finished = True
            except RoundRefused as exc:
                participation.refuse(exc.message)
                finished = True
            except BmadError as exc:
                participation.conclude("dropped", exc.message)
                finished = True
            if finished:
                active.remove(participation)
                assert participation.outcome is not None
                outcomes.append(participation.outcome)
        if active:
            time.sleep(federation.poll_interval)
    return outcomes


def _enrol_all(
    store: Store,
    client: AggregatorClient,
    settings: PrivacySettings,
    member: membership.Membership,
    repos: Sequence[str],
    statistics: StatisticsSource,
    outcomes: list[RoundOutcome],
    policy: LocalPolicy,
    risk_records: risk_rounds.RiskRecords = risk_rounds.local_risk_records,
) -> list[RoundParticipation]:
    handled = membership.handled_rounds(store)
    active: list[RoundParticipation] = []
    cache: dict[str, LocalStatistics] = {}
    for state in client.rounds(member.federation, state="enrolling"):
        round_id, learning_type = str(state["id"]), str(state["learning_type"])
        if round_id in handled:
            continue
        consenting = [repo for repo in repos if consent.allowed(store, repo, learning_type)]
        if not consenting:
            continue  # no consent, nothing sent, and the round may be joined once consent comes
        try:
            rules = consortium.rules_in_force(store, client, member)
            terms = trust.check_round(
                rules.governance, local_limits(settings), learning_type, state["parameters"]
            )
            consortium.check_manifest(rules, state, policy, client.aggregator_key)
            if learning_type == RISK_MODEL:  # a gradient at the round's model
                records = [record for repo in consenting for record in risk_records(repo)]
                risk_contribution = risk_rounds.round_contribution(state["parameters"], records)
        except RoundRefused as exc:
            refuse_round(store, member, round_id, learning_type, exc.message)
            consortium.report_refusal(client, round_id, exc.message)
            outcomes.append(RoundOutcome(round_id, learning_type, "refused", exc.message))
            continue
        if learning_type == RISK_MODEL:
            contribution = risk_contribution
        else:
            for repo in consenting:
                if repo not in cache:
                    cache[repo] = statistics(repo)
            contribution = merged_contribution(
                learning_type, [cache[repo] for repo in consenting], terms.unit
            )
        if contribution is None:
            continue
        try:
            client.enrol(round_id)
        except AggregatorError as exc:
            if exc.status >= 500:
                raise
            logger.info("not enrolled in round %s: %s", round_id, exc.message)
            continue
        _load_noise_sampler()
        active.append(
            RoundParticipation(
                store,
                client,
                settings,
                member,
                round_id,
                learning_type,
                consenting,
                contribution,
                terms,
                rules,
            )
        )
    return active


def pinned_rules(member: membership.Membership) -> tuple[Governance, bytes]:
    """The rules this machine checked at join and the admin key that signed them."""
    if not member.admin_key:
        raise BmadError(
            f"this machine joined {member.federation} before members checked the federation's "
            "signed rules: join it again (`bmad federation join`)"
        )
    admin_key = trust.unb64(member.admin_key, "admin key")
    return trust.verify_rules(admin_key, json.loads(member.rules), member.rules_signature), (
        admin_key
    )


def local_limits(settings: PrivacySettings) -> trust.LocalLimits:
    return trust.LocalLimits(settings.k_min_participants, settings.max_round_epsilon)


def refuse_round(
    store: Store, member: membership.Membership, round_id: str, learning_type: str, reason: str
) -> None:
    """Record a refused round (never joined again) and audit why."""
    membership.record_round(store, round_id, member.federation, learning_type, "refused", reason)
    audit.record(
        store,
        "round_refused",
        {"round": round_id, "federation": member.federation, "reason": reason},
    )
    logger.warning("refused round %s: %s", round_id, reason)
