"""The console script's click-free path for `bmad hook pre-commit`: taken only for command
lines click would read the same way, and indistinguishable from the click command in output
and exit code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bmad.cli.entry import fast_pre_commit_arguments
from tests.hooks.hookrepo import BAD_FUNCTION, GOOD_FUNCTION, git, hook_env, make_repo, write

CLICK_ONLY = "import sys; from bmad.cli.main import main; sys.argv[0] = 'bmad'; main()"


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["hook", "pre-commit"], ([], False, False)),
        (["hook", "pre-commit", "a.py", "--json", "b.py"], (["a.py", "b.py"], False, True)),
        (["hook", "pre-commit", "--strict"], ([], True, False)),
        (["hook", "pre-commit", "--help"], None),
        (["hook", "pre-commit", "--", "-odd.py"], None),
        (["hook", "pre-commit", "-x"], None),
        (["hook", "post-commit"], None),
        (["scan", "."], None),
        ([], None),
    ],
)
def test_which_command_lines_skip_click(
    arguments: list[str], expected: tuple[list[str], bool, bool] | None
) -> None:
    assert fast_pre_commit_arguments(arguments) == expected


def _both(repo: Path, *arguments: str, **env: str) -> list[subprocess.CompletedProcess[str]]:
    commands = [
        [sys.executable, "-m", "bmad", "hook", "pre-commit", *arguments],
        [sys.executable, "-c", CLICK_ONLY, "hook", "pre-commit", *arguments],
    ]
    return [
        subprocess.run(
            command, cwd=repo, env=hook_env(**env), capture_output=True, text=True, check=False
        )
        for command in commands
    ]


@pytest.mark.parametrize(
    ("arguments", "env", "code"),
    [
        (("--json",), {}, 0),
        ((), {}, 0),
        (("--strict",), {}, 1),
        (("--json", "--strict", "app.py"), {}, 1),
        (("--json",), {"BMAD_SKIP": "1"}, 0),
        ((), {"BMAD_HOOKS__STRICT": "maybe"}, 2),
        (("--help",), {}, 0),
    ],
)
def test_the_fast_path_answers_as_the_click_command(
    tmp_path: Path, arguments: tuple[str, ...], env: dict[str, str], code: int
) -> None:
    repo = make_repo(tmp_path / "repo", {"app.py": GOOD_FUNCTION})
    write(repo, {"app.py": BAD_FUNCTION})
    git(repo, "add", "app.py")
    fast, slow = _both(repo, *arguments, **env)
    assert (fast.returncode, fast.stdout, fast.stderr) == (
        slow.returncode,
        slow.stdout,
        slow.stderr,
    )
    assert fast.returncode == code
    assert fast.stdout or fast.stderr


def test_outside_a_repository_both_fail_alike(tmp_path: Path) -> None:
    fast, slow = _both(tmp_path)
    assert fast.returncode == slow.returncode == 2
    assert fast.stderr == slow.stderr
    assert fast.stderr.startswith("bmad: error: git rev-parse:")


@pytest.mark.parametrize(
    ("setup", "expected_output"),
    [
        ("", "unflushed"),  # os._exit: nothing else runs, the streams were flushed first
        ("atexit.register(lambda: print(' handler', end=''))", "unflushed handler"),
    ],
)
def test_the_fast_path_ends_without_teardown_unless_something_waits_for_exit(
    setup: str, expected_output: str
) -> None:
    script = (
        "import atexit, sys\n"
        "from bmad.cli.entry import exit_without_teardown\n"
        f"{setup}\n"
        "class Noisy:\n"
        "    def __del__(self):\n"
        "        print(' finalised', end='')\n"
        "noisy = Noisy()\n"
        "print('unflushed', end='')\n"
        "exit_without_teardown(3)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 3
    assert completed.stdout == expected_output + (" finalised" if setup else "")


def test_the_fast_path_does_not_import_click(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"app.py": GOOD_FUNCTION})
    script = (
        "import atexit, sys\n"
        "sys.argv = ['bmad', 'hook', 'pre-commit', '--json']\n"
        "from bmad.cli.entry import main\n"
        "atexit.register(lambda: print('click' in sys.modules, file=sys.stderr))\n"
        "main()\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script],
        cwd=repo,
        env=hook_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    assert completed.stderr.strip() == "False"
