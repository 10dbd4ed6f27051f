"""What crosses the wire and what the aggregator keeps, checked on a real round.

Five organisations whose repositories are full of canary names, paths, authors and e-mails
take part through a recording proxy; a sixth joined but never enabled sharing.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

from bmad.federation.client import AggregatorClient
from bmad.federation.participant import open_participant_store
from bmad.federation.signing import encode_key
from bmad.privacy import audit
from bmad.privacy.identity import load_or_create_identity
from bmad.privacy.schemas import schema_for
from tests.federation.harness import (
    Aggregator,
    Participant,
    coordinator,
    create_federation,
    fast_settings,
    finished_round,
    in_threads,
    join_as,
    settings,
)
from tests.federation.proxy import recording_proxy
from tests.privacy.canary import MARK, build_canary_repo, leaks

FAST = fast_settings(300.0)


def canary_participant(base: Path, index: int) -> Participant:
    name = f"member{index}"
    repo = build_canary_repo(base / f"{MARK}-repo-{index}").resolve()
    home = base / name
    store = open_participant_store(home / "bmad.sqlite3")
    identity = load_or_create_identity(store, home / "identity.json")
    return Participant(name, home, repo, store, identity, settings(name))


@pytest.mark.usefixtures("opendp_imported")
def test_canaries_never_cross_the_wire_and_the_aggregator_keeps_no_individual_vector(
    tmp_path: Path, aggregator: Aggregator
) -> None:
    admin_store, admin = coordinator(tmp_path / "admin", aggregator.url)
    names = [f"member{index}" for index in range(6)]
    created = create_federation(admin_store, admin, names, "low")
    federation = created["federation"]
    participants = [canary_participant(tmp_path, index) for index in range(6)]
    silent = participants.pop()  # joined, never ran `bmad share enable`
    with recording_proxy(aggregator.url) as proxy:
        for participant in [*participants, silent]:
            with AggregatorClient(proxy.url, participant.identity) as client:
                join_as(
                    participant.store,
                    client,
                    federation,
                    participant.organisation,
                    created["tokens"][participant.organisation],
                    admin,
                )
        for participant in participants:
            participant.enable_sharing()
        joined_bytes = len(proxy.sent())
        opened = admin.open_round(federation, "code_patterns", phase_timeout=20, enrol_timeout=30)

        errors = in_threads(*(p.taking_part(FAST) for p in [*participants, silent]))
        assert not errors, errors
        state = finished_round(admin, opened["id"])
        wire = proxy.sent()

    assert state["state"] == "released", state["reason"]
    assert len(wire) > joined_bytes  # the round's traffic was recorded
    for participant in [*participants, silent]:
        assert leaks(wire, participant.repo) == []
        assert str(participant.home) not in wire.decode("latin-1")

    # the participant without consent sent nothing at all after joining
    silent_key = encode_key(silent.identity.public.signing_public).encode()
    # its join only: the request, the consortium's rules log it verifies, the agreement it signs
    assert wire.count(b"x-bmad-key: " + silent_key) == 3
    assert silent.outcomes == []
    silent_kinds = {entry.kind for entry in audit.entries(silent.store)}
    assert "payload_sent" not in silent_kinds and "budget_reserved" not in silent_kinds

    for participant in participants:
        sent = [e for e in audit.entries(participant.store) if e.kind == "payload_sent"]
        assert len(sent) == 1 and sent[0].detail["destination"].startswith(proxy.url)
        assert [o.outcome for o in participant.outcomes] == ["released"]  # type: ignore[attr-defined]

    # aggregator database: no blob, and the only vector-sized array is the released sum (the
    # record unit's round layout is the schema alone, without participation bits)
    dimension = schema_for("code_patterns").dim
    vectors = []
    with sqlite3.connect(aggregator.db_path) as connection:
        tables = [
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        for table in tables:
            for row in connection.execute(f"SELECT * FROM {table}"):
                for cell in row:
                    assert not isinstance(cell, bytes), table
                    if isinstance(cell, str) and cell.startswith("["):
                        value = json.loads(cell)
                        if isinstance(value, list) and len(value) >= dimension:
                            vectors.append((table, value))
        released = connection.execute("SELECT aggregate FROM agg_releases").fetchone()[0]
    assert vectors == [("agg_releases", json.loads(released))]
    # the log holds no long runs of numbers (no vector was ever written to it)
    log = aggregator.log_path.read_text()
    assert not re.search(r"(-?\d+\s*,\s*){20}", log)
    assert MARK not in log
