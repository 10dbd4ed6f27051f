"""Federation test worlds: a real aggregator on loopback (its own process, or the app served in
this process), participants with their own data folders and repositories, and federations of
them (``Federation``, ``LiveFederation``) with helpers to run and watch rounds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from gitrepo import git, write_files

from bmad.federation import enrolment
from bmad.federation.client import AggregatorClient
from bmad.federation.participant import (
    RoundOutcome,
    open_participant_store,
    participate_in_open_rounds,
)
from bmad.federation.server_store import open_aggregator_store
from bmad.federation.settings import FederationSettings
from bmad.federation.trust import MachineCertificate
from bmad.privacy import consent
from bmad.privacy.identity import Identity, load_or_create_identity
from bmad.privacy.noise import discrete_gaussian_noise
from bmad.privacy.sharing import PrivacySettings
from bmad.store.connection import Store


@dataclass
class Aggregator:
    url: str
    db_path: Path
    log_path: Path
    process: subprocess.Popen[str]

    def released_aggregate(self, round_id: str) -> list[float]:
        return released_aggregate(f"sqlite:///{self.db_path}", round_id)


def released_aggregate(database: str, round_id: str) -> list[float]:
    """The noisy sum the aggregator whose database is at the URL ``database`` released."""
    store = open_aggregator_store(database)
    try:
        row = store.connection.execute(
            "SELECT aggregate FROM agg_releases WHERE round = ?", (round_id,)
        ).fetchone()
    finally:
        store.close()
    return [float(value) for value in json.loads(row[0])]


@contextmanager
def running_aggregator(folder: Path, extra_args: tuple[str, ...] = ()) -> Iterator[Aggregator]:
    folder.mkdir(parents=True, exist_ok=True)
    db_path = folder / "aggregator.sqlite3"
    log_path = folder / "aggregator.log"
    env = {**os.environ, "BMAD_HOME": str(folder / "home")}
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bmad",
                "aggregator",
                "serve",
                "--port",
                "0",
                "--db",
                f"sqlite:///{db_path}",
                *extra_args,
            ],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env=env,
        )
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            if not line.startswith("listening on "):
                raise RuntimeError(f"aggregator did not start: {log_path.read_text()}")
            yield Aggregator(line.split()[-1], db_path, log_path, process)
        finally:
            process.terminate()
            process.wait(timeout=30)


def fast_settings(round_timeout: float = 60.0) -> FederationSettings:
    """A participant's federation settings for tests: polls every 0.05 s, gives a whole round
    ``round_timeout`` seconds."""
    return FederationSettings("http://unused", 30.0, 0.05, round_timeout, 60.0, True)


def settings(organisation: str, k: int = 3) -> PrivacySettings:
    from bmad import config

    section = {**config.DEFAULTS["privacy"], "organisation": organisation, "k_min_participants": k}
    section["budget"] = "epsilon=50.0,delta=1e-5"
    section["organisation_budget"] = "epsilon=100.0,delta=1e-5"
    section["lifetime_budget"] = "epsilon=500.0,delta=1e-5"
    section["organisation_lifetime_budget"] = "epsilon=1000.0,delta=1e-5"
    return PrivacySettings.from_section(section)


def make_repo(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    write_files(root, {**files})
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial import")
    return root


def python_source(seed: int) -> dict[str, str]:
    """A small Python project whose functions' complexity varies with ``seed``."""
    body = []
    for index in range(6 + seed % 4):
        branches = "\n".join(
            f"    if value > {level}:\n        value -= {level + 1}"
            for level in range(index + seed % 3)
        )
        body.append(
            f"def step_{index}(value, other):\n{branches or '    pass'}\n    return value\n"
        )
    return {
        "pkg/core.py": "\n\n".join(body),
        "tests/test_core.py": "def test_x():\n    assert True\n",
    }


@dataclass
class Participant:
    organisation: str
    home: Path
    repo: Path
    store: Store
    identity: Identity
    settings: PrivacySettings
    outcomes: list[object] = field(default_factory=list)

    def client(self, url: str) -> AggregatorClient:
        return AggregatorClient(url, self.identity)

    def enable_sharing(self, *types: str) -> None:
        consent.enable(self.store, str(self.repo), list(types))

    def certificate(
        self, federation: str, organisation: str | None = None, budget_share: float = 1.0
    ) -> MachineCertificate:
        """This machine certified by its organisation's key for ``federation``."""
        return enrolment.certify(
            self.store,
            organisation_key(self.store),
            federation,
            organisation or self.organisation,
            self.identity.public.signing_public,
            budget_share,
        )

    def taking_part(self, federation: FederationSettings, **options: Any) -> Callable[[], None]:
        """A thread target (``in_threads``): take part in the open rounds as the daemon does,
        keeping the outcomes in ``self.outcomes``."""
        return lambda: self.outcomes.extend(
            participate_in_open_rounds(
                self.store,
                self.identity,
                [str(self.repo)],
                settings=self.settings,
                federation=federation,
                **options,
            )
        )


def coordinator(folder: Path, url: str) -> tuple[Store, AggregatorClient]:
    """The store and client of a federation's coordinator (its admin), kept in ``folder``."""
    store = open_participant_store(folder / "bmad.sqlite3")
    return store, AggregatorClient(url, load_or_create_identity(store, folder / "id.json"))


def make_participant(
    base: Path, organisation: str, files: dict[str, str], k: int = 3
) -> Participant:
    home = base / organisation
    repo = make_repo(base / f"{organisation}-repo", files)
    store = open_participant_store(home / "data" / "bmad.sqlite3")
    identity = load_or_create_identity(store, home / "data" / "keys" / "identity.json")
    return Participant(
        organisation, home, repo.resolve(), store, identity, settings(organisation, k)
    )


def organisation_key(store: Store) -> Identity:
    """The organisation key kept beside a test store (created on first use)."""
    return enrolment.organisation_identity(store, store.path.parent / "keys" / "organisation.json")


def create_federation(
    store: Store,
    client: AggregatorClient,
    organisations: list[str],
    privacy_level: str = "low",
    governance: dict[str, Any] | None = None,
    organisation: str = "coordinator",
) -> dict[str, Any]:
    return enrolment.create(
        store,
        client,
        organisation_key(store),
        organisation,
        organisations,
        privacy_level,
        governance or {},
    )


def join_as(
    store: Store,
    client: AggregatorClient,
    federation: str,
    organisation: str,
    token: str,
    admin: AggregatorClient | None = None,
    budget_share: float = 1.0,
) -> dict[str, Any]:
    """Join with a certificate from the store's organisation key; ``admin`` then admits it."""
    key = organisation_key(store)
    certificate = enrolment.certify(
        store,
        key,
        federation,
        organisation,
        client.identity.public.signing_public,
        budget_share,
    )
    answer = enrolment.join(store, client, federation, organisation, token, certificate)
    if admin is not None:
        enrolment.admit(admin, federation, organisation, key.fingerprint)
    return answer


def join(
    participant: Participant, url: str, federation: str, token: str, admin: AggregatorClient
) -> None:
    with participant.client(url) as client:
        join_as(participant.store, client, federation, participant.organisation, token, admin)


def in_threads(*targets: object) -> list[BaseException]:
    errors: list[BaseException] = []

    def run(target: object) -> None:
        try:
            target()  # type: ignore[operator]
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return errors


def finished_round(
    admin: AggregatorClient, round_id: str, seconds: float = 120.0
) -> dict[str, Any]:
    """The round's state once it is released or aborted; the test fails after ``seconds``."""
    deadline = time.monotonic() + seconds
    while (state := admin.round(round_id))["state"] not in ("released", "aborted"):
        assert time.monotonic() < deadline, state
        time.sleep(0.05)
    return state


@contextmanager
def serving_in_process(db_path: Path) -> Iterator[tuple[str, Any]]:
    """The aggregator's real app served by uvicorn on loopback in this process, so that a test
    can play a malicious aggregator by replacing its round engine's answers. Yields the URL
    and the app."""
    import socket

    import uvicorn

    from bmad.federation.app import create_app
    from bmad.federation.sessions import ServerGroupSession

    app = create_app(db_path, ServerGroupSession)
    listener = socket.create_server(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    while not server.started:
        thread.join(0.01)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", app
    finally:
        server.should_exit = True
        thread.join(30)
        listener.close()


Tamper = Callable[[dict[str, Any]], None]


@contextmanager
def answering_falsely(
    app: Any, assignment: Tamper | None = None, description: Tamper | None = None
) -> Iterator[None]:
    """The round engine of an aggregator served in this process lies to participants:
    ``assignment`` alters what each is told of its group (``you``: roster, threshold, noise),
    ``description`` what the round says of itself (its parameters)."""
    engine = app.state.aggregator.engine
    honest_assignment, honest_describe = engine.assignment, engine.describe

    def assign(round_id: str, organisation: str, public_key: str) -> dict[str, Any]:
        document: dict[str, Any] = honest_assignment(round_id, organisation, public_key)
        if assignment is not None and "you" in document:
            assignment(document["you"])
        return document

    def describe(round_id: str, live: Any = None) -> dict[str, Any]:
        document: dict[str, Any] = honest_describe(round_id, live)
        if description is not None:
            description(document)
        return document

    engine.assignment, engine.describe = assign, describe
    try:
        yield
    finally:
        engine.assignment, engine.describe = honest_assignment, honest_describe


def make_members(
    folder: Path,
    organisations: int,
    k: int = 3,
    files: Callable[[int], dict[str, str]] = python_source,
) -> list[Participant]:
    """Participants org0, org1, ... in ``folder``; org<i>'s repository holds ``files(i)``."""
    return [
        make_participant(folder, f"org{index}", files(index), k) for index in range(organisations)
    ]


@dataclass
class Federation:
    """A federation on the aggregator at ``url``: its coordinator (the admin), ``members`` that
    joined, were admitted and share one learning type, and ``guests``, organisations invited
    beside them that joined later (``join_invited``)."""

    url: str
    admin: AggregatorClient
    admin_store: Store
    federation: str
    tokens: dict[str, str]
    members: list[Participant]
    folder: Path  # holds the coordinator's and the guests' data
    guests: dict[str, Participant] = field(default_factory=dict)

    @classmethod
    def enrolled(
        cls,
        url: str,
        folder: Path,
        members: list[Participant],
        governance: dict[str, Any] | None = None,
        invited: tuple[str, ...] = (),
        learning_type: str = "code_patterns",
        coordinator_organisation: str = "coordinator",
        **extra: Any,
    ) -> Self:
        """Create the federation (its coordinator in ``folder``) for ``members`` and the
        ``invited``; the members join, are admitted and share ``learning_type``. ``extra``
        holds a subclass's own fields."""
        admin_store, admin = coordinator(folder / "admin", url)
        names = [member.organisation for member in members]
        created = create_federation(
            admin_store, admin, [*names, *invited], "low", governance, coordinator_organisation
        )
        for member in members:
            join(member, url, created["federation"], created["tokens"][member.organisation], admin)
            member.enable_sharing(learning_type)
        return cls(
            url,
            admin,
            admin_store,
            created["federation"],
            created["tokens"],
            members,
            folder,
            **extra,
        )

    def close(self) -> None:
        self.admin.close()
        self.admin_store.close()
        for participant in [*self.members, *self.guests.values()]:
            participant.store.close()

    def join_invited(self, organisation: str, seed: int, admitted: bool = True) -> Participant:
        """The invited ``organisation`` joins with its token (and, if ``admitted``, the admin
        admits it), sharing nothing."""
        k = self.members[0].settings.k_min_participants
        guest = make_participant(self.folder / "guests", organisation, python_source(seed), k)
        with guest.client(self.url) as client:
            join_as(
                guest.store,
                client,
                self.federation,
                organisation,
                self.tokens[organisation],
                self.admin if admitted else None,
            )
        self.guests[organisation] = guest
        return guest

    def closing_enrolment(
        self, round_id: str, enrolled: int, taking_part: list[Participant]
    ) -> Callable[[], None]:
        """A thread target (``in_threads``): the admin closes the round's enrolment once
        ``enrolled`` organisations enrolled; it stops watching when the round has left
        enrolment, every one of ``taking_part`` has an outcome for it, or after 30 s."""

        def close() -> None:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not all_finished(taking_part, round_id):
                state = self.admin.round(round_id)
                if state["state"] != "enrolling":
                    return
                if state["organisations"].get("enrolled", 0) == enrolled:
                    self.admin.close_enrolment(round_id)
                    return
                time.sleep(0.05)

        return close


@dataclass(kw_only=True)
class LiveFederation(Federation):
    """A ``Federation`` on the real aggregator app served in this process."""

    app: Any
    db_path: Path

    @classmethod
    @contextmanager
    def served(
        cls,
        folder: Path,
        organisations: int,
        k: int = 3,
        governance: dict[str, Any] | None = None,
        invited: tuple[str, ...] = (),
        hosted_by_a_member: bool = False,
    ) -> Iterator[Self]:
        """Serve the aggregator, create the federation and enrol ``organisations`` members that
        share code patterns; everything is closed on the way out. With ``hosted_by_a_member``
        the aggregator's database lies in org0's own data folder (a peer federation)."""
        discrete_gaussian_noise(1.0, 1)  # import OpenDP before any deadline runs
        members = make_members(folder / "members", organisations, k)
        db_path = (
            members[0].store.path.parent if hosted_by_a_member else folder
        ) / "aggregator.sqlite3"
        with serving_in_process(db_path) as (url, app):
            world = cls.enrolled(
                url, folder, members, governance, invited, app=app, db_path=db_path
            )
            try:
                yield world
            finally:
                world.close()


def all_finished(participants: list[Participant], round_id: str) -> bool:
    """Whether each of ``participants`` has an outcome for the round."""
    return all(
        any(isinstance(o, RoundOutcome) and o.round == round_id for o in participant.outcomes)
        for participant in participants
    )
