"""A daemon that answers badly (garbage, a wrong shape, an error, a hang-up, an old daemon
without ``check_staged``) costs the hook nothing but speed: it checks in its own process."""

from __future__ import annotations

import socket
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bmad import config
from bmad.daemon.hook_client import ask_daemon
from bmad.hooks.gitcli import repository_paths
from bmad.hooks.precommit import check_staged
from bmad.hooks.settings import hook_settings
from tests.hooks.hookrepo import BAD_FUNCTION, GOOD_FUNCTION, git, write

ANSWERS: dict[str, bytes | None] = {
    "not json": b"this is not json\n",
    "not a report": b'{"jsonrpc": "2.0", "id": 1, "result": {"hello": 1}}\n',
    "a list": b'{"jsonrpc": "2.0", "id": 1, "result": [1, 2]}\n',
    "method not found": (
        b'{"jsonrpc": "2.0", "id": 1, "error": {"code": -32601, "message": "no such method"}}\n'
    ),
    "no result key": b'{"jsonrpc": "2.0", "id": 1}\n',
    "hang-up": None,
}


@pytest.fixture
def fake_daemon(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[bytes | None], None]]:
    folder = Path(tempfile.mkdtemp(prefix="bmad-", dir="/tmp"))  # AF_UNIX path limit
    path = folder / "daemon.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen()
    monkeypatch.setenv("BMAD_HOOKS__DAEMON_SOCKET", str(path))
    answer: list[bytes | None] = [None]

    def serve() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            with connection:
                received = b""
                while b"\n" not in received:
                    chunk = connection.recv(65536)
                    if not chunk:
                        break
                    received += chunk
                if answer[0] is not None:
                    connection.sendall(answer[0])

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield lambda reply: answer.__setitem__(0, reply)
    # close() alone leaves accept() blocked and the thread alive for the rest of the session
    # (where the history miner's fork-or-spawn test then sees a threaded process)
    server.shutdown(socket.SHUT_RDWR)
    server.close()
    thread.join(5)
    path.unlink()
    folder.rmdir()


@pytest.mark.parametrize("case", sorted(ANSWERS))
def test_a_bad_answer_falls_back_to_the_hook_process(
    case: str, fake_daemon: Callable[[bytes | None], None], new_repo: Callable[..., Path]
) -> None:
    fake_daemon(ANSWERS[case])
    repo = new_repo(files={"app.py": GOOD_FUNCTION})
    write(repo, {"app.py": BAD_FUNCTION})
    git(repo, "add", "app.py")
    report = check_staged(
        repository_paths(repo), hook_settings(config.load(repo)), None, ask_daemon
    )
    assert report["engine"] == "in-process"
    assert [item["function"] for item in report["regressions"]] == ["parse_args"]
