"""What a pre-commit check works on, as plain data and as the daemon's wire form.

The hook process gathers it from git (it alone sees the hook's environment: a temporary
index, a quarantine object directory); the comparison then runs in the daemon or, without
one, in the hook process itself. Only stdlib imports, and named tuples rather than frozen
dataclasses (a sixth of the cost to create): the hook's fast path loads this module.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

HEX_DIGITS = frozenset("0123456789abcdef")


class MalformedRequest(ValueError):
    """A check request whose wire form does not hold what it must."""


class StagedFile(NamedTuple):
    path: str
    language: str
    blob_id: str
    parent_blob_ids: tuple[str, ...]  # HEAD's version (old path on renames), merge heads'


class Job(NamedTuple):
    blob_id: str
    path: str  # for the language and the ".h" header rule
    language: str
    data: bytes


class CheckOptions(NamedTuple):
    """The settings the comparison itself needs (the rest stay with the hook process)."""

    rules: Mapping[str, Any] = MappingProxyType({})  # the merged [rules] table
    exclude: tuple[str, ...] = ()
    rename_similarity: float = 0.6


class CheckRequest(NamedTuple):
    top_level: str
    files: tuple[StagedFile, ...]
    jobs: Mapping[str, Job]  # blob id -> the blob to analyse (staged and parent versions)
    skipped: Mapping[str, str]  # path -> why it is not checked (decided from git alone)
    merge: bool
    options: CheckOptions

    def to_params(self) -> dict[str, Any]:
        return {
            "top_level": self.top_level,
            "files": [
                {
                    "path": file.path,
                    "language": file.language,
                    "blob_id": file.blob_id,
                    "parents": list(file.parent_blob_ids),
                }
                for file in self.files
            ],
            "blobs": [
                {
                    "id": job.blob_id,
                    "path": job.path,
                    "language": job.language,
                    "data": base64.b64encode(job.data).decode("ascii"),
                }
                for job in self.jobs.values()
            ],
            "skipped": dict(self.skipped),
            "merge": self.merge,
            "rules": dict(self.options.rules),
            "exclude": list(self.options.exclude),
            "rename_similarity": self.options.rename_similarity,
        }

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> CheckRequest:
        """The request a client sent; :class:`MalformedRequest` names what is wrong."""
        top_level = _typed(params, "top_level", str)
        if not top_level.startswith("/"):
            raise MalformedRequest("'top_level' must be an absolute path")
        jobs = {job.blob_id: job for job in map(_job, _typed(params, "blobs", list))}
        files = tuple(_staged_file(item) for item in _typed(params, "files", list))
        skipped = _typed(params, "skipped", dict)
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in skipped.items()):
            raise MalformedRequest("'skipped' must map paths to reasons")
        exclude = _typed(params, "exclude", list)
        if not all(isinstance(pattern, str) for pattern in exclude):
            raise MalformedRequest("'exclude' must be a list of strings")
        similarity = params.get("rename_similarity")
        if isinstance(similarity, bool) or not isinstance(similarity, int | float):
            raise MalformedRequest("'rename_similarity' must be a number")
        return cls(
            top_level=top_level,
            files=files,
            jobs=jobs,
            skipped=skipped,
            merge=_typed(params, "merge", bool),
            options=CheckOptions(_typed(params, "rules", dict), tuple(exclude), float(similarity)),
        )


def _typed(params: Mapping[str, Any], name: str, kind: type) -> Any:
    value = params.get(name)
    if not isinstance(value, kind):
        raise MalformedRequest(f"'{name}' must be a {kind.__name__}")
    return value


def _blob_id(value: Any) -> str:
    if not isinstance(value, str) or len(value) not in (40, 64) or not set(value) <= HEX_DIGITS:
        raise MalformedRequest(f"not a git object id: {str(value)[:80]!r}")
    return value


def _job(item: Any) -> Job:
    if not isinstance(item, dict):
        raise MalformedRequest("each of 'blobs' must be an object")
    try:
        data = base64.b64decode(_typed(item, "data", str), validate=True)
    except binascii.Error as exc:
        raise MalformedRequest("a blob's 'data' is not base64") from exc
    return Job(
        _blob_id(item.get("id")), _typed(item, "path", str), _typed(item, "language", str), data
    )


def _staged_file(item: Any) -> StagedFile:
    if not isinstance(item, dict):
        raise MalformedRequest("each of 'files' must be an object")
    parents = tuple(_blob_id(parent) for parent in _typed(item, "parents", list))
    return StagedFile(
        _typed(item, "path", str),
        _typed(item, "language", str),
        _blob_id(item.get("blob_id")),
        parents,
    )
