"""What a pre-commit check works on, as plain data and as the daemon's wire form.

The hook process gathers it from git (it alone sees the hook's environment: a temporary
index, a quarantine object directory); the comparison then runs in the daemon (which reads
and validates the wire form: :func:`bmad.daemon.hookcheck.request_from_params`) or, without
one, in the hook process itself. Only stdlib imports, and named tuples rather than frozen
dataclasses (a sixth of the cost to create): the hook's fast path loads this module.
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple


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
    anomaly_reference: str = "auto"  # [analysis] anomaly_reference: what standings refer to


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
                    # base64.b64encode's output; the base64 module costs the hook 1 ms to import
                    "data": binascii.b2a_base64(job.data, newline=False).decode("ascii"),
                }
                for job in self.jobs.values()
            ],
            "skipped": dict(self.skipped),
            "merge": self.merge,
            "rules": dict(self.options.rules),
            "exclude": list(self.options.exclude),
            "rename_similarity": self.options.rename_similarity,
            "anomaly_reference": self.options.anomaly_reference,
        }
