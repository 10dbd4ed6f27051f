"""`bmad hook pre-commit` on real repositories: staged content only, first commit, renames,
merges, skipped files, bad configuration, pre-commit framework filenames, post-* notify."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.hooks.hookrepo import BAD_FUNCTION, GOOD_FUNCTION, bmad, git, make_repo, write


@pytest.fixture
def new_repo(tmp_path: Path) -> Callable[..., Path]:
    def factory(name: str = "repo", files: dict[str, str] | None = None) -> Path:
        return make_repo(tmp_path / name, files)

    return factory


def check(repo: Path, *args: str, **env: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        bmad(repo, "hook", "pre-commit", "--json", *args, **env).stdout
    )
    return document


def functions(document: dict[str, Any]) -> list[str]:
    return [item["function"] for item in document["regressions"]]


def test_only_staged_content_is_analysed(new_repo: Callable[..., Path]) -> None:
    repo = new_repo(files={"app.py": GOOD_FUNCTION})
    write(repo, {"app.py": BAD_FUNCTION})
    git(repo, "add", "app.py")
    fixed = GOOD_FUNCTION + "\n\ndef extra():\n    return 2\n"
    write(repo, {"app.py": fixed})  # fixed in the work tree only
    document = check(repo)
    assert functions(document) == ["parse_args"]
    (regression,) = document["regressions"]
    assert regression["kind"] == "changed"
    assert [(change["metric"], change["before"]) for change in regression["changes"]][:1] == [
        ("cognitive", 1)
    ]
    assert "deep-nesting" in [finding["rule_id"] for finding in regression["new_findings"]]
    assert (repo / "app.py").read_text() == fixed  # never modifies files
    git(repo, "add", "app.py")
    assert check(repo)["regressions"] == []


def test_first_commit_reports_new_functions_and_warns(new_repo: Callable[..., Path]) -> None:
    repo = new_repo()
    write(repo, {"app.py": BAD_FUNCTION, "ok.py": GOOD_FUNCTION})
    git(repo, "add", "-A")
    document = check(repo)
    assert [(item["function"], item["kind"]) for item in document["regressions"]] == [
        ("parse_args", "new")
    ]
    assert document["baseline"] == "no repository baseline yet (first commit)"
    human = bmad(repo, "hook", "pre-commit")
    assert human.returncode == 0
    assert "app.py:1 parse_args:" in human.stdout
    assert "deep nesting 6" in human.stdout


def test_strict_flag_exits_1_and_default_exits_0(new_repo: Callable[..., Path]) -> None:
    repo = new_repo(files={"app.py": GOOD_FUNCTION})
    write(repo, {"app.py": BAD_FUNCTION})
    git(repo, "add", "app.py")
    assert bmad(repo, "hook", "pre-commit", check=False).returncode == 0
    strict = bmad(repo, "hook", "pre-commit", "--strict", check=False)
    assert strict.returncode == 1
    assert "commit blocked" in strict.stdout
    assert bmad(repo, "hook", "pre-commit", "--strict", check=False, BMAD_SKIP="1").returncode == 0


def test_an_untouched_bad_function_is_not_reported(new_repo: Callable[..., Path]) -> None:
    repo = new_repo(files={"app.py": BAD_FUNCTION})
    write(repo, {"app.py": BAD_FUNCTION + "\n\ndef helper():\n    return 1\n"})
    git(repo, "add", "app.py")
    document = check(repo)
    assert document["regressions"] == []
    assert document["checked"] == ["app.py"]


def test_renamed_file_and_renamed_function_keep_their_history(
    new_repo: Callable[..., Path],
) -> None:
    repo = new_repo(files={"pkg/old.py": BAD_FUNCTION + "\n\ndef other():\n    return 3\n"})
    git(repo, "mv", "pkg/old.py", "pkg/new.py")
    renamed = BAD_FUNCTION.replace("def parse_args(", "def parse_arguments(")
    write(repo, {"pkg/new.py": renamed + "\n\ndef other():\n    return 3\n"})
    git(repo, "add", "-A")
    assert check(repo)["regressions"] == []  # same smells as before the renames: nothing new
    worse = renamed.replace(
        "if y:",
        "if y:\n                            while d:\n                                d -= 1",
    )
    write(repo, {"pkg/new.py": worse + "\n\ndef other():\n    return 3\n"})
    git(repo, "add", "-A")
    (regression,) = check(repo)["regressions"]
    assert regression["path"] == "pkg/new.py"
    assert regression["kind"] == "renamed"
    assert regression["renamed_from"] == "parse_args"
    assert [change["metric"] for change in regression["changes"]][:1] == ["cognitive"]


def test_merge_reports_only_what_the_merge_itself_introduces(
    new_repo: Callable[..., Path],
) -> None:
    repo = new_repo(files={"app.py": GOOD_FUNCTION, "other.py": "def f():\n    return 1\n"})
    git(repo, "checkout", "-q", "-b", "feature")
    write(repo, {"app.py": BAD_FUNCTION})
    git(repo, "commit", "-q", "-am", "feature makes it worse")
    git(repo, "checkout", "-q", "main")
    write(repo, {"other.py": "def f():\n    return 2\n"})
    git(repo, "commit", "-q", "-am", "main moves on")
    git(repo, "merge", "-q", "--no-commit", "--no-ff", "feature")
    document = check(repo)
    assert document["merge"] is True
    assert document["regressions"] == []
    write(repo, {"other.py": BAD_FUNCTION.replace("parse_args", "f")})
    git(repo, "add", "other.py")
    assert functions(check(repo)) == ["f"]


def test_deleted_binary_and_huge_files_are_skipped_with_a_reason(
    new_repo: Callable[..., Path],
) -> None:
    repo = new_repo(files={"gone.py": GOOD_FUNCTION, "keep.py": GOOD_FUNCTION})
    git(repo, "rm", "-q", "gone.py")
    write(repo, {"blob.py": b"def f():\x00\xff\n", "big.py": "x = 1\n" * 400})
    write(repo, {"notes.txt": "not code\n"})
    git(repo, "add", "-A")
    document = check(repo, BMAD_SCAN__MAX_FILE_SIZE="1000")
    reasons = {item["path"]: item["reason"] for item in document["skipped"]}
    assert reasons["gone.py"] == "deleted"
    assert reasons["blob.py"] == "binary"
    assert reasons["big.py"].startswith("too large (2400 bytes")
    assert "notes.txt" not in reasons
    assert document["checked"] == []


def test_non_utf8_source_is_analysed(new_repo: Callable[..., Path]) -> None:
    repo = new_repo(files={"app.py": GOOD_FUNCTION})
    write(repo, {"app.py": ("# caf\xe9\n" + BAD_FUNCTION).encode("latin-1")})
    git(repo, "add", "app.py")
    assert functions(check(repo)) == ["parse_args"]


def test_filenames_limit_the_check_and_still_read_staged_blobs(
    new_repo: Callable[..., Path],
) -> None:
    repo = new_repo(files={"a.py": GOOD_FUNCTION, "b.py": GOOD_FUNCTION})
    write(repo, {"a.py": BAD_FUNCTION, "b.py": BAD_FUNCTION})
    git(repo, "add", "-A")
    write(repo, {"a.py": GOOD_FUNCTION})
    document = check(repo, "a.py")
    assert [item["path"] for item in document["regressions"]] == ["a.py"]
    assert document["checked"] == ["a.py"]


def test_from_a_subfolder_the_whole_staged_change_is_checked(
    new_repo: Callable[..., Path],
) -> None:
    repo = new_repo(files={"app.py": GOOD_FUNCTION, "lib/util.py": GOOD_FUNCTION})
    git(repo, "config", "diff.relative", "true")  # would limit `git diff` to the subfolder
    write(repo, {"app.py": BAD_FUNCTION, "lib/util.py": BAD_FUNCTION})
    git(repo, "add", "-A")
    document = check(repo / "lib")
    assert sorted(item["path"] for item in document["regressions"]) == ["app.py", "lib/util.py"]
    assert check(repo / "lib", "util.py")["checked"] == ["lib/util.py"]


def test_suppression_comment_and_exclude_are_honoured(new_repo: Callable[..., Path]) -> None:
    repo = new_repo(
        files={
            "app.py": GOOD_FUNCTION,
            "vendor/lib.py": GOOD_FUNCTION,
            ".bmad.toml": '[analysis]\nexclude = ["vendor/**"]\n',
        }
    )
    write(repo, {"app.py": "# bmad: ignore[*]\n" + BAD_FUNCTION, "vendor/lib.py": BAD_FUNCTION})
    git(repo, "add", "-A")
    document = check(repo)
    assert document["regressions"] == []
    assert {item["path"]: item["reason"] for item in document["skipped"]} == {
        "vendor/lib.py": "excluded by [analysis] exclude"
    }


def test_bad_hook_settings_are_a_usage_error(new_repo: Callable[..., Path]) -> None:
    repo = new_repo(files={"app.py": GOOD_FUNCTION, ".bmad.toml": '[hooks]\nstrict = "yes"\n'})
    result = bmad(repo, "hook", "pre-commit", check=False)
    assert result.returncode == 2
    assert "[hooks] strict must be true or false" in result.stderr
    write(repo, {".bmad.toml": "[hooks]\nstrictt = true\n"})
    result = bmad(repo, "hook", "pre-commit", check=False)
    assert result.returncode == 2
    assert "unknown setting(s): strictt" in result.stderr


def test_outside_a_repository_is_a_usage_error(tmp_path: Path) -> None:
    result = bmad(
        tmp_path, "hook", "pre-commit", check=False, GIT_CEILING_DIRECTORIES=str(tmp_path)
    )
    assert result.returncode == 2
    assert "bmad: error: git rev-parse" in result.stderr


def test_post_hooks_without_a_daemon_exit_0_quietly(new_repo: Callable[..., Path]) -> None:
    repo = new_repo(files={"app.py": GOOD_FUNCTION})
    for name in ("post-commit", "post-merge", "post-checkout"):
        result = bmad(repo, "hook", name, "--json", "a", "b", "1")
        assert json.loads(result.stdout) == {"hook": name, "queued": False}
        assert result.stderr == ""
