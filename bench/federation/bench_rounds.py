"""Secure-aggregation rounds over the real HTTP aggregator: round time, CPU, memory.

For n simulated participants (threads in this process, each with its own Ed25519 identity and
``ClientDriver``, talking HTTP to an aggregator process on 127.0.0.1), one round on
10,000-entry vectors mod 2^32, without dropouts and with one participant falling silent after
each of the first four phases (4 dropouts, fewer where the 2n/3 + 1 threshold leaves less room;
each costs one phase deadline of --phase-timeout seconds, reported separately). Anchor in the
same run: the same round in one process without HTTP (``bmad.federation.secagg.simulate_round``,
same n, threshold and dropouts). Prints the wall
time from the close of enrolment to the release (and its ratio to the anchor, deadline waits
excluded), the mean and max CPU seconds per participant (thread CPU time, JSON and HTTP
included), the aggregator's CPU seconds and its peak resident memory (VmHWM).
The released sum is checked against the sum of the inputs.

Usage: bench_rounds.py [--sizes 10 50 100] [--phase-timeout 10]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from _bench_server import BENCH_TYPE  # noqa: E402

from bmad.errors import BmadError  # noqa: E402
from bmad.federation import enrolment  # noqa: E402
from bmad.federation.client import AggregatorClient  # noqa: E402
from bmad.federation.governance import reconstruction_threshold  # noqa: E402
from bmad.federation.participant import open_participant_store  # noqa: E402
from bmad.federation.secagg import RoundConfig, simulate_round  # noqa: E402
from bmad.federation.sessions import ClientDriver  # noqa: E402
from bmad.federation.signing import decode_key  # noqa: E402
from bmad.federation.wire import PHASES  # noqa: E402
from bmad.privacy.identity import load_or_create_identity  # noqa: E402

LENGTH = 10_000
POLL = 0.2
LONG_POLL = 5.0  # as bmad.federation.participant: the aggregator answers on news


def proc_status(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Simulated:
    def __init__(self, index: int, url: str, folder: Path) -> None:
        self.store = store = open_participant_store(folder / f"p{index}.sqlite3")
        self.identity = load_or_create_identity(store, folder / f"p{index}.json")
        self.organisation_key = enrolment.organisation_identity(store, folder / f"o{index}.json")
        self.client = AggregatorClient(url, self.identity, timeout=600)
        # 0/1 bins and their participation weights: in range, so the release's check holds
        bits = [(index + i) % 2 for i in range(LENGTH // 2)]
        self.vector = bits + [10 * bit for bit in bits]
        self.cpu = 0.0
        self.sent = False
        self.error: str | None = None

    def take_part(self, round_id: str, silent_after: str | None) -> None:
        try:
            self._take_part(round_id, silent_after)
        except BmadError as exc:  # e.g. a phase closed before this thread answered
            self.error = exc.message

    def _take_part(self, round_id: str, silent_after: str | None) -> None:
        started = time.thread_time()
        self.client.enrol(round_id)
        driver: ClientDriver | None = None
        answered: set[str] = set()
        seen: int | None = None
        while True:
            state = self.client.round(round_id, seen, LONG_POLL)
            seen = int(state["changes"])
            if state["state"] in ("released", "aborted"):
                break
            you = state.get("you")
            if state["state"] == "running" and you and you["alive"] and not you["answered"]:
                if driver is None:
                    config = RoundConfig(
                        you["session"],
                        {int(p): decode_key(k["key"]) for p, k in you["roster"].items()},
                        int(you["threshold"]),
                        int(state["parameters"]["vector_length"]),
                        int(state["parameters"]["modulus_bits"]),
                        int(you["min_survivors"]),
                        int(you.get("neighbours", 0)),
                    )
                    driver = ClientDriver(
                        config, int(you["participant"]), self.identity, self.vector
                    )
                phase = state["phase"]
                self.client.submit(round_id, phase, driver.answer(phase, you.get("inbox")))
                self.sent = self.sent or phase == "masked_input"
                answered.add(phase)
                if phase == silent_after:
                    break
            elif you is not None and not you["alive"]:
                break
            time.sleep(POLL)  # sleeping costs no thread CPU time
        self.cpu = time.thread_time() - started


def run(n: int, dropouts: bool, phase_timeout: float) -> dict[str, float | int | str]:
    folder = Path(tempfile.mkdtemp(prefix="bmad-bench-fed-"))
    server = subprocess.Popen(
        [sys.executable, str(BENCH / "_bench_server.py"), str(folder / "agg.sqlite3")],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "BMAD_HOME": str(folder / "h")},
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().split()[-1]
        admin_store = open_participant_store(folder / "admin.sqlite3")
        admin = AggregatorClient(
            url, load_or_create_identity(admin_store, folder / "admin.json"), timeout=600
        )
        names = [f"org{i}" for i in range(n)]
        k = n // 2 + 1  # one group (n < 2k): one secure aggregation over all n
        created = enrolment.create(
            admin_store,
            admin,
            enrolment.organisation_identity(admin_store, folder / "admin-org.json"),
            "coordinator",
            names,
            "low",
            {
                "k_min_participants": k,
                "epsilon_per_round": 1.0,
                "epsilon_per_period": 100.0,
                "sparse_from": 1_000_000,  # the complete graph; bench_scale.py compares SecAgg+
            },
        )
        federation = created["federation"]
        participants = [Simulated(i, url, folder) for i in range(n)]
        for participant, name in zip(participants, names, strict=True):
            certificate = enrolment.certify(
                participant.store,
                participant.organisation_key,
                federation,
                name,
                participant.identity.public.signing_public,
                1.0,
            )
            enrolment.join(
                participant.store,
                participant.client,
                federation,
                name,
                created["tokens"][name],
                certificate,
            )
            enrolment.admit(admin, federation, name, participant.organisation_key.fingerprint)
        opened = admin.open_round(
            federation, BENCH_TYPE, enrol_timeout=600, phase_timeout=phase_timeout
        )
        tolerated = min(4, n - reconstruction_threshold(n, k))  # t = 2n/3 + 1 must answer
        silent = dict(enumerate(PHASES[:tolerated])) if dropouts else {}
        threads = [
            threading.Thread(target=p.take_part, args=(opened["id"], silent.get(i)))
            for i, p in enumerate(participants)
        ]
        cpu_before = proc_cpu(server.pid)
        for thread in threads:
            thread.start()
        enrolled_at = None
        while (state := admin.round(opened["id"]))["state"] not in ("released", "aborted"):
            if enrolled_at is None and state["state"] == "running":
                enrolled_at = time.perf_counter()
            time.sleep(0.05)
        finished = time.perf_counter()
        for thread in threads:
            thread.join()
        server_cpu = proc_cpu(server.pid) - cpu_before
        peak = proc_status(server.pid, "VmHWM")
        ok = "aborted: " + str(state["reason"]) if state["state"] == "aborted" else "released"
        if state["state"] == "released":
            import json
            import sqlite3

            with sqlite3.connect(folder / "agg.sqlite3") as connection:
                row = connection.execute("SELECT aggregate FROM agg_releases").fetchone()
            released = json.loads(row[0])
            expected = [
                sum(column)
                for column in zip(*(p.vector for p in participants if p.sent), strict=True)
            ]
            # the layout's first half is the bench schema; the sum is checked entry by entry
            ok += ", sum exact" if released == [float(v) for v in expected] else ", SUM WRONG"
        cpus = [p.cpu for p in participants]
        waits = phase_timeout * len(silent)
        drop_after = {
            round_number: {index + 1}
            for index, round_number in ((i, PHASES.index(phase)) for i, phase in silent.items())
        }
        anchor_started = time.perf_counter()
        threshold = reconstruction_threshold(n, k)
        anchor = simulate_round([p.vector for p in participants], threshold, drop_after)
        anchor_s = time.perf_counter() - anchor_started
        assert anchor.result is not None, anchor.abort_reason
        return {
            "n": n,
            "dropouts": len(silent),
            "state": ok,
            "round_s": finished - (enrolled_at or finished),
            "deadline_waits_s": waits,
            "anchor_s": anchor_s,
            "anchor_client_cpu_s": sum(anchor.client_cpu.values()) / n,
            "anchor_server_cpu_s": anchor.server_cpu,
            "late": sum(1 for p in participants if p.error is not None),
            "client_cpu_mean_s": sum(cpus) / n,
            "client_cpu_max_s": max(cpus),
            "server_cpu_s": server_cpu,
            "server_peak_rss_mb": peak / 2**20,
        }
    finally:
        server.terminate()
        server.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 50, 100])
    parser.add_argument("--phase-timeout", type=float, default=10.0)
    args = parser.parse_args()
    print(
        f"{'n':>4} {'drops':>5} {'round s':>8} {'of which waits':>14} {'client CPU mean/max s':>22}"
        f" {'server CPU s':>12} {'server RSS MB':>13} {'in-process s':>12} {'ratio':>6}"
        f" {'in-process client/server CPU s':>30} {'late':>4}  result"
    )
    for n in args.sizes:
        for dropouts in (False, True):
            r = run(n, dropouts, args.phase_timeout)
            print(
                f"{r['n']:>4} {r['dropouts']:>5} {r['round_s']:>8.1f}"
                f" {r['deadline_waits_s']:>14.0f}"
                f" {r['client_cpu_mean_s']:>11.2f} / {r['client_cpu_max_s']:<8.2f}"
                f" {r['server_cpu_s']:>12.1f} {r['server_peak_rss_mb']:>13.0f}"
                f" {r['anchor_s']:>12.2f}"
                f" {(r['round_s'] - r['deadline_waits_s']) / r['anchor_s']:>6.1f}"
                f" {r['anchor_client_cpu_s']:>14.3f} / {r['anchor_server_cpu_s']:<13.2f}"
                f" {r['late']:>4}  {r['state']}",
                flush=True,
            )


if __name__ == "__main__":
    main()
