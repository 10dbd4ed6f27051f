"""A real aggregator process on loopback and participants with their own data folders."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitrepo import git, write_files

from bmad.federation import enrolment
from bmad.federation.client import AggregatorClient
from bmad.federation.participant import open_participant_store, participate_in_open_rounds
from bmad.federation.settings import FederationSettings
from bmad.federation.trust import MachineCertificate
from bmad.privacy import consent
from bmad.privacy.identity import Identity, load_or_create_identity
from bmad.privacy.sharing import PrivacySettings
from bmad.store.connection import Store


@dataclass
class Aggregator:
    url: str
    db_path: Path
    log_path: Path
    process: subprocess.Popen[str]


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
    write_files(root, files)
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
