"""hypothesis strategies for the local statistics a participant may hold."""

from __future__ import annotations

from hypothesis import strategies as st

from bmad.extractors.languages import LANGUAGE_NAMES
from bmad.extractors.metrics import FileMetrics, FunctionMetrics, ImportRef
from bmad.privacy.schemas import SMELLS, VOCABULARY
from bmad.privacy.summaries import (
    AntiPatternSummary,
    ArchitectureSummary,
    LocalStatistics,
    SuccessSummary,
    WorkflowSummary,
)

small = st.integers(min_value=0, max_value=2000)
unit = st.floats(min_value=0, max_value=1, allow_nan=False)

functions = st.builds(
    FunctionMetrics,
    name=st.text(max_size=5),
    qualified_name=st.text(max_size=5),
    start_line=st.integers(1, 10),
    end_line=st.integers(1, 10),
    nloc=small,
    length=small,
    ccn=small,
    cognitive=small,
    max_nesting=st.integers(0, 30),
    params=st.integers(0, 40),
    returns=st.integers(0, 40),
    tokens=small,
)
import_targets = st.one_of(
    st.sampled_from([prefix for t in VOCABULARY for prefix in t.prefixes]), st.text(max_size=12)
)
files = st.builds(
    FileMetrics,
    language=st.sampled_from([*LANGUAGE_NAMES, "cobol"]),
    loc=small,
    sloc=small,
    comment_lines=small,
    blank_lines=small,
    has_syntax_errors=st.booleans(),
    functions=st.lists(functions, max_size=6).map(tuple),
    imports=st.lists(
        st.builds(ImportRef, target=import_targets, line=st.integers(1, 100)), max_size=6
    ).map(tuple),
)
anti_patterns = st.builds(
    AntiPatternSummary,
    smell_counts=st.dictionaries(
        st.one_of(st.sampled_from(SMELLS), st.text(max_size=8)), st.integers(0, 500), max_size=8
    ),
    functions_analysed=st.integers(0, 1000),
    anomalous_functions=st.integers(0, 1000),
)
workflow = st.builds(
    WorkflowSummary,
    commit_sizes=st.lists(st.integers(0, 100_000), max_size=40),
    fix_commits=st.integers(0, 100),
    total_commits=st.integers(0, 200),
    coupling_degrees=st.lists(st.floats(0, 100), max_size=20),
    ownership_shares=st.lists(unit, max_size=20),
)
architecture = st.builds(
    ArchitectureSummary,
    instabilities=st.lists(unit, max_size=30),
    cycle_sizes=st.lists(st.integers(0, 60), max_size=10),
    fan_in=st.lists(st.integers(0, 100), max_size=30),
    fan_out=st.lists(st.integers(0, 100), max_size=30),
)
success = st.builds(
    SuccessSummary,
    has_tests=st.booleans(),
    has_ci=st.booleans(),
    has_type_checking=st.booleans(),
    merge_share=st.one_of(st.none(), unit),
    fix_ratio=st.one_of(st.none(), unit),
    active_months_last_year=st.one_of(st.none(), st.integers(0, 12)),
)
local_statistics = st.builds(
    LocalStatistics,
    files=st.lists(files, max_size=5),
    anti_patterns=st.one_of(st.none(), anti_patterns),
    workflow=st.one_of(st.none(), workflow),
    architecture=st.one_of(st.none(), architecture),
    success=st.one_of(st.none(), success),
)
