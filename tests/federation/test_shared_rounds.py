"""Rounds whose state lives in the database: on PostgreSQL, across several aggregator processes
and worker processes, and through an aggregator killed in the middle of a round."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from threading import Thread
from typing import Any

import pytest

from bmad.errors import BmadError
from bmad.federation.client import AggregatorError
from bmad.federation.server_store import open_aggregator_store
from tests.federation.harness import (
    Aggregator,
    Federation,
    Participant,
    in_threads,
    make_members,
    released_aggregate,
    running_aggregator,
)
from tests.federation.test_rounds_e2e import (
    RecordingParticipation,
    drive,
    run_round,
)

pytestmark = pytest.mark.usefixtures("opendp_imported")


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty aggregator database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


def expected_sum(runners: list[RecordingParticipation]) -> list[float]:
    sent = [runner.sent for runner in runners if runner.sent is not None]
    return [float(sum(column)) for column in zip(*sent, strict=True)]


def serving(folder: Path, database: str, *extra: str) -> Any:
    return running_aggregator(folder, ("--database", database, *extra))


def test_a_round_on_postgresql_releases_the_exact_sum(tmp_path: Path, postgres_url: str) -> None:
    with serving(tmp_path / "aggregator", postgres_url) as aggregator:
        state, runners, _, _ = run_round(tmp_path, aggregator, 5, {})
    assert state["state"] == "released", state["reason"]
    assert released_aggregate(postgres_url, state["id"]) == expected_sum(runners)
    assert all(r.outcome is not None and r.outcome.outcome == "released" for r in runners)
    store = open_aggregator_store(postgres_url)
    try:
        # the round's log, masked inputs included, went with the round
        assert store.connection.execute("SELECT COUNT(*) FROM agg_round_events").fetchone() == (0,)
    finally:
        store.close()


def test_two_aggregator_processes_serve_one_round_between_them(
    tmp_path: Path, database: str
) -> None:
    """Half the members talk to one process, half to the other: enrolments, messages, phase
    closes and long polls cross between the two through the database."""
    with (
        serving(tmp_path / "first", database) as first,
        serving(tmp_path / "second", database) as second,
    ):
        world = Federation.enrolled(first.url, tmp_path, make_members(tmp_path / "members", 6))
        opened = world.admin.open_round(
            world.federation, "code_patterns", enrol_timeout=60, phase_timeout=20
        )
        runners: list[RecordingParticipation] = []

        def take_part(index: int, participant: Participant) -> Any:
            url = first.url if index % 2 else second.url
            return lambda: runners.append(drive(participant, url, opened["id"], "code_patterns"))

        errors = in_threads(*(take_part(i, p) for i, p in enumerate(world.members)))
        assert not errors, errors
        state = world.admin.round(opened["id"])
    assert state["state"] == "released", state["reason"]
    assert state["organisations"]["completed"] == 6
    assert released_aggregate(database, state["id"]) == expected_sum(runners)


def test_two_workers_behind_one_port_serve_a_round(tmp_path: Path, database: str) -> None:
    with serving(tmp_path / "aggregator", database, "--workers", "2") as aggregator:
        state, runners, _, _ = run_round(tmp_path, aggregator, 5, {})
        workers = worker_processes(aggregator)
    assert len(workers) == 2
    assert state["state"] == "released", state["reason"]
    assert released_aggregate(database, state["id"]) == expected_sum(runners)


def worker_processes(aggregator: Aggregator) -> list[int]:
    """The server's child processes that multiprocessing spawned (not its resource tracker)."""
    pid = aggregator.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [
        int(child)
        for child in children
        if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()
    ]


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return int(probe.getsockname()[1])


def masked_inputs_logged(database: str, round_id: str) -> int:
    store = open_aggregator_store(database)
    try:
        rows = store.connection.execute(
            "SELECT body FROM agg_round_events WHERE round = ? AND kind = 'message'", (round_id,)
        ).fetchall()
    finally:
        store.close()
    return sum(1 for (body,) in rows if json.loads(body)["phase"] == "masked_input")


class RetryingParticipation(RecordingParticipation):
    """A member that keeps asking while the aggregator is down (the daemon retries too)."""

    def step(self) -> bool:
        try:
            return super().step()
        except AggregatorError:
            raise
        except BmadError as exc:
            if "cannot reach the aggregator" not in exc.message:
                raise
            time.sleep(0.2)
            return False


def test_a_round_survives_an_aggregator_killed_in_the_middle(tmp_path: Path, database: str) -> None:
    """Killed (SIGKILL) while waiting for the last masked input, a new aggregator process on the
    same database closes the phase at its deadline and releases the five inputs it never saw
    arrive."""
    port = ("--port", str(free_port()))
    with serving(tmp_path / "before", database, *port) as before:
        world = Federation.enrolled(
            before.url, tmp_path, make_members(tmp_path / "members", 6), {"k_min_participants": 5}
        )
        opened = world.admin.open_round(
            world.federation, "code_patterns", enrol_timeout=60, phase_timeout=8
        )
        round_id = opened["id"]
        runners: list[RecordingParticipation] = []

        def take_part(index: int, participant: Participant) -> Any:
            silent_after = "share_keys" if index == 0 else None
            return lambda: runners.append(
                drive(
                    participant,
                    before.url,
                    round_id,
                    "code_patterns",
                    silent_after,
                    RetryingParticipation,
                )
            )

        errors: list[BaseException] = []
        driver = Thread(
            target=lambda: errors.extend(
                in_threads(*(take_part(i, p) for i, p in enumerate(world.members)))
            )
        )
        driver.start()
        try:
            deadline = time.monotonic() + 60
            while masked_inputs_logged(database, round_id) < 5:
                assert time.monotonic() < deadline, "the masked inputs never arrived"
                time.sleep(0.1)
            before.process.kill()
            before.process.wait()
            with serving(tmp_path / "after", database, *port) as after:
                driver.join(120)
                assert not driver.is_alive()
                state = world.admin.round(round_id)
                assert after.url == before.url
        finally:
            driver.join(120)
    assert not errors, errors
    assert state["state"] == "released", state["reason"]
    assert state["organisations"]["completed"] == 5
    assert released_aggregate(database, round_id) == expected_sum(runners)
