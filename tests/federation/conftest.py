from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bmad.privacy.noise import discrete_gaussian_noise
from tests.federation.harness import Aggregator, running_aggregator
from tests.federation.postgres_server import Cluster, PostgresUnavailable, throwaway_cluster


@pytest.fixture
def aggregator(tmp_path: Path) -> Iterator[Aggregator]:
    with running_aggregator(tmp_path / "aggregator") as running:
        yield running


@pytest.fixture(scope="session")
def opendp_imported() -> None:
    """Import OpenDP once up front (1-3 s), so that it never eats into a round's phase deadline."""
    discrete_gaussian_noise(1.0, 1)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    """A PostgreSQL server for the session: skipped when none can start here, a failure when
    BMAD_REQUIRE_POSTGRES=1 (CI)."""
    try:
        with throwaway_cluster() as cluster:
            yield cluster
    except PostgresUnavailable as exc:
        if os.environ.get("BMAD_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"BMAD_REQUIRE_POSTGRES=1 but {exc}")
        pytest.skip(f"PostgreSQL tests skipped: {exc}")


@pytest.fixture
def postgres_url(postgres_cluster: Cluster) -> str:
    """The URL of a fresh, empty PostgreSQL database."""
    return postgres_cluster.create_database()
