"""What a participant checks for itself, whatever the aggregator says (README "Trust model").

- The federation's rules (its ``Governance``) are signed by the admin's key at creation. A
  member verifies them at join and keeps them with the admin's key (``membership``); the
  aggregator cannot change them afterwards.
- Each organisation has an organisation key. It certifies each of its machines' identity keys
  together with the share of the organisation's budget that machine may spend
  (``MachineCertificate``). Who vouches for the organisation key: with consortium rules in
  force, the seat the members' quorum gave it; without, the federation's admin, admitting it
  under its name (``admission_message``). A roster key without both is refused.
- Every round's terms are checked against the pinned rules and the local limits, and the
  noise is derived here (``check_round``, ``check_group``): the aggregator's numbers are
  accepted only when they agree.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import struct
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bmad.errors import BmadError
from bmad.federation.governance import (
    Governance,
    minimum_threshold,
    noise_shares,
)
from bmad.federation.secagg.config import RoundConfig, Signer
from bmad.federation.secagg.primitives import verify
from bmad.federation.secagg.round_bounds import round_input_bounds
from bmad.federation.wire import round_l2_sensitivity, round_vector_length
from bmad.privacy.accounting import rho_budget
from bmad.privacy.identity import fingerprint, verify_signature
from bmad.privacy.schemas import schema_for
from bmad.privacy.units import Unit

_RULES_CONTEXT = "bmad-federation-rules-v1"
_CERTIFICATE_CONTEXT = "bmad-machine-certificate-v1"
_ADMISSION_CONTEXT = "bmad-organisation-admission-v1"
_KEY_BYTES = 32
MODULUS_BITS = 32  # of every round's secure sum; the aggregator cannot choose another


class RoundRefused(BmadError):
    """A round whose terms this participant does not accept; nothing was sent for it."""


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


def unb64(text: Any, what: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(str(text).encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise BmadError(f"malformed {what}") from None


def _canonical(document: Any) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _message(context: str, document: Mapping[str, Any]) -> bytes:
    return context.encode("ascii") + b"\n" + _canonical(dict(document))


# -- the federation's rules ------------------------------------------------------------------


def rules_message(governance: Governance) -> bytes:
    return _message(_RULES_CONTEXT, governance.to_dict())


def sign_rules(signer: Signer, governance: Governance) -> str:
    return b64(signer.sign(rules_message(governance)))


def verify_rules(admin_key: bytes, document: Mapping[str, Any], signature: str) -> Governance:
    """The governance the admin signed, or BmadError."""
    governance = Governance.from_dict(dict(document))
    try:
        verify_signature(admin_key, rules_message(governance), unb64(signature, "signature"))
    except BmadError:
        raise BmadError(
            "the federation's rules are not signed by its admin's key: refused"
        ) from None
    return governance


# -- organisation keys -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MachineCertificate:
    """An organisation key's statement: this machine key is ours here, with this budget share."""

    federation: str
    organisation: str
    organisation_key: bytes
    machine_key: bytes
    budget_share: float
    signature: bytes

    def message(self) -> bytes:
        return certificate_message(
            self.federation,
            self.organisation,
            self.organisation_key,
            self.machine_key,
            self.budget_share,
        )

    def verify(self) -> None:
        if not 0 < self.budget_share <= 1:
            raise BmadError("a machine's budget share must be in (0, 1]")
        if not verify(self.organisation_key, self.message(), self.signature):
            raise BmadError(
                f"the certificate of a machine of {self.organisation} is not signed by its "
                "organisation key"
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            "federation": self.federation,
            "organisation": self.organisation,
            "organisation_key": b64(self.organisation_key),
            "machine_key": b64(self.machine_key),
            "budget_share": self.budget_share,
            "signature": b64(self.signature),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MachineCertificate:
        try:
            certificate = cls(
                str(data["federation"]),
                str(data["organisation"]),
                unb64(data["organisation_key"], "organisation key"),
                unb64(data["machine_key"], "machine key"),
                float(data["budget_share"]),
                unb64(data["signature"], "signature"),
            )
        except (KeyError, TypeError, ValueError):
            raise BmadError("malformed machine certificate") from None
        if len(certificate.organisation_key) != _KEY_BYTES or len(certificate.machine_key) != (
            _KEY_BYTES
        ):
            raise BmadError("malformed machine certificate: keys must be 32 bytes")
        return certificate


def certificate_message(
    federation: str, organisation: str, organisation_key: bytes, machine_key: bytes, share: float
) -> bytes:
    return _message(
        _CERTIFICATE_CONTEXT,
        {
            "federation": federation,
            "organisation": organisation,
            "organisation_key": b64(organisation_key),
            "machine_key": b64(machine_key),
            "budget_share": share,
        },
    )


def certify_machine(
    organisation_signer: Signer,
    organisation_key: bytes,
    federation: str,
    organisation: str,
    machine_key: bytes,
    budget_share: float,
) -> MachineCertificate:
    if not 0 < budget_share <= 1:
        raise BmadError(f"a machine's budget share must be in (0, 1], got {budget_share:g}")
    message = certificate_message(
        federation, organisation, organisation_key, machine_key, budget_share
    )
    return MachineCertificate(
        federation,
        organisation,
        organisation_key,
        machine_key,
        budget_share,
        organisation_signer.sign(message),
    )


def admission_message(federation: str, organisation: str, organisation_key: bytes) -> bytes:
    return _message(
        _ADMISSION_CONTEXT,
        {
            "federation": federation,
            "organisation": organisation,
            "organisation_key": b64(organisation_key),
        },
    )


def sign_admission(
    admin: Signer, federation: str, organisation: str, organisation_key: bytes
) -> str:
    return b64(admin.sign(admission_message(federation, organisation, organisation_key)))


def _verify_vouched(
    certificate: MachineCertificate, admin_key: bytes, entry: Mapping[str, Any], seated: bool
) -> None:
    """The signature checks of a roster entry: its certificate by its organisation key and,
    where no consortium seats vouch for organisation keys, the admin's admission of that key."""
    certificate.verify()
    if seated:
        return
    admission = unb64(entry.get("admission", ""), "admission")
    message = admission_message(
        certificate.federation, certificate.organisation, certificate.organisation_key
    )
    if not verify(admin_key, message, admission):
        raise RoundRefused(
            f"the roster holds a key of {certificate.organisation} whose organisation key "
            f"{fingerprint(certificate.organisation_key)} the federation's admin never admitted"
        )


def _check_seat(seats: Mapping[str, bytes], organisation: str, organisation_key: bytes) -> None:
    if seats.get(organisation) != organisation_key:
        raise RoundRefused(
            f"the roster holds a key of {organisation}, whose organisation key holds no seat in "
            "the consortium rules: refused"
        )


class VerifiedRosterEntries:
    """Roster entries a member verified already, so that a later round's roster costs a digest
    per entry instead of its signature checks (a group of 333 at 1,000 participants).

    Who vouches for an entry's organisation key: with consortium rules in force, the seat the
    members' quorum gave it (``seats``: organisation -> organisation key). The admin admits
    only seated keys, so its admission adds nothing there and is not checked; a seat is looked
    up on every call, since the rules in force may change between rounds. Without consortium
    rules, the admin's admission signature.

    An entry is known by a digest of everything its signature checks read: every field of its
    certificate (the federation, the organisation, its key, the roster key, the budget share,
    the signature) and, where the admission is checked, the admin's key and the exact
    admission. A change to any of them is a new entry, verified anew. At most ``capacity``
    entries; the least recently used goes.
    """

    def __init__(self, capacity: int = 4096) -> None:
        self.capacity = capacity
        self._verified: OrderedDict[bytes, None] = OrderedDict()  # digests, oldest first
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._verified)

    def organisation(
        self,
        federation: str,
        admin_key: bytes,
        machine_key: bytes,
        entry: Mapping[str, Any],
        seats: Mapping[str, bytes] | None = None,
    ) -> str:
        """The organisation of a roster key, or RoundRefused when nothing vouches for it."""
        certificate = MachineCertificate.from_dict(entry.get("certificate") or {})
        if certificate.machine_key != machine_key or certificate.federation != federation:
            raise RoundRefused("a roster key is not the one its certificate names: refused")
        if seats is not None:  # every call: the rules in force may have changed since
            _check_seat(seats, certificate.organisation, certificate.organisation_key)
        seated = seats is not None
        digest = _entry_digest(certificate, seated, admin_key, entry)
        with self._lock:
            known = digest in self._verified
            if known:
                self._verified.move_to_end(digest)
        if not known:
            _verify_vouched(certificate, admin_key, entry, seated)
            with self._lock:
                self._verified[digest] = None
                while len(self._verified) > self.capacity:
                    self._verified.popitem(last=False)
        return certificate.organisation


def _entry_digest(
    certificate: MachineCertificate, seated: bool, admin_key: bytes, entry: Mapping[str, Any]
) -> bytes:
    parts = [
        b"seated" if seated else b"admitted",
        certificate.federation.encode("utf-8"),
        certificate.organisation.encode("utf-8"),
        certificate.organisation_key,
        certificate.machine_key,
        struct.pack(">d", certificate.budget_share),
        certificate.signature,
    ]
    if not seated:
        parts += [admin_key, str(entry.get("admission", "")).encode("utf-8")]
    digest = hashlib.sha256()
    for part in parts:  # length-prefixed, so that no two entries give the same sequence
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.digest()


MEMBER_VERIFIED_ENTRIES = VerifiedRosterEntries()  # this machine's, across its rounds


# -- a round's terms ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LocalLimits:
    """What this machine accepts whatever the federation's rules allow."""

    k_min_participants: int
    max_round_epsilon: float


@dataclass(frozen=True, slots=True)
class RoundTerms:
    """A round's privacy numbers as this participant derived and accepted them."""

    learning_type: str
    unit: Unit
    epsilon: float
    delta: float
    rho: float
    k: int
    vector_length: int
    l2_sensitivity: float
    verify_inputs_up_to: int | None  # the rules' longest round whose inputs are proved


def check_round(
    rules: Governance, limits: LocalLimits, learning_type: str, parameters: Mapping[str, Any]
) -> RoundTerms:
    """The round's terms, or RoundRefused naming the first one the rules or limits forbid."""
    try:
        epsilon = float(parameters["epsilon"])
        delta = float(parameters["delta"])
        k = int(parameters["k"])
        unit_name = str(parameters["unit"])
        vector_length = int(parameters["vector_length"])
        modulus_bits = int(parameters["modulus_bits"])
    except (KeyError, TypeError, ValueError):
        raise RoundRefused("the round's parameters are incomplete") from None
    if learning_type not in rules.allowed_learning_types:
        raise RoundRefused(f"the federation's rules do not allow {learning_type} rounds")
    expected_unit = rules.unit(learning_type)
    if unit_name != expected_unit.name:
        raise RoundRefused(
            f"the round declares the unit {unit_name!r}, the federation's rules set "
            f"{expected_unit.name!r} for {learning_type}"
        )
    cap = min(rules.epsilon_per_round, limits.max_round_epsilon)
    if not (0 < epsilon <= cap * (1 + 1e-12) and math.isfinite(epsilon)):
        raise RoundRefused(
            f"the round asks for epsilon {epsilon:g}; this machine accepts at most {cap:g} per "
            f"round (rules {rules.epsilon_per_round:g}, local cap {limits.max_round_epsilon:g})"
        )
    if not 0 < delta <= rules.delta:
        raise RoundRefused(f"the round's delta {delta:g} is above the rules' {rules.delta:g}")
    needed = max(rules.k_min_participants, limits.k_min_participants)
    if k < needed:
        raise RoundRefused(f"the round asks for {k} organisations; at least {needed} are required")
    schema = schema_for(learning_type)
    expected_length = round_vector_length(schema, expected_unit)
    if vector_length != expected_length or modulus_bits != MODULUS_BITS:
        raise RoundRefused("the round's vector layout is not the learning type's")
    return RoundTerms(
        learning_type,
        expected_unit,
        epsilon,
        delta,
        rho_budget(epsilon, delta),
        k,
        expected_length,
        round_l2_sensitivity(schema, expected_unit),
        rules.verify_inputs_up_to,
    )


@dataclass(frozen=True, slots=True)
class GroupTerms:
    """A secure-aggregation group this participant accepted, and the noise it derived for it."""

    config: RoundConfig
    participant: int
    noise_shares: int  # the honest shares its noise is sized for
    organisations: Mapping[int, str]


def check_group(
    terms: RoundTerms,
    round_id: str,
    federation: str,
    admin_key: bytes,
    you: Mapping[str, Any],
    own_key: bytes,
    seats: Mapping[str, bytes] | None = None,
    verified: VerifiedRosterEntries = MEMBER_VERIFIED_ENTRIES,
) -> GroupTerms:
    """The group the aggregator assigned, checked; RoundRefused when it breaks a rule.

    Every roster key must carry a machine certificate from an organisation key that holds a
    seat in the consortium rules (``seats``) or, without them, that the admin admitted, each
    organisation once; this machine's ``own_key`` must be its participant's; the roster and the
    least number of survivors must reach k; the Shamir threshold must be at least 2n/3 + 1; the
    noise is sized for the least number of survivors minus the collusion allowance (a third of
    the roster), whatever the aggregator suggests; the group proves its inputs exactly when the
    rules in force say so.
    """
    try:
        roster_entries = dict(you["roster"])
        roster = {
            int(pid): unb64(entry["key"], "roster key") for pid, entry in roster_entries.items()
        }
        threshold = int(you["threshold"])
        min_survivors = int(you["min_survivors"])
        neighbours = int(you.get("neighbours", 0))
        participant = int(you["participant"])
        session = str(you["session"])
    except (KeyError, TypeError, ValueError, AttributeError):
        raise RoundRefused("the group's parameters are incomplete") from None
    if not session.startswith(f"{round_id}/"):
        raise RoundRefused("the group's session does not belong to the round")
    organisations: dict[int, str] = {}
    for pid, key in roster.items():
        organisations[pid] = verified.organisation(
            federation, admin_key, key, roster_entries[str(pid)], seats
        )
    n = len(roster)
    if len(set(organisations.values())) != n:
        raise RoundRefused("the roster names one organisation more than once: refused")
    if n < terms.k:
        raise RoundRefused(f"the group holds {n} organisations; the round needs {terms.k}")
    # A sparse group's threshold is per neighbourhood: RoundConfig derives and checks it below.
    if not neighbours and 3 * threshold < 2 * n + 3:
        raise RoundRefused(
            f"the group's threshold {threshold} of {n} is below 2n/3 + 1 "
            f"({minimum_threshold(n)}): refused"
        )
    if min_survivors < max(threshold, terms.k):
        raise RoundRefused(
            f"the group may release with {min_survivors} survivors; at least "
            f"{max(threshold, terms.k)} are required"
        )
    shares = noise_shares(n, min_survivors)
    if shares < 1:
        raise RoundRefused("no honest survivor is left once colluders are allowed for")
    try:
        config = RoundConfig(
            round_id=session,
            roster=roster,
            threshold=threshold,
            vector_length=terms.vector_length,
            modulus_bits=MODULUS_BITS,
            min_survivors=min_survivors,
            neighbours=neighbours,
            input_bounds=round_input_bounds(
                terms.learning_type, terms.unit, terms.rho, shares, n, terms.verify_inputs_up_to
            ),
        )
    except BmadError as exc:
        raise RoundRefused(f"the group's parameters are invalid: {exc.message}") from None
    proves = config.input_bounds is not None
    if bool(you.get("proves_inputs", False)) != proves:
        limit = "all" if terms.verify_inputs_up_to is None else terms.verify_inputs_up_to
        raise RoundRefused(
            f"the aggregator runs the group {'without' if proves else 'with'} input proofs; "
            f"the rules in force (verify_inputs_up_to {limit}) say "
            f"{'with' if proves else 'without'}: refused"
        )
    if roster.get(participant) != own_key:
        raise RoundRefused("the aggregator's roster does not hold this machine's key")
    return GroupTerms(config, participant, shares, organisations)
