"""Schemathesis fuzzing of the aggregator's OpenAPI finds no 5xx.

Needs the schemathesis CLI: in this environment (the ``test`` extra) or one named by
``BMAD_SCHEMATHESIS`` (a private venv works; the hook only needs ``cryptography`` there).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from bmad.federation.client import AggregatorClient
from bmad.federation.participant import open_participant_store
from bmad.privacy.identity import Identity
from tests.federation.harness import Aggregator, create_federation

BESIDE_PYTHON = (
    Path(sys.executable).parent / "schemathesis"
)  # `make test` does not put .venv/bin on PATH
CLI = (
    os.environ.get("BMAD_SCHEMATHESIS")
    or shutil.which("schemathesis")
    or (str(BESIDE_PYTHON) if BESIDE_PYTHON.exists() else None)
)
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    CLI is None, reason="schemathesis is not installed (add schemathesis>=4 to the test extra)"
)


def test_fuzzing_the_openapi_finds_no_server_error(tmp_path: Path, aggregator: Aggregator) -> None:
    key = Ed25519PrivateKey.generate()
    seed = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    with AggregatorClient(aggregator.url, Identity(key, X25519PrivateKey.generate(), "")) as admin:
        store = open_participant_store(tmp_path / "admin" / "bmad.sqlite3")
        created = create_federation(store, admin, ["a", "b", "c"], "low", organisation="fuzzers")
        admin.open_round(created["federation"], "code_patterns")
    assert CLI is not None
    completed = subprocess.run(
        [
            CLI,
            "run",
            f"{aggregator.url}/openapi.json",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "40",
            "--seed",
            "1",
            "--workers",
            "1",
            "--request-timeout",
            "60",  # a long poll of a real round may be held up to 30 s
        ],
        env={
            **os.environ,
            "SCHEMATHESIS_HOOKS": "tests.federation.schemathesis_hooks",
            "BMAD_FUZZ_KEY": seed.hex(),
            "PYTHONPATH": str(ROOT),
        },
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-2000:]
    assert "Server error" not in completed.stdout
    log = aggregator.log_path.read_text()
    assert "Traceback" not in log, log[-3000:]
