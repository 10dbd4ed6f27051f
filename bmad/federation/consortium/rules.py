"""The consortium's rules document: one version of what every member organisation signed.

It wraps the federation's ``Governance`` (privacy level, k, epsilon per round and per period,
delta, units of privacy, learning types) and adds what the members decide together:

- ``quorum``: how many member organisations must sign a change (a fraction of the members
  holding a key, at least ``minimum``);
- ``round_openers``: the organisations whose manifests members accept (``*``: any member);
- ``retention``: how long the aggregator keeps released insights and round records;
- ``incentives`` and ``access``: sections owned by ``bmad.federation.reputation``, validated
  by its ``parse_incentives`` and ``parse_access`` and kept here as the JSON objects signed;
- ``agreement``: the learning agreement each organisation signs when it takes its seat;
- ``seats``: the member organisations, each with its organisation key once it joined, the
  certificate of the machine that signed the agreement, and that signature;
- ``admin_key``: the operator's machine key, which binds a joining organisation's key to a
  seat the members already approved (it checks the key's fingerprint out of band).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from bmad.errors import BmadError
from bmad.federation.governance import Governance
from bmad.federation.reputation.policy import parse_access, parse_incentives
from bmad.federation.trust import MachineCertificate, b64, unb64
from bmad.privacy.identity import verify_signature

ANY_MEMBER = "*"
_AGREEMENT_CONTEXT = "bmad-learning-agreement-v1"
DEFAULT_PURPOSE = (
    "Learn how code, architecture and workflow measures are distributed across the member "
    "organisations, from bounded, noised and securely aggregated statistics only: no source "
    "code, identifier, path, author name or e-mail leaves a member's machines."
)

# Which organisations count toward quorum (e.g. a minimum reputation); everyone by default.
Eligibility = Callable[[str], bool]


def everyone(_organisation: str) -> bool:
    return True


def canonical(document: Any) -> bytes:
    """The one byte string a JSON document is signed and hashed as."""
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode("utf-8")


def signed_message(context: str, document: Mapping[str, Any]) -> bytes:
    return context.encode("ascii") + b"\n" + canonical(dict(document))


@dataclass(frozen=True, slots=True)
class Quorum:
    """A change needs ceil(numerator / denominator x members) signatures, at least ``minimum``
    (never more than the members there are, or nothing could ever change)."""

    numerator: int = 2
    denominator: int = 3
    minimum: int = 1

    def __post_init__(self) -> None:
        if not 0 < self.numerator <= self.denominator:
            raise BmadError(
                f"the quorum must be a fraction in (0, 1], got {self.numerator}/{self.denominator}"
            )
        if self.minimum < 1:
            raise BmadError(f"the quorum's minimum must be at least 1, got {self.minimum}")

    def needed(self, members: int) -> int:
        share = -(-self.numerator * members // self.denominator)  # ceiling, in integers
        return min(members, max(self.minimum, share))

    def to_dict(self) -> dict[str, int]:
        return {
            "numerator": self.numerator,
            "denominator": self.denominator,
            "minimum": self.minimum,
        }


@dataclass(frozen=True, slots=True)
class Retention:
    """Days the aggregator keeps the insights it released (``tables.apply_retention``);
    masked vectors are deleted when their round closes, whatever the rules say."""

    released_insights_days: int = 365

    def __post_init__(self) -> None:
        if not 1 <= self.released_insights_days <= 36_500:
            raise BmadError(
                "retention released_insights_days must be between 1 and 36500 days, got "
                f"{self.released_insights_days}"
            )

    def describe(self) -> str:
        return (
            "masked vectors are deleted when their round closes; released insights are kept "
            f"{self.released_insights_days} days"
        )

    def to_dict(self) -> dict[str, int]:
        return {"released_insights_days": self.released_insights_days}


@dataclass(frozen=True, slots=True)
class Agreement:
    """The learning agreement: what members learn together, which types, for how long."""

    purpose: str
    learning_types: tuple[str, ...]
    retention: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "purpose": self.purpose,
            "learning_types": list(self.learning_types),
            "retention": self.retention,
        }


@dataclass(frozen=True, slots=True)
class Seat:
    """A member organisation; ``key`` is empty until its organisation key took the seat."""

    organisation: str
    key: str = ""  # base64 organisation key
    certificate: Mapping[str, Any] = field(default_factory=dict)
    agreement_signature: str = ""

    @property
    def taken(self) -> bool:
        return bool(self.key)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "certificate": dict(self.certificate),
            "agreement_signature": self.agreement_signature,
        }


@dataclass(frozen=True, slots=True)
class ConsortiumRules:
    federation: str
    governance: Governance
    agreement: Agreement
    admin_key: str  # base64 machine key of the operator
    founder: str
    seats: tuple[Seat, ...]
    quorum: Quorum = Quorum()
    round_openers: tuple[str, ...] = ()
    retention: Retention = Retention()
    incentives: Mapping[str, Any] = field(default_factory=dict)
    access: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = [seat.organisation for seat in self.seats]
        if len(set(names)) != len(names):
            raise BmadError("the rules name an organisation's seat twice")
        if self.founder not in names:
            raise BmadError("the founding organisation has no seat in the rules")
        unknown = set(self.agreement.learning_types) - set(self.governance.allowed_learning_types)
        if unknown or not self.agreement.learning_types:
            raise BmadError(
                "the learning agreement may only name learning types the rules allow, got "
                + ", ".join(sorted(unknown) or ["none"])
            )
        openers = set(self.round_openers) - {ANY_MEMBER}
        if not self.round_openers or not openers <= set(names):
            raise BmadError("round openers must be member organisations (or * for any member)")
        parse_incentives(dict(self.incentives))
        parse_access(dict(self.access))

    def seat(self, organisation: str) -> Seat | None:
        return next((seat for seat in self.seats if seat.organisation == organisation), None)

    def member_keys(self) -> dict[str, bytes]:
        """Organisation -> organisation key, for the seats taken."""
        return {
            seat.organisation: unb64(seat.key, "organisation key")
            for seat in self.seats
            if seat.taken
        }

    def quorum_needed(self) -> int:
        """Signatures a change of these rules needs: a quorum of all members holding a key
        (an eligibility rule narrows whose signatures count, never how many are needed, so
        that declaring members ineligible cannot lower the bar)."""
        return self.quorum.needed(len(self.member_keys()))

    def may_open_rounds(self, organisation: str) -> bool:
        if ANY_MEMBER in self.round_openers:
            return organisation in self.member_keys()
        return organisation in self.round_openers

    def to_dict(self) -> dict[str, Any]:
        return {
            "federation": self.federation,
            "governance": self.governance.to_dict(),
            "quorum": self.quorum.to_dict(),
            "round_openers": list(self.round_openers),
            "retention": self.retention.to_dict(),
            "incentives": dict(self.incentives),
            "access": dict(self.access),
            "agreement": self.agreement.to_dict(),
            "admin_key": self.admin_key,
            "founder": self.founder,
            "seats": {seat.organisation: seat.to_dict() for seat in self.seats},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ConsortiumRules:
        try:
            agreement = data["agreement"]
            seats = tuple(
                Seat(
                    str(name),
                    str(seat.get("key", "")),
                    dict(seat.get("certificate") or {}),
                    str(seat.get("agreement_signature", "")),
                )
                for name, seat in sorted(dict(data["seats"]).items())
            )
            return cls(
                federation=str(data["federation"]),
                governance=Governance.from_dict(dict(data["governance"])),
                agreement=Agreement(
                    str(agreement["purpose"]),
                    tuple(str(t) for t in agreement["learning_types"]),
                    str(agreement["retention"]),
                ),
                admin_key=str(data["admin_key"]),
                founder=str(data["founder"]),
                seats=seats,
                quorum=Quorum(**{k: int(v) for k, v in dict(data["quorum"]).items()}),
                round_openers=tuple(str(name) for name in data["round_openers"]),
                retention=Retention(**{k: int(v) for k, v in dict(data["retention"]).items()}),
                incentives=dict(data.get("incentives") or {}),
                access=dict(data.get("access") or {}),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise BmadError(f"malformed consortium rules: {exc.__class__.__name__}") from None


def founding_rules(
    federation: str,
    governance: Governance,
    founder: str,
    organisations: list[str],
    admin_key: bytes,
) -> ConsortiumRules:
    """Version 1: the founder's seat and one seat per organisation it names, no key yet."""
    retention = Retention()
    return ConsortiumRules(
        federation=federation,
        governance=governance,
        agreement=Agreement(
            DEFAULT_PURPOSE, governance.allowed_learning_types, retention.describe()
        ),
        admin_key=b64(admin_key),
        founder=founder,
        seats=tuple(Seat(name) for name in sorted({founder, *organisations})),
        round_openers=(founder,),
        retention=retention,
    )


def with_seat(rules: ConsortiumRules, seat: Seat) -> ConsortiumRules:
    """The rules with ``seat`` added or replaced."""
    others = [existing for existing in rules.seats if existing.organisation != seat.organisation]
    return replace(rules, seats=tuple(sorted([*others, seat], key=lambda s: s.organisation)))


def agreement_message(rules: ConsortiumRules, organisation: str, organisation_key: bytes) -> bytes:
    return signed_message(
        _AGREEMENT_CONTEXT,
        {
            "federation": rules.federation,
            "organisation": organisation,
            "organisation_key": b64(organisation_key),
            "agreement": rules.agreement.to_dict(),
        },
    )


def check_agreement(rules: ConsortiumRules, seat: Seat) -> None:
    """A taken seat's agreement: signed by a machine its organisation key certified."""
    certificate = MachineCertificate.from_dict(seat.certificate)
    certificate.verify()
    key = unb64(seat.key, "organisation key")
    if (
        certificate.organisation_key != key
        or certificate.organisation != seat.organisation
        or certificate.federation != rules.federation
    ):
        raise BmadError(
            f"{seat.organisation}'s learning agreement is signed by a machine of another "
            "organisation key or federation"
        )
    try:
        verify_signature(
            certificate.machine_key,
            agreement_message(rules, seat.organisation, key),
            unb64(seat.agreement_signature, "agreement signature"),
        )
    except BmadError:
        raise BmadError(
            f"{seat.organisation}'s signature of the learning agreement does not verify"
        ) from None
