"""The consortium's tables and routes on an aggregator backed by PostgreSQL (a throwaway
cluster; skipped where none can start, required in CI)."""

from __future__ import annotations

from pathlib import Path

from bmad.federation.client import AggregatorClient
from bmad.federation.consortium import member as consortium
from bmad.federation.membership import current
from bmad.federation.participant import open_participant_store
from bmad.privacy.identity import load_or_create_identity
from tests.federation.harness import (
    create_federation,
    join,
    make_participant,
    organisation_key,
    python_source,
    running_aggregator,
)


def test_a_rules_change_by_quorum_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    with running_aggregator(tmp_path / "aggregator", ("--database", postgres_url)) as aggregator:
        admin_store = open_participant_store(tmp_path / "admin" / "bmad.sqlite3")
        identity = load_or_create_identity(admin_store, tmp_path / "admin" / "id.json")
        with AggregatorClient(aggregator.url, identity) as admin:
            names = ["org0", "org1"]
            created = create_federation(admin_store, admin, names, "low")
            members = []
            for index, name in enumerate(names):
                participant = make_participant(tmp_path / "orgs", name, python_source(index))
                join(
                    participant,
                    aggregator.url,
                    created["federation"],
                    created["tokens"][name],
                    admin,
                )
                members.append(participant)
            first, second = members
            with first.client(aggregator.url) as client:
                member = current(first.store)
                assert member is not None
                proposed = consortium.propose_rules(
                    first.store, client, member, organisation_key(first.store), {"delta": "1e-6"}
                )
            assert proposed["state"] == "open" and proposed["needed"] == 2
            with second.client(aggregator.url) as client:
                member = current(second.store)
                assert member is not None
                accepted = consortium.approve(
                    second.store, client, member, organisation_key(second.store), proposed["id"]
                )
                assert accepted["state"] == "accepted"
                rules = consortium.rules_in_force(second.store, client, member)
            assert rules.governance.delta == 1e-6
            assert admin.status(created["federation"])["governance"]["delta"] == 1e-6
        for participant in members:
            participant.store.close()
        admin_store.close()
