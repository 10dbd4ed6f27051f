"""A throwaway PostgreSQL cluster for the tests: initdb in a temporary folder, served only on a
unix socket inside it (no TCP port to collide on), stopped and removed afterwards.

initdb refuses to run as root, so as root (CI) the cluster belongs to the ``postgres`` user that
Debian's postgresql package creates and its commands run through ``runuser``.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

CLUSTER_USER = "postgres"


class PostgresUnavailable(Exception):
    """No PostgreSQL server can be started here; the message says why."""


@dataclass(frozen=True)
class Cluster:
    socket_dir: Path
    user: str

    def url(self, database: str) -> str:
        return f"postgresql:///{database}?host={self.socket_dir}&user={self.user}"

    def create_database(self) -> str:
        """A fresh, empty database; returns its URL."""
        import psycopg

        name = f"bmad_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def server_binaries() -> Path:
    found = shutil.which("initdb")
    if found is not None:
        return Path(found).parent
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(Path(path).parts[-3]) if Path(path).parts[-3].isdigit() else 0,
    )
    if not versions:
        raise PostgresUnavailable(
            "no PostgreSQL server binaries (initdb) found: apt-get install postgresql"
        )
    return Path(versions[-1]).parent


def _as_cluster_owner(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", CLUSTER_USER, "--", *command]


@contextmanager
def throwaway_cluster() -> Iterator[Cluster]:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise PostgresUnavailable(
            "psycopg is not installed: pip install 'bmad[postgres]'"
        ) from None
    binaries = server_binaries()
    user = pwd.getpwuid(os.geteuid()).pw_name
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam(CLUSTER_USER)
        except KeyError:
            raise PostgresUnavailable(
                f"running as root and no {CLUSTER_USER!r} user to own a cluster"
            ) from None
        # in its owner's home: the temporary folder may be closed to other users (mode 0700)
        folder = Path(tempfile.mkdtemp(prefix="bmad-pg-", dir=owner.pw_dir))
        os.chown(folder, owner.pw_uid, owner.pw_gid)
        user = CLUSTER_USER
    else:
        folder = Path(tempfile.mkdtemp(prefix="bmad-pg-"))
    data = folder / "data"
    started = False
    try:
        subprocess.run(
            _as_cluster_owner(
                [
                    str(binaries / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    user,
                    "--auth=trust",
                    "--no-locale",
                    "--encoding=UTF8",
                    "--no-sync",
                ]
            ),
            check=True,
            capture_output=True,
        )
        options = f"-k {folder} -c listen_addresses='' -c fsync=off -c full_page_writes=off"
        subprocess.run(
            _as_cluster_owner(
                [
                    str(binaries / "pg_ctl"),
                    "-D",
                    str(data),
                    "-o",
                    options,
                    "-l",
                    str(folder / "server.log"),
                    "-w",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
        )
        started = True
        yield Cluster(folder, user)
    except subprocess.CalledProcessError as exc:
        raise PostgresUnavailable(
            f"PostgreSQL did not start: {exc.stderr.decode(errors='replace').strip()}"
        ) from None
    finally:
        if started:
            subprocess.run(
                _as_cluster_owner(
                    [str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]
                ),
                check=False,
                capture_output=True,
            )
        shutil.rmtree(folder, ignore_errors=True)
