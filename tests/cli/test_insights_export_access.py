"""`bmad insights export` says when no federation access decision was checked: outside a
federation, and when the federation's aggregator cannot be reached. (A federation whose rules
hold an access policy is tested live in tests/federation/reputation/test_live.py.)"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from bmad.cli.main import cli
from bmad.federation.client import AggregatorClient
from bmad.federation.participant import open_participant_store
from bmad.privacy.identity import load_or_create_identity
from tests.federation.harness import (
    create_federation,
    join,
    make_participant,
    python_source,
    serving_in_process,
)


def export(home: Path | None = None) -> tuple[int, str, str]:
    env = None if home is None else {"BMAD_HOME": str(home)}
    result = CliRunner().invoke(
        cli, ["insights", "export", "--privacy-preserved", "--json"], env=env
    )
    return result.exit_code, result.stdout, result.stderr


def test_outside_a_federation_the_export_says_no_decision_was_asked() -> None:
    code, out, err = export()
    assert code == 0, err
    assert json.loads(out)["privacy_preserved"] is True
    assert "this machine is in no federation: no access decision was asked" in err


def test_an_unreachable_aggregator_leaves_the_access_policy_unchecked(tmp_path: Path) -> None:
    with serving_in_process(tmp_path / "aggregator.sqlite3") as (url, _app):
        admin_store = open_participant_store(tmp_path / "admin" / "bmad.sqlite3")
        identity = load_or_create_identity(admin_store, tmp_path / "admin" / "key.json")
        with AggregatorClient(url, identity) as admin:
            created = create_federation(admin_store, admin, ["org0"])
            member = make_participant(tmp_path / "members", "org0", python_source(0))
            join(member, url, created["federation"], created["tokens"]["org0"], admin)
        admin_store.close()
        member.store.close()
    code, out, err = export(member.home)  # the aggregator has stopped
    assert code == 0, err
    assert json.loads(out)["privacy_preserved"] is True
    assert "the aggregator could not be reached" in err
    assert "the federation's access policy for exports was not checked" in err
