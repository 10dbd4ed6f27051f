"""pytest plugin that bench/mutate.py loads into every mutmut test run.

- bmad's caches (``functools.cache``/``lru_cache``) start empty where a cache could hide the
  mutant: in mutmut's stats run before every test, so that each test that reaches the mutated
  module through a cache is recorded as one of its tests (otherwise only the first test per
  cache key would be, and the mutants of, e.g., the tree-sitter query text would run only
  the first golden fixture of each language); in a mutant's run at its start, when the
  mutated function is one a cached function can reach (bench/mutate.py lists those in
  BMAD_MUTATE_CACHED), since mutmut forks each mutant from a process whose caches already
  hold the unmutated answers. Other mutants keep the warm caches: rebuilding the eleven
  tree-sitter queries took ~0.5 s a mutant.
- Hypothesis runs without deadlines and derandomised: the mutants run under mutmut's trampolines
  on a busy machine, where a deadline is a flaky kill (or a failed clean run), and the same
  examples for every mutant make a survivor reproducible.
"""

from __future__ import annotations

import os
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

STATS_RUN = "stats"


def pytest_sessionstart(session: pytest.Session) -> None:
    if mutated_function_is_cached(os.environ.get("MUTANT_UNDER_TEST", "")):
        clear_bmad_caches()


def pytest_runtest_setup(item: pytest.Item) -> None:
    if os.environ.get("MUTANT_UNDER_TEST") == STATS_RUN:
        clear_bmad_caches()


def mutated_function_is_cached(mutant: str) -> bool:
    """Whether ``mutant`` (mutmut's ``module.x_function__mutmut_N`` or
    ``module.xǁClassǁmethod__mutmut_N``) mutates a function a cached function may call."""
    if "__mutmut_" not in mutant:
        return False
    mangled = mutant.rpartition("__mutmut_")[0].rpartition(".")[2]
    function = mangled.rpartition("ǁ")[2] if "ǁ" in mangled else mangled.removeprefix("x_")
    return function in os.environ.get("BMAD_MUTATE_CACHED", "").split(",")


def clear_bmad_caches() -> None:
    for name, module in list(sys.modules.items()):
        if name != "bmad" and not name.startswith("bmad."):
            continue
        for value in list(vars(module).values()):
            clear = getattr(value, "cache_clear", None)
            if callable(clear):
                clear()
