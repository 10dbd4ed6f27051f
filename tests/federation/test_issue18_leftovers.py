"""Issue 18's leftovers, each against a real aggregator process on loopback: a malicious
aggregator presenting its own admin key at join, and the daemon's background path facing a
server that is not the one it joined."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from bmad.cli.main import cli
from bmad.errors import BmadError
from bmad.federation import enrolment, membership, trust
from bmad.federation.background import BackgroundParticipation, refresh_insights
from bmad.federation.client import AggregatorClient
from bmad.federation.governance import governance_for
from bmad.federation.participant import open_participant_store
from bmad.federation.settings import FederationSettings
from bmad.privacy import consent
from bmad.privacy.identity import Identity, fingerprint, load_or_create_identity
from bmad.privacy.sharing import cached_global_insights
from bmad.store.connection import Store
from tests.federation.harness import (
    Aggregator,
    Participant,
    coordinator,
    create_federation,
    make_participant,
    python_source,
    running_aggregator,
)


@dataclass
class Hijacked:
    aggregator: Aggregator
    federation: str
    tokens: dict[str, str]
    admin_fingerprint: str  # what the real admin hands out with each token

    def acme_joins(self, member: Participant, **pinned: str) -> None:
        """``member`` joins as acme with its token, checking the keys ``pinned`` names."""
        with member.client(self.aggregator.url) as client:
            enrolment.join(
                member.store,
                client,
                self.federation,
                "acme",
                self.tokens["acme"],
                member.certificate(self.federation),
                **pinned,
            )


@pytest.fixture
def hijacked(tmp_path: Path) -> Iterator[Hijacked]:
    """A federation whose aggregator then swaps the admin key and the rules it hands out for
    its own (looser rules, signed by a key it holds), as a malicious operator can in its
    database."""
    with running_aggregator(tmp_path / "aggregator") as aggregator:
        store, admin = coordinator(tmp_path / "admin", aggregator.url)
        created = create_federation(store, admin, ["acme", "globex"], "low")
        impostor = load_or_create_identity(store, tmp_path / "impostor" / "id.json")
        looser = governance_for("low", epsilon_per_round=8.0, epsilon_per_period=8.0)
        with sqlite3.connect(aggregator.db_path) as connection:
            connection.execute(
                "UPDATE agg_federations SET admin_key = ?, governance = ?, rules_signature = ? "
                "WHERE id = ?",
                (
                    trust.b64(impostor.public.signing_public),
                    json.dumps(looser.to_dict()),
                    trust.sign_rules(impostor, looser),
                    created["federation"],
                ),
            )
        yield Hijacked(
            aggregator,
            created["federation"],
            created["tokens"],
            admin.identity.fingerprint,
        )


def test_a_join_with_the_admins_fingerprint_refuses_an_admin_key_the_aggregator_swapped(
    tmp_path: Path, hijacked: Hijacked
) -> None:
    member = make_participant(tmp_path / "members", "acme", python_source(1))
    with pytest.raises(BmadError, match=f"not the {hijacked.admin_fingerprint} you were given"):
        hijacked.acme_joins(member, admin_fingerprint=hijacked.admin_fingerprint)
    assert membership.current(member.store) is None  # nothing pinned, no looser rules kept


def test_a_join_without_a_fingerprint_warns_loudly_and_names_the_key_it_trusted(
    tmp_path: Path,
) -> None:
    with running_aggregator(tmp_path / "aggregator") as aggregator:
        store, admin = coordinator(tmp_path / "admin", aggregator.url)
        created = create_federation(store, admin, ["globex"], "low")
        result = CliRunner().invoke(
            cli,
            [
                "federation",
                "join",
                "--consortium-id",
                created["federation"],
                "--organization",
                "globex",
                "--aggregator",
                aggregator.url,
                "--token",
                created["tokens"]["globex"],
                "--json",
            ],
            env={**os.environ, "BMAD_HOME": str(tmp_path / "globex-home")},
            catch_exceptions=False,
        )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["admin_key_checked"] is False
    assert document["aggregator_key_checked"] is False
    # the fingerprint the member must now compare with the one the admin gives out of band
    assert document["admin_fingerprint"] == admin.identity.fingerprint
    assert "admin key was NOT checked" in result.stderr
    assert admin.identity.fingerprint in result.stderr


def test_a_join_with_the_wrong_aggregator_fingerprint_is_refused_before_the_token_is_sent(
    tmp_path: Path, hijacked: Hijacked
) -> None:
    member = make_participant(tmp_path / "members", "acme", python_source(1))
    expected = fingerprint(member.identity.public.signing_public)  # any other server's key
    with pytest.raises(BmadError, match="another server answers at that address"):
        hijacked.acme_joins(member, aggregator_fingerprint=expected)
    assert membership.current(member.store) is None


@pytest.fixture
def two_aggregators(tmp_path: Path) -> Iterator[tuple[Aggregator, Aggregator]]:
    with (
        running_aggregator(tmp_path / "joined") as joined,
        running_aggregator(tmp_path / "other") as other,
    ):
        yield joined, other


def joined_then_moved(
    tmp_path: Path, joined: Aggregator, other: Aggregator
) -> tuple[Store, Identity]:
    """This home joins at ``joined`` and pins its key; then its membership's address reaches
    ``other`` (a hijacked name, a moved port)."""
    store = open_participant_store()
    identity = load_or_create_identity(store)
    admin_store, admin = coordinator(tmp_path / "admin", joined.url)
    created = create_federation(admin_store, admin, ["acme"], "low")
    with AggregatorClient(joined.url, identity) as client:
        enrolment.join(
            store,
            client,
            created["federation"],
            "acme",
            created["tokens"]["acme"],
            enrolment.certify(
                store,
                enrolment.organisation_identity(store),
                created["federation"],
                "acme",
                identity.public.signing_public,
                1.0,
            ),
        )
    member = membership.current(store)
    assert member is not None and member.pinned_aggregator_key is not None
    membership.remember(
        store,
        member.federation,
        other.url,  # same membership, pinned key unchanged, another server at the address
        member.organisation,
        member.role,
        membership.Pinned(
            member.admin_key,
            member.rules,
            member.rules_signature,
            member.certificate,
            member.aggregator_key,
        ),
    )
    return store, identity


def test_the_background_path_refuses_a_server_other_than_the_one_joined(
    tmp_path: Path,
    two_aggregators: tuple[Aggregator, Aggregator],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The member's aggregator address now reaches another aggregator (a hijacked name, a
    moved port): with the key pinned at join, the daemon refuses every answer from it."""
    joined, other = two_aggregators
    home = tmp_path / "home"
    monkeypatch.setenv("BMAD_HOME", str(home))
    store, identity = joined_then_moved(tmp_path, joined, other)
    settings = FederationSettings(other.url, 10.0, 0.05, 5.0, 30.0, True)
    with pytest.raises(BmadError, match="not signed by its key"):
        refresh_insights(store, identity, settings)
    assert cached_global_insights(store) == []

    # the daemon's loop: a repository shares, yet nothing is taken from the other server
    repo = tmp_path / "repo"
    repo.mkdir()
    consent.enable(store, str(repo), ["code_patterns"])
    store.close()
    (home / "config.toml").write_text(f'[federation]\naggregator = "{other.url}"\n')
    with caplog.at_level(logging.WARNING, logger="bmad.federation.background"):
        delay = BackgroundParticipation(stop=threading.Event()).run_once()
    assert delay == 60.0
    assert "not signed by its key" in caplog.text


def test_the_background_path_does_not_trust_a_key_it_never_pinned(
    tmp_path: Path, two_aggregators: tuple[Aggregator, Aggregator]
) -> None:
    joined, _ = two_aggregators
    store = open_participant_store(tmp_path / "m" / "bmad.sqlite3")
    identity = load_or_create_identity(store, tmp_path / "m" / "id.json")
    # a membership recorded before keys were pinned: the daemon must not learn the key now
    membership.remember(store, "7c1d0a52-0000-4000-8000-000000000001", joined.url, "acme", "member")
    settings = FederationSettings(joined.url, 10.0, 0.05, 5.0, 30.0, True)
    with pytest.raises(BmadError, match="no aggregator key was pinned"):
        refresh_insights(store, identity, settings)


def test_foreground_commands_check_answers_against_the_key_pinned_at_join(
    tmp_path: Path, two_aggregators: tuple[Aggregator, Aggregator], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``learn`` and ``insights --global`` check answers against the pinned key, not the one
    /v1/health states."""
    joined, other = two_aggregators
    home = tmp_path / "home"
    monkeypatch.setenv("BMAD_HOME", str(home))
    store, _ = joined_then_moved(tmp_path, joined, other)
    store.close()
    (home / "config.toml").write_text(f'[federation]\naggregator = "{other.url}"\n')
    repo = tmp_path / "repo"
    repo.mkdir()

    result = CliRunner().invoke(cli, ["insights", "patterns", str(repo), "--global"])

    assert result.exit_code == 2
    assert "not signed by its key" in result.stderr
