"""A member's own check of the reputations the aggregator states.

From ``GET /v1/federations/{f}/reputation-evidence`` (``ledger.evidence``) a member:

1. checks the audit log's hash links from the first reputation entry of the federation to the
   head (each link's ``prev_hash`` is the hash before it) and recomputes the hash of every
   entry whose contents it received;
2. matches every stated event and rating to the entry that recorded it, and every entry to a
   stated event or rating (an event dropped from the tables, or one added without an entry,
   is a mismatch); the latest entry of a (rater, target, period) is the rating that counts;
3. checks every rating's signature by its rater's organisation key;
4. recomputes each organisation's beta reputation from the events and ratings counted under
   the keys the organisations hold (as the aggregator does in ``ledger.standing``), at the
   time the aggregator states, and compares it with the stated one.

5. compares the log with the head it kept from its last verified answer (``kept_head``): a log
   that now ends before that entry was truncated or rolled back, one whose entry there has
   another hash was rewritten.

What this does not prove: entries the member received only as hash links (other federations')
could hide an entry of this federation under another kind.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bmad.errors import BmadError
from bmad.federation.reputation.model import (
    Event,
    WeightedRating,
    rater_weight,
    reputation,
)
from bmad.federation.reputation.ratings import SignedRating
from bmad.privacy.audit import GENESIS, entry_hash

if TYPE_CHECKING:
    from bmad.store.connection import Store

TOLERANCE = 1e-9
EVENT_FIELDS = ("organisation", "organisation_key", "kind", "round", "learning_type", "at")
RATING_FIELDS = ("rater", "target", "period", "quality", "rater_key", "target_key", "at")


@dataclass(frozen=True, slots=True)
class Head:
    """An audit-log entry this machine saw at the head of a verified answer."""

    seq: int
    hash: str


@dataclass
class EvidenceCheck:
    problems: list[str] = field(default_factory=list)
    organisations: list[dict[str, Any]] = field(default_factory=list)
    head: dict[str, Any] | None = None
    entries_checked: int = 0

    @property
    def verified(self) -> bool:
        return not self.problems

    def compare(self, organisation: str, reported_score: float) -> None:
        """A score the aggregator reported elsewhere must be the one the evidence gives."""
        for row in self.organisations:
            if row["organisation"] == organisation:
                if abs(row["recomputed_score"] - reported_score) > TOLERANCE:
                    self.problems.append(
                        f"{organisation}: the aggregator reported score {reported_score:.6f}; "
                        f"its evidence gives {row['recomputed_score']:.6f}"
                    )
                return
        self.problems.append(f"the evidence holds no organisation {organisation}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "verified": self.verified,
            "problems": self.problems,
            "head": self.head,
            "entries_checked": self.entries_checked,
            "organisations": self.organisations,
        }


def check(document: Mapping[str, Any], kept: Head | None = None) -> EvidenceCheck:
    """Check the aggregator's evidence document against the head this machine ``kept`` from
    its last verified check; every finding is in ``problems``."""
    result = EvidenceCheck()
    try:
        federation = str(document["federation"])
        now = datetime.fromisoformat(str(document["now"]))
        entries = _entries(document, federation, result, kept)
        _match_events(document["events"], entries["reputation_event"], result)
        _match_ratings(document["ratings"], entries["rating_recorded"], result)
        _recompute(document, now, result)
    except (KeyError, TypeError, ValueError) as exc:
        raise BmadError(f"the aggregator's reputation evidence is malformed ({exc})") from None
    return result


def _entries(
    document: Mapping[str, Any], federation: str, result: EvidenceCheck, kept: Head | None
) -> dict[str, list[dict[str, Any]]]:
    links = {int(seq): (str(prev), str(digest)) for seq, prev, digest in document["audit_links"]}
    previous: str | None = None
    for seq in sorted(links):
        prev, digest = links[seq]
        if seq == 1 and prev != GENESIS:
            result.problems.append("audit entry 1 does not start the chain")
        if previous is not None and (seq - 1 not in links or prev != previous):
            result.problems.append(f"audit entry {seq} does not link to the entry before it")
        previous = digest
    if links:
        last = max(links)
        result.head = {"seq": last, "hash": links[last][1]}
    if kept is not None:
        if kept.seq not in links:
            result.problems.append(
                f"the audit log no longer reaches entry {kept.seq}, the head this machine "
                "verified last: it was truncated or rolled back"
            )
        elif links[kept.seq][1] != kept.hash:
            result.problems.append(
                f"audit entry {kept.seq} is not the head this machine verified last: the log "
                "was rewritten"
            )
    by_kind: dict[str, list[dict[str, Any]]] = {"reputation_event": [], "rating_recorded": []}
    for entry in document["audit_entries"]:
        seq = int(entry["seq"])
        recomputed = entry_hash(
            seq, str(entry["at"]), str(entry["kind"]), str(entry["detail"]), str(entry["prev_hash"])
        )
        if recomputed != entry["hash"] or links.get(seq) != (entry["prev_hash"], entry["hash"]):
            result.problems.append(f"audit entry {seq} does not hash to its place in the chain")
            continue
        detail = json.loads(entry["detail"])
        if detail.get("federation") != federation or entry["kind"] not in by_kind:
            result.problems.append(f"audit entry {seq} is not evidence of this federation")
            continue
        by_kind[entry["kind"]].append({"seq": seq, **detail})
        result.entries_checked += 1
    return by_kind


def _agrees(
    stated: Mapping[str, Any], recorded: Mapping[str, Any], fields: tuple[str, ...]
) -> bool:
    # entries written before a field was recorded do not hold it: compare what they hold
    return all(stated[name] == recorded[name] for name in fields if name in recorded)


def _match_events(
    events: list[dict[str, Any]], recorded: list[dict[str, Any]], result: EvidenceCheck
) -> None:
    identity = ("organisation", "round", "kind")
    for event in events:
        same = [entry for entry in recorded if _agrees(event, entry, identity)]
        if not any(_agrees(event, entry, EVENT_FIELDS) for entry in same):
            result.problems.append(
                f"event {event['kind']} of {event['organisation']} in round {event['round']} "
                "is not the one the audit log recorded"
            )
    stated = {tuple(event[name] for name in identity) for event in events}
    for entry in recorded:
        if tuple(entry[name] for name in identity) not in stated:
            result.problems.append(
                f"audit entry {entry['seq']} records event {entry['kind']} of "
                f"{entry['organisation']} in round {entry['round']}, missing from the events"
            )


def _match_ratings(
    ratings: list[dict[str, Any]], recorded: list[dict[str, Any]], result: EvidenceCheck
) -> None:
    identity = ("rater", "target", "period")
    latest = {tuple(entry[name] for name in identity): entry for entry in recorded}
    for rating in ratings:
        pair = tuple(rating[name] for name in identity)
        entry = latest.pop(pair, None)
        if entry is None or not _agrees(rating, entry, RATING_FIELDS):
            result.problems.append(
                f"rating of {rating['target']} by {rating['rater']} for {rating['period']} is "
                "not the latest one the audit log recorded"
            )
        try:
            SignedRating.from_dict(rating).verify()
        except BmadError as exc:
            result.problems.append(exc.message)
    for rater, target, period in latest:
        result.problems.append(
            f"the audit log records a rating of {target} by {rater} for {period}, missing from "
            "the ratings"
        )


def _recompute(document: Mapping[str, Any], now: datetime, result: EvidenceCheck) -> None:
    keys = {str(row["organisation"]): row["organisation_key"] for row in document["organisations"]}

    def events_of(organisation: str) -> list[Event]:
        return [
            Event(
                str(event["kind"]),
                datetime.fromisoformat(str(event["at"])),
                str(event["round"]),
                str(event["learning_type"]),
            )
            for event in document["events"]
            if event["organisation"] == organisation
            and event["organisation_key"] == keys[organisation]
        ]

    for row in document["organisations"]:
        organisation = str(row["organisation"])
        weighted = [
            WeightedRating(
                str(rating["rater"]),
                float(rating["quality"]),
                datetime.fromisoformat(str(rating["at"])),
                rater_weight(events_of(str(rating["rater"])), now),
            )
            for rating in document["ratings"]
            if rating["target"] == organisation
            and rating["target_key"] == keys[organisation]
            and rating["rater_key"] == keys.get(str(rating["rater"]))
        ]
        recomputed = reputation(events_of(organisation), weighted, now)
        stated = row["reputation"]
        agrees = (
            abs(recomputed.alpha - float(stated["alpha"])) <= TOLERANCE
            and abs(recomputed.beta - float(stated["beta"])) <= TOLERANCE
            and recomputed.level == stated["level"]
        )
        if not agrees:
            result.problems.append(
                f"{organisation}: the aggregator states score {float(stated['score']):.6f} "
                f"({stated['level']}); its evidence gives {recomputed.score:.6f} "
                f"({recomputed.level})"
            )
        result.organisations.append(
            {
                "organisation": organisation,
                "stated_score": float(stated["score"]),
                "recomputed_score": recomputed.score,
                "level": recomputed.level,
                "agrees": agrees,
            }
        )


HEAD_COMPONENT = "reputation_evidence_head"
HEAD_MIGRATIONS = [
    """
    CREATE TABLE reputation_evidence_heads (
        federation TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        hash TEXT NOT NULL
    );
    """,
]


def kept_head(store: Store, federation: str) -> Head | None:
    store.migrate(HEAD_COMPONENT, HEAD_MIGRATIONS)
    row = store.connection.execute(
        "SELECT seq, hash FROM reputation_evidence_heads WHERE federation = ?", (federation,)
    ).fetchone()
    return None if row is None else Head(int(row[0]), str(row[1]))


def keep_head(store: Store, federation: str, result: EvidenceCheck) -> None:
    """Keep the head of a verified answer, for the next check to compare with."""
    if not result.verified or result.head is None:
        return
    store.migrate(HEAD_COMPONENT, HEAD_MIGRATIONS)
    with store.transaction() as connection:
        connection.execute(
            "INSERT INTO reputation_evidence_heads (federation, seq, hash) VALUES (?, ?, ?) "
            "ON CONFLICT (federation) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
            (federation, result.head["seq"], result.head["hash"]),
        )
