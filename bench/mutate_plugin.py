"""pytest plugin that bench/mutate.py loads into every mutmut test run.

- bmad's caches start empty: mutmut forks each mutant's test run from a process that has
  already run the tests once, so a function behind ``functools.lru_cache`` (the tree-sitter
  query of each language) would answer from that run's cache and the mutants of what it calls
  would never run.
- Hypothesis runs without deadlines and derandomised: the mutants run under mutmut's trampolines
  on a busy machine, where a deadline is a flaky kill (or a failed clean run), and the same
  examples for every mutant make a survivor reproducible.
"""

from __future__ import annotations

import sys

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "mutate",
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("mutate")


def pytest_sessionstart(session: pytest.Session) -> None:
    for name, module in list(sys.modules.items()):
        if name != "bmad" and not name.startswith("bmad."):
            continue
        for value in list(vars(module).values()):
            clear = getattr(value, "cache_clear", None)
            if callable(clear):
                clear()
