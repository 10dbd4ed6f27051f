"""A fixture repository with known findings, its dashboard data (gathered once for the folder,
in its own BMAD_HOME) and a live dashboard server on 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bmad.dashboard.model import DashboardData, gather
from bmad.dashboard.server import DashboardServer, new_token
from bmad.privacy.schemas import CODE_EDGES, schema_for

TANGLED = """\
def tangled(a, b, c, d, e, f, g):
    total = 0
    for x in range(a):
        if x > b:
            while c:
                for y in range(d):
                    if y % 2 and e or f:
                        if g:
                            total += y
                        elif x:
                            total -= 1
                        else:
                            total += 2
                c -= 1
        elif x < e:
            total += x
    return total
"""

SIMPLE = """\
def simple_{index}(value):
    return value + {index}
"""

# Months of history: (ISO date, subject, files changed); "fix" subjects count as fixes.
HISTORY = (
    ("2026-01-10T10:00:00", "start", {"app/core/base.py": "import app.core.loop\n"}),
    ("2026-02-11T10:00:00", "add tangled", {"app/core/tangled.py": TANGLED}),
    ("2026-02-20T10:00:00", "fix tangled edge case", {"app/core/tangled.py": TANGLED + "\n"}),
    ("2026-03-05T10:00:00", "cli", {"app/cli/main.py": "import app.core.base\n"}),
    ("2026-03-15T10:00:00", "fix the loop", {"app/core/loop.py": "import app.core.base\n"}),
    (
        "2026-04-01T10:00:00",
        "helpers",
        {f"app/util/simple_{i}.py": SIMPLE.format(index=i) for i in range(6)}
        | {"app/core/uses_cli.py": "import app.cli.main\n"},
    ),
)
PYPROJECT = """\
[tool.bmad.architecture]
layers = ["app/cli/**", "app/core/**", "app/util/**"]
"""


@dataclass(frozen=True, slots=True)
class Live:
    repo: Path
    data: DashboardData
    server: DashboardServer
    base: str  # http://127.0.0.1:PORT

    def url(self, route: str = "/", **parameters: str) -> str:
        return self.base + self.server.links.to(route, **parameters)


def build_fixture_repository(repo: Path) -> None:
    repo.mkdir()
    environment = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Ada",
        "GIT_AUTHOR_EMAIL": "ada@example.invalid",
        "GIT_COMMITTER_NAME": "Ada",
        "GIT_COMMITTER_EMAIL": "ada@example.invalid",
    }

    def git(*arguments: str, date: str = "") -> None:
        extra = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date} if date else {}
        subprocess.run(
            ["git", "-C", str(repo), *arguments],
            check=True,
            capture_output=True,
            env={**environment, **extra},
        )

    git("init", "-q", "-b", "main")
    (repo / "pyproject.toml").write_text(PYPROJECT)
    for date, subject, files in HISTORY:
        for name, text in files.items():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            (repo / name).write_text(text)
        git("add", "-A")
        git("commit", "-q", "-m", subject, date=date)


def global_cognitive_insights() -> dict[str, object]:
    """A cached code-pattern document with one known distribution: python cognitive
    complexity, half of all functions at 0, the rest spread evenly over the other bins."""
    edges = list(CODE_EDGES["cognitive"])
    rest = 0.5 / (len(edges) - 1)
    shares = [0.5] + [rest] * (len(edges) - 1)
    below, running = [], 0.0
    for share in shares:
        below.append(running)
        running += share
    return {
        "learning_type": "code_patterns",
        "organisations": 12,
        "k": 5,
        "privacy": {"epsilon": 1.0, "delta": 1e-5, "unit": "organisation"},
        "percentiles": {
            "cognitive": {
                "python": {
                    "edges": edges,
                    "bins": [str(edge) for edge in edges],
                    "shares": shares,
                    "share_below": below,
                    "share_below_plus_minus": [0.03] * len(edges),
                    "mass": 12.0,
                    "noise_std": 0.2,
                    "percentiles": {"p50": "0", "p75": "3", "p90": "10", "p95": "20"},
                    "organisations": 12,
                    "confidence": 0.94,
                }
            }
        },
    }


def record_privacy_history(repo: Path) -> None:
    """Consent for the repository, one committed spend with its sent payload, the insights."""
    from bmad.privacy import consent
    from bmad.privacy.accounting import Spend
    from bmad.privacy.db import open_privacy_store
    from bmad.privacy.sharing import cache_global_insights, repository_key, settings_for

    key = repository_key(repo)
    settings = settings_for(repo)
    with open_privacy_store() as store:
        consent.enable(store, key, ["code_patterns"])
        ledger = settings.ledger(store)
        reservation = ledger.reserve(key, settings.organisation, "code_patterns", Spend(0.01, None))
        ledger.commit(
            reservation.id,
            sent={
                "digest": "ab" * 32,
                "learning_type": "code_patterns",
                "schema_version": schema_for("code_patterns").version,
                "destination": "export:file",
            },
        )
        cache_global_insights(
            store, "code_patterns", schema_for("code_patterns").version, global_cognitive_insights()
        )


@pytest.fixture(scope="package")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    base = tmp_path_factory.mktemp("dashboard")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BMAD_HOME", str(base / "home"))
        for name in ("BMAD_CACHE_DIR", "BMAD_DATA_DIR", "BMAD_RUNTIME_DIR", "BMAD_LOG_DIR"):
            patch.delenv(name, raising=False)
        patch.setenv("BMAD_SCAN__JOBS", "1")
        repo = base / "fixture"
        build_fixture_repository(repo)
        record_privacy_history(repo)
        data = gather(repo)
    server = DashboardServer(data, new_token())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Live(repo, data, server, f"http://127.0.0.1:{server.port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
