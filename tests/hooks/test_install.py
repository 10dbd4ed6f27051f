"""bmad hooks install/uninstall against real repositories, and real commits through them."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path

from bmad.hooks.install import CHAINED_SUFFIX, HOOK_NAMES, MARKER, install
from tests.hooks.hookrepo import BAD_FUNCTION, GOOD_FUNCTION, bmad, git, head, write

FOREIGN = (
    b"#!/bin/sh\n"
    b'echo foreign-ran >> "$(git rev-parse --git-dir)/foreign.log"\n'
    b"exit ${FOREIGN_STATUS:-0}\n"
)


def hooks_dir(repo: Path) -> Path:
    return repo / ".git" / "hooks"


def add_foreign_hook(directory: Path, name: str = "pre-commit") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    hook = directory / name
    hook.write_bytes(FOREIGN)
    hook.chmod(0o750)
    return hook


def stage_bad(repo: Path) -> None:
    write(repo, {"app.py": BAD_FUNCTION})
    git(repo, "add", "app.py")


def test_foreign_hook_is_chained_runs_first_and_its_failure_blocks(
    new_repo: Callable[..., Path],
) -> None:
    repo = new_repo(files={"app.py": GOOD_FUNCTION})
    add_foreign_hook(hooks_dir(repo))
    bmad(repo, "hooks", "install")
    assert (hooks_dir(repo) / f"pre-commit{CHAINED_SUFFIX}").read_bytes() == FOREIGN
    stage_bad(repo)
    before = head(repo)
    committed = git(repo, "commit", "-q", "-m", "worse")
    assert head(repo) != before
    assert (repo / ".git" / "foreign.log").read_text() == "foreign-ran\n"
    assert "parse_args: cognitive" in committed.stdout + committed.stderr

    write(repo, {"app.py": GOOD_FUNCTION})
    git(repo, "add", "app.py")
    blocked = git(repo, "commit", "-q", "-m", "x", check=False, FOREIGN_STATUS="3")
    assert blocked.returncode != 0
    assert head(repo) != before and git(repo, "diff", "--cached", "--quiet", check=False).returncode


def test_install_is_idempotent_and_uninstall_restores_byte_for_byte(
    new_repo: Callable[..., Path],
) -> None:
    repo = new_repo(files={"app.py": GOOD_FUNCTION})
    original = add_foreign_hook(hooks_dir(repo), "post-commit")
    mode = original.stat().st_mode
    first = json.loads(bmad(repo, "hooks", "install", "--json").stdout)
    second = json.loads(bmad(repo, "hooks", "install", "--json").stdout)
    assert {item["action"] for item in first["hooks"]} == {"installed", "chained"}
    assert {item["action"] for item in second["hooks"]} == {"updated"}
    chained = list(hooks_dir(repo).glob(f"*{CHAINED_SUFFIX}"))
    assert [path.name for path in chained] == [f"post-commit{CHAINED_SUFFIX}"]
    for name in HOOK_NAMES:
        assert MARKER in (hooks_dir(repo) / name).read_text()
    removed = json.loads(bmad(repo, "hooks", "uninstall", "--json").stdout)
    assert {item["hook"]: item["action"] for item in removed["hooks"]}["post-commit"] == "restored"
    assert original.read_bytes() == FOREIGN
    assert original.stat().st_mode == mode
    assert not list(hooks_dir(repo).glob(f"*{CHAINED_SUFFIX}"))
    for name in ("pre-commit", "post-merge", "post-checkout"):
        assert not (hooks_dir(repo) / name).exists()


def test_uninstall_leaves_a_foreign_hook_that_replaced_bmads(
    new_repo: Callable[..., Path],
) -> None:
    repo = new_repo(files={"app.py": GOOD_FUNCTION})
    bmad(repo, "hooks", "install")
    replaced = add_foreign_hook(hooks_dir(repo))
    bmad(repo, "hooks", "uninstall")
    assert replaced.read_bytes() == FOREIGN


def test_install_refuses_when_both_a_foreign_hook_and_a_chained_one_exist(
    new_repo: Callable[..., Path],
) -> None:
    repo = new_repo(files={"app.py": GOOD_FUNCTION})
    add_foreign_hook(hooks_dir(repo))
    bmad(repo, "hooks", "install")
    newer = add_foreign_hook(hooks_dir(repo))  # another tool overwrote bmad's script
    refused = bmad(repo, "hooks", "install", check=False)
    assert refused.returncode == 2
    assert "move one of them aside" in refused.stderr
    assert newer.read_bytes() == FOREIGN
    assert (hooks_dir(repo) / f"pre-commit{CHAINED_SUFFIX}").read_bytes() == FOREIGN


def test_install_outside_a_repository_is_a_usage_error(tmp_path: Path) -> None:
    outside = tmp_path / "plain"
    outside.mkdir()
    result = bmad(
        tmp_path,
        "hooks",
        "install",
        str(outside),
        check=False,
        GIT_CEILING_DIRECTORIES=str(tmp_path),
    )
    assert result.returncode == 2
    assert "bmad: error:" in result.stderr
    missing = bmad(tmp_path, "hooks", "install", str(tmp_path / "nope"), check=False)
    assert missing.returncode == 2


def test_strict_install_blocks_and_bmad_skip_lets_through(new_repo: Callable[..., Path]) -> None:
    repo = new_repo(files={"app.py": GOOD_FUNCTION})
    bmad(repo, "hooks", "install", "--strict")
    stage_bad(repo)
    before = head(repo)
    blocked = git(repo, "commit", "-q", "-m", "worse", check=False)
    assert blocked.returncode == 1
    assert "commit blocked" in blocked.stdout + blocked.stderr
    assert head(repo) == before
    git(repo, "commit", "-q", "-m", "worse", BMAD_SKIP="1")
    assert head(repo) != before


def test_strict_from_pyproject_blocks(new_repo: Callable[..., Path]) -> None:
    repo = new_repo(
        files={"app.py": GOOD_FUNCTION, "pyproject.toml": "[tool.bmad.hooks]\nstrict = true\n"}
    )
    bmad(repo, "hooks", "install")
    stage_bad(repo)
    before = head(repo)
    assert git(repo, "commit", "-q", "-m", "worse", check=False).returncode == 1
    assert head(repo) == before


def test_linked_worktree_uses_the_hooks_git_runs(
    new_repo: Callable[..., Path], tmp_path: Path
) -> None:
    repo = new_repo(files={"app.py": GOOD_FUNCTION})
    linked = tmp_path / "linked"
    git(repo, "worktree", "add", "-q", "-b", "side", str(linked))
    result = json.loads(bmad(linked, "hooks", "install", "--strict", "--json").stdout)
    assert Path(result["hooks_directory"]) == (repo / ".git" / "hooks").resolve()
    stage_bad(linked)
    before = head(linked)
    assert git(linked, "commit", "-q", "-m", "worse", check=False).returncode == 1
    assert head(linked) == before


def test_core_hooks_path_is_honoured(new_repo: Callable[..., Path]) -> None:
    repo = new_repo(files={"app.py": GOOD_FUNCTION})
    git(repo, "config", "core.hooksPath", ".githooks")
    result = json.loads(bmad(repo / "", "hooks", "install", "--strict", "--json").stdout)
    assert Path(result["hooks_directory"]) == (repo / ".githooks").resolve()
    assert not (hooks_dir(repo) / "pre-commit").exists()
    stage_bad(repo)
    assert git(repo, "commit", "-q", "-m", "worse", check=False).returncode == 1


def test_a_vanished_python_is_reported_and_does_not_block(new_repo: Callable[..., Path]) -> None:
    repo = new_repo(files={"app.py": GOOD_FUNCTION})
    install(hooks_dir(repo), strict=False, python="/nonexistent/bin/python3")
    stage_bad(repo)
    before = head(repo)
    committed = git(repo, "commit", "-q", "-m", "worse")
    assert "/nonexistent/bin/python3" in committed.stderr
    assert "is gone" in committed.stderr
    assert head(repo) != before


def test_scripts_are_executable(new_repo: Callable[..., Path]) -> None:
    repo = new_repo(files={"app.py": GOOD_FUNCTION})
    bmad(repo, "hooks", "install")
    for name in HOOK_NAMES:
        assert (hooks_dir(repo) / name).stat().st_mode & stat.S_IXUSR
