"""The rating one member organisation gives another, signed by the rater's organisation key.

A rating names the federation, both organisations, the period it counts for and the quality in
[0, 1]. The aggregator keeps one per ordered pair and period (the latest) and serves every
rating with its signature, so any member can check that each rating the score counts was made
by the rater's admitted organisation key.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from bmad.errors import BmadError
from bmad.federation.trust import b64, unb64
from bmad.privacy.identity import Identity, verify_signature

_RATING_CONTEXT = "bmad-reputation-rating-v1"


@dataclass(frozen=True, slots=True)
class Rating:
    federation: str
    rater: str
    target: str
    period: str  # the month it counts for, YYYY-MM
    quality: float

    def __post_init__(self) -> None:
        if isinstance(self.quality, bool) or not (
            math.isfinite(self.quality) and 0 <= self.quality <= 1
        ):
            raise BmadError(f"--contribution-quality must be in [0, 1], got {self.quality!r}")
        if self.rater == self.target:
            raise BmadError("an organisation cannot rate itself")

    def message(self) -> bytes:
        body = json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))
        return _RATING_CONTEXT.encode("ascii") + b"\n" + body.encode("utf-8")


@dataclass(frozen=True, slots=True)
class SignedRating:
    rating: Rating
    rater_key: bytes  # the rater's organisation key
    signature: bytes

    def verify(self) -> None:
        try:
            verify_signature(self.rater_key, self.rating.message(), self.signature)
        except BmadError:
            raise BmadError(
                f"the rating of {self.rating.target} is not signed by {self.rating.rater}'s "
                "organisation key"
            ) from None

    def to_dict(self) -> dict[str, Any]:
        return {
            **asdict(self.rating),
            "rater_key": b64(self.rater_key),
            "signature": b64(self.signature),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SignedRating:
        try:
            rating = Rating(
                federation=str(data["federation"]),
                rater=str(data["rater"]),
                target=str(data["target"]),
                period=str(data["period"]),
                quality=float(data["quality"]),
            )
        except (KeyError, TypeError, ValueError):
            raise BmadError("malformed rating") from None
        return cls(
            rating,
            unb64(data.get("rater_key", ""), "rater key"),
            unb64(data.get("signature", ""), "rating signature"),
        )


def sign_rating(rating: Rating, organisation_key: Identity) -> SignedRating:
    return SignedRating(
        rating, organisation_key.public.signing_public, organisation_key.sign(rating.message())
    )
