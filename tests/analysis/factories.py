"""Hand-made function metrics and synthetic populations for the analysis tests."""

from __future__ import annotations

import random

from bmad.analysis.inputs import FunctionRecord
from bmad.extractors.metrics import FunctionMetrics


def metrics(
    name: str = "f",
    start_line: int = 1,
    nloc: int = 10,
    ccn: int = 2,
    cognitive: int = 1,
    max_nesting: int = 1,
    params: int = 1,
    returns: int = 1,
    tokens: int = 60,
) -> FunctionMetrics:
    return FunctionMetrics(
        name=name,
        qualified_name=name,
        start_line=start_line,
        end_line=start_line + nloc - 1,
        nloc=nloc,
        length=nloc,
        ccn=ccn,
        cognitive=cognitive,
        max_nesting=max_nesting,
        params=params,
        returns=returns,
        tokens=tokens,
    )


def ordinary_population(count: int = 200, files: int = 20, seed: int = 7) -> list[FunctionRecord]:
    """Ordinary functions spread over ``files`` files, each 40 lines apart."""
    rng = random.Random(seed)
    records = []
    for index in range(count):
        nloc = rng.randint(3, 25)
        records.append(
            FunctionRecord(
                path=f"pkg/mod{index % files}.py",
                language="python",
                metrics=metrics(
                    name=f"func{index}",
                    start_line=(index // files) * 40 + 1,
                    nloc=nloc,
                    ccn=rng.randint(1, 5),
                    cognitive=rng.randint(0, 6),
                    max_nesting=rng.randint(0, 2),
                    params=rng.randint(0, 3),
                    returns=rng.randint(0, 2),
                    tokens=nloc * rng.randint(6, 9),
                ),
            )
        )
    return records


def huge_nested() -> FunctionRecord:
    return FunctionRecord(
        path="pkg/monster.py",
        language="python",
        metrics=metrics(
            name="monster",
            nloc=60,
            ccn=8,
            cognitive=40,
            max_nesting=9,
            params=3,
            returns=2,
            tokens=480,
        ),
    )
