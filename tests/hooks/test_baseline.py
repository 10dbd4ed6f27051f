"""The repository baseline, one lookup in the content cache whichever engine asks: the hook
process (opening the cache for it) and the daemon (its open cache) give the same answer in
every case, from a first commit to a cache that cannot be read."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from bmad.daemon.hookcheck import HookChecker
from bmad.hooks.check import Baseline, InProcessEngine
from bmad.store.connection import cache_store_path
from tests.hooks.hookrepo import bmad, functions, make_repo

BaselineOf = Callable[[Path, Sequence[str]], Baseline]


@pytest.fixture(params=["in-process", "daemon"])
def baseline_of(request: pytest.FixtureRequest) -> Iterator[BaselineOf]:
    if request.param == "in-process":
        yield InProcessEngine().baseline
        return
    checker = HookChecker(cache_store_path(), threading.Lock(), lambda: [])
    yield checker.baseline
    checker.close()


def test_before_the_first_commit(tmp_path: Path, baseline_of: BaselineOf) -> None:
    repo = make_repo(tmp_path / "repo")
    assert baseline_of(repo, ()) == (None, "no repository baseline yet (first commit)")


def test_no_analysed_files_at_head(tmp_path: Path, baseline_of: BaselineOf) -> None:
    repo = make_repo(tmp_path / "repo", {"README.txt": "notes\n", "app.py": functions(40)})
    expected = (None, "no repository baseline (no analysed files at HEAD)")
    assert baseline_of(repo, ("*.py",)) == expected


def test_too_few_files_in_the_cache(tmp_path: Path, baseline_of: BaselineOf) -> None:
    repo = make_repo(tmp_path / "repo", {"a.py": functions(40), "b.py": functions(2, "g")})
    values, reason = baseline_of(repo, ())
    assert values is None
    assert reason.startswith("no repository baseline: 0 of 2 files at HEAD are analysed")


def test_too_few_functions(tmp_path: Path, baseline_of: BaselineOf) -> None:
    repo = make_repo(tmp_path / "repo", {"app.py": functions(5)})
    bmad(repo, "scan", ".", "--json")
    assert baseline_of(repo, ()) == (None, "no repository baseline: only 5 functions at HEAD")


def test_every_function_at_head(tmp_path: Path, baseline_of: BaselineOf) -> None:
    repo = make_repo(tmp_path / "repo", {"a.py": functions(40), "b.py": functions(2, "g")})
    bmad(repo, "scan", ".", "--json")
    values, reason = baseline_of(repo, ())
    assert reason == "42 functions in 2 files at HEAD"
    assert values is not None and len(values) == 42 and values == sorted(values)


def test_an_unreadable_cache(tmp_path: Path, baseline_of: BaselineOf) -> None:
    repo = make_repo(tmp_path / "repo", {"app.py": functions(40)})
    cache_store_path().parent.mkdir(parents=True, exist_ok=True)
    cache_store_path().write_bytes(b"not a database " * 512)
    values, reason = baseline_of(repo, ())
    assert values is None
    assert reason.startswith("no repository baseline (cannot open the bmad store at ")
