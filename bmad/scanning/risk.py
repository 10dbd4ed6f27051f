"""The git side of the defect-risk model: the revision at a point in time, a revision's code
metrics and import graph (from git's objects, through the caches), and every fix's labels."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from bmad import git
from bmad.extractors.architecture import Architecture, build_architecture
from bmad.extractors.architecture_resolve import PROJECT_FILE_NAMES, SourceFile
from bmad.extractors.fixes import FixedCode, LabelSettings, fixing_commits
from bmad.extractors.history import CommitRecord
from bmad.extractors.manifests import manifest_kind
from bmad.scanning.pipeline import ScanOptions, ScanResult
from bmad.scanning.szz import fixed_code, function_spans, read_fix_diffs

MAX_PROJECT_FILE_SIZE = 4 * 1024 * 1024


def revision_at(repository_path: Path, tip: str, when: int) -> str | None:
    """The last commit on ``tip``'s first-parent line committed at or before ``when``."""
    import pygit2

    repository = git.open_repository(repository_path)
    commit = repository.revparse_single(tip).peel(pygit2.Commit)
    while True:
        if commit.commit_time <= when:
            return str(commit.id)
        if not commit.parents:
            return None
        commit = commit.parents[0]


def reachable(commits: Sequence[CommitRecord], revision: str) -> list[CommitRecord]:
    """The commits among ``commits`` that ``revision`` reaches (itself included)."""
    by_id = {commit.id: commit for commit in commits}
    seen = {revision} if revision in by_id else set()
    stack = list(seen)
    while stack:
        for parent in by_id[stack.pop()].parents:
            if parent in by_id and parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return [commit for commit in commits if commit.id in seen]


def fix_labels(
    repository_path: Path,
    commits: Sequence[CommitRecord],
    settings: LabelSettings,
    options: ScanOptions | None = None,
) -> list[FixedCode]:
    """Every fix or revert among ``commits``, with the files and functions it changed."""
    repository = git.open_repository(repository_path)
    diffs = read_fix_diffs(repository, fixing_commits(commits, settings))
    return fixed_code(diffs, function_spans(repository_path, diffs, options))


def revision_files(
    repository_path: Path, revision: str
) -> tuple[frozenset[str], Callable[[str], bytes | None]]:
    """Every path in a revision's tree, and a reader of its files' bytes (None: not a file of
    the revision)."""
    repository = git.open_repository(repository_path)
    blobs = {
        tree_file.path: tree_file.blob_id
        for tree_file in git.commit_tree_files(repository, revision)
        if tree_file.blob_id is not None and tree_file.mode != git.MODE_GITLINK
    }

    def read(path: str) -> bytes | None:
        blob_id = blobs.get(path)
        return None if blob_id is None else git.read_blob(repository, blob_id)

    return frozenset(blobs), read


def revision_architecture(
    repository_path: Path,
    revision: str,
    scan: ScanResult,
    settings: Mapping[str, Any] | None = None,
) -> Architecture:
    """The import graph of a revision, from its scan and the project files in its tree.
    Raises ValueError on an invalid ``layers`` setting."""
    repository = git.open_repository(repository_path)
    project: dict[str, bytes] = {}
    for tree_file in git.commit_tree_files(repository, revision):
        name = PurePosixPath(tree_file.path).name
        is_project = (
            name in PROJECT_FILE_NAMES
            or manifest_kind(name) is not None
            or (name.startswith("tsconfig") and name.endswith(".json"))
        )
        if is_project and tree_file.blob_id is not None and tree_file.mode != git.MODE_GITLINK:
            data = git.read_blob(repository, tree_file.blob_id)
            if len(data) <= MAX_PROJECT_FILE_SIZE:
                project[tree_file.path] = data
    files = [SourceFile(f.path, f.language, f.metrics.imports) for f in scan.files]
    return build_architecture(files, project, settings)
