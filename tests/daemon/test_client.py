from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bmad.daemon.client import DaemonClient, DaemonUnavailable, call, is_running

HEAVY = ("pygit2", "tree_sitter", "sqlite3", "click", "rich", "numpy", "sklearn", "platformdirs")


def test_client_imports_nothing_heavy() -> None:
    code = "import sys, json; import bmad.daemon.client; print(json.dumps(sorted(sys.modules)))"
    loaded = json.loads(
        subprocess.run(
            [sys.executable, "-c", code], check=True, capture_output=True, text=True
        ).stdout
    )
    assert not [name for name in loaded if name.split(".")[0] in HEAVY]


def test_no_daemon_is_a_clear_error(bmad_home: object) -> None:
    assert not is_running()
    with pytest.raises(DaemonUnavailable, match="not running") as error:
        call("status")
    assert error.value.exit_code == 2
    with pytest.raises(DaemonUnavailable), DaemonClient() as client:
        client.call("status")
