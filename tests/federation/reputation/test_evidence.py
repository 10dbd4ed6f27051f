"""A member's check of the reputation evidence, on documents built as the aggregator builds
them (the live aggregator's answers are checked in test_live.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from bmad.errors import BmadError
from bmad.federation.reputation.evidence import Head, check
from bmad.federation.reputation.model import Event, reputation
from bmad.privacy.audit import GENESIS, entry_hash

FEDERATION = "6f1c2d3e-0000-4000-8000-000000000001"
NOW = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)
CLOSED = "2026-12-01T10:00:00.000000+00:00"


def evidence_document(kinds: list[str]) -> dict[str, Any]:
    """org0's events of ``kinds``, one round each, chained between entries of others."""
    events = [
        {
            "organisation": "org0",
            "organisation_key": "key0",
            "kind": kind,
            "round": f"round-{index}",
            "learning_type": "code_patterns",
            "at": CLOSED,
        }
        for index, kind in enumerate(kinds)
    ]
    chain: list[tuple[str, dict[str, Any]]] = [("round_released", {"round": "elsewhere"})]
    for event in events:
        chain.append(("reputation_event", {"federation": FEDERATION, **event}))
        chain.append(("access_decision", {"federation": "another"}))
    entries, links, previous = [], [], GENESIS
    for seq, (kind, detail) in enumerate(chain, start=1):
        detail_json = json.dumps(detail, sort_keys=True, separators=(",", ":"))
        digest = entry_hash(seq, CLOSED, kind, detail_json, previous)
        if kind == "reputation_event":
            entries.append(
                {
                    "seq": seq,
                    "at": CLOSED,
                    "kind": kind,
                    "detail": detail_json,
                    "prev_hash": previous,
                    "hash": digest,
                }
            )
        links.append([seq, previous, digest])
        previous = digest
    held = [Event(kind, datetime.fromisoformat(CLOSED)) for kind in kinds]
    return {
        "federation": FEDERATION,
        "now": NOW.isoformat(),
        "organisations": [
            {
                "organisation": "org0",
                "organisation_key": "key0",
                "reputation": reputation(held, (), NOW).to_dict(),
            }
        ],
        "events": events,
        "ratings": [],
        "audit_entries": entries,
        "audit_links": links[1:],  # from the first entry of this federation
    }


def test_evidence_as_chained_is_verified_and_its_score_recomputed() -> None:
    document = evidence_document(["round_completed", "round_completed", "dropped_out"])
    result = check(document)
    assert result.problems == []
    assert result.entries_checked == 3
    assert result.head == {"seq": 7, "hash": document["audit_links"][-1][2]}
    (row,) = result.organisations
    faded = 0.9 ** (3 / 30)  # each event is 3 whole days old (3 days 17 hours)
    assert row["recomputed_score"] == pytest.approx((1 + 2 * faded) / (2 + 3 * faded))
    assert row["agrees"]


def test_a_broken_link_a_rewritten_head_and_an_inflated_score_are_each_found() -> None:
    document = evidence_document(["round_completed", "dropped_out"])
    head = Head(5, document["audit_links"][-1][2])
    assert check(document, head).problems == []
    document["audit_links"][1][1] = "f" * 64  # entry 3 (another federation's) relinked
    assert check(document).problems == ["audit entry 3 does not link to the entry before it"]
    document = evidence_document(["round_completed", "dropped_out"])
    assert check(document, Head(5, "0" * 64)).problems == [
        "audit entry 5 is not the head this machine verified last: the log was rewritten"
    ]
    two_rounds = [Event("round_completed", datetime.fromisoformat(CLOSED))] * 2
    document["organisations"][0]["reputation"] = reputation(two_rounds, (), NOW).to_dict()
    # stated (1 + 2w) / (2 + 2w) with w = 0.9^(3/30); the evidence gives (1 + w) / (2 + 2w)
    assert check(document).problems == [
        "org0: the aggregator states score 0.748683 (new); its evidence gives 0.500000 (new)"
    ]


def test_an_event_under_another_key_does_not_count_and_malformed_evidence_is_refused() -> None:
    document = evidence_document(["dropped_out"])
    document["organisations"][0]["organisation_key"] = "a-new-key"
    document["organisations"][0]["reputation"] = reputation((), (), NOW).to_dict()
    assert check(document).problems == []
    del document["audit_links"]
    with pytest.raises(BmadError, match="reputation evidence is malformed"):
        check(document)
