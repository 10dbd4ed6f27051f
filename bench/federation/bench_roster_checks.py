"""What a member's roster checks cost: a group's certificates and admissions, first and later.

For a group of n roster entries, each a machine key certified by its own organisation key and
that key admitted by the admin (as ``bench_scale.py`` seeds them), the time one member spends
on them in ``trust.check_group``'s loop: its first round (an empty cache of verified entries:
two libsodium signature checks an entry), a later round with the same roster (a digest an
entry), the same two checks through OpenSSL (``bmad.privacy.identity.verify_signature``, what
the checks used before), and ``consortium.check_roster_seats`` (each organisation key against
the consortium rules' seats). Medians of --repeats, milliseconds per member.

Usage: bench_roster_checks.py [--sizes 56 164 333 1667] [--repeats 7]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bmad.federation import trust
from bmad.federation.consortium.member import check_roster_seats
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
    verified: trust.VerifiedRosterEntries, admin_key: bytes, you: dict[str, Any]
) -> None:
    for entry in you["roster"].values():
        verified.organisation(FEDERATION, admin_key, trust.unb64(entry["key"], "key"), entry)


def median_ms(action: Callable[[], None], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


def row(admin: Ed25519PrivateKey, n: int, repeats: int) -> tuple[float, float, float, float]:
    """Milliseconds per member for a group of n: first round, later round, OpenSSL, seats."""
    admin_key = admin.public_key().public_bytes_raw()
    you, organisation_keys = roster(admin, n)
    rules = seated_rules(admin_key, organisation_keys)
    first = median_ms(lambda: check_entries(trust.VerifiedRosterEntries(), admin_key, you), repeats)
    warm = trust.VerifiedRosterEntries()
    check_entries(warm, admin_key, you)
    later = median_ms(lambda: check_entries(warm, admin_key, you), repeats)
    openssl = median_ms(lambda: verify_through_openssl(admin_key, you), repeats)
    seats = median_ms(lambda: check_roster_seats(rules, you), repeats)
    return first, later, openssl, seats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[56, 164, 333, 1667])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    admin = Ed25519PrivateKey.generate()
    print(f"{'n':>5} {'first ms':>9} {'later ms':>9} {'OpenSSL ms':>10} {'seats ms':>9}")
    for n in args.sizes:
        first, later, openssl, seats = row(admin, n, args.repeats)
        print(f"{n:>5} {first:>9.1f} {later:>9.1f} {openssl:>10.1f} {seats:>9.1f}", flush=True)


if __name__ == "__main__":
    main()
