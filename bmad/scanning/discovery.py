"""Which files a scan reads: tracked and unignored files inside git, a pruned walk outside."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from bmad import git
from bmad.errors import BmadError
from bmad.extractors.languages import language_for_path

# Folders never walked outside git: version control, dependencies, build output, virtualenvs.
SKIPPED_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", ".bzr", "_darcs", "CVS",
        "node_modules", "bower_components", "vendor", "third_party",
        "build", "dist", "target", "out", "_build", ".eggs",
        ".venv", "venv", "virtualenv", "site-packages",
        "__pycache__", ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache",
        ".gradle", ".idea", ".vscode",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Candidate:
    path: str  # shown to the user and cached under: posix, relative to the scan root when inside it
    location: Path  # absolute path on disk
    language: str
    known_blob_id: str | None = None  # the bytes' blob id, when git vouches for it unread


@dataclass(frozen=True, slots=True)
class Skipped:
    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class Discovery:
    root: Path
    candidates: list[Candidate]
    skipped: list[Skipped]
    folders: list[Path]  # the PATH arguments that are folders, resolved


def _is_virtualenv(folder: str) -> bool:
    return os.path.isfile(os.path.join(folder, "pyvenv.cfg"))


def _display(location: Path, root: Path) -> str:
    # String slicing, not Path.relative_to: this runs once per file of every scan.
    text, prefix = str(location), os.path.join(str(root), "")
    if text.startswith(prefix):
        return text[len(prefix) :].replace(os.sep, "/")
    return location.as_posix()


def _walk(folder: Path) -> Iterator[tuple[Path, str, bool]]:
    """(folder, name, is a symbolic link) of each non-folder entry below ``folder``, pruning
    SKIPPED_DIRS and virtualenvs; unreadable folders are passed over, as os.walk does."""
    pending = [folder]
    while pending:
        current = pending.pop()
        try:
            with os.scandir(current) as listing:
                entries = list(listing)
        except OSError:
            continue
        for entry in entries:
            if not entry.is_dir(follow_symlinks=False):
                yield current, entry.name, entry.is_symlink()
            elif entry.name not in SKIPPED_DIRS and not _is_virtualenv(entry.path):
                pending.append(current / entry.name)


def _symlink_reason(location: Path) -> str:
    if not location.exists():
        return "broken symbolic link"
    return "symbolic link (not followed; pass it as a PATH to scan it)"


def _root_for(paths: Sequence[Path]) -> Path:
    roots = set()
    for path in paths:
        repository = git.find_work_tree(path)
        if repository is not None:
            roots.add(git.work_tree_root(repository))
        else:
            roots.add(path if path.is_dir() else path.parent)
    return roots.pop() if len(roots) == 1 else Path.cwd().resolve()


def discover(paths: Sequence[Path], languages: frozenset[str] | None = None) -> Discovery:
    """Resolve the scan's PATH arguments into candidate files, in path order."""
    resolved: list[Path] = []
    for path in paths:
        if not os.path.lexists(path):
            raise BmadError(f"{path}: no such file or directory")
        resolved.append(path.resolve())
    root = _root_for(resolved)
    candidates: dict[Path, Candidate] = {}
    skipped: list[Skipped] = []
    folders: list[Path] = []

    def wanted(language: str | None) -> bool:
        return language is not None and (languages is None or language in languages)

    for path in resolved:
        if path.is_file():
            language = language_for_path(path)
            if language is None:
                skipped.append(Skipped(_display(path, root), "unsupported language"))
            elif wanted(language):
                candidates[path] = Candidate(_display(path, root), path, language)
            continue
        if path.is_dir():
            folders.append(path)
        repository = git.find_work_tree(path)
        if repository is None:
            for folder, name, is_symlink in _walk(path):
                language = language_for_path(name)
                if not wanted(language):
                    continue
                assert language is not None
                location = folder / name
                if location in candidates:
                    continue
                if is_symlink:
                    skipped.append(Skipped(_display(location, root), _symlink_reason(location)))
                    continue
                candidates[location] = Candidate(_display(location, root), location, language)
            continue
        repo_root = git.work_tree_root(repository)
        under = "" if path == repo_root else path.relative_to(repo_root).as_posix()
        for tree_file in git.work_tree_files(repository, under):
            location = repo_root / tree_file.path
            language = language_for_path(tree_file.path)
            if not wanted(language) or location in candidates:
                continue
            assert language is not None
            display = _display(location, root)
            if tree_file.mode == git.MODE_GITLINK:
                continue
            if tree_file.mode == git.MODE_SYMLINK or location.is_symlink():
                skipped.append(Skipped(display, _symlink_reason(location)))
                continue
            known = tree_file.blob_id if tree_file.matches_work_tree else None
            candidates[location] = Candidate(display, location, language, known)
    ordered = sorted(candidates.values(), key=lambda candidate: candidate.path)
    return Discovery(root, ordered, sorted(skipped, key=lambda item: item.path), folders)
