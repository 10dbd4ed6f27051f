"""Path excludes ([analysis] exclude): a module of its own, light enough for the git hook."""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase


def is_excluded(path: str, patterns: Iterable[str]) -> bool:
    """Glob match on the repository-relative path; ``dir/**`` also matches ``dir`` itself."""
    for pattern in patterns:
        if fnmatchcase(path, pattern):
            return True
        if pattern.endswith("/**") and (path + "/").startswith(pattern[:-2]):
            return True
    return False
