"""A member's cache of roster entries it verified: a changed byte is verified anew."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bmad.errors import BmadError
from bmad.federation.trust import (
    VerifiedRosterEntries,
    b64,
    certify_machine,
    sign_admission,
    unb64,
)

FEDERATION = "f0"


def roster_entry(admin: Ed25519PrivateKey, organisation: str) -> tuple[bytes, dict[str, Any]]:
    """A machine key and its roster entry: certificate from its organisation key, admission."""
    organisation_key = Ed25519PrivateKey.generate()
    organisation_public = organisation_key.public_key().public_bytes_raw()
    machine_key = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    certificate = certify_machine(
        organisation_key, organisation_public, FEDERATION, organisation, machine_key, 1.0
    )
    admission = sign_admission(admin, FEDERATION, organisation, organisation_public)
    return machine_key, {"certificate": certificate.to_dict(), "admission": admission}


def flip_last_byte(text: str) -> str:
    data = bytearray(unb64(text, "signature"))
    data[-1] ^= 1
    return b64(bytes(data))


def test_a_verified_entry_with_one_byte_changed_is_verified_anew_and_refused() -> None:
    admin = Ed25519PrivateKey.generate()
    admin_key = admin.public_key().public_bytes_raw()
    machine_key, entry = roster_entry(admin, "acme")
    verified = VerifiedRosterEntries()
    assert verified.organisation(FEDERATION, admin_key, machine_key, entry) == "acme"
    assert verified.organisation(FEDERATION, admin_key, machine_key, entry) == "acme"
    assert len(verified) == 1

    forged_certificate = {**entry["certificate"]}
    forged_certificate["signature"] = flip_last_byte(forged_certificate["signature"])
    with pytest.raises(BmadError, match="not signed by its organisation key"):
        verified.organisation(
            FEDERATION, admin_key, machine_key, {**entry, "certificate": forged_certificate}
        )
    raised_share = {**entry["certificate"], "budget_share": 0.5}  # signed for 1.0
    with pytest.raises(BmadError, match="not signed by its organisation key"):
        verified.organisation(
            FEDERATION, admin_key, machine_key, {**entry, "certificate": raised_share}
        )
    forged_admission = {**entry, "admission": flip_last_byte(entry["admission"])}
    with pytest.raises(BmadError, match="never admitted"):
        verified.organisation(FEDERATION, admin_key, machine_key, forged_admission)
    assert len(verified) == 1


def test_an_entry_verified_under_one_admin_is_refused_under_another() -> None:
    admin = Ed25519PrivateKey.generate()
    machine_key, entry = roster_entry(admin, "acme")
    verified = VerifiedRosterEntries()
    verified.organisation(FEDERATION, admin.public_key().public_bytes_raw(), machine_key, entry)
    other_admin = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    with pytest.raises(BmadError, match="never admitted"):
        verified.organisation(FEDERATION, other_admin, machine_key, entry)


def test_the_cache_keeps_at_most_its_capacity_and_drops_the_least_recently_used() -> None:
    admin = Ed25519PrivateKey.generate()
    admin_key = admin.public_key().public_bytes_raw()
    entries = [roster_entry(admin, f"org{index}") for index in range(3)]
    verified = VerifiedRosterEntries(capacity=2)
    for machine_key, entry in entries:
        verified.organisation(FEDERATION, admin_key, machine_key, entry)
    assert len(verified) == 2
    assert verified.organisation(FEDERATION, admin_key, *entries[0]) == "org0"
    assert len(verified) == 2
