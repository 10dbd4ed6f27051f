"""``check_staged`` in the daemon: the same report as the hook's own check, and a clear
invalid-params error for every malformed request (the socket is the user's own, but a
confused or hostile client must not crash a worker thread or read outside its request)."""

from __future__ import annotations

import base64
import copy
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bmad import config
from bmad.daemon.hookcheck import HookChecker, request_from_params
from bmad.daemon.rpc import INVALID_PARAMS, RpcFailure
from bmad.hooks.check import InProcessEngine, run_check
from bmad.hooks.gitcli import repository_paths
from bmad.hooks.precommit import staged_request
from bmad.hooks.request import CheckRequest
from bmad.hooks.settings import hook_settings
from bmad.store.connection import cache_store_path
from tests.hooks.hookrepo import BAD_FUNCTION, GOOD_FUNCTION, bmad, functions, git, make_repo, write

Mutation = Callable[[dict[str, Any]], None]


@pytest.fixture
def staged(tmp_path: Path) -> CheckRequest:
    repo = make_repo(tmp_path / "repo", {"app.py": GOOD_FUNCTION, "other.py": GOOD_FUNCTION})
    write(repo, {"app.py": BAD_FUNCTION})
    git(repo, "add", "app.py")
    return staged_request(repository_paths(repo), hook_settings(config.load(repo)))


@pytest.fixture
def checker() -> HookChecker:
    return HookChecker(cache_store_path(), threading.Lock(), lambda: [])


def test_the_daemon_reports_what_the_hook_process_reports(
    staged: CheckRequest, checker: HookChecker
) -> None:
    try:
        remote = checker.check(staged.to_params())
        again = checker.check(staged.to_params())  # second time: every blob a cache hit
    finally:
        checker.close()
    local = run_check(staged, InProcessEngine()).to_dict()
    assert remote["engine"] == "daemon" and local["engine"] == "in-process"
    assert remote == again == {**local, "engine": "daemon"}
    assert [item["function"] for item in remote["regressions"]] == ["parse_args"]


def _set(key: str, value: Any) -> Mutation:
    def mutate(params: dict[str, Any]) -> None:
        params[key] = value

    return mutate


def _blob(key: str, value: Any) -> Mutation:
    def mutate(params: dict[str, Any]) -> None:
        params["blobs"][0][key] = value

    return mutate


def _file(key: str, value: Any) -> Mutation:
    def mutate(params: dict[str, Any]) -> None:
        params["files"][0][key] = value

    return mutate


def _drop(key: str) -> Mutation:
    def mutate(params: dict[str, Any]) -> None:
        del params[key]

    return mutate


def _drop_staged_blob(params: dict[str, Any]) -> None:
    staged_id = params["files"][0]["blob_id"]
    params["blobs"] = [blob for blob in params["blobs"] if blob["id"] != staged_id]


MALFORMED: dict[str, tuple[Mutation, str]] = {
    "relative top level": (_set("top_level", "repo"), "absolute"),
    "top level not a folder": (_set("top_level", "/nonexistent/bmad-test"), "not a directory"),
    "blobs not a list": (_set("blobs", {"a": 1}), "'blobs'"),
    "blob not an object": (_set("blobs", ["x"]), "each of 'blobs'"),
    "data not base64": (_blob("data", "%%%"), "base64"),
    "blob id not hex": (_blob("id", "../../etc/passwd"), "object id"),
    "unknown language": (_blob("language", "cobol"), "unknown language"),
    "file not an object": (_set("files", [7]), "each of 'files'"),
    "parents not a list": (_file("parents", "abc"), "'parents'"),
    "staged blob absent": (_drop_staged_blob, "not among 'blobs'"),
    "skipped not reasons": (_set("skipped", {"a.py": 3}), "'skipped'"),
    "similarity a string": (_set("rename_similarity", "high"), "rename_similarity"),
    "rules not a table": (_set("rules", []), "'rules'"),
    "invalid rule value": (_set("rules", {"deep_nesting": "deep"}), "deep_nesting"),
    "merge absent": (_drop("merge"), "missing 'merge'"),
    "merge not a boolean": (_set("merge", 1), "'merge' must be of type bool"),
    "top level absent": (_drop("top_level"), "missing 'top_level'"),
    "exclude not strings": (_set("exclude", ["*.py", 3]), "'exclude'"),
    "blob path null": (_blob("path", None), "'path' must be of type str"),
    "file language not a string": (_file("language", 3), "'language' must be of type str"),
    "parent id not hex": (_file("parents", ["x" * 40]), "object id"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_request_is_an_invalid_params_error(
    case: str, staged: CheckRequest, checker: HookChecker
) -> None:
    mutate, expected = MALFORMED[case]
    params = copy.deepcopy(staged.to_params())
    mutate(params)
    with pytest.raises(RpcFailure) as raised:
        checker.check(params)
    checker.close()
    assert raised.value.code == INVALID_PARAMS
    assert expected in raised.value.message


def test_the_wire_form_round_trips(staged: CheckRequest) -> None:
    assert request_from_params(staged.to_params()) == staged
    assert any(b"parse_args" in job.data for job in staged.jobs.values())
    encoded = {blob["data"] for blob in staged.to_params()["blobs"]}
    assert {base64.b64encode(job.data).decode() for job in staged.jobs.values()} == encoded


def test_the_baseline_follows_head(tmp_path: Path, checker: HookChecker) -> None:
    repo = make_repo(tmp_path / "repo", {"app.py": functions(40)})
    bmad(repo, "scan", ".", "--json")
    first = checker.baseline(repo, ())
    assert first[1] == "40 functions in 1 files at HEAD"
    assert checker.baseline(repo, ()) == first
    write(repo, {"more.py": functions(5)})
    git(repo, "add", "more.py")
    git(repo, "commit", "-q", "-m", "more")
    bmad(repo, "scan", ".", "--json")
    assert checker.baseline(repo, ())[1] == "45 functions in 2 files at HEAD"
    assert checker.baseline(repo, ("more.py",))[1] == "40 functions in 1 files at HEAD"
    checker.close()


def test_a_missing_baseline_is_looked_up_again(tmp_path: Path, checker: HookChecker) -> None:
    repo = make_repo(tmp_path / "repo", {"app.py": functions(40)})
    assert checker.baseline(repo, ())[0] is None  # nothing analysed yet
    bmad(repo, "scan", ".", "--json")
    assert checker.baseline(repo, ())[1] == "40 functions in 1 files at HEAD"
    checker.close()
