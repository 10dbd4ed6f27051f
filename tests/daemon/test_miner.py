from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from bmad import git
from bmad.analysis.store import analyse_repository, load_findings
from bmad.daemon import gitstate
from bmad.daemon.locks import locked
from bmad.daemon.miner import (
    CodeMetricsStep,
    FindingsStep,
    MinerSettings,
    MiningContext,
    MiningInterrupted,
    StepReport,
    default_followups,
    default_steps,
    mine_repository,
    record_failure,
)
from bmad.daemon.paths import repository_lock_path
from bmad.extractors.architecture import decode_architecture
from bmad.scanning.analyse import analyser_version
from bmad.scanning.metrics_cache import MetricsCache
from bmad.store.connection import Store, cache_store_path
from bmad.store.registry import (
    Repository,
    add_repository,
    open_registry,
    remove_repository,
    repository_status,
)

Committer = Callable[..., str]


class StopAfter(threading.Event):
    """A stop request that arrives after ``units`` units of work."""

    def __init__(self, units: int) -> None:
        super().__init__()
        self.remaining = units

    def is_set(self) -> bool:
        self.remaining -= 1
        return self.remaining <= 0


def stored_files(store: Store, repository: Repository) -> dict[str, tuple[str, int]]:
    rows = store.connection.execute(
        "SELECT path, blob_id, functions FROM repository_files WHERE repository_id = ?",
        (repository.id,),
    ).fetchall()
    return {path: (blob, functions) for path, blob, functions in rows}


@pytest.fixture
def project(
    bmad_home: Path,
    make_repo: Callable[..., Path],
    python_function: Callable[[int], str],
) -> Path:
    files = {f"pkg/module_{index}.py": python_function(index) for index in range(7)}
    files["README.md"] = "not analysed\n"
    files["lib/util.js"] = "function util(a) { return a ? 1 : 2; }\n"
    return make_repo("project", files)


def test_first_pass_then_incremental(
    project: Path, commit: Committer, python_function: Callable[[int], str]
) -> None:
    settings = MinerSettings(batch_size=3)
    with open_registry() as store:
        repository, _ = add_repository(store, project)
        result = mine_repository(store, repository, [CodeMetricsStep()], settings)
        assert result.outcome == "mined"
        assert result.reports == (StepReport("code", 1 + 3, 8),)
        files = stored_files(store, repository)
        assert len(files) == 8 and "README.md" not in files
        assert files["lib/util.js"][1] == 1
        status = repository_status(store, repository)
        assert status.last_mined_commit == result.head_commit and status.pending == 0
        assert status.functions == 8

        (project / "pkg" / "module_0.py").unlink()
        head = commit(
            project,
            {"pkg/module_1.py": python_function(1) + python_function(100), "new.py": "x = 1\n"},
        )
        again = mine_repository(store, repository, [CodeMetricsStep()], settings)
        assert again.head_commit == head and again.reports[0].items == 2
        files = stored_files(store, repository)
        assert "pkg/module_0.py" not in files and files["new.py"][1] == 0
        assert files["pkg/module_1.py"][1] == 2
        unchanged = mine_repository(store, repository, [CodeMetricsStep()], settings)
        assert unchanged.reports == (StepReport("code", 1, 0),)


def test_staged_changes_are_mined_before_the_commit(
    project: Path, run_git: Callable[..., str], python_function: Callable[[int], str]
) -> None:
    with open_registry() as store:
        repository, _ = add_repository(store, project)
        mine_repository(store, repository, [CodeMetricsStep()])
        (project / "staged.py").write_text(python_function(1))
        (project / "unstaged.py").write_text(python_function(2))
        run_git(project, "add", "staged.py")
        mine_repository(store, repository, [CodeMetricsStep()])
        files = stored_files(store, repository)
        assert "staged.py" in files and "unstaged.py" not in files


def test_interrupted_pass_resumes_where_it_stopped(project: Path) -> None:
    settings = MinerSettings(batch_size=2)
    with open_registry() as store:
        repository, _ = add_repository(store, project)
        with pytest.raises(MiningInterrupted):
            mine_repository(store, repository, [CodeMetricsStep()], settings, StopAfter(2))
        status = repository_status(store, repository)
        assert status.files == 2 and status.pending == 6 and status.last_mined_commit is None
        result = mine_repository(store, repository, [CodeMetricsStep()], settings)
        assert result.reports[0].items == 6
        assert repository_status(store, repository).files == 8


def test_full_disk_rolls_back_the_unit_and_recovers(
    bmad_home: Path, make_repo: Callable[..., Path]
) -> None:
    deep = "/".join(["a_rather_long_folder_name"] * 6)
    files = {f"{deep}/module_{index}.py": f"x = {index}\n" for index in range(120)}
    project = make_repo("big", files)
    with open_registry() as store:
        repository, _ = add_repository(store, project)
        pages = store.connection.execute("PRAGMA page_count").fetchone()[0]
        store.connection.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(sqlite3.OperationalError, match="full"):
            mine_repository(store, repository, [CodeMetricsStep()], MinerSettings(batch_size=200))
        assert stored_files(store, repository) == {}
        assert store.connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert record_failure(store, repository, "disk full") == 1
        store.connection.execute("PRAGMA max_page_count = 1073741823")
        assert mine_repository(store, repository, [CodeMetricsStep()]).outcome == "mined"
        status = repository_status(store, repository)
        assert status.files == 120 and status.last_error is None and status.error_count == 0


def test_one_writer_per_repository(project: Path) -> None:
    with open_registry() as store:
        repository, _ = add_repository(store, project)
        with locked(repository_lock_path(repository.id)) as held:
            assert held
            assert mine_repository(store, repository, [CodeMetricsStep()]).outcome == "busy"
        assert stored_files(store, repository) == {}
        assert mine_repository(store, repository, [CodeMetricsStep()]).outcome == "mined"


def test_repository_removed_during_a_pass(project: Path) -> None:
    def remove_concurrently(context: MiningContext) -> StepReport:
        with open_registry() as other:
            remove_repository(other, context.repository.name)
        return StepReport("remove", 0, 0)

    with open_registry() as store:
        repository, _ = add_repository(store, project)
        steps = [remove_concurrently, CodeMetricsStep()]
        assert mine_repository(store, repository, steps).outcome == "removed"
        assert store.connection.execute("SELECT COUNT(*) FROM repository_files").fetchone()[0] == 0


def test_unreadable_files_are_recorded_with_a_reason(
    bmad_home: Path, make_repo: Callable[..., Path], run_git: Callable[..., str]
) -> None:
    repo = make_repo("odd", {"ok.py": "y = 1\n"})
    (repo / "latin1.py").write_bytes(b"name = 'caf\xe9'\n")
    (repo / "binary.c").write_bytes(b"int x;\x00\x01")
    run_git(repo, "add", "-A")
    run_git(repo, "commit", "-q", "-m", "odd files")
    with open_registry() as store:
        repository, _ = add_repository(store, repo)
        assert mine_repository(store, repository, [CodeMetricsStep()]).outcome == "mined"
        errors = dict(
            store.connection.execute("SELECT path, error FROM repository_files").fetchall()
        )
    assert errors["ok.py"] is None
    assert "not UTF-8" in errors["latin1.py"]
    assert "binary" in errors["binary.c"]


def test_history_step_mines_only_new_commits(
    project: Path, commit: Committer, python_function: Callable[[int], str]
) -> None:
    from bmad.store.history import open_history_store

    with open_registry() as store:
        repository, _ = add_repository(store, project)
        first = mine_repository(store, repository, default_steps(), followups=default_followups())
        steps = [report.step for report in first.reports]
        assert steps == ["code", "history", "trends", "architecture", "findings"]
        assert first.reports[1].items == 1
        head = commit(project, {"later.py": python_function(5)})
        second = mine_repository(store, repository, default_steps(), followups=default_followups())
        assert second.reports[1].items == 1 and second.head_commit == head
    with open_history_store() as history:
        (tip,) = history.store.connection.execute("SELECT tip FROM history_sources").fetchone()
        assert tip == head
        assert len(history.stored_ids(1)) == 2


def test_architecture_step_stores_the_graph_and_skips_unchanged_input(
    bmad_home: Path, make_repo: Callable[..., Path], commit: Committer
) -> None:
    repo = make_repo(
        "cyclic",
        {"pkg/__init__.py": "", "pkg/a.py": "from pkg import b\n", "pkg/b.py": "import pkg.a\n"},
    )
    with open_registry() as store:
        repository, _ = add_repository(store, repo)
        first = mine_repository(store, repository, default_steps(), followups=default_followups())
        assert first.reports[3] == StepReport("architecture", 1, 3)
        status = repository_status(store, repository)
        assert status.modules == 3 and status.cycles == 1
        (graph,) = store.connection.execute("SELECT graph FROM repository_architecture").fetchone()
        assert decode_architecture(graph).cycles == [["pkg/a.py", "pkg/b.py"]]
        assert first.reports[4].step == "findings" and first.reports[4].units == 1
        runs = store.connection.execute("SELECT repo FROM findings_runs").fetchall()
        assert runs == [(str(repo.resolve()),)]
        unchanged = mine_repository(
            store, repository, default_steps(), followups=default_followups()
        )
        assert unchanged.reports[3].items == 0
        assert unchanged.reports[4] == StepReport("findings", 0, 0)
        commit(repo, {"pkg/b.py": "import os\n"})
        third = mine_repository(store, repository, default_steps(), followups=default_followups())
        assert third.reports[3].items == 3 and third.reports[4].units == 1
        assert repository_status(store, repository).cycles == 0


# A Python import cycle, a complex condition, and C++ headers (that C cannot parse) including
# each other: findings from the code, architecture and history lenses, a header among them.
MIXED = {
    "pkg/__init__.py": "",
    "pkg/a.py": "from pkg import b\n\n\ndef route(a, b, c, d):\n"
    "    if a and b or c and d:\n        return 1\n    return 0\n",
    "pkg/b.py": "import pkg.a\n",
    "include/shape.h": '#include "point.h"\nclass Shape {\n public:\n'
    "  int area(int a, int b) { if (a && b || a && !b) return 1; return 0; }\n};\n",
    "include/point.h": '#include "shape.h"\nclass Point {\n public:\n  int x;\n};\n',
}


def cached_rows() -> int:
    cache = MetricsCache.open(cache_store_path(), analyser_version())
    try:
        (count,) = cache.store.connection.execute("SELECT count(*) FROM file_metrics").fetchone()
    finally:
        cache.close()
    return int(count)


def is_cached(data: str) -> bool:
    cache = MetricsCache.open(cache_store_path(), analyser_version())
    try:
        return bool(cache.lookup([(git.blob_id_of(data.encode()), "python")]))
    finally:
        cache.close()


def test_findings_come_from_the_mined_state_without_a_parse_and_match_a_scan(
    bmad_home: Path, make_repo: Callable[..., Path], run_git: Callable[..., str]
) -> None:
    repo = make_repo("mixed", MIXED)
    with open_registry() as store:
        repository, _ = add_repository(store, repo)
        context = MiningContext(store, repository, gitstate.snapshot(repo))
        context.reports += [step(context) for step in default_steps()]
        # Unstaged edits: a scan of the work tree would parse these bytes, and every parse
        # leaves its metrics in the content cache under the bytes' blob id.
        edited = MIXED["pkg/a.py"] + "\n\ndef later(a, b, c, d):\n    return a and b or c and d\n"
        (repo / "pkg" / "a.py").write_text(edited)
        (repo / "pkg" / "c.py").write_text("def extra(a, b, c, d, e, f):\n    return a\n")
        rows = cached_rows()
        assert FindingsStep()(context).units == 1
        assert cached_rows() == rows
        assert not is_cached(edited)
        mined = load_findings(store, repo)
        (notes,) = store.connection.execute("SELECT notes FROM findings_runs").fetchone()
    assert {finding.path for finding in mined} >= {"pkg/a.py", "include/shape.h"}
    assert {"complex-conditional", "cyclic-dependency"} <= {f.rule_id for f in mined}
    run_git(repo, "checkout", "--", "pkg/a.py")
    (repo / "pkg" / "c.py").unlink()
    _input, scanned, _root = analyse_repository(repo)
    assert mined == scanned.findings
    assert notes == json.dumps(list(scanned.notes))
