"""What a member's roster checks cost: a group's certificates and what vouches for their keys.

For a group of n roster entries, each a machine key certified by its own organisation key,
that key admitted by the admin and seated in the consortium rules (as ``bench_scale.py`` seeds
them), the time one member spends on them in ``trust.check_group``'s loop. Vouched by the
admin's admissions (a federation without consortium rules): its first round (an empty cache of
verified entries: two libsodium signature checks an entry), a later round with the same roster
(a digest an entry), the same two checks through OpenSSL
(``bmad.privacy.identity.verify_signature``, what the checks used before). Vouched by the
consortium's seats (what a member with consortium rules runs): its first round (one signature
check and a seat look-up an entry) and a later one (a digest and a seat look-up). Medians of
--repeats, milliseconds per member.

Usage: bench_roster_checks.py [--sizes 56 164 333 1667] [--repeats 7]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _anchors import median_seconds
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bmad.federation import trust
from bmad.federation.consortium.rules import ConsortiumRules, Seat, founding_rules, with_seat
from bmad.federation.governance import governance_for
from bmad.privacy.identity import verify_signature

FEDERATION = "bench"


def roster(admin: Ed25519PrivateKey, n: int) -> tuple[dict[str, Any], dict[str, bytes]]:
    """A roster of n certified and admitted machine keys, and each organisation's key."""
    entries, organisation_keys = {}, {}
    for index in range(n):
        organisation = f"org{index}"
        organisation_key = Ed25519PrivateKey.generate()
        organisation_public = organisation_key.public_key().public_bytes_raw()
        machine_key = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
        certificate = trust.certify_machine(
            organisation_key, organisation_public, FEDERATION, organisation, machine_key, 1.0
        )
        entries[str(index)] = {
            "key": trust.b64(machine_key),
            "certificate": certificate.to_dict(),
            "admission": trust.sign_admission(admin, FEDERATION, organisation, organisation_public),
        }
        organisation_keys[organisation] = organisation_public
    return {"roster": entries}, organisation_keys


def seated_rules(admin_key: bytes, organisation_keys: dict[str, bytes]) -> ConsortiumRules:
    rules = founding_rules(
        FEDERATION, governance_for("low"), "coordinator", list(organisation_keys), admin_key
    )
    for organisation, key in organisation_keys.items():
        rules = with_seat(rules, Seat(organisation, trust.b64(key), {}, ""))
    return rules


def verify_through_openssl(admin_key: bytes, you: dict[str, Any]) -> None:
    for entry in you["roster"].values():
        certificate = trust.MachineCertificate.from_dict(entry["certificate"])
        verify_signature(certificate.organisation_key, certificate.message(), certificate.signature)
        message = trust.admission_message(
            FEDERATION, certificate.organisation, certificate.organisation_key
        )
        verify_signature(admin_key, message, trust.unb64(entry["admission"], "admission"))


def check_entries(
    verified: trust.VerifiedRosterEntries,
    admin_key: bytes,
    you: dict[str, Any],
    seats: dict[str, bytes] | None = None,
) -> None:
    for entry in you["roster"].values():
        machine_key = trust.unb64(entry["key"], "key")
        verified.organisation(FEDERATION, admin_key, machine_key, entry, seats)


def median_ms(action: Callable[[], None], repeats: int) -> float:
    return 1000 * median_seconds(action, repeats)


def later_ms(
    admin_key: bytes, you: dict[str, Any], seats: dict[str, bytes] | None, repeats: int
) -> float:
    warm = trust.VerifiedRosterEntries()
    check_entries(warm, admin_key, you, seats)
    return median_ms(lambda: check_entries(warm, admin_key, you, seats), repeats)


def row(admin: Ed25519PrivateKey, n: int, repeats: int) -> list[float]:
    """Milliseconds per member for a group of n: admitted first, later, OpenSSL; seated first,
    later."""
    admin_key = admin.public_key().public_bytes_raw()
    you, organisation_keys = roster(admin, n)
    seats = seated_rules(admin_key, organisation_keys).member_keys()
    return [
        median_ms(lambda: check_entries(trust.VerifiedRosterEntries(), admin_key, you), repeats),
        later_ms(admin_key, you, None, repeats),
        median_ms(lambda: verify_through_openssl(admin_key, you), repeats),
        median_ms(
            lambda: check_entries(trust.VerifiedRosterEntries(), admin_key, you, seats), repeats
        ),
        later_ms(admin_key, you, seats, repeats),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[56, 164, 333, 1667])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    admin = Ed25519PrivateKey.generate()
    columns = ["admitted first", "later", "OpenSSL", "seated first", "later"]
    print(f"{'n':>5} " + " ".join(f"{column + ' ms':>17}" for column in columns))
    for n in args.sizes:
        figures = row(admin, n, args.repeats)
        print(f"{n:>5} " + " ".join(f"{figure:>17.1f}" for figure in figures), flush=True)


if __name__ == "__main__":
    main()
