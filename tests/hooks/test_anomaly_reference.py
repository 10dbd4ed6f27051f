"""The pre-commit message names what the worse functions were compared with, as
[analysis] anomaly_reference chooses it from the cached federation insights."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.hooks.hookrepo import BAD_FUNCTION, GOOD_FUNCTION, bmad, git, write


def cache_insights(confidence: float) -> None:
    from bmad.privacy.db import open_privacy_store
    from bmad.privacy.sharing import cache_global_insights
    from bmad.store.connection import data_store_path

    share_below = [round(0.1 * index, 1) for index in range(11)]
    entry = {"share_below": share_below, "organisations": 7, "confidence": confidence}
    with open_privacy_store(data_store_path()) as store:
        cache_global_insights(
            store, "code_patterns", 1, {"percentiles": {"cognitive": {"python": entry}}}
        )


FEDERATION = "(compared with 7 organisations' functions)"  # no baseline: 1 function at HEAD


@pytest.mark.parametrize(
    ("confidence", "setting", "expected"),
    [
        (
            None,
            "auto",
            "(compared with this repository's functions; no cached federation insights)",
        ),
        (0.9, "auto", FEDERATION),
        (
            0.5,
            "auto",
            "(compared with this repository's functions; no confident federation insights)",
        ),
        (0.5, "global", FEDERATION),
        (
            0.9,
            "local",
            "(compared with this repository's functions; [analysis] anomaly_reference = local)",
        ),
    ],
)
def test_the_hook_message_names_the_reference(
    new_repo: Callable[..., Path], confidence: float | None, setting: str, expected: str
) -> None:
    if confidence is not None:
        cache_insights(confidence)
    repo = new_repo(files={"app.py": GOOD_FUNCTION})
    write(repo, {"app.py": BAD_FUNCTION})
    git(repo, "add", "app.py")
    output = bmad(
        repo,
        "hook",
        "pre-commit",
        BMAD_HOOKS__USE_DAEMON="false",
        BMAD_ANALYSIS__ANOMALY_REFERENCE=setting,
    ).stdout
    lines = output.splitlines()
    assert lines[0].startswith("bmad: 1 function got worse")
    assert f"  {expected}" in lines
    assert ("across 7 organisations" in output) == (expected == FEDERATION)
