"""SZZ and fix labels on a real git history built by hand: which functions each fix changed
and which earlier commits its blame reaches, with the filters applied."""

from __future__ import annotations

from pathlib import Path

from bmad import git as bmad_git
from bmad.extractors.fixes import LabelSettings, Outcome, fixing_commits, summarise_traces
from bmad.extractors.history import SubjectPatterns
from bmad.scanning.history_git import MiningSettings, commits_between, read_commits
from bmad.scanning.pipeline import ScanOptions
from bmad.scanning.szz import fixed_code, function_spans, read_fix_diffs, trace_fixes
from tests.history_repos import RepoBuilder, git

SETTINGS = LabelSettings(
    SubjectPatterns(fix=(r"\bfix\b",), revert=(r"^revert\b",)), max_fix_files=5, max_origin_files=2
)

APP = """def parse(text):
    value = text.strip()
    return int(value)


def render(value):
    label = str(value)
    return label
"""


def build(path: Path) -> RepoBuilder:
    repo = RepoBuilder.create(path)
    repo.write("app.py", APP)
    repo.commit("alice", "Add app", "add")
    repo.write("app.py", APP.replace("int(value)", "int(value, 10)"))
    repo.commit("bob", "Parse in base ten", "tweak")
    source = APP.replace("int(value)", "int(value, 10)").replace("str(value)", "repr(value)")
    repo.write("app.py", source)
    repo.write("b.py", "B = 1\n")
    repo.write("c.py", "C = 1\n")
    repo.commit("carol", "Big sweep", "sweep")
    repo.write("app.py", source.replace("int(value, 10)", "int(value or 0, 10)"))
    repo.commit("alice", "Fix crash on empty input", "fix-parse")
    repo.write(
        "app.py", source.replace("int(value, 10)", "int(value or 0, 10)").replace("repr", "str")
    )
    repo.commit("dave", "fix render", "fix-render")
    final = source.replace("int(value, 10)", "int(value or 0, 10)").replace("repr", "str")
    repo.write("app.py", final.replace("    label = str", "    # a label\n    label = str"))
    repo.commit("alice", "fix: explain the label", "fix-comment")
    repo.write("b.py", "B = 2\n")
    repo.commit("bob", "Change B", "b")
    return repo


def test_fix_labels_and_szz_traces_on_a_hand_built_history(tmp_path: Path) -> None:
    repo = build(tmp_path / "repo")
    repository = bmad_git.open_repository(repo.path)
    tip = str(repository.head.target)
    records = list(
        read_commits(
            str(Path(repository.path)),
            commits_between(repository, tip, None),
            MiningSettings(jobs=1),
            frozenset(),
        )
    )
    fixes = fixing_commits(sorted(records, key=lambda c: c.author_time), SETTINGS)
    assert [(c.id, o) for c, o in fixes] == [
        (repo.ids["fix-parse"], Outcome.FIX),
        (repo.ids["fix-render"], Outcome.FIX),
        (repo.ids["fix-comment"], Outcome.FIX),
    ]
    diffs = read_fix_diffs(repository, fixes)
    spans = function_spans(repo.path, diffs, ScanOptions(jobs=1, cache_path=tmp_path / "c.db"))
    labels = {item.commit: dict(item.functions) for item in fixed_code(diffs, spans)}
    assert labels == {
        repo.ids["fix-parse"]: {"app.py": {"parse"}},
        repo.ids["fix-render"]: {"app.py": {"render"}},
        repo.ids["fix-comment"]: {"app.py": {"render"}},
    }
    traces = trace_fixes(repo.path, diffs, {c.id: c for c in records}, SETTINGS)
    by_fix = {item.fix: item for item in traces}
    # The parse fix changed the line "Parse in base ten" wrote.
    assert by_fix[repo.ids["fix-parse"]].origins == {repo.ids["tweak"]}
    # The render fix changed a line last written by a three-file sweep: filtered out.
    assert by_fix[repo.ids["fix-render"]].reason == "blamed only very large commits"
    # Adding a comment removes no line: nothing to trace.
    assert by_fix[repo.ids["fix-comment"]].reason == "only added lines or cosmetic changes"
    summary = summarise_traces(traces)
    assert (summary.fixes, summary.traced, summary.origins) == (3, 1, 1)


def test_a_submodule_bump_in_a_fix_is_no_file_to_blame(tmp_path: Path) -> None:
    repo = RepoBuilder.create(tmp_path / "repo")
    repo.write("app.py", APP)
    repo.commit("alice", "Add app", "add")
    for label, pinned in (("pin", "1" * 40), ("fix", "2" * 40)):
        git(repo.path, "update-index", "--add", "--cacheinfo", f"160000,{pinned},vendor/lib")
        if label == "fix":
            repo.write("app.py", APP.replace("int(value)", "int(value or 0)"))
            git(repo.path, "add", "app.py")
        git(repo.path, "commit", "-q", "-m", f"{label}: vendor/lib", env=_dated(repo))
        repo.ids[label] = git(repo.path, "rev-parse", "HEAD").strip()
    repository = bmad_git.open_repository(repo.path)
    records = list(
        read_commits(
            str(Path(repository.path)),
            commits_between(repository, repo.ids["fix"], None),
            MiningSettings(jobs=1),
            frozenset(),
        )
    )
    fixes = fixing_commits(sorted(records, key=lambda c: c.author_time), SETTINGS)
    diffs = read_fix_diffs(repository, fixes)
    assert [[changed.old_path for changed in diff.files] for diff in diffs] == [["app.py"]]
    traces = trace_fixes(repo.path, diffs, {c.id: c for c in records}, SETTINGS)
    assert [trace.origins for trace in traces] == [{repo.ids["add"]}]


def _dated(repo: RepoBuilder) -> dict[str, str]:
    repo.day += 1
    stamp = f"{1_600_000_000 + repo.day * 86_400} +0000"
    return {"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
