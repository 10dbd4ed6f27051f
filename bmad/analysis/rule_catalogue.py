"""The named smells' catalogue: id, name, descriptions, help, default severity and the data
each needs (for SARIF, the editor, help texts and validating ``[rules]`` settings)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str
    short: str
    full: str
    help: str
    severity: str
    needs: str  # code | history | architecture


def _rule(*fields: str) -> tuple[str, Rule]:
    rule = Rule(*fields)
    return rule.id, rule


RULES: dict[str, Rule] = dict(
    [
        _rule(
            "anomalous-function",
            "Anomalous Function",
            "Function is an outlier among this repository's functions.",
            "An IsolationForest over size, complexity, nesting, parameters, exits, tokens and "
            "the file's change history isolates this function much faster than ordinary ones.",
            "Read the explanation: it names the features that make the function stand out. "
            "Split the function along those lines.",
            "warning",
            "code",
        ),
        _rule(
            "complex-method",
            "Complex Method",
            "Cyclomatic complexity at or above the threshold.",
            "Many independent paths through one function make it hard to test and change.",
            "Extract the branches into well-named functions or replace conditionals with data.",
            "warning",
            "code",
        ),
        _rule(
            "high-cognitive-complexity",
            "High Cognitive Complexity",
            "Cognitive complexity above the threshold.",
            "Nested and interrupted control flow makes the function hard to read "
            "(SonarSource cognitive complexity).",
            "Flatten with early returns, extract nested blocks, simplify boolean logic.",
            "warning",
            "code",
        ),
        _rule(
            "deep-nesting",
            "Deep Nesting",
            "Control flow nested at or beyond the threshold.",
            "Deeply nested blocks hide the main path and multiply the states a reader tracks.",
            "Use guard clauses and extract the inner blocks.",
            "warning",
            "code",
        ),
        _rule(
            "long-parameter-list",
            "Long Parameter List",
            "Function takes at least the threshold number of parameters.",
            "Long parameter lists are hard to call correctly and often hide a missing type.",
            "Group related parameters into an object or split the function.",
            "note",
            "code",
        ),
        _rule(
            "large-method",
            "Large Method",
            "Function has at least the threshold lines of code.",
            "Large functions do several things and are changed for several reasons.",
            "Split the function into steps with their own names.",
            "warning",
            "code",
        ),
        _rule(
            "complex-conditional",
            "Complex Conditional",
            "A condition combines at least the threshold number of boolean operators.",
            "Conditions with many and/or operators are easy to get wrong and hard to test.",
            "Name the parts of the condition (variables or small predicate functions).",
            "note",
            "code",
        ),
        _rule(
            "hotspot",
            "Hotspot",
            "File is among the most changed and most complex files.",
            "Revisions times cognitive complexity: complex code that keeps changing is where "
            "defects and effort concentrate.",
            "Prioritise refactoring and tests here; it pays back on every future change.",
            "error",
            "history",
        ),
        _rule(
            "change-coupled-across-modules",
            "Change-Coupled Across Modules",
            "File changes together with a file in another folder.",
            "A high change-coupling degree between folders reveals a hidden dependency.",
            "Move the shared concept into one place or make the dependency explicit.",
            "warning",
            "history",
        ),
        _rule(
            "knowledge-island",
            "Knowledge Island",
            "Nearly all of the file was written by one developer.",
            "Knowledge held by one person is lost when they leave or are busy.",
            "Pair on changes here and review them with someone new to the file.",
            "note",
            "history",
        ),
        _rule(
            "very-large-commits",
            "Very Large Commits",
            "File keeps changing in commits that touch very many files.",
            "Sweeping commits mix concerns and are hard to review; a file they keep touching "
            "changes for many reasons at once (thresholds: large_commit_files, large_commits).",
            "Split sweeping changes into reviewable steps; separate mechanical edits from "
            "behaviour changes.",
            "note",
            "history",
        ),
        _rule(
            "fix-on-fix",
            "Fix-on-Fix Chain",
            "Fixes followed by more fixes within days.",
            "A fix that needs another fix soon after shows code nobody fully understands "
            "(thresholds: fix_chain_fixes, fix_chain_days).",
            "Add tests around the repeatedly fixed behaviour before the next change; review "
            "the fixes together.",
            "warning",
            "history",
        ),
        _rule(
            "reverted-changes",
            "Reverted Changes",
            "File was touched by several reverts.",
            "Changes that had to be undone point at fragile code or a missing safety net "
            "(threshold: reverts).",
            "Find out why the changes were reverted; add the tests that would have caught it.",
            "note",
            "history",
        ),
        _rule(
            "fragmented-ownership",
            "Fragmented Ownership",
            "Many authors share the file's commits, none of them mainly.",
            "Files without a main developer collect defects (fragmentation = 1 - sum of squared "
            "commit shares; thresholds: fragmented_min_authors, fragmentation_above).",
            "Give the file an owner who reviews its changes.",
            "note",
            "history",
        ),
        _rule(
            "minor-contributors",
            "Commits Outside Usual Contributors",
            "Several authors each made under 5% of the file's commits.",
            "Minor contributors' changes go with more defects (Bird et al. 2011) "
            "(threshold: minor_contributors).",
            "Have one of the file's main contributors review changes from others.",
            "note",
            "history",
        ),
        _rule(
            "abandoned-dependency",
            "Abandoned Dependency",
            "A dependency or tool was added and removed again within months.",
            "A technology dropped soon after it was adopted is a decision reverted: its "
            "adoption and its removal both cost effort (threshold: abandoned_dependency_months; "
            "reported on the technology file that declared it).",
            "Write down why it was dropped, and try the next candidate on a branch or behind "
            "a small spike before adopting it everywhere.",
            "note",
            "history",
        ),
        _rule(
            "defect-risk",
            "Defect Risk",
            "File among the repository's top 10% by risk of a fix x size.",
            "The defect-risk model, trained on this repository's own fixes (or the "
            "federation's model), expects fixes here within a year; the explanation names the "
            "features that raise the risk most.",
            "Review changes here with extra care, add tests around the recent changes, and "
            "address the drivers the explanation names.",
            "note",
            "history",
        ),
        _rule(
            "cyclic-dependency",
            "Cyclic Dependency",
            "Module is part of an import cycle.",
            "Modules in a cycle cannot be understood, tested or released separately.",
            "Break the cycle by inverting one dependency or moving shared code out.",
            "warning",
            "architecture",
        ),
        _rule(
            "hub-module",
            "Hub Module",
            "Module has both many importers and many imports.",
            "A hub couples large parts of the code base: changes ripple through it both ways "
            "(thresholds: [architecture] hub_min_ca, hub_min_ce, hub_percentile).",
            "Split the module by responsibility so dependents import only what they use.",
            "warning",
            "architecture",
        ),
        _rule(
            "layer-violation",
            "Layer Violation",
            "Import goes against the configured layer order.",
            "A lower layer importing a higher one breaks the architecture's intended direction.",
            "Invert the dependency (an interface in the lower layer) or move the code.",
            "error",
            "architecture",
        ),
    ]
)
