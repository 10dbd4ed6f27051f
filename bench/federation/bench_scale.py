"""Large secure-aggregation rounds over HTTP: SecAgg+ (sparse graph) against the complete graph.

For n simulated participants (10,000-entry vectors mod 2^32, the bench-only learning type of
``_bench_server.py``) one whole round through the real aggregator (uvicorn + FastAPI, a
separate process on 127.0.0.1 with --workers uvicorn workers, on SQLite or on a throwaway
PostgreSQL cluster served on a unix socket): enrolment, the five phases and the release, every
request signed. Membership is seeded, not negotiated: the admin creates the federation over
HTTP, then for each simulated member the bench makes an organisation key, its certificate of
the member's machine key and the admin's admission of that organisation key, and writes them
into the aggregator's tables in one transaction as a join and an admission store them (joining
and admitting through the consortium log cost about 1.5 s a member at n = 300 on this loaded
machine, growing with n, and are not what this bench measures). The members' consortium rules
in force are the founding version with every seat bound to its organisation key (built in
process with ``consortium.changes.binding``, as the log's bind versions hold them; syncing the
log is bench_joins.py's business). Before its first answer each member checks its group as
``participant._driver`` does (``_rounds.checked_driver``): every roster entry's certificate and
its organisation key's seat, its own key; each with its own cache of verified entries, empty
in the first round and kept for the next (--rounds: the same members take part in R rounds one
after the other, as a member's daemon does; round 1 is a member's first round). The
participants live in --client-processes worker processes (one Python process cannot drive
thousands), each with one HTTP connection pool for its participants. Per phase every
participant makes one signed GET of the round (its assignment and inbox) and one signed POST of
its answer, as ``bmad.federation.participant`` does once its long poll returns; one long poll
per worker process waits for the next phase. No consent, budget or noise steps: the vectors are
0/1 bins and their participation weights, so the release's plausibility check holds.

Per row (one per round): the protocol (``sparse``: groups of >= 30 use SecAgg+, ``full``:
every group the complete graph), the group sizes and degree, wall time from the close of
enrolment to the release, the workers' CPU seconds per participant (HTTP, JSON, crypto), the
aggregator's CPU and peak RSS (VmHWM), the 1-minute load average, and whether the released
figures equal the robust combination of the exact group sums (the exact sum for one group).

Usage: bench_scale.py [--sizes 100 1000] [--protocols sparse full] [--client-processes 2]
                      [--workers 1] [--databases sqlite postgresql] [--rounds 1]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import multiprocessing
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.context import ForkProcess
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from _rounds import LONG_POLL, BenchAggregator, checked_driver  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey  # noqa: E402

from bmad.federation import server_store, trust  # noqa: E402
from bmad.federation.client import AggregatorClient  # noqa: E402
from bmad.federation.consortium import member as consortium  # noqa: E402
from bmad.federation.consortium.changes import binding  # noqa: E402
from bmad.federation.consortium.rules import ConsortiumRules, agreement_message  # noqa: E402
from bmad.federation.database import open_database  # noqa: E402
from bmad.federation.governance import group_sizes  # noqa: E402
from bmad.federation.robust import combine_groups  # noqa: E402
from bmad.federation.secagg.graph import sparse_round  # noqa: E402
from bmad.federation.sessions import ClientDriver  # noqa: E402
from bmad.federation.signing import encode_key  # noqa: E402
from bmad.privacy.identity import Identity  # noqa: E402

HALF = 5_000
K = 3
NEVER_SPARSE = 1_000_000


def vector(index: int) -> list[int]:
    bits = [(index + i) % 2 for i in range(HALF)]
    return bits + [10 * bit for bit in bits]


@dataclass(frozen=True)
class SeededMember:
    """A simulated member as its join and admission leave it."""

    index: int
    identity: Identity
    certificate: trust.MachineCertificate
    admission: str  # the admin's signature of its organisation key


def seeded_members(
    admin: Identity, founded: ConsortiumRules, n: int
) -> tuple[list[SeededMember], ConsortiumRules]:
    """Members org0..org{n-1}: each an organisation key certifying one machine key, admitted by
    the admin, and the consortium rules with every seat taken by its organisation key."""
    members, rules = [], founded
    for index in range(n):
        organisation = f"org{index}"
        identity = Identity(
            Ed25519PrivateKey.generate(), X25519PrivateKey.generate(), "2026-01-01T00:00:00Z"
        )
        organisation_key = Ed25519PrivateKey.generate()
        organisation_public = organisation_key.public_key().public_bytes_raw()
        certificate = trust.certify_machine(
            organisation_key,
            organisation_public,
            founded.federation,
            organisation,
            identity.public.signing_public,
            1.0,
        )
        admission = trust.sign_admission(
            admin, founded.federation, organisation, organisation_public
        )
        agreement = identity.sign(agreement_message(founded, organisation, organisation_public))
        rules = binding(
            rules,
            organisation,
            trust.b64(organisation_public),
            certificate.to_dict(),
            trust.b64(agreement),
        )
        members.append(SeededMember(index, identity, certificate, admission))
    return members, rules


def worker(
    members: list[SeededMember], url: str, rules: ConsortiumRules, commands: Any, reports: Any
) -> None:
    """For each round id it is told (None: stop), enrol each member and answer every phase,
    each member checking its group first with its own cache of verified roster entries, kept
    across rounds as a member's machine keeps it; a member whose check refuses the group stops
    answering (the round drops it), counted in the report."""
    import httpx

    logging.getLogger("bmad").setLevel(logging.ERROR)
    connections = httpx.HTTPTransport()  # one pool for this process's participants
    clients = {
        member.index: AggregatorClient(url, member.identity, timeout=600, transport=connections)
        for member in members
    }
    verified = {member.index: trust.VerifiedRosterEntries() for member in members}
    while (round_id := commands.get()) is not None:
        for client in clients.values():
            client.enrol(round_id)
        started = time.process_time()
        refused = drive_round(round_id, clients, rules, verified)
        reports.put(("cpu", time.process_time() - started, len(clients), refused))


def drive_round(
    round_id: str,
    clients: dict[int, AggregatorClient],
    rules: ConsortiumRules,
    verified: dict[int, trust.VerifiedRosterEntries],
) -> int:
    """Answer each phase of one round for every member; the number of members that refused."""
    watcher = next(iter(clients.values()))
    drivers: dict[int, ClientDriver] = {}
    refused: set[int] = set()
    seen: int | None = None
    answered: set[str] = set()
    while True:
        state = watcher.round(round_id, seen, LONG_POLL)
        seen = int(state["changes"])
        if state["state"] in ("released", "aborted"):
            return len(refused)
        phase = state["phase"]
        if state["state"] != "running" or phase in answered:
            continue
        for index, client in clients.items():
            if index in refused:
                continue
            look = client.round(round_id)
            you = look.get("you")
            if look["phase"] != phase or not you or not you["alive"] or you["answered"]:
                continue
            if index not in drivers:
                try:
                    drivers[index] = checked_driver(
                        look, round_id, client.identity, vector(index), rules, verified[index]
                    )
                except trust.RoundRefused:
                    refused.add(index)
                    continue
            client.submit(round_id, phase, drivers[index].answer(phase, you.get("inbox")))
        answered.add(phase)


@contextlib.contextmanager
def database_url(kind: str, folder: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'agg.sqlite3'}"
        return
    sys.path.insert(0, str(BENCH.parent.parent))
    from tests.federation.postgres_server import throwaway_cluster

    with throwaway_cluster() as cluster:
        yield cluster.create_database()


def seat_members(url: str, members: list[SeededMember]) -> None:
    """Write each member's machine key with its certificate, and its organisation key with the
    admin's admission, as the join and admission routes write them."""
    database = open_database(url)
    try:
        with database.transaction() as connection:
            for member in members:
                certificate = member.certificate
                connection.execute(
                    "INSERT INTO agg_participants (federation, public_key, organisation, role, "
                    "joined_at, certificate) VALUES (?, ?, ?, 'member', ?, ?)",
                    (
                        certificate.federation,
                        encode_key(member.identity.public.signing_public),
                        certificate.organisation,
                        server_store.now_text(),
                        json.dumps(certificate.to_dict()),
                    ),
                )
                connection.execute(
                    "INSERT INTO agg_admissions (federation, organisation, organisation_key, "
                    "signature) VALUES (?, ?, ?, ?)",
                    (
                        certificate.federation,
                        certificate.organisation,
                        trust.b64(certificate.organisation_key),
                        member.admission,
                    ),
                )
    finally:
        database.close()


def round_groups(url: str, round_id: str) -> list[list[str]]:
    """The organisations of each group, from the round's log (deleted at the release)."""
    database = open_database(url)
    try:
        row = database.connection.execute(
            "SELECT body FROM agg_round_events WHERE round = ? AND kind = 'groups'", (round_id,)
        ).fetchone()
    finally:
        database.close()
    return [list(group) for group in json.loads(row[0])["groups"]]


def _run(
    n: int,
    protocol: str,
    processes: int,
    workers: int,
    kind: str,
    rounds: int,
    aggregator: BenchAggregator,
) -> Iterator[dict[str, Any]]:
    clients: list[ForkProcess] = []
    try:
        created = aggregator.create_federation(
            [f"org{i}" for i in range(n)],
            {"k_min_participants": K, "sparse_from": 30 if protocol == "sparse" else NEVER_SPARSE},
        )
        federation = created["federation"]
        context = multiprocessing.get_context("fork")
        commands, reports = context.Queue(), context.Queue()
        setup_started = time.perf_counter()
        founded = consortium.kept_log(aggregator.admin_store, federation)[-1].rules
        members, rules = seeded_members(aggregator.admin.identity, founded, n)
        seat_members(aggregator.database, members)
        for w in range(processes):
            process = context.Process(  # forked: the members' keys are not pickled
                target=worker,
                args=(members[w::processes], aggregator.url, rules, commands, reports),
            )
            process.start()
            clients.append(process)
        setup_s = time.perf_counter() - setup_started
        sizes = group_sizes(n, K)
        degrees = [
            (
                sparse.neighbours
                if (sparse := sparse_round(size)) and protocol == "sparse"
                else size - 1
            )
            for size in sizes
        ]
        for number in range(1, rounds + 1):
            measured = one_round(aggregator, federation, clients, commands, reports)
            yield {
                "n": n,
                "protocol": protocol,
                "database": kind,
                "workers": workers,
                "round": number,
                "groups": "/".join(map(str, sizes)),
                "degree": "/".join(map(str, degrees)),
                "setup_s": setup_s,
                **measured,
            }
        for _ in clients:
            commands.put(None)
        for process in clients:
            process.join(timeout=60)
    finally:
        for process in clients:
            if process.is_alive():
                process.terminate()
                process.join(timeout=30)


def one_round(
    aggregator: BenchAggregator,
    federation: str,
    clients: list[ForkProcess],
    commands: Any,
    reports: Any,
) -> dict[str, Any]:
    """Open a round, have the client processes take part, and measure it."""
    round_id = aggregator.open_round(federation, phase_timeout=3600)
    for _ in clients:
        commands.put(round_id)
    cpu_before = aggregator.cpu()
    groups: list[list[str]] = []
    state, round_s = aggregator.outcome(
        round_id, lambda: groups.extend(round_groups(aggregator.database, round_id))
    )
    client_cpu, counted, refused = 0.0, 0, 0
    for _ in clients:
        report, cpu, count, refusals = reports.get(timeout=600)
        assert report == "cpu"
        client_cpu += cpu
        counted += count
        refused += refusals
    result = "aborted: " + str(state["reason"]) if state["state"] == "aborted" else "released"
    if state["state"] == "released":
        # several groups are combined robustly (their median, scaled): exact group sums in
        group_sums = [  # the same combination must give exactly the released figures
            [sum(column) for column in zip(*(vector(int(o[3:])) for o in g), strict=True)]
            for g in groups
        ]
        expected = combine_groups(group_sums, [len(g) for g in groups])
        exact = aggregator.released_aggregate(round_id) == expected
        result += ", exact" if exact else ", NOT THE EXACT COMBINATION"
    if refused:
        result += f", {refused} members refused their group"
    return {
        "round_s": round_s,
        "client_cpu_s": client_cpu / max(counted, 1),
        "server_cpu_s": aggregator.cpu() - cpu_before,
        "server_rss_mb": aggregator.peak_rss() / 2**20,
        "load": os.getloadavg()[0],
        "result": result,
    }


def run(
    n: int, protocol: str, processes: int, workers: int, kind: str, rounds: int
) -> Iterator[dict[str, Any]]:
    folder = Path(tempfile.mkdtemp(prefix="bmad-bench-scale-"))
    with (
        database_url(kind, folder) as database,
        BenchAggregator(folder, database, workers) as aggregator,
    ):
        yield from _run(n, protocol, processes, workers, kind, rounds, aggregator)


def main() -> None:
    logging.getLogger("bmad").setLevel(logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--protocols", nargs="+", default=["sparse", "full"])
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--workers", type=int, nargs="+", default=[1])
    parser.add_argument("--databases", nargs="+", default=["sqlite"])
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    print(
        f"{'n':>5} {'protocol':>8} {'db':>10} {'wk':>2} {'rd':>2} {'groups':>14} {'degree':>12}"
        f" {'setup s':>8} {'round s':>8}"
        f" {'CPU/participant s':>17} {'server CPU s':>12} {'server RSS MB':>13} {'load':>5}  result"
    )
    rows = [
        (n, protocol, workers, kind)
        for n in args.sizes
        for kind in args.databases
        for workers in args.workers
        for protocol in args.protocols
    ]
    for n, protocol, workers, kind in rows:
        for r in run(n, protocol, args.client_processes, workers, kind, args.rounds):
            print(
                f"{r['n']:>5} {r['protocol']:>8} {r['database']:>10} {r['workers']:>2}"
                f" {r['round']:>2} {r['groups']:>14} {r['degree']:>12}"
                f" {r['setup_s']:>8.1f} {r['round_s']:>8.1f} {r['client_cpu_s']:>17.3f}"
                f" {r['server_cpu_s']:>12.1f} {r['server_rss_mb']:>13.0f} {r['load']:>5.1f}"
                f"  {r['result']}",
                flush=True,
            )


if __name__ == "__main__":
    main()
