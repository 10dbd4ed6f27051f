"""``bmad hook pre-commit``: what the staged change makes worse, function by function.

Reads only git objects: the staged blobs (the index git commits, so partial staging is
respected and the work tree is never read or written) and the parents' blobs (HEAD, plus
MERGE_HEAD during a merge). Files: added, modified, renamed and copied ones in supported
languages; deleted files, submodules, symlinks, binary files (a NUL byte in the first 8000
bytes, git's rule) and files over ``[scan] max_file_size`` are listed as skipped.

The comparison runs in the daemon when one answers (:func:`bmad.daemon.hook_client.ask_daemon`,
passed in by the command; this process then imports nothing but the git plumbing and a socket
client), else here (:mod:`bmad.hooks.check`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from bmad.analysis.excludes import is_excluded
from bmad.extractors.languages import language_for_path
from bmad.hooks import gitcli
from bmad.hooks.decisions import staged_decisions
from bmad.hooks.request import CheckRequest, Job, StagedFile
from bmad.hooks.settings import HookSettings

BINARY_PROBE = 8000
# The daemon's report, or None when it cannot give one (then this process checks).
DaemonCheck = Callable[[CheckRequest, HookSettings], dict[str, Any] | None]


def _is_binary(data: bytes) -> bool:
    return b"\0" in data[:BINARY_PROBE]


def select_files(
    top_level: Path,
    changes: Sequence[gitcli.StagedChange],
    merge_heads: Sequence[str],
    settings: HookSettings,
    only: set[str] | None,
) -> tuple[list[StagedFile], dict[str, str]]:
    files: list[StagedFile] = []
    skipped: dict[str, str] = {}
    for change in changes:
        if only is not None and change.path not in only:
            continue
        language = language_for_path(change.path)
        if language is None:
            continue
        if change.status == "D" or change.new_blob is None:
            skipped[change.path] = "deleted"
        elif change.new_mode in (gitcli.GITLINK_MODE, gitcli.SYMLINK_MODE):
            skipped[change.path] = "submodule or symbolic link"
        elif is_excluded(change.path, settings.check.exclude):
            skipped[change.path] = "excluded by [analysis] exclude"
        else:
            parent = () if change.old_blob is None or change.status == "C" else (change.old_blob,)
            files.append(StagedFile(change.path, language, change.new_blob, parent))
    if merge_heads and files:
        wanted = sorted({path for file in files for path in _parent_paths(file, changes)})
        for head in merge_heads:
            blobs = gitcli.tree_blobs(top_level, head, wanted)
            files = [
                StagedFile(
                    file.path,
                    file.language,
                    file.blob_id,
                    file.parent_blob_ids + _first_present(blobs, _parent_paths(file, changes)),
                )
                for file in files
            ]
    return files, skipped


def _parent_paths(file: StagedFile, changes: Sequence[gitcli.StagedChange]) -> list[str]:
    old = [change.old_path for change in changes if change.path == file.path and change.old_path]
    return list(dict.fromkeys([file.path, *old]))


def _first_present(blobs: Mapping[str, str], paths: Sequence[str]) -> tuple[str, ...]:
    for path in paths:
        if path in blobs:
            return (blobs[path],)
    return ()


def _jobs(
    files: Sequence[StagedFile],
    blobs: Mapping[str, gitcli.Blob],
    settings: HookSettings,
    skipped: dict[str, str],
) -> dict[str, Job]:
    """One analysis job per distinct readable blob; unreadable staged files go to ``skipped``."""
    jobs: dict[str, Job] = {}
    for file in files:
        blob = blobs.get(file.blob_id)
        if blob is None:
            skipped[file.path] = "staged blob missing from the object database"
        elif blob.data is None:
            skipped[file.path] = f"too large ({blob.size} bytes > {settings.max_file_size})"
        elif _is_binary(blob.data):
            skipped[file.path] = "binary"
        else:
            for blob_id in (file.blob_id, *file.parent_blob_ids):
                data = blobs[blob_id].data if blob_id in blobs else None
                if data is not None and not _is_binary(data):
                    jobs.setdefault(blob_id, Job(blob_id, file.path, file.language, data))
    return jobs


def staged_request(
    paths: gitcli.RepositoryPaths,
    settings: HookSettings,
    filenames: Iterable[str] | None = None,
    reads: gitcli.StagedReads | None = None,
) -> CheckRequest:
    """What the commit being made changes, with every blob the comparison reads (through
    ``reads`` when the caller started them already)."""
    if reads is None:
        with gitcli.StagedReads(paths.top_level) as started:
            return staged_request(paths, settings, filenames, started)
    top = paths.top_level
    heads = gitcli.merge_heads(paths.git_dir)
    only = gitcli.relative_to_top(top, filenames) if filenames is not None else None
    files, skipped = select_files(top, reads.changes(), heads, settings, only)
    wanted = {file.blob_id for file in files} | {
        blob for file in files for blob in file.parent_blob_ids
    }
    blobs = reads.blobs(wanted, settings.max_file_size)
    jobs = _jobs(files, blobs, settings, skipped)
    return CheckRequest(str(top), tuple(files), jobs, skipped, bool(heads), settings.check)


def check_staged(
    paths: gitcli.RepositoryPaths,
    settings: HookSettings,
    filenames: Iterable[str] | None = None,
    daemon: DaemonCheck | None = None,
    reads: gitcli.StagedReads | None = None,
) -> dict[str, Any]:
    """The check's report document (see :meth:`bmad.hooks.check.CheckReport.to_dict`): from
    ``daemon`` when it gives one (and ``[hooks] use_daemon`` allows it), else checked here;
    with ``decisions``, the recent decisions the staged change reverts (checked here)."""
    if reads is None:
        with gitcli.StagedReads(paths.top_level) as started:
            return check_staged(paths, settings, filenames, daemon, started)
    request = staged_request(paths, settings, filenames, reads)
    document = None
    if request.jobs and settings.use_daemon and daemon is not None:
        document = daemon(request, settings)
    if document is None:
        from bmad.hooks.check import InProcessEngine, run_check

        document = run_check(request, InProcessEngine()).to_dict()
    only = gitcli.relative_to_top(paths.top_level, filenames) if filenames is not None else None
    reverted = staged_decisions(
        paths.top_level, reads.changes(), settings.check.rules, int(time.time()), only
    )
    return {**document, "decisions": reverted}
