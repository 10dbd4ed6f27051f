"""Reputation, credits and access on a real aggregator (uvicorn on loopback) with six member
organisations, a coordinator and a newly admitted organisation, through real rounds.

Figures, worked by hand (no time passes that the forgetting factor would notice):

- round 1, all six see it through: each Beta(2, 1), score 2/3;
- round 2, org5 enrols and then never answers: org0-org4 Beta(3, 1) = 0.75, org5 Beta(2, 2) = 0.5;
- org0 rates org5 0.0: org0 weighs 3/4 (score) x 2/4 (tenure) = 0.375; org5's cap is
  0.5 x 2 events = 1, so s += 0.375: Beta(2, 2.375), score 2 / 4.375 = 0.457 -> untrusted;
- org0 rates again, 1.0, the same month: it replaces the first: Beta(2.375, 2) = 0.543 -> new;
- the newcomer (admitted, no rounds: weight 0) rates org5 0.0: nothing changes.

The tests of the evidence members check and of an aborted round come last: the aborted round
adds events that the figures above do not count.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bmad.cli.main import cli
from bmad.errors import BmadError
from bmad.federation import membership
from bmad.federation.client import AggregatorError
from bmad.federation.consortium import member as consortium
from bmad.federation.participant import open_participant_store
from bmad.federation.reputation import remote
from bmad.federation.reputation.routes import (
    RulesSource,
    TrustService,
    consortium_rules,
    service_of,
)
from bmad.privacy.identity import load_or_create_identity
from tests.federation.harness import (
    LiveFederation,
    Participant,
    fast_settings,
    finished_round,
    in_threads,
    organisation_key,
)

FAST = fast_settings()
MEMBERS = 6

RULES: dict[str, Any] = {
    "incentives": {
        "enabled": True,
        "credits_per_round": {"default": 1},
        "unlocks": {"read_insights": 1, "export_insights": 3},
        "grace_period_days": 30,
        "exempt_roles": ["admin"],
    },
    "access": {
        "minimum_levels": {"open_round": "established"},
        "organisations": {"org0": {"sector": "health", "size_band": "large"}},
        "default": {"export_insights": "deny"},
        "rules": [
            {
                "action": "export_insights",
                "effect": "allow",
                "purposes": ["research"],
                "sectors": ["health"],
            }
        ],
    },
}


@dataclass
class World(LiveFederation):
    rounds: list[str] = field(default_factory=list)  # the rounds the fixture ran
    rules_in_force: RulesSource = field(init=False)  # the consortium log's head, as served

    def __post_init__(self) -> None:
        self.rules_in_force = self.trust.rules

    @property
    def trust(self) -> TrustService:
        return service_of(self.app)

    @property
    def newcomer(self) -> Participant:
        return self.guests["newcomer"]


def run_round(world: World, absent: tuple[Participant, ...] = ()) -> str:
    """A round every member enrols in; the ``absent`` then never answer a phase."""
    opened = world.admin.open_round(
        world.federation, "code_patterns", enrol_timeout=30, phase_timeout=2
    )
    for missing in absent:
        with missing.client(world.url) as client:
            client.enrol(opened["id"])
    present = [p for p in world.members if p not in absent]
    assert not in_threads(
        world.closing_enrolment(opened["id"], MEMBERS, present),
        *(p.taking_part(FAST) for p in present),
    )
    finished_round(world.admin, opened["id"], seconds=30)
    return str(opened["id"])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with World.served(
        tmp_path_factory.mktemp("reputation"),
        MEMBERS,
        k=5,
        governance={"k_min_participants": 5, "units": {"code_patterns": "organisation"}},
        invited=("newcomer",),
    ) as world:
        world.join_invited("newcomer", seed=8)
        world.rounds.append(run_round(world))
        world.rounds.append(run_round(world, absent=(world.members[5],)))
        yield world


def rate(world: World, rater: Participant, target: str, quality: float) -> dict[str, Any]:
    with rater.client(world.url) as client:
        return remote.rate(
            client,
            organisation_key(rater.store),
            world.federation,
            rater.organisation,
            target,
            quality,
        )


def reputation_of(world: World, organisation: str) -> dict[str, Any]:
    with world.members[1].client(world.url) as client:
        return remote.reputation(client, world.federation, organisation)


def test_the_policies_are_those_of_the_consortium_rules_in_force(world: World) -> None:
    document = consortium_rules(world.trust.database)(world.federation)
    assert document is not None
    assert document == world.rules_in_force(world.federation)
    assert {"quorum", "incentives", "access"} <= set(document)
    _, _, governed = world.trust.policies(world.federation)
    assert not governed  # the founding rules of the harness write neither section


def test_rounds_raise_reputation_and_a_dropout_lowers_it(world: World) -> None:
    org0 = reputation_of(world, "org0")
    assert org0["reputation"]["score"] == pytest.approx(0.75)
    assert [event["kind"] for event in org0["events"]] == ["round_completed"] * 2
    assert [event["round"] for event in org0["events"]] == world.rounds
    assert org0["history"][0]["score"] == pytest.approx(2 / 3, abs=1e-6)
    org5 = reputation_of(world, "org5")
    assert org5["reputation"]["score"] == pytest.approx(0.5, abs=1e-6)
    assert [event["kind"] for event in org5["events"]] == ["round_completed", "dropped_out"]
    assert org5["reputation"]["level"] == "new"


def test_ratings_count_by_the_raters_weight_once_per_pair_and_not_from_sybils(
    world: World,
) -> None:
    first = rate(world, world.members[0], "org5", 0.0)
    assert first["replaced"] is None
    state = reputation_of(world, "org5")["reputation"]
    assert (state["alpha"], state["beta"]) == pytest.approx((2.0, 2.375), abs=1e-5)
    assert state["score"] == pytest.approx(2 / 4.375, abs=1e-5)
    assert state["level"] == "untrusted"
    again = rate(world, world.members[0], "org5", 1.0)
    assert again["replaced"] == 0.0
    rate(world, world.newcomer, "org5", 0.0)  # weight 0: admitted, no round seen through
    report = reputation_of(world, "org5")
    state = report["reputation"]
    assert (state["alpha"], state["beta"]) == pytest.approx((2.375, 2.0), abs=1e-5)
    assert state["level"] == "new"
    assert sorted((r["rater"], r["rater_weight"]) for r in report["ratings"]) == [
        ("newcomer", 0.0),
        ("org0", pytest.approx(0.375, abs=1e-5)),
    ]
    with pytest.raises(BmadError, match="cannot rate itself"):
        rate(world, world.members[1], "org1", 1.0)
    self_rating = {
        "federation": world.federation,
        "rater": "org1",
        "target": "org1",
        "period": first["period"],
        "quality": 1.0,
        "rater_key": first["rater_key"],
        "signature": first["signature"],
    }
    with (
        world.members[1].client(world.url) as client,
        pytest.raises(AggregatorError, match="400 an organisation cannot rate itself"),
    ):
        client.request("POST", f"/v1/federations/{world.federation}/ratings", self_rating)


def test_a_rating_not_signed_by_the_raters_organisation_key_is_refused(world: World) -> None:
    someone_else = load_or_create_identity(
        world.members[2].store, world.members[2].home / "other-key.json"
    )
    with (
        world.members[2].client(world.url) as client,
        pytest.raises(AggregatorError, match="not the key that signed the rating"),
    ):
        remote.rate(client, someone_else, world.federation, "org2", "org3", 1.0)


def test_credits_grant_access_and_the_grace_period_revokes_it(world: World) -> None:
    trust = world.trust
    trust.rules = lambda _federation: RULES
    try:
        with world.members[0].client(world.url) as client:
            assert client.insights(world.federation)  # 2 credits unlock reading (needs 1)
            with pytest.raises(AggregatorError, match="export_insights needs 3 credits"):
                client.request(
                    "GET",
                    f"/v1/federations/{world.federation}/insights",
                    query={"export": "true", "purpose": "research"},
                )
        with (
            world.newcomer.client(world.url) as client,
            pytest.raises(
                AggregatorError, match="read_insights needs 1 credits and the organisation holds 0"
            ),
        ):
            client.insights(world.federation)
        later = datetime.now(UTC) + timedelta(days=31)
        trust.clock = lambda: later
        with (
            world.members[0].client(world.url) as client,
            pytest.raises(AggregatorError, match="30-day grace period"),
        ):
            client.insights(world.federation)
    finally:
        trust.rules = world.rules_in_force
        trust.clock = lambda: datetime.now(UTC)
    audit = world.trust.database.connection.execute(
        "SELECT detail FROM agg_audit WHERE kind = 'access_decision' ORDER BY seq"
    ).fetchall()
    audit = [row for row in audit if '"action":"open_round"' not in row[0]]
    assert len(audit) == 4
    assert ['"allowed":true' in row[0] for row in audit] == [True, False, False, False]


def test_a_minimum_level_keeps_a_new_organisation_from_opening_rounds(world: World) -> None:
    world.trust.rules = lambda _federation: RULES
    try:
        with pytest.raises(AggregatorError, match="needs trust level established or above"):
            world.admin.open_round(world.federation, "code_patterns")
    finally:
        world.trust.rules = world.rules_in_force


def test_a_minimum_level_decides_who_counts_toward_quorum(world: World) -> None:
    assert world.trust.quorum_eligibility(world.federation)("org0")  # no policy: everyone
    world.trust.rules = lambda _federation: {"access": {"minimum_levels": {"quorum": "new"}}}
    try:
        assert world.trust.quorum_eligibility(world.federation)("org0")  # new, Beta(3, 1)
        world.trust.rules = lambda _federation: (
            RULES | {"access": {"minimum_levels": {"quorum": "established"}}}
        )
        assert not world.trust.quorum_eligibility(world.federation)("org0")
    finally:
        world.trust.rules = world.rules_in_force


def run_cli(home: Path, *args: str) -> Any:
    return CliRunner().invoke(cli, list(args), env={"BMAD_HOME": str(home)})


def test_the_commands_answer_in_json_with_their_exit_codes(world: World) -> None:
    org1 = world.members[1]
    analyzed = run_cli(
        org1.home, "trust", "analyze", "--organization", "org0", "--reputation-metrics", "--json"
    )
    assert analyzed.exit_code == 0, analyzed.output
    assert '"level": "new"' in analyzed.output  # Beta(3, 1): lower bound 0.05^(1/3) = 0.37
    assert '"score": 0.75' in analyzed.output
    shown = run_cli(org1.home, "trust", "analyze", "--organization", "org5", "--reputation-metrics")
    assert shown.exit_code == 0, shown.output
    assert "org5: new, score 0.543 (90% interval" in shown.output
    assert "rated 1 by org0 (weight 0.375)" in shown.output
    table = run_cli(org1.home, "federation", "status", "--trust-levels")
    assert table.exit_code == 0, table.output
    assert "level" in table.output and "established" not in table.output
    levels = run_cli(org1.home, "federation", "status", "--trust-levels", "--json")
    assert levels.exit_code == 0, levels.output
    assert '"trust_level_cutoffs"' in levels.output
    with pytest.MonkeyPatch.context() as patch:  # what the dashboard shows without asking
        patch.setenv("BMAD_HOME", str(org1.home))
        with open_participant_store() as store:
            member = membership.current(store)
            assert member is not None
            cached = membership.cached_trust_levels(store, member.federation)
    assert cached is not None
    assert {row["organisation"] for row in cached[1]["organisations"]} >= {"org0", "org5"}
    world.trust.rules = lambda _federation: RULES
    try:
        denied = run_cli(
            org1.home,
            "trust",
            "access",
            "--action",
            "export_insights",
            "--purpose",
            "research",
            "--json",
        )
    finally:
        world.trust.rules = world.rules_in_force
    assert denied.exit_code == 1
    assert '"allowed": false' in denied.output
    assert "sector None not in ['health']" in denied.output
    rated = run_cli(
        org1.home,
        "reputation",
        "update",
        "--participant",
        "org2",
        "--contribution-quality",
        "0.9",
        "--json",
    )
    assert rated.exit_code == 0, rated.output
    assert '"quality": 0.9' in rated.output
    wrong = run_cli(
        org1.home, "reputation", "update", "--participant", "org2", "--contribution-quality", "2"
    )
    assert wrong.exit_code == 2


def verify(world: World, organisation: str = "org5") -> Any:
    return run_cli(
        world.members[1].home,
        "trust",
        "analyze",
        "--organization",
        organisation,
        "--verify",
        "--json",
    )


@contextmanager
def tampered(
    world: World, change: tuple[str, tuple[Any, ...]], undo: tuple[str, tuple[Any, ...]]
) -> Iterator[None]:
    """The aggregator's tables changed behind the audit log's back, then put back."""
    database = world.trust.database
    with database.transaction() as connection:
        connection.execute(*change)
    try:
        yield
    finally:
        with database.transaction() as connection:
            connection.execute(*undo)


def test_members_recompute_every_reputation_from_the_chained_evidence(world: World) -> None:
    checked = verify(world)
    assert checked.exit_code == 0, checked.output
    verification = json.loads(checked.output)["verification"]
    assert verification["verified"] and verification["problems"] == []
    # 2 rounds of 6 members less org5's missed one, and the ratings the tests above made
    assert verification["entries_checked"] >= 11 + 3
    rows = {row["organisation"]: row for row in verification["organisations"]}
    assert rows["org0"]["recomputed_score"] == pytest.approx(0.75)
    assert rows["org5"]["recomputed_score"] == pytest.approx(2.375 / 4.375, abs=1e-6)
    shown = run_cli(world.members[1].home, "trust", "analyze", "--organization", "org0", "--verify")
    assert shown.exit_code == 0, shown.output
    assert "evidence verified:" in shown.output
    assert "ok  org0: stated 0.750, recomputed 0.750" in shown.output


def test_a_tampered_event_or_rating_is_a_mismatch(world: World) -> None:
    first_round = world.rounds[0]
    moved = "UPDATE agg_reputation_events SET at = ? WHERE organisation = 'org2' AND round = ?"
    (original,) = world.trust.database.connection.execute(
        "SELECT at FROM agg_reputation_events WHERE organisation = 'org2' AND round = ?",
        (first_round,),
    ).fetchone()
    earlier = (datetime.fromisoformat(original) - timedelta(days=40)).isoformat()
    with tampered(world, (moved, (earlier, first_round)), (moved, (original, first_round))):
        checked = verify(world, "org2")
    assert checked.exit_code == 1, checked.output
    problems = json.loads(checked.output)["verification"]["problems"]
    assert problems == [
        f"event round_completed of org2 in round {first_round} is not the one the audit log "
        "recorded"
    ]
    hidden = (
        "UPDATE agg_reputation_events SET kind = 'round_completed' "
        "WHERE organisation = 'org5' AND round = ?"
    )
    shown = (
        "UPDATE agg_reputation_events SET kind = 'dropped_out' "
        "WHERE organisation = 'org5' AND round = ?"
    )
    second_round = (world.rounds[1],)
    with tampered(world, (hidden, second_round), (shown, second_round)):
        checked = verify(world)
    assert checked.exit_code == 1, checked.output
    problems = json.loads(checked.output)["verification"]["problems"]
    assert any("missing from the events" in problem for problem in problems)
    raised = "UPDATE agg_ratings SET quality = quality + 0.5 WHERE target = 'org5' AND rater = ?"
    lowered = "UPDATE agg_ratings SET quality = quality - 0.5 WHERE target = 'org5' AND rater = ?"
    with tampered(world, (raised, ("newcomer",)), (lowered, ("newcomer",))):
        checked = run_cli(
            world.members[1].home, "trust", "analyze", "--organization", "org5", "--verify"
        )
    assert checked.exit_code == 1, checked.output
    assert "not the latest one the audit log recorded" in checked.output
    assert "is not signed by newcomer's organisation key" in checked.output
    assert verify(world).exit_code == 0


def test_a_member_detects_the_audit_log_cut_short_of_the_head_it_verified(world: World) -> None:
    assert verify(world).exit_code == 0  # org1's machine keeps the head it verified
    last = world.trust.database.connection.execute(
        "SELECT seq, at, kind, detail, prev_hash, hash FROM agg_audit ORDER BY seq DESC LIMIT 1"
    ).fetchone()
    cut = ("DELETE FROM agg_audit WHERE seq = ?", (last[0],))
    restored = (
        "INSERT INTO agg_audit (seq, at, kind, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)",
        tuple(last),
    )
    with tampered(world, cut, restored):
        checked = verify(world)
    assert checked.exit_code == 1, checked.output
    problems = json.loads(checked.output)["verification"]["problems"]
    assert problems[0] == (
        f"the audit log no longer reaches entry {last[0]}, the head this machine verified last: "
        "it was truncated or rolled back"
    )
    assert verify(world).exit_code == 0


def test_an_aborted_round_marks_only_the_members_missing_at_the_failed_phase(
    world: World,
) -> None:
    absent = (world.members[4], world.members[5])
    round_id = run_round(world, absent=absent)  # 4 of 6 answer: below the threshold of 5
    assert world.admin.round(round_id)["state"] == "aborted"
    for member in world.members:
        kinds = [
            event["kind"]
            for event in reputation_of(world, member.organisation)["events"]
            if event["round"] == round_id
        ]
        assert kinds == (["dropped_out"] if member in absent else [])
    org4 = reputation_of(world, "org4")["reputation"]
    assert (org4["alpha"], org4["beta"]) == pytest.approx((3.0, 2.0))  # two rounds, one dropout
    assert verify(world, "org4").exit_code == 0


def test_an_export_asks_the_access_policy_of_the_rules_in_force(world: World) -> None:
    """Last: the consortium adopts an access policy by quorum, which later tests would meet."""
    sections = {
        "incentives": RULES["incentives"] | {"unlocks": {"read_insights": 1, "export_insights": 2}},
        "access": RULES["access"],
    }

    def membership_of(participant: Participant) -> membership.Membership:
        found = membership.current(participant.store)
        assert found is not None
        return found

    proposer = world.members[0]
    with proposer.client(world.url) as client:
        proposal = consortium.propose_rules(
            proposer.store,
            client,
            membership_of(proposer),
            organisation_key(proposer.store),
            {},
            sections,
        )
    state = "open"
    for approver in [*world.members[1:], world.newcomer]:
        if state == "accepted":
            break
        with approver.client(world.url) as client:
            state = consortium.approve(
                approver.store,
                client,
                membership_of(approver),
                organisation_key(approver.store),
                str(proposal["id"]),
            )["state"]
    assert state == "accepted"

    def export(participant: Participant, purpose: str) -> Any:
        return run_cli(
            participant.home,
            "insights",
            "export",
            "--privacy-preserved",
            "--purpose",
            purpose,
            "--json",
        )

    denied = export(world.members[1], "research")  # no declared sector
    assert denied.exit_code == 1, denied.output
    answer = json.loads(denied.stdout)
    assert answer["exported"] is False
    assert answer["access"]["checked"] and not answer["access"]["allowed"]
    assert "sector None not in ['health']" in answer["access"]["explanation"]
    assert answer["access"]["decision"]["request"]["purpose"] == "research"
    wrong_purpose = export(world.members[0], "marketing")
    assert wrong_purpose.exit_code == 1, wrong_purpose.output
    assert "nothing exported: the federation's access policy denies" in wrong_purpose.stderr
    allowed = export(world.members[0], "research")  # health, 2 credits, a research purpose
    assert allowed.exit_code == 0, allowed.output
    assert json.loads(allowed.stdout)["privacy_preserved"] is True
    assert "the federation's access policy allows the export" in allowed.stderr
