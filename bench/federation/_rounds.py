"""What the federation benches share: the bench aggregator process, its federation and rounds,
the participants' phase answers, and the CPU and memory of processes.

``BenchAggregator`` starts ``_bench_server.py`` (the real service with the 10,000-entry bench
learning type) on 127.0.0.1 over a database URL, creates a federation with an admin machine,
opens rounds, waits for their outcome and reads the released sum. ``checked_driver`` builds a
participant's ``ClientDriver`` from its first look at a running round after the checks
``bmad.federation.participant`` makes there (the round's terms, every roster entry's
certificate and its organisation key's seat in the consortium rules); ``driver_for``
builds it without them. Both skip the consent, the budget and the noise.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from _bench_server import BENCH_TYPE  # noqa: E402  (registers the learning type first)

from bmad.federation import enrolment, trust  # noqa: E402
from bmad.federation.client import AggregatorClient  # noqa: E402
from bmad.federation.consortium.rules import ConsortiumRules  # noqa: E402
from bmad.federation.database import open_database  # noqa: E402
from bmad.federation.participant import open_participant_store  # noqa: E402
from bmad.federation.secagg import RoundConfig, Signer  # noqa: E402
from bmad.federation.sessions import ClientDriver  # noqa: E402
from bmad.federation.signing import decode_key  # noqa: E402
from bmad.privacy.identity import Identity, load_or_create_identity  # noqa: E402

LONG_POLL = 5.0  # seconds, as bmad.federation.participant: the aggregator answers on news


def proc_status(pid: int, field: str) -> int:
    """A byte count of /proc/PID/status (VmHWM: the peak resident memory)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def proc_cpu(pid: int) -> float:
    """User and system CPU seconds of one process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def checked_driver(
    state: dict[str, Any],
    round_id: str,
    identity: Identity,
    vector: list[int],
    rules: ConsortiumRules,
    verified: trust.VerifiedRosterEntries,
) -> ClientDriver:
    """The participant's driver once its group passed ``participant._driver``'s checks: the
    terms against the rules in force, every roster entry's certificate and its organisation
    key's seat in the consortium rules (the signatures of those not in this member's
    ``verified`` yet), its own key in the roster."""
    limits = trust.LocalLimits(
        rules.governance.k_min_participants, rules.governance.epsilon_per_round
    )
    terms = trust.check_round(rules.governance, limits, BENCH_TYPE, state["parameters"])
    group = trust.check_group(
        terms,
        round_id,
        rules.federation,
        trust.unb64(rules.admin_key, "admin key"),
        state["you"],
        identity.public.signing_public,
        rules.member_keys(),
        verified,
    )
    return ClientDriver(group.config, group.participant, identity, vector)


def driver_for(state: dict[str, Any], signer: Signer, vector: list[int]) -> ClientDriver:
    """The participant's secure-aggregation driver, from its look at the round's first phase."""
    you = state["you"]
    parameters = state["parameters"]
    config = RoundConfig(
        you["session"],
        {int(p): decode_key(entry["key"]) for p, entry in you["roster"].items()},
        int(you["threshold"]),
        int(parameters["vector_length"]),
        int(parameters["modulus_bits"]),
        int(you["min_survivors"]),
        int(you.get("neighbours", 0)),
    )
    return ClientDriver(config, int(you["participant"]), signer, vector)


class BenchAggregator:
    """The bench aggregator on ``database`` (an SQLite path or a postgresql:// URL) with
    ``workers`` uvicorn workers, and an admin machine whose data lives in ``folder``."""

    def __init__(self, folder: Path, database: str, workers: int = 1) -> None:
        self.folder = folder
        self.database = database
        self.process = subprocess.Popen(
            [sys.executable, str(BENCH / "_bench_server.py"), database, str(workers)],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "BMAD_HOME": str(folder / "h")},
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().split()[-1]
        self.admin_store = open_participant_store(folder / "admin.sqlite3")
        self.admin = AggregatorClient(
            self.url, load_or_create_identity(self.admin_store, folder / "admin.json"), timeout=600
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.admin.close()
        self.process.terminate()
        self.process.wait(timeout=60)

    def create_federation(
        self, organisations: list[str], governance: dict[str, Any]
    ) -> dict[str, Any]:
        """A federation of ``organisations`` (with their enrolment tokens), administered by a
        coordinator organisation that does not take part in rounds."""
        return enrolment.create(
            self.admin_store,
            self.admin,
            enrolment.organisation_identity(self.admin_store, self.folder / "admin-org.json"),
            "coordinator",
            organisations,
            "low",
            {"epsilon_per_round": 1.0, "epsilon_per_period": 100.0, **governance},
        )

    def open_round(self, federation: str, phase_timeout: float) -> str:
        opened = self.admin.open_round(
            federation, BENCH_TYPE, enrol_timeout=3600, phase_timeout=phase_timeout
        )
        return str(opened["id"])

    def outcome(
        self, round_id: str, on_running: Callable[[], None] = lambda: None
    ) -> tuple[dict[str, Any], float]:
        """The round's final state and its seconds from the close of enrolment to the end;
        ``on_running`` is called once when enrolment closes."""
        running_at: float | None = None
        while (state := self.admin.round(round_id))["state"] not in ("released", "aborted"):
            if running_at is None and state["state"] == "running":
                running_at = time.perf_counter()
                on_running()
            time.sleep(0.05)
        finished = time.perf_counter()
        return state, finished - (running_at or finished)

    def released_aggregate(self, round_id: str) -> list[float]:
        database = open_database(self.database)
        try:
            row = database.connection.execute(
                "SELECT aggregate FROM agg_releases WHERE round = ?", (round_id,)
            ).fetchone()
        finally:
            database.close()
        return [float(value) for value in json.loads(row[0])]

    def processes(self) -> list[int]:
        """The aggregator process and its uvicorn workers."""
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return [pid, *map(int, children)]

    def cpu(self) -> float:
        return sum(proc_cpu(pid) for pid in self.processes())

    def peak_rss(self) -> int:
        """Peak resident memory of the aggregator: the sum of its processes' peaks."""
        return sum(proc_status(pid, "VmHWM") for pid in self.processes())
