"""``bmad learn risk-model``: the admin trains the federation's risk model through real rounds
(three members' machines take part over loopback while the command follows each step), and a
member's command shows the released model it fetched."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from bmad.cli.main import cli
from bmad.federation.client import AggregatorClient
from bmad.federation.participant import open_participant_store, participate_in_open_rounds
from bmad.privacy.identity import load_or_create_identity
from bmad.privacy.risk_schema import FEDERATED_FEATURES, Record
from tests.federation.harness import (
    Aggregator,
    Participant,
    create_federation,
    fast_settings,
    join,
    make_participant,
    python_source,
)
from tests.federation.test_risk_rounds import churn_records

FAST = fast_settings()
# Too few files for one noisy step to find the churn rule reliably: test_risk_rounds checks
# what a training learns.
FILES = 100


def take_part_until(stop: threading.Event, participant: Participant, mine: list[Record]) -> None:
    while not stop.is_set():
        participate_in_open_rounds(
            participant.store,
            participant.identity,
            [str(participant.repo)],
            settings=participant.settings,
            federation=FAST,
            risk_records=lambda _repo: mine,
            stop=stop.is_set,
        )
        stop.wait(0.05)


@pytest.mark.usefixtures("opendp_imported")
def test_the_admin_trains_in_real_rounds_and_a_member_sees_the_model(
    tmp_path: Path, aggregator: Aggregator
) -> None:
    with open_participant_store() as admin_store:  # this BMAD_HOME: the command's store
        admin = AggregatorClient(aggregator.url, load_or_create_identity(admin_store))
        names = [f"org{index}" for index in range(3)]  # the low level's k
        created = create_federation(admin_store, admin, names, "low")
    participants = []
    for index, name in enumerate(names):
        participant = make_participant(tmp_path / "members", name, python_source(index))
        join(participant, aggregator.url, created["federation"], created["tokens"][name], admin)
        participant.enable_sharing("risk_model")
        participants.append(participant)
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=take_part_until,
            args=(stop, participant, churn_records(index, FILES, snapshots=1)),
        )
        for index, participant in enumerate(participants)
    ]
    for thread in threads:
        thread.start()
    try:
        result = CliRunner().invoke(
            cli,
            ["learn", "risk-model", "--steps", "1", "--timeout", "60", "--json"],
            env={"BMAD_FEDERATION__POLL_INTERVAL": "0.05"},
        )
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["role"] == "admin"
    assert [state["state"] for state in document["training"]["rounds"]] == ["released"]
    weights = {item["feature"]: item["weight"] for item in document["model"]["weights"]}
    assert set(weights) == set(FEDERATED_FEATURES)
    assert any(weights.values())  # the step moved the model from zeros (noise and all)

    member = participants[0]
    shown = CliRunner().invoke(
        cli, ["learn", "risk-model", "--json"], env={"BMAD_HOME": str(member.home)}
    )
    assert shown.exit_code == 0, shown.output
    seen = json.loads(shown.stdout)
    assert seen["role"] == "member" and seen["training"] is None
    assert seen["model"]["weights"] == document["model"]["weights"]
