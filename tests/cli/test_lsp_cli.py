"""``bmad lsp`` command-line errors: a busy port and a port without --tcp."""

from __future__ import annotations

import os
import pty
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


def test_started_from_a_terminal_it_says_what_it_is_for() -> None:
    controller, terminal = pty.openpty()
    try:
        with subprocess.Popen(
            [sys.executable, "-m", "bmad", "lsp"],
            stdin=terminal,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        ) as server:
            assert server.stderr is not None
            first_line = server.stderr.readline()
            os.write(controller, b"\x04")  # Ctrl-D: end of input
            server.kill()
    finally:
        os.close(controller)
        os.close(terminal)

    assert first_line.startswith("bmad lsp speaks the Language Server Protocol on stdin/stdout")


def test_port_without_tcp_is_a_usage_error() -> None:
    outcome = CliRunner().invoke(cli, ["lsp", "--port", "2999"])

    assert outcome.exit_code == 2
    assert "--port needs --tcp" in outcome.stderr
