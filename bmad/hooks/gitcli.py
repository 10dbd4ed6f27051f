"""All git access of the hooks, through the git command line.

Hooks run inside git: the index to read may be a temporary one (``GIT_INDEX_FILE`` during
``git commit -a`` or ``git commit <paths>``), objects may sit in a quarantine directory, and
the hooks directory may be redirected by ``core.hooksPath``. The git CLI inherits all of that
from the environment, so every read goes through it.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, NamedTuple

from bmad.errors import BmadError

GITLINK_MODE = 0o160000
SYMLINK_MODE = 0o120000
READ_CHUNK = 1 << 20


class StagedChange(NamedTuple):
    status: str  # A, M, R, C, T or D (git's diff letters)
    path: str  # the path in the index (for D: the deleted path)
    old_path: str | None  # the path at HEAD (renames and copies: the source), None when added
    old_blob: str | None
    new_blob: str | None  # None when deleted
    new_mode: int


class Blob(NamedTuple):
    blob_id: str
    size: int
    data: bytes | None  # None when larger than the limit (never read into memory)


class RepositoryPaths(NamedTuple):
    top_level: Path
    git_dir: Path  # this work tree's own git dir (linked worktrees have their own)


def run_git(cwd: Path, *args: str, input_bytes: bytes | None = None) -> bytes:
    try:
        completed = subprocess.run(
            ["git", *args], cwd=cwd, input=input_bytes, capture_output=True, check=False
        )
    except FileNotFoundError as exc:
        raise BmadError("git is not installed or not on PATH") from exc
    return _output(args[0], completed.returncode, completed.stdout, completed.stderr)


def _output(command: str, returncode: int, stdout: bytes, stderr: bytes) -> bytes:
    if returncode != 0:
        message = stderr.decode("utf-8", "replace").strip() or "failed"
        raise BmadError(f"git {command}: {message}")
    return stdout


def repository_paths(cwd: Path) -> RepositoryPaths:
    output = run_git(cwd, "rev-parse", "--show-toplevel", "--absolute-git-dir")
    lines = output.decode("utf-8", "surrogateescape").splitlines()
    if len(lines) != 2:
        raise BmadError(f"{cwd}: not inside a git work tree")
    return RepositoryPaths(Path(lines[0]), Path(lines[1]))


def hooks_directory(cwd: Path) -> Path:
    """The directory git runs hooks from (core.hooksPath, linked worktrees, GIT_DIR)."""
    output = run_git(cwd, "rev-parse", "--path-format=absolute", "--git-path", "hooks")
    return Path(output.decode("utf-8", "surrogateescape").rstrip("\n"))


def merge_heads(git_dir: Path) -> list[str]:
    """The other parents of the commit being made (MERGE_HEAD), empty outside a merge."""
    try:
        text = (git_dir / "MERGE_HEAD").read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        return []
    return [line.strip() for line in text.splitlines() if line.strip()]


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def parse_raw_diff(output: bytes) -> list[StagedChange]:
    """Parse ``git diff --raw -z`` records: ``:old new old_id new_id status\\0path\\0[path\\0]``."""
    fields = output.split(b"\0")
    changes: list[StagedChange] = []
    position = 0
    while position < len(fields) and fields[position].startswith(b":"):
        _old_mode, new_mode, old_id, new_id, status = _decode(fields[position][1:]).split(" ")
        letter = status[0]
        old_path: str | None
        if letter in "RC":
            old_path, path = _decode(fields[position + 1]), _decode(fields[position + 2])
            position += 3
        else:
            path = _decode(fields[position + 1])
            old_path = None if letter == "A" else path
            position += 2
        missing = set("0")
        changes.append(
            StagedChange(
                status=letter,
                path=path,
                old_path=old_path,
                old_blob=None if set(old_id) <= missing else old_id,
                new_blob=None if set(new_id) <= missing else new_id,
                new_mode=int(new_mode, 8),
            )
        )
    return changes


# What the commit being made changes against HEAD; every staged file on an unborn branch.
# Renames are detected by git on the staged diff (-M, its default 50% similarity). Paths are
# the repository's whatever the directory git runs in (--no-relative: diff.relative ignored).
STAGED_DIFF = (
    "diff",
    "--cached",
    "--raw",
    "-z",
    "-M",
    "--no-abbrev",
    "--no-relative",
    "--no-ext-diff",
    "--no-textconv",
    "--ignore-submodules=all",
)


def tree_blobs(top_level: Path, revision: str, paths: Sequence[str] = ()) -> dict[str, str]:
    """path -> blob id in ``revision``'s tree (only ``paths`` when given)."""
    arguments = ["ls-tree", "-r", "-z", "--full-tree", revision]
    if paths:
        arguments += ["--", *(f":(literal){path}" for path in paths)]
    found: dict[str, str] = {}
    for record in run_git(top_level, *arguments).split(b"\0"):
        if not record:
            continue
        header, _, path = record.partition(b"\t")
        _mode, kind, object_id = header.decode("ascii").split(" ")
        if kind == "blob":
            found[_decode(path)] = object_id
    return found


def _start_git(
    cwd: Path, arguments: Sequence[str], stdin: int, stderr: int
) -> subprocess.Popen[bytes]:
    try:
        return subprocess.Popen(
            ["git", *arguments], cwd=cwd, stdin=stdin, stdout=subprocess.PIPE, stderr=stderr
        )
    except FileNotFoundError as exc:
        raise BmadError("git is not installed or not on PATH") from exc


class StagedReads:
    """git's two reads for a pre-commit check, started together from any folder of the work
    tree: the staged diff, and a ``cat-file --batch`` waiting for the blob ids the diff names.
    Both start before the caller asks where the repository is and loads the settings, so git's
    start-up runs beside that work. A context manager: leaving it ends what was not read."""

    def __init__(self, cwd: Path) -> None:
        self._diff = _start_git(cwd, STAGED_DIFF, subprocess.DEVNULL, subprocess.PIPE)
        self._changes: list[StagedChange] | None = None
        try:
            self._cat_file = _start_git(
                cwd, ("cat-file", "--batch"), subprocess.PIPE, subprocess.DEVNULL
            )
        except BmadError:
            _end(self._diff)
            raise

    def __enter__(self) -> StagedReads:
        return self

    def __exit__(self, *exc_info: object) -> None:
        _end(self._diff)
        _end(self._cat_file)

    def changes(self) -> list[StagedChange]:
        """The staged diff (read once; later calls answer the same list)."""
        if self._changes is None:
            stdout, stderr = self._diff.communicate()
            self._changes = parse_raw_diff(_output("diff", self._diff.returncode, stdout, stderr))
        return self._changes

    def blobs(self, blob_ids: Iterable[str], max_size: int) -> dict[str, Blob]:
        """Blobs by id (once per reader); larger ones are skipped unread."""
        process = self._cat_file
        assert process.stdin is not None and process.stdout is not None
        wanted = list(dict.fromkeys(blob_ids))
        requests = "".join(f"{blob_id}\n" for blob_id in wanted).encode("ascii")
        # A feeding thread: git may block writing answers before it has read every request.
        feeder = threading.Thread(target=_feed, args=(process.stdin, requests), daemon=True)
        found: dict[str, Blob] = {}
        with process:
            feeder.start()
            for blob_id in wanted:
                header = process.stdout.readline().decode("ascii", "replace").split()
                if len(header) != 3 or header[1] != "blob":
                    continue  # "<id> missing", or not a blob
                size = int(header[2])
                if size > max_size:
                    _skip(process.stdout, size + 1)
                    found[blob_id] = Blob(blob_id, size, None)
                else:
                    found[blob_id] = Blob(blob_id, size, process.stdout.read(size + 1)[:size])
            feeder.join()
        return found


def _end(process: subprocess.Popen[bytes]) -> None:
    if process.returncode is None:  # not read to its end
        process.kill()
        process.communicate()


def _feed(stdin: IO[bytes], data: bytes) -> None:
    try:
        stdin.write(data)
    except BrokenPipeError:
        pass
    finally:
        stdin.close()


def _skip(stream: IO[bytes], count: int) -> None:
    while count > 0:
        chunk = stream.read(min(count, READ_CHUNK))
        if not chunk:
            return
        count -= len(chunk)


def relative_to_top(top_level: Path, filenames: Iterable[str]) -> set[str]:
    """Filenames as given on the command line (relative to the cwd) -> repository paths."""
    here = Path.cwd()
    found: set[str] = set()
    for name in filenames:
        absolute = Path(os.path.abspath(here / name))
        try:
            found.add(absolute.relative_to(top_level).as_posix())
        except ValueError:
            continue
    return found
