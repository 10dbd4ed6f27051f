"""Joining a consortium at scale: real joins and admissions through the consortium log.

For each size n, a real aggregator (``bmad aggregator serve`` on 127.0.0.1, SQLite) and a
federation founded with n free seats; the first n - J seats are taken by bind versions built
and signed in process (the admin's key, each organisation's key certifying a machine that signs
the learning agreement: exactly what a real admission writes) and written into the log, so the
measured joins meet a log of n - J taken seats. Then J organisations join for real, one after
another: the new machine's ``enrolment.join`` (token, certificate, the whole log fetched and
verified from version 1, the agreement signed) and the admin's ``enrolment.admit`` with its
store (only the versions after the admin's last verified head fetched and verified, the seat
bound). Beside it, what an admission cost before: the whole log fetched and verified again.

Per size: the log's bytes, the seeding time, the join and the admission (median of J), an
admission's whole-log verification, and joins per second (1 / (join + admission)).

Usage: bench_joins.py [--sizes 100 300 1000] [--joins 3]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the harness imports its git helpers by that name

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from bmad.federation import enrolment  # noqa: E402
from bmad.federation.client import AggregatorClient  # noqa: E402
from bmad.federation.consortium import member as consortium  # noqa: E402
from bmad.federation.consortium.chain import (  # noqa: E402
    ADMIN_SIGNER,
    LogEntry,
    sign_entry,
    verify_log,
)
from bmad.federation.consortium.changes import binding, next_entry  # noqa: E402
from bmad.federation.consortium.rules import agreement_message  # noqa: E402
from bmad.federation.participant import open_participant_store  # noqa: E402
from bmad.federation.trust import b64, certify_machine  # noqa: E402
from bmad.privacy.identity import Identity, load_or_create_identity  # noqa: E402
from tests.federation.harness import (  # noqa: E402
    create_federation,
    join_as,
    organisation_key,
    running_aggregator,
)


def _public(key: Ed25519PrivateKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def bound_versions(head: LogEntry, admin: Identity, organisations: list[str]) -> list[LogEntry]:
    """One signed bind version per organisation, each on the one before."""
    entries = []
    for organisation in organisations:
        org_key, machine_key = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
        org_public = _public(org_key)
        certificate = certify_machine(
            org_key, org_public, head.rules.federation, organisation, _public(machine_key), 1.0
        )
        agreement = machine_key.sign(agreement_message(head.rules, organisation, org_public))
        rules = binding(
            head.rules, organisation, b64(org_public), certificate.to_dict(), b64(agreement)
        )
        change = {"kind": "bind", "organisation": organisation, "summary": "took its seat"}
        entry = next_entry(head, rules, change)
        head = entry.signed_by(ADMIN_SIGNER, sign_entry(entry, admin))
        entries.append(head)
    return entries


def seed(database: Path, entries: list[LogEntry]) -> int:
    """Write the versions into the aggregator's log; their total bytes."""
    rows = [
        (entry.rules.federation, entry.version, json.dumps(entry.to_dict()), entry.hash)
        for entry in entries
    ]
    with sqlite3.connect(database) as connection:
        connection.executemany(
            "INSERT INTO agg_consortium_log (federation, version, entry, hash) VALUES (?, ?, ?, ?)",
            rows,
        )
    return sum(len(row[2]) for row in rows)


def run(n: int, joins: int) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="bmad-bench-joins-"))
    with running_aggregator(folder / "aggregator") as aggregator:
        admin_store = open_participant_store(folder / "admin" / "bmad.sqlite3")
        identity = load_or_create_identity(admin_store, folder / "admin" / "id.json")
        admin = AggregatorClient(aggregator.url, identity, timeout=3600)
        names = [f"org{index}" for index in range(n)]
        created = create_federation(admin_store, admin, names)
        federation = created["federation"]
        admin_key = identity.public.signing_public
        started = time.perf_counter()
        founded = consortium.kept_log(admin_store, federation)[-1]
        log_bytes = seed(aggregator.db_path, bound_versions(founded, identity, names[: n - joins]))
        seeding = time.perf_counter() - started
        started = time.perf_counter()
        consortium.verified_head(admin_store, admin, federation, admin_key)
        first_verification = time.perf_counter() - started
        joined, admitted, whole_log = [], [], []
        for organisation in names[n - joins :]:
            store = open_participant_store(folder / organisation / "bmad.sqlite3")
            machine = load_or_create_identity(store, folder / organisation / "id.json")
            started = time.perf_counter()
            with AggregatorClient(aggregator.url, machine, timeout=3600) as client:
                join_as(store, client, federation, organisation, created["tokens"][organisation])
            joined.append(time.perf_counter() - started)
            started = time.perf_counter()
            fingerprint = organisation_key(store).fingerprint
            enrolment.admit(admin, federation, organisation, fingerprint, admin_store)
            admitted.append(time.perf_counter() - started)
            started = time.perf_counter()
            verify_log(consortium.served_log(admin, federation), federation, admin_key)
            whole_log.append(time.perf_counter() - started)
            store.close()
        admin.close()
        admin_store.close()
    join_s, admit_s = statistics.median(joined), statistics.median(admitted)
    return {
        "n": n,
        "joins": joins,
        "log_mb": round(log_bytes / 1e6, 1),
        "seed_s": round(seeding, 1),
        "admin_first_verification_s": round(first_verification, 2),
        "join_s": round(join_s, 3),
        "admission_s": round(admit_s, 3),
        "admission_whole_log_s": round(statistics.median(whole_log), 3),
        "joins_per_s": round(1 / (join_s + admit_s), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--joins", type=int, default=3)
    options = parser.parse_args()
    for n in options.sizes:
        print(json.dumps(run(n, min(options.joins, n))), flush=True)


if __name__ == "__main__":
    main()
