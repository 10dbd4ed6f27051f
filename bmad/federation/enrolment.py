"""Creating, joining and admitting: where this machine pins the federation's trust anchors.

- ``create``: the creator becomes the admin. It chooses the federation's id, signs the rules
  (the privacy level's governance with its overrides), certifies its own machine with its
  organisation key and admits its own organisation.
- ``join``: a machine presents its enrolment token and its certificate, checks the rules it
  gets back against the admin's signature and pins both (``membership.Pinned``), and records
  its organisation name and budget share for the ledger (``bmad.privacy.sharing``). The admin
  key is only as good as its source: checked against the fingerprint the admin gave out of band
  (``--admin-fingerprint``), else trusted on first use, which the caller must say loudly.
- ``certify``: the organisation key certifies one machine's identity key with a share of the
  organisation's budget; the shares it certified in one federation never add up past 1.
- ``admit``: the admin signs an organisation key that joined, after checking its fingerprint
  (learnt from the organisation, not from the aggregator).

Each step also writes the consortium's rules log (``consortium.member``): ``create`` its
founding version, ``join`` the learning agreement the machine signs for its organisation's
seat, ``admit`` the version in which the organisation key takes that seat.
"""

from __future__ import annotations

import json
import logging
import uuid
from pathlib import Path
from typing import Any

from bmad.errors import BmadError
from bmad.federation import membership, trust
from bmad.federation.client import AggregatorClient
from bmad.federation.consortium import member as consortium
from bmad.federation.governance import governance_for
from bmad.privacy.identity import Identity, fingerprint, identity_path, load_or_create_identity
from bmad.privacy.sharing import record_organisation
from bmad.store.connection import Store

logger = logging.getLogger(__name__)

_SHARE_SLACK = 1e-9


def organisation_key_path() -> Path:
    return identity_path().parent / "organisation.json"


def organisation_identity(store: Store, path: Path | None = None) -> Identity:
    """This organisation's key (created on first use): it certifies the organisation's
    machines. Keep it on one trusted machine; other machines get certificates from it."""
    return load_or_create_identity(store, path or organisation_key_path())


def certify(
    store: Store,
    organisation_key: Identity,
    federation: str,
    organisation: str,
    machine_key: bytes,
    budget_share: float,
) -> trust.MachineCertificate:
    """Certify a machine of this organisation, refused when the organisation's shares in the
    federation would add up to more than its whole budget."""
    key = trust.b64(machine_key)
    issued = membership.issued_shares(store, federation, key)
    if issued + budget_share > 1 + _SHARE_SLACK:
        raise BmadError(
            f"this organisation key already gave {issued:g} of {organisation}'s budget to other "
            f"machines; at most {max(0.0, 1 - issued):g} is left for this one"
        )
    certificate = trust.certify_machine(
        organisation_key,
        organisation_key.public.signing_public,
        federation,
        organisation,
        machine_key,
        budget_share,
    )
    membership.record_certificate(store, federation, key, budget_share)
    return certificate


def create(
    store: Store,
    client: AggregatorClient,
    organisation_key: Identity,
    organisation: str,
    participants: list[str],
    privacy_level: str,
    overrides: dict[str, Any],
    budget_share: float = 1.0,
) -> dict[str, Any]:
    federation = str(uuid.uuid4())
    identity = client.identity
    governance = governance_for(privacy_level, **overrides)
    rules_signature = trust.sign_rules(identity, governance)
    certificate = certify(
        store,
        organisation_key,
        federation,
        organisation,
        identity.public.signing_public,
        budget_share,
    )
    created = client.create_federation(
        federation,
        organisation,
        participants,
        privacy_level,
        overrides,
        rules_signature=rules_signature,
        certificate=certificate.to_dict(),
        admission=trust.sign_admission(
            identity, federation, organisation, organisation_key.public.signing_public
        ),
    )
    _pin(
        store,
        client,
        federation,
        organisation,
        {
            "role": "admin",
            "governance": created["governance"],
            "rules_signature": rules_signature,
            "admin_key": trust.b64(identity.public.signing_public),
        },
        certificate,
    )
    consortium.found(
        store,
        client,
        organisation_key,
        federation,
        governance,
        organisation,
        participants,
        certificate,
    )
    return created


def join(
    store: Store,
    client: AggregatorClient,
    federation: str,
    organisation: str,
    token: str,
    certificate: trust.MachineCertificate,
    admin_fingerprint: str | None = None,
    aggregator_fingerprint: str | None = None,
) -> dict[str, Any]:
    """Join with a token and a certificate; pin the rules once their signature verifies.

    The admin key (and the aggregator's key) are compared with the fingerprints given out of
    band when there are some; without one, the key the aggregator presents is trusted on first
    use and pinned, and the answer says so (``admin_key_checked`` False) for the caller to warn.
    Either way nothing is pinned when a given fingerprint differs."""
    if certificate.machine_key != client.identity.public.signing_public:
        raise BmadError("the certificate is for another machine's key")
    if certificate.federation != federation or certificate.organisation != organisation:
        raise BmadError("the certificate is for another federation or organisation")
    if aggregator_fingerprint is not None:
        stated = fingerprint(client.aggregator_key)
        if stated != aggregator_fingerprint:
            raise BmadError(
                f"the aggregator's key has fingerprint {stated}, not the {aggregator_fingerprint} "
                "you were given: not joined (another server answers at that address)"
            )
    answer = client.join(federation, organisation, token, certificate.to_dict())
    admin_key = trust.unb64(answer.get("admin_key", ""), "admin key")
    if admin_fingerprint is not None and fingerprint(admin_key) != admin_fingerprint:
        raise BmadError(
            f"the federation's admin key has fingerprint {fingerprint(admin_key)}, not the "
            f"{admin_fingerprint} you were given: not joined"
        )
    _pin(store, client, federation, organisation, answer, certificate)
    joined = membership.current(store, federation)
    assert joined is not None
    consortium.sign_agreement(store, client, joined, certificate)
    checked = admin_fingerprint is not None
    if not checked:
        logger.warning(
            "joined %s trusting the admin key the aggregator presented (fingerprint %s) on "
            "first use: compare it with the admin's",
            federation,
            fingerprint(admin_key),
        )
    return {
        **answer,
        "admin_fingerprint": fingerprint(admin_key),
        "admin_key_checked": checked,
        "aggregator_fingerprint": fingerprint(client.aggregator_key),
        "aggregator_key_checked": aggregator_fingerprint is not None,
    }


def _pin(
    store: Store,
    client: AggregatorClient,
    federation: str,
    organisation: str,
    answer: dict[str, Any],
    certificate: trust.MachineCertificate,
) -> None:
    admin_key = trust.unb64(answer["admin_key"], "admin key")
    governance = trust.verify_rules(admin_key, answer["governance"], answer["rules_signature"])
    membership.remember(
        store,
        federation,
        client.base_url,
        organisation,
        str(answer["role"]),
        membership.Pinned(
            admin_key=answer["admin_key"],
            rules=json.dumps(governance.to_dict(), sort_keys=True),
            rules_signature=answer["rules_signature"],
            certificate=json.dumps(certificate.to_dict(), sort_keys=True),
            aggregator_key=trust.b64(client.aggregator_key),
        ),
    )
    record_organisation(store, organisation, certificate.budget_share)


def admit(
    client: AggregatorClient,
    federation: str,
    organisation: str,
    expected_fingerprint: str,
    store: Store | None = None,
) -> dict[str, Any]:
    """Admit the organisation key that joined as ``organisation`` if its fingerprint is the one
    the organisation gave you (with the admin machine's ``store``, verifying only the rules
    versions written since its last look)."""
    status = client.status(federation)
    entry = next(
        (p for p in status.get("participants", []) if p["organisation"] == organisation), None
    )
    if entry is None or not entry.get("organisation_key"):
        raise BmadError(f"no machine of {organisation} joined {federation} yet")
    key = trust.unb64(entry["organisation_key"], "organisation key")
    if fingerprint(key) != expected_fingerprint:
        raise BmadError(
            f"{organisation}'s organisation key has fingerprint {fingerprint(key)}, not "
            f"{expected_fingerprint}: not admitted (ask the organisation for its fingerprint)"
        )
    # The seat first: an organisation the members never gave a seat gets no admission either.
    consortium.bind_seat(client, federation, organisation, key, store)
    signature = trust.sign_admission(client.identity, federation, organisation, key)
    return client.admit(federation, organisation, signature)
