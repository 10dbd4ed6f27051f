"""``bmad lsp`` command-line errors: a busy port and a port without --tcp."""

from __future__ import annotations

import socket
import subprocess
import sys

from click.testing import CliRunner

from bmad.cli.main import cli


def test_a_busy_port_is_a_clear_error_not_a_traceback() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        completed = subprocess.run(
            [sys.executable, "-m", "bmad", "lsp", "--tcp", "--port", str(port)],
            check=False,
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )

    assert completed.returncode == 2
    assert completed.stderr == (
        f"bmad: error: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    )


def test_port_without_tcp_is_a_usage_error() -> None:
    outcome = CliRunner().invoke(cli, ["lsp", "--port", "2999"])

    assert outcome.exit_code == 2
    assert "--port needs --tcp" in outcome.stderr
