"""The consortium against a real aggregator on loopback: six organisations, each machine in its
own home, admitted by the founder's seats; changes only by a quorum of four."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bmad.federation import membership
from bmad.federation.client import AggregatorClient, AggregatorError
from bmad.federation.consortium import member as consortium
from bmad.federation.consortium.chain import ADMIN_SIGNER, ConsortiumLogError, sign_entry
from bmad.federation.consortium.changes import admission, next_entry
from bmad.federation.consortium.policy import LocalPolicy
from bmad.federation.membership import Membership
from bmad.federation.participant import RoundOutcome, open_participant_store
from bmad.federation.settings import FederationSettings
from bmad.privacy import audit
from bmad.privacy.identity import load_or_create_identity
from bmad.store.connection import Store
from tests.federation.harness import (
    Aggregator,
    Participant,
    create_federation,
    join,
    make_participant,
    organisation_key,
    python_source,
    running_aggregator,
)

FAST = FederationSettings("http://unused", 30.0, 0.05, 30.0, 60.0, True)
NAMES = ["org0", "org1", "org2", "org3", "org4"]


@pytest.fixture(scope="module")
def aggregator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Aggregator]:
    with running_aggregator(tmp_path_factory.mktemp("consortium-aggregator")) as running:
        yield running


@dataclass
class Consortium:
    federation: str
    url: str
    admin: AggregatorClient
    admin_store: Store
    members: list[Participant]
    database: Path  # the aggregator's, for playing an aggregator that rewrites its log

    def client(self, participant: Participant) -> AggregatorClient:
        return participant.client(self.url)

    def membership(self, store: Store) -> Membership:
        found = membership.current(store)
        assert found is not None
        return found

    def approve(self, proposal: str, *names: str) -> dict[str, object]:
        answer: dict[str, object] = {}
        for participant in self.members:
            if participant.organisation in names:
                with self.client(participant) as client:
                    answer = consortium.approve(
                        participant.store,
                        client,
                        self.membership(participant.store),
                        organisation_key(participant.store),
                        proposal,
                    )
        return answer

    def propose(self, by: Participant, settings: dict[str, str]) -> dict[str, object]:
        with self.client(by) as client:
            return consortium.propose_rules(
                by.store,
                client,
                self.membership(by.store),
                organisation_key(by.store),
                settings,
            )


@dataclass
class Organisations:
    """The six organisations' machines (homes, keys, repositories), made once per module; each
    test founds a new federation with them."""

    admin: AggregatorClient
    admin_store: Store
    members: list[Participant]


@pytest.fixture(scope="module")
def organisations(
    tmp_path_factory: pytest.TempPathFactory, aggregator: Aggregator
) -> Iterator[Organisations]:
    base = tmp_path_factory.mktemp("consortium-organisations")
    admin_store = open_participant_store(base / "admin" / "bmad.sqlite3")
    identity = load_or_create_identity(admin_store, base / "admin" / "keys" / "id.json")
    members = [
        make_participant(base / "orgs", name, python_source(index))
        for index, name in enumerate(NAMES)
    ]
    for participant in members:
        participant.enable_sharing("code_patterns")
    with AggregatorClient(aggregator.url, identity) as admin:
        yield Organisations(admin, admin_store, members)
    for participant in members:
        participant.store.close()
    admin_store.close()


@pytest.fixture
def world(organisations: Organisations, aggregator: Aggregator) -> Consortium:
    admin = organisations.admin
    created = create_federation(
        organisations.admin_store, admin, NAMES, "low", {"enrol_timeout": 5.0, "phase_timeout": 5.0}
    )
    for participant in organisations.members:
        name = participant.organisation
        join(participant, aggregator.url, created["federation"], created["tokens"][name], admin)
    return Consortium(
        created["federation"],
        aggregator.url,
        admin,
        organisations.admin_store,
        organisations.members,
        aggregator.db_path,
    )


def rules_seen(world: Consortium, participant: Participant) -> consortium.ConsortiumRules:
    with world.client(participant) as client:
        return consortium.rules_in_force(
            participant.store, client, world.membership(participant.store)
        )


def test_every_founding_seat_is_taken_and_a_change_needs_four_of_six(world: Consortium) -> None:
    rules = rules_seen(world, world.members[0])
    assert sorted(rules.member_keys()) == ["coordinator", *NAMES]
    assert rules.quorum_needed() == 4
    log = consortium.kept_log(world.members[0].store, world.federation)
    assert [entry.kind for entry in log] == ["found"] + ["bind"] * 5
    assert all(seat.agreement_signature for seat in rules.seats)


def test_a_sybil_admission_without_quorum_is_refused(world: Consortium, tmp_path: Path) -> None:
    with pytest.raises(AggregatorError, match=r"409 .*no seat in the consortium rules"):
        world.admin.issue_token(world.federation, "sybil", "member")
    invited = consortium.invite(
        world.admin_store,
        world.admin,
        world.membership(world.admin_store),
        lambda: organisation_key(world.admin_store),
        "sybil",
        "member",
    )
    assert invited["state"] == "open" and invited["approvals"] == ["coordinator"]
    assert invited["needed"] == 4 and "token" not in invited
    proposal = str(invited["proposal"])
    with pytest.raises(AggregatorError, match="no quorum yet"):
        consortium.admission_token(world.admin, world.federation, proposal)
    # The admin colluding with the aggregator writes the seat into the log itself: every
    # member refuses the log (and so every round) instead of counting the Sybil.
    head = consortium.kept_log(world.admin_store, world.federation)[-1]
    forged = next_entry(head, admission(head.rules, "sybil"), {"kind": "admit"})
    forged = forged.signed_by(
        "coordinator", sign_entry(forged, organisation_key(world.admin_store))
    )
    forged = forged.signed_by(ADMIN_SIGNER, sign_entry(forged, world.admin.identity))
    rewrite(
        world,
        "INSERT INTO agg_consortium_log (federation, version, entry, hash) VALUES (?, ?, ?, ?)",
        (world.federation, forged.version, json.dumps(forged.to_dict()), forged.hash),
    )
    for participant in world.members:
        with pytest.raises(ConsortiumLogError, match="1 valid member signatures"):
            rules_seen_raw(world, participant)
        kinds = [entry.kind for entry in audit.entries(participant.store)]
        assert "consortium_log_refused" in kinds


def test_an_admission_with_its_quorum_releases_the_token_and_the_seat_is_taken(
    world: Consortium, tmp_path: Path
) -> None:
    invited = consortium.invite(
        world.admin_store,
        world.admin,
        world.membership(world.admin_store),
        lambda: organisation_key(world.admin_store),
        "newco",
        "member",
    )
    proposal = str(invited["proposal"])
    assert world.approve(proposal, "org0", "org1")["state"] == "open"
    assert world.approve(proposal, "org2")["state"] == "accepted"
    issued = consortium.admission_token(world.admin, world.federation, proposal)
    with pytest.raises(AggregatorError, match="once"):
        consortium.admission_token(world.admin, world.federation, proposal)
    newco = make_participant(tmp_path / "late", "newco", python_source(9))
    join(newco, world.url, world.federation, str(issued["token"]), world.admin)
    rules = rules_seen(world, newco)
    assert "newco" in rules.member_keys() and rules.quorum_needed() == 5
    assert rules_seen(world, world.members[4]) == rules
    newco.store.close()


def test_a_rules_change_approved_by_quorum_is_seen_by_every_member(world: Consortium) -> None:
    proposed = world.propose(world.members[0], {"epsilon_per_round": "1", "quorum": "3/4"})
    proposal = str(proposed["id"])
    assert proposed["state"] == "open" and proposed["needed"] == 4
    assert "epsilon_per_round 2.0 -> 1.0" in str(proposed["summary"])
    with world.client(world.members[3]) as client:
        listed = consortium.proposals(
            world.members[3].store, client, world.membership(world.members[3].store)
        )
    assert [item["id"] for item in listed] == [proposal]
    assert world.approve(proposal, "org1", "org2")["state"] == "open"
    assert world.approve(proposal, "org3")["state"] == "accepted"
    for participant in world.members:
        rules = rules_seen(world, participant)
        assert rules.governance.epsilon_per_round == 1.0
        assert rules.quorum_needed() == 5  # 3/4 of six, rounded up
    assert world.admin.status(world.federation)["governance"]["epsilon_per_round"] == 1.0


def test_a_forged_and_a_rolled_back_rules_log_are_detected(world: Consortium) -> None:
    proposal = str(world.propose(world.members[0], {"k_min_participants": "4"})["id"])
    world.approve(proposal, "org1", "org2", "org3")
    first, second = world.members[0], world.members[1]
    assert rules_seen(world, first).governance.k_min_participants == 4
    assert rules_seen(world, second).governance.k_min_participants == 4
    version = consortium.kept_log(first.store, world.federation)[-1].version
    stored = json.loads(
        read(
            world,
            "SELECT entry FROM agg_consortium_log WHERE federation = ? AND version = ?",
            (world.federation, version),
        )
    )
    stored["rules"]["governance"]["k_min_participants"] = 3  # quietly undo the change
    rewrite(
        world,
        "UPDATE agg_consortium_log SET entry = ? WHERE federation = ? AND version = ?",
        (json.dumps(stored), world.federation, version),
    )
    # The admin's machine last verified version 1: the changed entry's signatures fail.
    with pytest.raises(ConsortiumLogError, match="valid member signatures"):
        consortium.sync(world.admin_store, world.admin, world.membership(world.admin_store))
    # A member that verified that version before sees another one in its place: a fork.
    with pytest.raises(ConsortiumLogError, match="forked"):
        rules_seen_raw(world, first)
    rewrite(
        world,
        "DELETE FROM agg_consortium_log WHERE federation = ? AND version = ?",
        (world.federation, version),
    )
    with pytest.raises(ConsortiumLogError, match="rolled back or truncated"):
        rules_seen_raw(world, second)
    reasons = [
        entry.detail["reason"]
        for entry in audit.entries(second.store)
        if entry.kind == "consortium_log_refused"
    ]
    assert reasons and "rolled back" in reasons[-1]


def take_part(
    world: Consortium, participant: Participant, policy: LocalPolicy
) -> list[RoundOutcome]:
    from bmad.federation.participant import participate_in_open_rounds

    return participate_in_open_rounds(
        participant.store,
        participant.identity,
        [str(participant.repo)],
        settings=participant.settings,
        federation=FAST,
        policy=policy,
    )


def test_a_round_that_breaks_the_rules_in_force_is_refused_and_reported(
    world: Consortium,
) -> None:
    """The round was opened at epsilon 2; a quorum lowered the rules to 1 while it enrolled:
    members check the rules in force, not the ones it was opened under."""
    opened = world.admin.open_round(world.federation, "code_patterns")
    proposal = str(world.propose(world.members[0], {"epsilon_per_round": "1"})["id"])
    assert world.approve(proposal, "org1", "org2", "org3")["state"] == "accepted"
    for participant in world.members[1:3]:
        (outcome,) = take_part(world, participant, LocalPolicy())
        assert outcome.outcome == "refused"
        assert "epsilon 2" in outcome.detail and "rules 1" in outcome.detail
    state = world.admin.round(opened["id"])
    assert {row["organisation"] for row in state["refusals"]} == {"org1", "org2"}


def test_only_organisations_the_rules_name_open_rounds(world: Consortium) -> None:
    with (
        world.client(world.members[0]) as client,
        pytest.raises(AggregatorError, match="let only coordinator open rounds, not org0"),
    ):
        client.open_round(world.federation, "code_patterns")
    proposal = str(world.propose(world.members[0], {"round_openers": "org0"})["id"])
    assert world.approve(proposal, "org1", "org2", "org3")["state"] == "accepted"
    with pytest.raises(AggregatorError, match="not coordinator"):
        world.admin.open_round(world.federation, "code_patterns")
    with world.client(world.members[0]) as client:
        opened = client.open_round(world.federation, "code_patterns")
    manifest = opened["parameters"]["manifest"]
    assert manifest["certificate"]["organisation"] == "org0"


def test_a_round_that_breaks_a_members_local_policy_is_refused_by_that_member_only(
    world: Consortium,
) -> None:
    opened = world.admin.open_round(world.federation, "code_patterns")
    strict = {
        "org1": LocalPolicy(max_epsilon_per_round=0.5),
        "org2": LocalPolicy(learning_types=("anti_patterns",)),
        "org3": LocalPolicy(min_organisations=6),
        "org4": LocalPolicy(trusted_aggregators=("not-this-one",)),
    }
    expected = {
        "org1": "above this organisation's policy (0.5)",
        "org2": "does not share code_patterns",
        "org3": "policy requires 6",
        "org4": "not among this organisation's trusted aggregators",
    }
    for participant in world.members[1:]:
        (outcome,) = take_part(world, participant, strict[participant.organisation])
        assert outcome.outcome == "refused"
        assert expected[participant.organisation] in outcome.detail
        assert any(
            entry.kind == "round_refused" and entry.detail["round"] == opened["id"]
            for entry in audit.entries(participant.store)
        )
    refusals = {
        row["organisation"]: row["reason"] for row in world.admin.round(opened["id"])["refusals"]
    }
    assert set(refusals) == set(strict)
    assert "org0" not in refusals  # the rules and its default policy accept the round
    assert "policy:" in refusals["org1"]


def rules_seen_raw(world: Consortium, participant: Participant) -> None:
    with world.client(participant) as client:
        consortium.sync(participant.store, client, world.membership(participant.store))


def rewrite(world: Consortium, sql: str, parameters: tuple[object, ...]) -> None:
    with sqlite3.connect(world.database) as connection:
        connection.execute(sql, parameters)


def read(world: Consortium, sql: str, parameters: tuple[object, ...]) -> str:
    with sqlite3.connect(world.database) as connection:
        return str(connection.execute(sql, parameters).fetchone()[0])
