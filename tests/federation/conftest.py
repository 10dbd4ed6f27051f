from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.federation.harness import Aggregator, running_aggregator


@pytest.fixture
def aggregator(tmp_path: Path) -> Iterator[Aggregator]:
    with running_aggregator(tmp_path / "aggregator") as running:
        yield running
