"""This organisation's local policy (``[policy]``): what it accepts whatever the consortium
rules allow. A round that breaks it is refused by this machine, like one that breaks the rules.

- ``max_epsilon_per_round``: the most one round may spend (the rules may allow more);
- ``learning_types``: the only learning types this organisation shares (empty: all the rules
  allow);
- ``min_organisations``: the fewest organisations a round must require (0: the rules' k);
- ``trusted_aggregators``: fingerprints of the aggregator keys it talks to (empty: the one
  pinned at join, whichever it is).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bmad.config import require_int, require_positive, require_strings
from bmad.errors import BmadError
from bmad.privacy.schemas import LEARNING_TYPES

SECTION = "policy"


@dataclass(frozen=True, slots=True)
class LocalPolicy:
    max_epsilon_per_round: float = 2.0
    learning_types: tuple[str, ...] = ()
    min_organisations: int = 0
    trusted_aggregators: tuple[str, ...] = ()

    @classmethod
    def from_section(cls, section: Mapping[str, Any]) -> LocalPolicy:
        try:
            policy = cls(
                max_epsilon_per_round=require_positive(SECTION, section, "max_epsilon_per_round"),
                learning_types=require_strings(SECTION, section, "learning_types"),
                min_organisations=require_int(SECTION, section, "min_organisations", 0),
                trusted_aggregators=require_strings(SECTION, section, "trusted_aggregators"),
            )
        except KeyError as exc:
            raise BmadError(f"missing [policy] setting {exc.args[0]!r}") from None
        unknown = set(policy.learning_types) - set(LEARNING_TYPES)
        if unknown:
            raise BmadError(
                f"[policy] learning_types: unknown {', '.join(sorted(unknown))} "
                f"(known: {', '.join(LEARNING_TYPES)})"
            )
        return policy

    def to_dict(self) -> dict[str, Any]:
        return {
            "max_epsilon_per_round": self.max_epsilon_per_round,
            "learning_types": list(self.learning_types),
            "min_organisations": self.min_organisations,
            "trusted_aggregators": list(self.trusted_aggregators),
        }


def local_policy(root: Path | None = None) -> LocalPolicy:
    from bmad import config

    return LocalPolicy.from_section(config.load(root).section(SECTION))
