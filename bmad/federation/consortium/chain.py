"""The hash-chained log of rule versions, and how a member verifies it.

Each entry holds one whole version of the rules, the hash of the entry before it, what changed
and when, and the signatures that approved it. An entry's hash covers all of that, signatures
included, so a head hash pins the exact history. Who must sign depends on the change:

- ``found`` (version 1): the founding organisation's key, as its seat in that version names it;
  the version must name the admin key the member pinned at join.
- ``bind``: an organisation key takes a seat the members already approved, nothing else
  changes; signed by the admin key of the version before (which checked the key's fingerprint
  out of band), with the organisation's signed learning agreement in the seat.
- ``rules`` and ``admit`` (any other change, a new seat included): signatures of a quorum of
  the organisations holding a key in the version before, each by that key.

A member keeps the last head it verified (``member``); a served log shorter than that head is a
rollback or a truncation, one whose entry at that version hashes differently is a fork.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from bmad.errors import EXIT_FINDINGS, BmadError
from bmad.federation.consortium.rules import (
    ConsortiumRules,
    Eligibility,
    canonical,
    check_agreement,
    everyone,
    signed_message,
)
from bmad.federation.secagg.config import Signer
from bmad.federation.trust import b64, unb64
from bmad.privacy.identity import fingerprint, verify_signature

GENESIS = "0" * 64
_ENTRY_CONTEXT = "bmad-consortium-rules-v1"
ADMIN_SIGNER = "admin"
QUORUM_CHANGES: tuple[str, ...] = ("rules", "admit")
CHANGES: tuple[str, ...] = ("found", "bind", *QUORUM_CHANGES)


class ConsortiumLogError(BmadError):
    """The served log is not one this member can accept: forged, forked or rolled back."""

    def __init__(self, message: str) -> None:
        super().__init__(message, EXIT_FINDINGS)


@dataclass(frozen=True, slots=True)
class LogEntry:
    version: int
    previous: str
    at: str  # UTC ISO time the proposer wrote
    change: Mapping[str, Any]  # {"kind": one of CHANGES, "summary": text, ...}
    rules: ConsortiumRules
    signatures: Mapping[str, str] = field(default_factory=dict)  # signer -> base64 signature

    @property
    def kind(self) -> str:
        return str(self.change.get("kind", ""))

    def body(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "previous": self.previous,
            "at": self.at,
            "change": dict(self.change),
            "rules": self.rules.to_dict(),
        }

    def signed_bytes(self) -> bytes:
        """What every approver signs: the version and its place in the chain."""
        return signed_message(_ENTRY_CONTEXT, self.body())

    @property
    def hash(self) -> str:
        return hashlib.sha256(
            canonical({**self.body(), "signatures": dict(self.signatures)})
        ).hexdigest()

    def signed_by(self, signer: str, signature: str) -> LogEntry:
        return replace(self, signatures={**self.signatures, signer: signature})

    def to_dict(self) -> dict[str, Any]:
        return {**self.body(), "signatures": dict(self.signatures)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LogEntry:
        try:
            entry = cls(
                version=int(data["version"]),
                previous=str(data["previous"]),
                at=str(data["at"]),
                change=dict(data["change"]),
                rules=ConsortiumRules.from_dict(dict(data["rules"])),
                signatures={str(k): str(v) for k, v in dict(data.get("signatures", {})).items()},
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConsortiumLogError(
                f"malformed consortium log entry: {exc.__class__.__name__}"
            ) from None
        if entry.kind not in CHANGES:
            raise ConsortiumLogError(f"unknown kind of rules change {entry.kind!r}")
        return entry


def sign_entry(entry: LogEntry, signer: Signer) -> str:
    return b64(signer.sign(entry.signed_bytes()))


def _signature_holds(key: bytes, entry: LogEntry, signature: str) -> bool:
    try:
        verify_signature(key, entry.signed_bytes(), unb64(signature, "signature"))
    except BmadError:
        return False
    return True


def approvals(
    base: ConsortiumRules, entry: LogEntry, eligible: Eligibility = everyone
) -> list[str]:
    """The organisations of ``base`` whose valid signatures ``entry`` carries and that count
    toward quorum (``eligible``)."""
    keys = base.member_keys()
    return sorted(
        name
        for name, signature in entry.signatures.items()
        if name in keys and eligible(name) and _signature_holds(keys[name], entry, signature)
    )


def check_next(previous: LogEntry, entry: LogEntry, eligible: Eligibility = everyone) -> None:
    """``entry`` may follow ``previous``, or ConsortiumLogError says why not."""
    where = f"rules version {entry.version}"
    if entry.version != previous.version + 1 or entry.previous != previous.hash:
        raise ConsortiumLogError(f"{where} does not follow version {previous.version}'s hash")
    if entry.rules.federation != previous.rules.federation:
        raise ConsortiumLogError(f"{where} belongs to another federation")
    if entry.at < previous.at:
        raise ConsortiumLogError(f"{where} is dated before the version it follows")
    if entry.kind == "bind":
        _check_binding(previous.rules, entry)
        return
    if entry.kind not in QUORUM_CHANGES:
        raise ConsortiumLogError(f"{where} claims to found the federation a second time")
    signed = approvals(previous.rules, entry, eligible)
    needed = previous.rules.quorum_needed()
    if len(signed) < needed or needed == 0:
        raise ConsortiumLogError(
            f"{where} carries {len(signed)} valid member signatures "
            f"({', '.join(signed) or 'none'}); its quorum is {needed}: refused"
        )


def _check_binding(base: ConsortiumRules, entry: LogEntry) -> None:
    where = f"rules version {entry.version}"
    organisation = str(entry.change.get("organisation", ""))
    before, after = base.seat(organisation), entry.rules.seat(organisation)
    if before is None or before.taken or after is None or not after.taken:
        raise ConsortiumLogError(
            f"{where} binds a key to {organisation!r}, which has no free seat to take"
        )
    unchanged = [seat for seat in base.seats if seat.organisation != organisation]
    if replace(entry.rules, seats=tuple(unchanged)) != replace(base, seats=tuple(unchanged)):
        raise ConsortiumLogError(f"{where} changes more than {organisation}'s seat")
    admin = unb64(base.admin_key, "admin key")
    if not _signature_holds(admin, entry, entry.signatures.get(ADMIN_SIGNER, "")):
        raise ConsortiumLogError(f"{where} is not signed by the federation's admin key")
    try:
        check_agreement(entry.rules, after)
    except BmadError as exc:
        raise ConsortiumLogError(f"{where}: {exc.message}") from None


def check_founding(entry: LogEntry, federation: str, admin_key: bytes) -> None:
    if entry.version != 1 or entry.previous != GENESIS or entry.kind != "found":
        raise ConsortiumLogError("the consortium log does not start with its founding version")
    rules = entry.rules
    if rules.federation != federation:
        raise ConsortiumLogError("the consortium log belongs to another federation")
    if rules.admin_key != b64(admin_key):
        raise ConsortiumLogError(
            "the founding rules name another admin key than the one pinned at join "
            f"({fingerprint(unb64(rules.admin_key, 'admin key'))}): refused"
        )
    founder = rules.seat(rules.founder)
    if founder is None or not founder.taken:
        raise ConsortiumLogError("the founding rules give the founder no key")
    if not _signature_holds(
        unb64(founder.key, "organisation key"), entry, entry.signatures.get(rules.founder, "")
    ):
        raise ConsortiumLogError("the founding rules are not signed by the founding organisation")
    try:
        check_agreement(rules, founder)
    except BmadError as exc:
        raise ConsortiumLogError(f"rules version 1: {exc.message}") from None


@dataclass(frozen=True, slots=True)
class Head:
    """The last version a member verified."""

    version: int
    hash: str


def verify_log(
    entries: Sequence[LogEntry],
    federation: str,
    admin_key: bytes,
    pinned: Head | None = None,
    eligible: Eligibility = everyone,
) -> LogEntry:
    """The head of a log that verifies from version 1 and extends ``pinned``; otherwise
    ConsortiumLogError naming the forged entry, the fork or the rollback."""
    if not entries:
        raise ConsortiumLogError(f"the aggregator serves no consortium rules for {federation}")
    check_founding(entries[0], federation, admin_key)
    for previous, entry in itertools.pairwise(entries):
        check_next(previous, entry, eligible)
    head = entries[-1]
    if pinned is not None:
        if head.version < pinned.version:
            raise ConsortiumLogError(
                f"the aggregator serves rules up to version {head.version}, but this machine "
                f"verified version {pinned.version} before: the log was rolled back or "
                "truncated; refused"
            )
        if entries[pinned.version - 1].hash != pinned.hash:
            raise ConsortiumLogError(
                f"the aggregator's rules version {pinned.version} is not the one this machine "
                f"verified before (hash {pinned.hash[:12]}...): the log was forked; refused"
            )
    return head


def verify_extension(
    pinned: LogEntry, served: Sequence[LogEntry], eligible: Eligibility = everyone
) -> LogEntry:
    """The new head of a log served from the version this member verified last (``pinned``,
    kept with the whole verified log in its home): that version unchanged, then each new one
    valid after the one before."""
    if not served or served[0].version != pinned.version:
        raise ConsortiumLogError(
            f"the aggregator no longer serves rules version {pinned.version}, which this machine "
            "verified before: the log was rolled back or truncated; refused"
        )
    if served[0].hash != pinned.hash:
        raise ConsortiumLogError(
            f"the aggregator's rules version {pinned.version} is not the one this machine "
            f"verified before (hash {pinned.hash[:12]}...): the log was forked; refused"
        )
    for previous, entry in itertools.pairwise(served):
        check_next(previous, entry, eligible)
    return served[-1]


def in_force_at(entries: Sequence[LogEntry], moment: str) -> LogEntry:
    """The version in force at ``moment`` (UTC ISO): the last one dated at or before it."""
    chosen = entries[0]
    for entry in entries:
        if entry.at <= moment:
            chosen = entry
    return chosen
