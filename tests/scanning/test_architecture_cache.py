"""The architecture result cache: a hit on unchanged input, a miss on any changed input, and
the same answer either way."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bmad.extractors.architecture import Architecture, decode_architecture, encode_architecture
from bmad.scanning import ScanOptions
from bmad.scanning.architecture import analyse_architecture
from bmad.scanning.stat_cache import COMPONENT as STAT_COMPONENT
from bmad.store.connection import cache_store_path
from tests.extractors.architecture_fixtures import analyse_tree, write_tree
from tests.scanning.stat_files import (
    files_opened,
    later_clock,
    replace_keeping_size_and_mtime,
    rewrite_keeping_size_and_mtime,
)

TREE = {
    "pyproject.toml": '[project]\nname = "app"\ndependencies = ["requests"]\n',
    "app/__init__.py": "",
    "app/a.py": "from . import b\nfrom . import c\nimport requests\n",
    "app/b.py": "from . import d\n",
    "app/c.py": "from . import d\n",
    "app/d.py": "from . import a\n",
    "app/ui/__init__.py": "",
    "app/ui/view.py": "from app.core import model\n",
    "app/core/__init__.py": "",
    "app/core/model.py": "from app.ui import view\n",
}
OPTIONS = ScanOptions(jobs=1)


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = write_tree(tmp_path / "repo", TREE)
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "initial")
    return root


def stored_rows() -> list[tuple[str, str, str]]:
    with sqlite3.connect(cache_store_path()) as connection:
        return list(connection.execute("SELECT root, digest, payload FROM architecture_results"))


def mark_stored_result(marker: str) -> None:
    """Rewrite the cached result so that a hit is visible: its hubs become [marker]."""
    [(root, digest, payload)] = stored_rows()
    architecture = decode_architecture(payload)
    architecture.hubs = [marker]
    with sqlite3.connect(cache_store_path()) as connection:
        connection.execute(
            "UPDATE architecture_results SET payload = ? WHERE root = ? AND digest = ?",
            (encode_architecture(architecture), root, digest),
        )


def test_codec_round_trip_is_exact(tmp_path: Path) -> None:
    architecture = analyse_tree(write_tree(tmp_path, TREE), {"layers": ["app/ui/**", "app/**"]})
    assert architecture.layer_violations and architecture.cycles and architecture.dependencies
    architecture.skipped = [("app/x.py", "syntax errors (imports read where possible)")]
    assert decode_architecture(encode_architecture(architecture)) == architecture


def test_unchanged_tree_is_a_hit_with_the_same_result(repo: Path) -> None:
    first = analyse_architecture(repo, None, OPTIONS)
    assert len(stored_rows()) == 1
    second = analyse_architecture(repo, None, OPTIONS)
    assert second == first
    assert second.to_json() == first.to_json()
    mark_stored_result("from-the-cache")
    assert analyse_architecture(repo, None, OPTIONS).hubs == ["from-the-cache"]


def test_cached_result_equals_an_uncached_analysis(repo: Path) -> None:
    analyse_architecture(repo, None, OPTIONS)
    cached = analyse_architecture(repo, None, OPTIONS)
    uncached = analyse_architecture(repo, None, ScanOptions(jobs=1, use_cache=False))
    assert cached.to_json() == uncached.to_json()


@pytest.mark.parametrize(
    "change",
    ["edit tracked file", "edit untracked file", "add file", "delete file", "edit manifest"],
)
def test_a_changed_input_is_a_miss(repo: Path, change: str) -> None:
    (repo / "app/extra.py").write_text("from . import a\n")  # untracked, not ignored
    analyse_architecture(repo, None, OPTIONS)
    mark_stored_result("stale")
    if change == "edit tracked file":
        (repo / "app/d.py").write_text("x = 1\n")
    elif change == "edit untracked file":
        (repo / "app/extra.py").write_text("from . import b\n")
    elif change == "add file":
        (repo / "app/new.py").write_text("from . import a\n")
    elif change == "delete file":
        (repo / "app/c.py").unlink()
    else:
        (repo / "pyproject.toml").write_text('[project]\nname = "app"\ndependencies = ["rich"]\n')
    result = analyse_architecture(repo, None, OPTIONS)
    assert result.hubs != ["stale"]
    fresh = analyse_architecture(repo, None, ScanOptions(jobs=1, use_cache=False))
    assert result.to_json() == fresh.to_json()
    assert len(stored_rows()) == 1  # the new state replaced the old one


@pytest.mark.parametrize(
    "settings",
    [{"layers": ["app/ui/**", "app/core/**"]}, {"hub_min_ca": 1, "hub_min_ce": 1}],
)
def test_a_changed_setting_is_a_miss(repo: Path, settings: dict[str, object]) -> None:
    analyse_architecture(repo, None, OPTIONS)
    mark_stored_result("stale")
    result = analyse_architecture(repo, settings, OPTIONS)
    assert result.hubs != ["stale"]
    assert result == analyse_architecture(repo, settings, ScanOptions(jobs=1, use_cache=False))


def test_a_damaged_row_is_a_miss_and_is_replaced(repo: Path) -> None:
    first = analyse_architecture(repo, None, OPTIONS)
    with sqlite3.connect(cache_store_path()) as connection:
        connection.execute("UPDATE architecture_results SET payload = '[1, 2'")
    assert analyse_architecture(repo, None, OPTIONS) == first
    [(_, _, payload)] = stored_rows()
    assert decode_architecture(payload) == first


def test_an_unopenable_cache_store_still_analyses(repo: Path, tmp_path: Path) -> None:
    folder = tmp_path / "not-a-file"
    folder.mkdir()
    result = analyse_architecture(repo, None, ScanOptions(jobs=1, cache_path=folder))
    assert isinstance(result, Architecture)
    assert ["app/a.py", "app/b.py", "app/d.py"] in result.smallest_cycles.values()


SMALLEST_CYCLE_SCRIPT = """
import json, sys
from pathlib import Path
from bmad.scanning.architecture import analyse_architecture
from bmad.scanning import ScanOptions
result = analyse_architecture(Path(sys.argv[1]), None, ScanOptions(jobs=1, use_cache=False))
print(json.dumps(result.smallest_cycles, sort_keys=True))
"""


def test_smallest_cycles_do_not_depend_on_the_hash_seed(repo: Path, tmp_path: Path) -> None:
    # a -> b -> d -> a and a -> c -> d -> a are both shortest: the choice must be stable
    outputs = set()
    for seed in range(6):
        env = {"PYTHONHASHSEED": str(seed), "BMAD_HOME": str(tmp_path / f"home{seed}")}
        completed = subprocess.run(
            [sys.executable, "-c", SMALLEST_CYCLE_SCRIPT, str(repo)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        outputs.add(completed.stdout)
    assert len(outputs) == 1
    assert json.loads(outputs.pop())["app/a.py"] == ["app/a.py", "app/b.py", "app/d.py"]


def later(**overrides: object) -> ScanOptions:
    """Runs well after the tree was written, so that stat records may vouch for files."""
    values: dict[str, object] = {"jobs": 1, "clock_ns": later_clock}
    values.update(overrides)
    return ScanOptions(**values)  # type: ignore[arg-type]


PROJECT_FILES_READ = {"pyproject.toml": 1}  # on every run, inside git or not


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "tree", TREE)


def test_a_warm_run_outside_git_opens_no_source_file(tree: Path) -> None:
    first = analyse_architecture(tree, None, later())

    with files_opened(tree) as opened:
        second = analyse_architecture(tree, None, later())
    mark_stored_result("from-the-cache")
    third = analyse_architecture(tree, None, later())

    assert opened == PROJECT_FILES_READ
    assert second == first
    assert third.hubs == ["from-the-cache"]


def test_a_warm_run_does_not_open_untracked_files(repo: Path) -> None:
    (repo / "app/extra.py").write_text("from . import a\n")
    first = analyse_architecture(repo, None, later())

    with files_opened(repo) as opened:
        second = analyse_architecture(repo, None, later())

    assert second == first
    assert opened == PROJECT_FILES_READ


@pytest.mark.parametrize(
    "change",
    [
        "same-size edit, mtime forced back",
        "replaced by a file of the same size and mtime",
        "add file",
        "delete file",
        "rename file",
    ],
)
def test_a_changed_file_outside_git_is_a_miss_and_only_it_is_read(tree: Path, change: str) -> None:
    analyse_architecture(tree, None, later())
    mark_stored_result("stale")
    if change == "same-size edit, mtime forced back":
        rewrite_keeping_size_and_mtime(tree / "app/d.py", "from . import c\n")
    elif change == "replaced by a file of the same size and mtime":
        replace_keeping_size_and_mtime(tree / "app/d.py", "from . import c\n")
    elif change == "add file":
        (tree / "app/e.py").write_text("from . import c\n")
    elif change == "delete file":
        (tree / "app/c.py").unlink()
    else:
        (tree / "app/d.py").rename(tree / "app/e.py")

    with files_opened(tree) as opened:
        result = analyse_architecture(tree, None, later())

    assert result.hubs != ["stale"]
    assert result.to_json() == analyse_architecture(tree, None, later(use_cache=False)).to_json()
    sources = {path: count for path, count in opened.items() if path.endswith(".py")}
    if change == "delete file":
        assert sources == {}
    elif change == "rename file":  # hashed; its bytes' metrics are in the parse cache
        assert sources == {"app/e.py": 1}
    else:  # read to hash it, then to parse it
        changed = "app/e.py" if change == "add file" else "app/d.py"
        assert sources == {changed: 2}
        assert any(edge.path == changed for edge in result.edges)


def test_files_recorded_within_the_racy_window_are_read_and_an_edit_there_is_seen(
    tree: Path,
) -> None:
    now = ScanOptions(jobs=1, clock_ns=time.time_ns)
    analyse_architecture(tree, None, now)
    with files_opened(tree) as opened:
        analyse_architecture(tree, None, now)
    assert sorted(opened.elements()) == sorted(TREE)  # every file hashed again

    rewrite_keeping_size_and_mtime(tree / "app/d.py", "from . import c\n")
    result = analyse_architecture(tree, None, now)

    assert result.to_json() == analyse_architecture(tree, None, later(use_cache=False)).to_json()
    assert any(edge.path == "app/d.py" and edge.target == "app/c.py" for edge in result.edges)
    assert not any(edge.path == "app/d.py" and edge.target == "app/a.py" for edge in result.edges)


def test_a_lowered_size_limit_is_a_miss(tree: Path) -> None:
    analyse_architecture(tree, None, later())
    mark_stored_result("stale")

    result = analyse_architecture(tree, None, later(max_file_size=10))

    assert result.hubs != ["stale"]
    assert ("app/a.py", "larger than the size limit (48 > 10 bytes)") in result.skipped
    fresh = analyse_architecture(tree, None, later(max_file_size=10, use_cache=False))
    assert result.to_json() == fresh.to_json()


def test_an_unusable_stat_cache_reads_every_file_and_still_answers(tree: Path) -> None:
    first = analyse_architecture(tree, None, later())
    with sqlite3.connect(cache_store_path()) as connection:
        connection.execute(
            "UPDATE schema_versions SET version = 99 WHERE component = ?", (STAT_COMPONENT,)
        )
    connection.close()

    with files_opened(tree) as opened:
        second = analyse_architecture(tree, None, later())

    assert second == first
    assert sorted(opened.elements()) == sorted(TREE)
