"""A member's cache of roster entries it verified: a changed byte is verified anew, and what
vouches for an organisation key (a consortium seat, else the admin's admission) is never
taken from an entry verified under the other."""

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


def roster_entry(
    admin: Ed25519PrivateKey, organisation: str, organisation_key: Ed25519PrivateKey | None = None
) -> tuple[bytes, dict[str, Any]]:
    """A machine key and its roster entry: certificate from its organisation key, admission."""
    organisation_key = organisation_key or Ed25519PrivateKey.generate()
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


def organisation_key_of(entry: dict[str, Any]) -> bytes:
    return unb64(entry["certificate"]["organisation_key"], "organisation key")


def test_with_seats_an_organisation_key_without_one_is_refused_whatever_the_admin_signed() -> None:
    admin = Ed25519PrivateKey.generate()
    admin_key = admin.public_key().public_bytes_raw()
    member_key, member = roster_entry(admin, "org1")
    seats = {"org1": organisation_key_of(member)}
    verified = VerifiedRosterEntries()
    assert verified.organisation(FEDERATION, admin_key, member_key, member, seats) == "org1"

    sybil_key, sybil = roster_entry(admin, "sybil")  # admitted by the admin alone
    with pytest.raises(BmadError, match="sybil, whose organisation key holds no seat"):
        verified.organisation(FEDERATION, admin_key, sybil_key, sybil, seats)
    other_key, other = roster_entry(admin, "org1")  # the seated name, another organisation key
    with pytest.raises(BmadError, match="org1, whose organisation key holds no seat"):
        verified.organisation(FEDERATION, admin_key, other_key, other, seats)


def test_a_seat_taken_away_between_rounds_refuses_an_entry_verified_before() -> None:
    admin = Ed25519PrivateKey.generate()
    admin_key = admin.public_key().public_bytes_raw()
    machine_key, entry = roster_entry(admin, "org1")
    verified = VerifiedRosterEntries()
    seats = {"org1": organisation_key_of(entry)}
    verified.organisation(FEDERATION, admin_key, machine_key, entry, seats)
    with pytest.raises(BmadError, match="holds no seat"):
        verified.organisation(FEDERATION, admin_key, machine_key, entry, {})
    assert len(verified) == 1


def test_a_seat_vouches_without_the_admission_but_never_for_an_admin_only_check() -> None:
    admin = Ed25519PrivateKey.generate()
    admin_key = admin.public_key().public_bytes_raw()
    machine_key, entry = roster_entry(admin, "org1")
    seats = {"org1": organisation_key_of(entry)}
    unadmitted = {**entry, "admission": flip_last_byte(entry["admission"])}
    verified = VerifiedRosterEntries()
    assert verified.organisation(FEDERATION, admin_key, machine_key, unadmitted, seats) == "org1"
    # The same bytes, verified under seats, are checked anew where the admin must vouch.
    with pytest.raises(BmadError, match="never admitted"):
        verified.organisation(FEDERATION, admin_key, machine_key, unadmitted)
    forged_certificate = {**entry["certificate"]}
    forged_certificate["signature"] = flip_last_byte(forged_certificate["signature"])
    with pytest.raises(BmadError, match="not signed by its organisation key"):
        verified.organisation(
            FEDERATION, admin_key, machine_key, {**entry, "certificate": forged_certificate}, seats
        )
