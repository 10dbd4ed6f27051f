"""Payloads: what leaves the machine for one learning type, and its canonical bytes.

A payload holds only the schema name and version, the noisy integer vector and the public
noise parameters. Serialisation is canonical JSON (sorted keys, no spaces) so its SHA-256
digest, written to the audit log, identifies exactly the bytes that were sent.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from bmad.errors import BmadError
from bmad.privacy.noise import NoisePlan, add_noise
from bmad.privacy.schemas import BoundedContribution, schema_for

PAYLOAD_FORMAT = 1


@dataclass(frozen=True, slots=True)
class Payload:
    learning_type: str
    schema_version: int
    vector: tuple[int, ...]
    noise: NoisePlan

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": PAYLOAD_FORMAT,
            "learning_type": self.learning_type,
            "schema_version": self.schema_version,
            "vector": list(self.vector),
            "noise": self.noise.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Payload:
        try:
            if data["format"] != PAYLOAD_FORMAT:
                raise BmadError(f"unsupported payload format {data['format']!r}")
            schema = schema_for(str(data["learning_type"]))
            vector = tuple(int(v) for v in data["vector"])
            noise = data["noise"]
            plan = NoisePlan(
                mechanism=noise["mechanism"],
                scale=float(noise["scale"]),
                rho=float(noise["rho"]),
                epsilon=None if noise["epsilon"] is None else float(noise["epsilon"]),
                participants=int(noise["participants"]),
            )
            version = int(data["schema_version"])
        except (KeyError, TypeError, ValueError) as exc:
            raise BmadError(f"malformed payload: {exc.__class__.__name__}") from None
        if version != schema.version or len(vector) != schema.dim:
            raise BmadError(
                f"payload does not match {schema.learning_type} schema version {schema.version}"
            )
        return cls(schema.learning_type, version, vector, plan)


def build_payload(contribution: BoundedContribution, plan: NoisePlan) -> Payload:
    """Add this participant's noise (its share, for a distributed plan) to a bounded vector."""
    schema = contribution.schema
    return Payload(
        learning_type=schema.learning_type,
        schema_version=schema.version,
        vector=tuple(add_noise(contribution.vector, plan)),
        noise=plan,
    )


def serialise(payload: Payload) -> bytes:
    return json.dumps(payload.to_dict(), sort_keys=True, separators=(",", ":")).encode("ascii")


def deserialise(data: bytes) -> Payload:
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BmadError("malformed payload: not JSON") from None
    if not isinstance(document, dict):
        raise BmadError("malformed payload: not a JSON object")
    return Payload.from_dict(document)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
