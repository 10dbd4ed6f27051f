"""What the evaluation reads of one repository frozen at T, kept in its own module so that the
cached pickles name a module any script of this folder can import."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bmad.analysis.risk_features import RiskRow
from bmad.analysis.risk_model import LabelledSnapshot


@dataclass
class Level:
    """One level (file or function) of a prepared repository."""

    features: tuple[str, ...]
    rows: list[RiskRow]  # at T: the items bmad's detection ranks
    past: list[LabelledSnapshot]  # newest first, each labelled by the year after it (ends by T)


@dataclass
class Prepared:
    """Everything the evaluation reads of one repository frozen at T."""

    name: str
    when: datetime
    at: int
    revision: str
    year_fixes: list[Any]
    snapshots: list[str]
    levels: dict[str, Level]
    szz: dict[str, Any]
    seconds: float
