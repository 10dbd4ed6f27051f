"""The aggregator's round engine: enrolment, groups, phases, deadlines, release or abort.

A round goes ``enrolling`` -> ``running`` (through the secure-aggregation phases) ->
``released`` or ``aborted``. One organisation is one participant: the first of its machines to
enrol represents it, later ones are turned away. When enrolment closes (everyone enrolled or
the enrolment deadline passed) the organisations are split into groups of at least k
(``governance.group_sizes``); each group is one secure-aggregation session with its own
roster, Shamir threshold and session id. A phase closes when every live participant has
answered or its deadline passes; participants who did not answer are dropouts. A group whose
responders fall below its threshold aborts; the round aborts when no group is left, and
releases otherwise (only group sums over >= k organisations exist, by construction).

Every step the engine accepts is logged in the database (``bmad.federation.round_log``) in
the transaction that accepts it; a process rebuilds a round's secure-aggregation sessions by
replaying that log, so any aggregator process serves any request and a round in flight survives
a restart. Masked inputs live in the log until their round is released or aborted.
"""

from __future__ import annotations

import json
import logging
import math
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from bmad.errors import BmadError
from bmad.federation import round_log, server_store
from bmad.federation.consortium import tables as consortium_tables
from bmad.federation.database import Database
from bmad.federation.governance import (
    Governance,
    group_sizes,
    noise_shares,
    reconstruction_threshold,
)
from bmad.federation.insights import RoundFacts, compute_insights
from bmad.federation.plausibility import implausible
from bmad.federation.reputation import ledger as reputation_ledger
from bmad.federation.robust import combine_groups
from bmad.federation.secagg.config import RoundConfig
from bmad.federation.secagg.graph import sparse_round
from bmad.federation.secagg.round_bounds import round_input_bounds
from bmad.federation.secagg.validity import InvalidInput
from bmad.federation.server_store import ApiError
from bmad.federation.signing import decode_key, encode_key
from bmad.federation.wire import PHASES, round_l2_sensitivity, round_vector_length
from bmad.privacy.accounting import rho_budget
from bmad.privacy.db import utc_now
from bmad.privacy.ledger import period_key
from bmad.privacy.noise import plan_distributed_gaussian
from bmad.privacy.risk_schema import LEARNING_TYPE as RISK_MODEL
from bmad.privacy.risk_schema import opening_weights
from bmad.privacy.schemas import schema_for
from bmad.privacy.units import unit_for

logger = logging.getLogger(__name__)

MODULUS_BITS = 32


class GroupAborted(BmadError):
    """A secure-aggregation session cannot go on (too few responders, contradictions)."""


class GroupSession(Protocol):
    """The server side of one secure-aggregation session, driven phase by phase."""

    def inbox(self, phase: str, participant: int) -> str | None:
        """What ``participant`` needs to answer ``phase`` (None for the first phase)."""

    def check(self, phase: str, participant: int, message: str) -> None:
        """The costly checks of one message that need no round state (an input proof), run
        before the round's lock is taken; InvalidInput if they fail."""

    def receive(
        self, phase: str, participant: int, message: str, proof_checked: bool = False
    ) -> None:
        """Accept one participant's message for ``phase``; BmadError if it is invalid.

        ``proof_checked``: ``check`` passed already (or the message comes from the round's log,
        accepted once), so its input proof is not verified again."""

    def close(self, phase: str) -> None:
        """No more messages for ``phase``; GroupAborted if the session cannot continue."""

    def result(self) -> list[int]:
        """The unmasked sum, after the last phase closed."""


SessionFactory = Callable[[RoundConfig], GroupSession]


@dataclass
class Group:
    config: RoundConfig
    session: GroupSession
    organisations: dict[int, str]  # participant id -> organisation
    alive: set[int]
    answered: set[int] = field(default_factory=set)
    aborted: str | None = None


@dataclass
class LiveRound:
    id: str
    federation: str
    learning_type: str
    governance: Governance
    parameters: dict[str, Any]
    state: str = "enrolling"
    phase: str | None = None
    deadline: float = 0.0
    enrolled: dict[str, str] = field(default_factory=dict)  # organisation -> public key
    # organisation -> its machine certificate and admission, which members check in rosters
    credentials: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: list[Group] = field(default_factory=list)
    assignment: dict[str, tuple[int, int]] = field(default_factory=dict)  # org -> (group, pid)
    applied: int = 0  # the last event of the round's log applied to this copy


class RoundEngine:
    def __init__(self, store: Database, session_factory: SessionFactory) -> None:
        self.store = store
        self.session_factory = session_factory
        self.lock = threading.RLock()
        self.rounds: dict[str, LiveRound] = {}  # this process's copies of rounds in progress
        # bumped on every enrolment, phase change and outcome in any process (long polls)
        self.changes = round_log.changes(store.connection)
        self.on_change: Callable[[], None] = lambda: None  # the service wakes its long polls
        self._abort_interrupted_rounds()

    def _changed(self) -> None:
        with self.store.transaction() as connection:
            self.changes = round_log.bump_changes(connection)
        self.on_change()

    def _notice_changes(self) -> None:
        """Wake this process's long polls for changes made by another process."""
        current = round_log.changes(self.store.connection)
        if current != self.changes:
            self.changes = current
            self.on_change()

    @contextmanager
    def _round_transaction(self, round_id: str) -> Iterator[None]:
        """One step of a round, serialised with every other process's."""
        with self.lock:
            try:
                # Catch up with the steps other processes logged before taking the write lock,
                # so that it is held for this step, not also for replaying theirs.
                self._synced(round_id)
                with self.store.transaction():
                    yield
            except BaseException:
                self.rounds.pop(round_id, None)  # the copy may hold what was rolled back
                raise

    def _abort_interrupted_rounds(self) -> None:
        with self.store.transaction() as connection:
            for round_id in round_log.in_progress_without_log(connection):
                connection.execute(
                    "UPDATE agg_rounds SET state = 'aborted', reason = ?, closed_at = ? "
                    "WHERE id = ?",
                    (
                        "the aggregator restarted during the round",
                        server_store.now_text(),
                        round_id,
                    ),
                )
                server_store.audit(connection, "round_aborted", {"round": round_id})

    # -- opening and enrolment -------------------------------------------------------------

    def open_round(
        self, federation: str, governance: Governance, learning_type: str, request: dict[str, Any]
    ) -> dict[str, Any]:
        schema = schema_for(learning_type)
        if learning_type not in governance.allowed_learning_types:
            raise ApiError(f"this federation's governance does not allow {learning_type} rounds")
        epsilon = float(request.get("epsilon") or governance.epsilon_per_round)
        k = int(request.get("min_participants") or governance.k_min_participants)
        if k < governance.k_min_participants:
            raise BmadError(
                f"min participants cannot be below the federation's k "
                f"({governance.k_min_participants})"
            )
        if epsilon > governance.epsilon_per_round:
            raise BmadError(
                f"epsilon {epsilon:g} exceeds the governance limit per round "
                f"({governance.epsilon_per_round:g})"
            )
        delta = float(request.get("delta") or governance.delta)
        if delta > governance.delta:
            raise BmadError(
                f"delta {delta:g} is weaker than the governance's ({governance.delta:g})"
            )
        rho = rho_budget(epsilon, delta)
        unit = governance.unit(learning_type)
        period = period_key("month", utc_now())
        with self.lock, self.store.transaction():
            spent = self._period_rho(federation, period)
            if spent + rho > governance.rho_per_period * (1 + 1e-12):
                raise BmadError(
                    f"the federation's privacy budget for {period} is spent "
                    f"(rho {spent:.4g} of {governance.rho_per_period:.4g})"
                )
            round_id = str(uuid.uuid4())
            parameters: dict[str, Any] = {
                "epsilon": epsilon,
                "delta": delta,
                "rho": rho,
                "k": k,
                "period": period,
                "schema_version": schema.version,
                "unit": unit.name,
                "vector_length": round_vector_length(schema, unit),
                "modulus_bits": MODULUS_BITS,
                "phase_timeout": float(request.get("phase_timeout") or governance.phase_timeout),
                "enrol_timeout": float(request.get("enrol_timeout") or governance.enrol_timeout),
            }
            if learning_type == RISK_MODEL:  # one training step, at the model asked for
                parameters["weights"] = opening_weights(request.get("weights"))
            if "manifest" in request:  # signed by the opener; members check it
                parameters["manifest"] = request["manifest"]
            with self.store.transaction() as connection:
                connection.execute(
                    "INSERT INTO agg_rounds (id, federation, learning_type, schema_version, "
                    "state, phase, parameters, created_at) VALUES (?, ?, ?, ?, 'enrolling', "
                    "NULL, ?, ?)",
                    (
                        round_id,
                        federation,
                        learning_type,
                        schema.version,
                        json.dumps(parameters),
                        server_store.now_text(),
                    ),
                )
                server_store.audit(
                    connection,
                    "round_opened",
                    {"round": round_id, "federation": federation, "learning_type": learning_type},
                )
            live = LiveRound(round_id, federation, learning_type, governance, parameters)
            live.deadline = time.time() + float(parameters["enrol_timeout"])
            round_log.start(self.store.connection, round_id, governance.to_dict(), live.deadline)
            self.rounds[round_id] = live
        return self.describe(round_id)

    def _period_rho(self, federation: str, period: str) -> float:
        total = 0.0
        for (parameters,) in self.store.connection.execute(
            "SELECT parameters FROM agg_rounds WHERE federation = ? AND "
            "(state != 'aborted' OR phase IS NOT NULL)",
            (federation,),
        ):
            document = json.loads(parameters)
            if document.get("period") == period:
                total += float(document["rho"])
        return total

    def _live(self, round_id: str) -> LiveRound:
        live = self._synced(round_id)
        if live is None:
            raise ApiError(f"round {round_id} is not in progress", 409)
        return live

    def _synced(self, round_id: str) -> LiveRound | None:
        """The round in progress as the database holds it (None if it is not in progress):
        this process's copy, caught up with the steps other processes logged since."""
        connection = self.store.connection
        state = round_log.live_state(connection, round_id)
        if state is None:
            self.rounds.pop(round_id, None)
            return None
        live = self.rounds.get(round_id)
        if live is None:
            live = LiveRound(
                round_id,
                state.federation,
                state.learning_type,
                Governance.from_dict(json.loads(state.governance)),
                json.loads(state.parameters),
            )
            self.rounds[round_id] = live
        for event in round_log.events_after(connection, round_id, live.applied):
            self._apply(live, event, proof_checked=True)
        live.deadline = state.deadline
        return live

    def _perform(
        self, live: LiveRound, kind: str, body: dict[str, Any], proof_checked: bool = False
    ) -> None:
        """Apply one step to the round and log it, in the caller's transaction."""
        event = round_log.Event(live.applied + 1, kind, body)
        self._apply(live, event, proof_checked)
        round_log.append(self.store.connection, live.id, event)

    def _apply(self, live: LiveRound, event: round_log.Event, proof_checked: bool = False) -> None:
        """The one place a round's in-memory state changes, live or replayed from the log."""
        body = event.body
        if event.kind == "enrol":
            live.enrolled[body["organisation"]] = body["public_key"]
            live.credentials[body["organisation"]] = body["credentials"]
        elif event.kind == "groups":
            self._form_groups(live, body["groups"])
        elif event.kind == "message":
            group = live.groups[int(body["group"])]
            group.session.receive(
                body["phase"], int(body["participant"]), body["message"], proof_checked
            )
            group.answered.add(int(body["participant"]))
        elif event.kind == "refused":
            live.groups[int(body["group"])].alive.discard(int(body["participant"]))
        elif event.kind == "close":
            self._close_groups(live, body["phase"])
        else:
            raise BmadError(f"round {live.id} has an unknown logged step {event.kind!r}")
        live.applied = event.seq

    def enrol(
        self,
        round_id: str,
        organisation: str,
        public_key: str,
        members: int,
        credentials: dict[str, Any],
    ) -> None:
        """Enrol an organisation's machine; ``members`` is how many organisations may take part,
        ``credentials`` what the other members check its key against."""
        with self._round_transaction(round_id):
            live = self._live(round_id)
            if live.state != "enrolling":
                raise ApiError("enrolment for this round is closed", 409)
            current = live.enrolled.get(organisation)
            if current is not None and current != public_key:
                raise ApiError(
                    "another machine of this organisation already takes part in this round", 409
                )
            if current is None:
                self._perform(
                    live,
                    "enrol",
                    {
                        "organisation": organisation,
                        "public_key": public_key,
                        "credentials": credentials,
                    },
                )
                self._changed()
                with self.store.transaction() as connection:
                    connection.execute(
                        "INSERT INTO agg_round_members (round, organisation, public_key) "
                        "VALUES (?, ?, ?)",
                        (round_id, organisation, public_key),
                    )
            if len(live.enrolled) >= members:
                self._close_enrolment(live)

    def close_enrolment(self, round_id: str) -> None:
        with self._round_transaction(round_id):
            live = self._live(round_id)
            if live.state == "enrolling":
                self._close_enrolment(live)

    def _close_enrolment(self, live: LiveRound) -> None:
        k = int(live.parameters["k"])
        organisations = sorted(live.enrolled)
        if len(organisations) < k:
            self._abort(
                live, f"only {len(organisations)} organisations enrolled; at least {k} are needed"
            )
            return
        secrets.SystemRandom().shuffle(organisations)
        groupings: list[list[str]] = []
        for size in group_sizes(len(organisations), k):
            start = sum(len(members) for members in groupings)
            groupings.append(organisations[start : start + size])
        self._perform(live, "groups", {"groups": groupings})
        self._enter_phase(live, PHASES[0])

    def _form_groups(self, live: LiveRound, groupings: list[list[str]]) -> None:
        k = int(live.parameters["k"])
        for group_number, members in enumerate(groupings):
            size = len(members)
            roster = {pid: decode_key(live.enrolled[org]) for pid, org in enumerate(members, 1)}
            threshold = reconstruction_threshold(size, k)
            # SecAgg+ (sparse graph) for large groups, with the thresholds it derives
            sparse = sparse_round(size, live.governance.sparse_from)
            min_survivors = max(sparse.min_survivors, k) if sparse else threshold
            config = RoundConfig(
                round_id=f"{live.id}/g{group_number}",
                roster=roster,
                threshold=sparse.threshold if sparse else threshold,
                vector_length=int(live.parameters["vector_length"]),
                modulus_bits=int(live.parameters["modulus_bits"]),
                min_survivors=min_survivors,
                neighbours=sparse.neighbours if sparse else 0,
                input_bounds=round_input_bounds(  # the bounds every member derives too
                    live.learning_type,
                    unit_for(live.learning_type, str(live.parameters.get("unit", "organisation"))),
                    float(live.parameters["rho"]),
                    noise_shares(size, min_survivors),
                    size,
                    live.governance.verify_inputs_up_to,
                ),
            )
            group = Group(
                config,
                self.session_factory(config),
                dict(enumerate(members, 1)),
                set(roster),
            )
            live.groups.append(group)
            for pid, org in group.organisations.items():
                live.assignment[org] = (group_number, pid)
        live.state = "running"
        live.phase = PHASES[0]

    # -- phases ----------------------------------------------------------------------------

    def _enter_phase(self, live: LiveRound, phase: str) -> None:
        self._changed()
        live.phase = phase
        live.deadline = time.time() + float(live.parameters["phase_timeout"])
        for group in live.groups:
            group.answered = set()
        with self.store.transaction() as connection:
            connection.execute(
                "UPDATE agg_rounds SET state = ?, phase = ? WHERE id = ?",
                (live.state, phase, live.id),
            )
            round_log.set_deadline(connection, live.id, live.deadline)

    def assignment(self, round_id: str, organisation: str, public_key: str) -> dict[str, Any]:
        """What one participant needs now: its group's parameters, its id, the phase and inbox."""
        with self.lock:
            live = self._synced(round_id)
            if live is None:
                return self.describe(round_id)
            document = self.describe(round_id, live)
            if live.enrolled.get(organisation) != public_key or organisation not in live.assignment:
                return document
            group_number, pid = live.assignment[organisation]
            group = live.groups[group_number]
            document["you"] = {
                "group": group_number,
                "participant": pid,
                "alive": pid in group.alive and group.aborted is None,
                "answered": pid in group.answered,
                "session": group.config.round_id,
                "threshold": group.config.threshold,
                "min_survivors": group.config.min_survivors,
                "neighbours": group.config.neighbours,
                "proves_inputs": group.config.input_bounds is not None,
            }
            # Members check the roster and build their session in the first phase; later looks
            # go without it (n certified entries a look made large rounds quadratic), and so
            # do looks after the member answered, which also go without the phase's inbox.
            if pid in group.answered:
                return document
            if live.phase == PHASES[0]:
                document["you"]["roster"] = {
                    str(p): {"key": encode_key(key), **live.credentials[group.organisations[p]]}
                    for p, key in group.config.roster.items()
                }
            if live.state == "running" and live.phase is not None and pid in group.alive:
                document["you"]["inbox"] = group.session.inbox(live.phase, pid)
            return document

    def submit(
        self, round_id: str, organisation: str, public_key: str, phase: str, message: str
    ) -> None:
        refused = None
        try:
            checked = self._precheck(round_id, organisation, public_key, phase, message)
        except InvalidInput as exc:
            checked, refused = False, exc.message
        with self._round_transaction(round_id):
            live = self._live(round_id)
            if live.state != "running" or live.phase != phase:
                raise ApiError(
                    f"the round is not collecting {phase} messages (now: {live.phase})", 409
                )
            if live.enrolled.get(organisation) != public_key or organisation not in live.assignment:
                raise ApiError("this machine does not take part in the round", 403)
            group_number, pid = live.assignment[organisation]
            group = live.groups[group_number]
            if group.aborted is not None or pid not in group.alive:
                raise BmadError("this participant dropped out of the round", 409)
            if pid in group.answered:
                raise ApiError(f"{phase} message already received", 409)
            body = {"group": group_number, "participant": pid, "phase": phase, "message": message}
            if refused is None:
                try:
                    self._perform(live, "message", body, checked)
                except InvalidInput as exc:
                    refused = exc.message
            if refused is not None:  # its proof failed: a dropout from now on, and audited
                self._perform(live, "refused", {"group": group_number, "participant": pid})
                server_store.audit(
                    self.store.connection,
                    "input_refused",
                    {"round": round_id, "organisation": organisation, "reason": refused},
                )
            if all(group.answered >= group.alive for group in live.groups if group.aborted is None):
                self._close_phase(live)
        if refused is not None:
            raise ApiError(refused, 422)

    def _precheck(
        self, round_id: str, organisation: str, public_key: str, phase: str, message: str
    ) -> bool:
        """Run a message's costly checks that need no round state (``GroupSession.check``)
        outside the round's lock, so that verifying one member's input proof holds up no other
        request; False, without checking, when the round expects no such message from this
        member now (``submit`` says why), so a refused member cannot make it verify again."""
        with self.lock:
            live = self._synced(round_id)
            if live is None or live.phase != phase or live.enrolled.get(organisation) != public_key:
                return False
            place = live.assignment.get(organisation)
            if place is None:
                return False
            group = live.groups[place[0]]
            if group.aborted is not None or place[1] not in group.alive - group.answered:
                return False
        group.session.check(phase, place[1], message)
        return True

    def tick(self, now: float | None = None) -> None:
        """Close enrolments and phases whose deadline (seconds since the epoch) passed, in any
        process's rounds: the first process to get there closes, the others then see it."""
        current = time.time() if now is None else now
        with self.lock:
            self._notice_changes()
            for round_id in round_log.due_rounds(self.store.connection, current):
                with self._round_transaction(round_id):
                    live = self._synced(round_id)
                    if live is None or live.deadline > current:
                        continue
                    if live.state == "enrolling":
                        self._close_enrolment(live)
                    elif live.state == "running":
                        self._close_phase(live)

    def _close_phase(self, live: LiveRound) -> None:
        assert live.phase is not None
        phase = live.phase
        self._perform(live, "close", {"phase": phase})
        remaining = [group for group in live.groups if group.aborted is None]
        if not remaining:
            reasons = "; ".join(sorted({g.aborted or "" for g in live.groups}))
            self._abort(live, f"{phase}: {reasons}")
            return
        index = PHASES.index(phase)
        if index + 1 < len(PHASES):
            self._enter_phase(live, PHASES[index + 1])
            return
        self._release(live)

    def _close_groups(self, live: LiveRound, phase: str) -> None:
        """Everyone who did not answer ``phase`` dropped out; each session closes the phase."""
        for group in live.groups:
            if group.aborted is not None:
                continue
            group.alive = set(group.answered)
            try:
                group.session.close(phase)
            except BmadError as exc:
                group.aborted = exc.message
                logger.info("round %s group aborted in %s: %s", live.id, phase, exc.message)
        index = PHASES.index(phase)
        if index + 1 < len(PHASES):
            live.phase = PHASES[index + 1]
            for group in live.groups:
                group.answered = set()

    # -- outcome ---------------------------------------------------------------------------

    def _release(self, live: LiveRound) -> None:
        survivors = [group for group in live.groups if group.aborted is None]
        sums: list[list[int]] = []
        for group in survivors:
            try:
                sums.append(group.session.result())
            except BmadError as exc:
                group.aborted = exc.message
        survivors = [group for group in survivors if group.aborted is None]
        if not survivors:
            self._abort(live, "no group produced a sum")
            return
        sizes = [len(group.alive) for group in survivors]
        k = int(live.parameters["k"])
        if min(sizes) < k:  # unreachable with thresholds >= k; kept as the release rule itself
            self._abort(live, f"a group sum holds fewer than {k} organisations")
            return
        governance = live.governance
        schema = schema_for(live.learning_type)
        unit = unit_for(live.learning_type, str(live.parameters.get("unit", "organisation")))
        plan = plan_distributed_gaussian(  # the share every member derived for itself
            float(live.parameters["rho"]),
            min(
                noise_shares(len(group.config.roster), group.config.min_survivors)
                for group in survivors
            ),
            round_l2_sensitivity(schema, unit),
            int(live.parameters["vector_length"]),
        )
        for group_sum, size in zip(sums, sizes, strict=True):
            problem = implausible(
                live.learning_type, unit, group_sum, size, plan.scale * math.sqrt(size)
            )
            if problem is not None:
                self._abort(live, f"a member sent an out-of-range contribution: {problem}")
                return
        aggregate = combine_groups(
            sums, sizes, governance.robust_combiner, governance.trim_fraction
        )
        facts = RoundFacts(
            learning_type=live.learning_type,
            schema_version=schema.version,
            participants=sum(sizes),
            groups=len(survivors),
            share_scale=plan.scale,
            epsilon=float(live.parameters["epsilon"]),
            delta=float(live.parameters["delta"]),
            consensus_threshold=governance.consensus_threshold,
            k=k,
            unit=unit.name,
            weights=tuple(live.parameters.get("weights", ())),
        )
        insights = compute_insights(aggregate, facts)
        completed = {
            org
            for group in survivors
            for pid, org in group.organisations.items()
            if pid in group.alive
        }
        with self.store.transaction() as connection:
            connection.execute(
                "INSERT INTO agg_releases (round, federation, learning_type, schema_version, "
                "aggregate, insights, released_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    live.id,
                    live.federation,
                    live.learning_type,
                    schema.version,
                    json.dumps(aggregate),
                    json.dumps(insights),
                    server_store.now_text(),
                ),
            )
            self._finish(connection, live, "released", None, completed)
            consortium_tables.apply_retention(connection, live.federation, utc_now())
            server_store.audit(
                connection,
                "round_released",
                {"round": live.id, "participants": sum(sizes), "groups": len(survivors)},
            )

    def _abort(self, live: LiveRound, reason: str) -> None:
        # after a phase closed, a group's alive set is who delivered it (_close_groups)
        missing = [
            organisation
            for group in live.groups
            for pid, organisation in group.organisations.items()
            if pid not in group.alive
        ]
        with self.store.transaction() as connection:
            self._finish(connection, live, "aborted", reason, set())
            reputation_ledger.record_dropouts(connection, live.id, missing)
            server_store.audit(connection, "round_aborted", {"round": live.id, "reason": reason})

    def _finish(
        self,
        connection: Any,
        live: LiveRound,
        state: str,
        reason: str | None,
        completed: set[str],
    ) -> None:
        self._changed()
        live.state = state
        connection.execute(
            "UPDATE agg_rounds SET state = ?, reason = ?, closed_at = ? WHERE id = ?",
            (state, reason, server_store.now_text(), live.id),
        )
        for organisation in live.enrolled:
            if organisation in completed:
                outcome = "completed"
            elif organisation in live.assignment:
                outcome = "dropped" if state == "released" else "aborted"
            else:
                outcome = "not_selected" if state == "released" else "aborted"
            connection.execute(
                "UPDATE agg_round_members SET outcome = ? WHERE round = ? AND organisation = ?",
                (outcome, live.id, organisation),
            )
        reputation_ledger.record_round(connection, live.id)
        # Masked inputs and shares live in the sessions and the round's log: both go.
        round_log.forget(connection, live.id)
        live.groups.clear()
        self.rounds.pop(live.id, None)

    def describe(self, round_id: str, live: LiveRound | None = None) -> dict[str, Any]:
        """The round's public state; ``live`` is its copy just synced, when it is in progress."""
        row = self.store.connection.execute(
            "SELECT id, federation, learning_type, schema_version, state, phase, parameters, "
            "reason, created_at, closed_at FROM agg_rounds WHERE id = ?",
            (round_id,),
        ).fetchone()
        if row is None:
            raise ApiError(f"no round {round_id}", 404)
        if live is not None:
            # In progress every member's outcome is "enrolled" (outcomes are written when the
            # round ends, ``_finish``): no count over the members, which every look of a large
            # round would pay (a fifth of the aggregator's CPU at 5,000 members).
            enrolled = [("enrolled", len(live.enrolled))] if live.enrolled else []
        else:
            enrolled = self.store.connection.execute(
                "SELECT outcome, COUNT(*) FROM agg_round_members WHERE round = ? GROUP BY outcome",
                (round_id,),
            ).fetchall()
        return {
            "id": row[0],
            "federation": row[1],
            "learning_type": row[2],
            "schema_version": row[3],
            "state": row[4],
            "phase": row[5],
            "parameters": json.loads(row[6]),
            "reason": row[7],
            "created_at": row[8],
            "closed_at": row[9],
            "organisations": {str(outcome): int(count) for outcome, count in enrolled},
            "changes": self.changes,
            "refusals": consortium_tables.round_refusals(self.store, round_id),
        }
