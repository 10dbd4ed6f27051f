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
import logging
import sys
import tempfile
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from _rounds import LONG_POLL, BenchAggregator, driver_for  # noqa: E402

from bmad.errors import BmadError  # noqa: E402
from bmad.federation import enrolment  # noqa: E402
from bmad.federation.client import AggregatorClient  # noqa: E402
from bmad.federation.governance import reconstruction_threshold  # noqa: E402
from bmad.federation.participant import open_participant_store  # noqa: E402
from bmad.federation.secagg import simulate_round  # noqa: E402
from bmad.federation.sessions import ClientDriver  # noqa: E402
from bmad.federation.wire import PHASES  # noqa: E402
from bmad.privacy.identity import load_or_create_identity  # noqa: E402

LENGTH = 10_000
POLL = 0.2


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
        seen: int | None = None
        while True:
            state = self.client.round(round_id, seen, LONG_POLL)
            seen = int(state["changes"])
            if state["state"] in ("released", "aborted"):
                break
            you = state.get("you")
            if state["state"] == "running" and you and you["alive"] and not you["answered"]:
                if driver is None:
                    driver = driver_for(state, self.identity, self.vector)
                phase = state["phase"]
                self.client.submit(round_id, phase, driver.answer(phase, you.get("inbox")))
                self.sent = self.sent or phase == "masked_input"
                if phase == silent_after:
                    break
            elif you is not None and not you["alive"]:
                break
            time.sleep(POLL)  # sleeping costs no thread CPU time
        self.cpu = time.thread_time() - started
        self.client.close()


def run(n: int, dropouts: bool, phase_timeout: float) -> dict[str, float | int | str]:
    folder = Path(tempfile.mkdtemp(prefix="bmad-bench-fed-"))
    with BenchAggregator(folder, f"sqlite:///{folder / 'agg.sqlite3'}") as aggregator:
        names = [f"org{i}" for i in range(n)]
        k = n // 2 + 1  # one group (n < 2k): one secure aggregation over all n
        created = aggregator.create_federation(
            names,
            # the complete graph; bench_scale.py compares SecAgg+
            {"k_min_participants": k, "sparse_from": 1_000_000},
        )
        federation = created["federation"]
        participants = [Simulated(i, aggregator.url, folder) for i in range(n)]
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
            enrolment.admit(
                aggregator.admin, federation, name, participant.organisation_key.fingerprint
            )
        round_id = aggregator.open_round(federation, phase_timeout)
        tolerated = min(4, n - reconstruction_threshold(n, k))  # t = 2n/3 + 1 must answer
        silent = dict(enumerate(PHASES[:tolerated])) if dropouts else {}
        threads = [
            threading.Thread(target=p.take_part, args=(round_id, silent.get(i)))
            for i, p in enumerate(participants)
        ]
        cpu_before = aggregator.cpu()
        for thread in threads:
            thread.start()
        state, round_s = aggregator.outcome(round_id)
        for thread in threads:
            thread.join()
        server_cpu = aggregator.cpu() - cpu_before
        peak = aggregator.peak_rss()
        ok = "aborted: " + str(state["reason"]) if state["state"] == "aborted" else "released"
        if state["state"] == "released":
            expected = [
                sum(column)
                for column in zip(*(p.vector for p in participants if p.sent), strict=True)
            ]
            # the layout's first half is the bench schema; the sum is checked entry by entry
            released = aggregator.released_aggregate(round_id)
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
            "round_s": round_s,
            "deadline_waits_s": waits,
            "anchor_s": anchor_s,
            "anchor_ratio": (round_s - waits) / anchor_s,  # deadline waits excluded
            "anchor_client_cpu_s": sum(anchor.client_cpu.values()) / n,
            "anchor_server_cpu_s": anchor.server_cpu,
            "late": sum(1 for p in participants if p.error is not None),
            "client_cpu_mean_s": sum(cpus) / n,
            "client_cpu_max_s": max(cpus),
            "server_cpu_s": server_cpu,
            "server_peak_rss_mb": peak / 2**20,
        }


def main() -> None:
    logging.getLogger("bmad").setLevel(logging.ERROR)  # each join says whose admin key it pinned
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
                f" {r['anchor_ratio']:>6.1f}"
                f" {r['anchor_client_cpu_s']:>14.3f} / {r['anchor_server_cpu_s']:<13.2f}"
                f" {r['late']:>4}  {r['state']}",
                flush=True,
            )


if __name__ == "__main__":
    main()
