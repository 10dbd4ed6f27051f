"""Mutation testing of bmad's pure core with mutmut: `make mutate` (CI does not run it).

Each module in scope is mutated on its own, against only the test files listed for it in
RELATED_TESTS below (the one place that maps modules to their tests); within those, mutmut runs
for each mutant only the tests that called the mutated function. A module's run happens in its
own folder under bench/_work/mutate/ (a copy of the repository's pyproject.toml with a
[tool.mutmut] table added, and links to bmad/ and tests/), so the repository's own files are
never touched and every run starts from scratch. Two modules run side by side by default
(--modules-at-once), the largest first, so that one module's setup and stats runs (one
process) overlap another's mutants (--jobs children each). bench/mutate_plugin.py empties
bmad's caches where a cache could hide a mutant (see there).

Prints, per module, the mutation score (killed / (killed + survived + timeouts and other
outcomes)) and every surviving mutant as file:line with its diff; writes the same as JSON to
bench/_work/mutate/report.json. Browse one module's results with
`cd bench/_work/mutate/<module> && ../../../../.venv/bin/mutmut browse`.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "_work" / "mutate"

EXTRACTOR_CODE_TESTS = [
    "tests/extractors/test_code_golden.py",
    "tests/extractors/test_code_properties.py",
    "tests/extractors/test_code_rules.py",
    "tests/extractors/test_code_names.py",
    "tests/extractors/test_code_conditions.py",
    "tests/extractors/test_code_walk.py",
    "tests/extractors/test_code_signatures.py",
]
HISTORY_TESTS = [
    "tests/extractors/test_history_pure.py",
    "tests/extractors/test_history_rules.py",
    "tests/extractors/test_history_summary_exact.py",
    "tests/extractors/test_history_knowledge_rules.py",
]
SECAGG_TESTS = [
    "tests/federation/secagg/test_secagg_parts.py",
    "tests/federation/secagg/test_secagg_privacy.py",
    "tests/federation/secagg/test_secagg_protocol.py",
    "tests/federation/secagg/test_secagg_adversary.py",
    "tests/federation/secagg/test_shamir_secrecy.py",
    "tests/federation/secagg/test_secagg_masks.py",
]

# bmad/extractors/code_rules.py is not listed: it is tables built when it is imported, and
# mutmut 3 mutates only function bodies run under its trampolines (its one function, _js_like,
# runs at import, so mutmut cannot force a test to fail through it). Its tables are defended
# through code.py's tests: a wrong entry changes a golden or rule score.
# Module in scope -> the test files that defend it. A test file that does not exist (yet) is
# left out with a note, so the map may name tests before they are written.
RELATED_TESTS: dict[str, list[str]] = {
    "bmad/extractors/history_coupling.py": HISTORY_TESTS,
    "bmad/extractors/history_knowledge.py": HISTORY_TESTS,
    "bmad/extractors/history_summary.py": HISTORY_TESTS,
    "bmad/extractors/architecture_graph.py": [
        "tests/extractors/test_architecture_graph.py",
        "tests/extractors/test_architecture_graph_rules.py",
    ],
    "bmad/privacy/bounding.py": [
        "tests/privacy/test_bounding.py",
        "tests/privacy/test_bounding_exact.py",
    ],
    "bmad/privacy/noise.py": ["tests/privacy/test_noise.py", "tests/privacy/test_noise_plan.py"],
    "bmad/privacy/accounting.py": [
        "tests/privacy/test_accounting.py",
        "tests/privacy/test_accounting_arithmetic.py",
    ],
    "bmad/privacy/ledger.py": [
        "tests/privacy/test_ledger.py",
        "tests/privacy/test_ledger_arithmetic.py",
    ],
    "bmad/federation/secagg/shamir.py": SECAGG_TESTS,
    "bmad/federation/secagg/primitives.py": SECAGG_TESTS,
    "bmad/federation/secagg/vectors.py": SECAGG_TESTS,
    "bmad/federation/robust.py": [
        "tests/federation/test_pure.py",
        "tests/federation/test_robust.py",
    ],
    "bmad/federation/insights.py": [
        "tests/federation/test_pure.py",
        "tests/federation/test_insights_rules.py",
    ],
    # The largest (1,132 mutants).
    "bmad/extractors/code.py": EXTRACTOR_CODE_TESTS,
}

# mutmut's exit codes for a mutant. Detected: a test failed, the type check refused it, or it
# ran past its time limit (SIGXCPU). Not run: skipped by a pragma or not checked. Everything
# else (survived, reached by no related test, suspicious) counts against the score.
DETECTED = {1, 3, 37, -24, 24, 152, 255, 36}
NOT_RUN = {None, 34}


@dataclass(frozen=True)
class Survivor:
    location: str
    mutant: str
    outcome: str
    diff: str


@dataclass(frozen=True)
class ModuleResult:
    module: str
    detected: int
    undetected: int
    not_run: int
    seconds: float
    survivors: list[Survivor]
    failure: str = ""

    @property
    def score(self) -> float:
        tested = self.detected + self.undetected
        return 100.0 * self.detected / tested if tested else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "modules",
        nargs="*",
        help="modules from RELATED_TESTS, as paths or dotted names (default: all)",
    )
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 2, help="mutmut's children per module"
    )
    parser.add_argument(
        "--modules-at-once",
        type=int,
        default=2,
        help="modules mutated side by side (one's setup and stats runs overlap another's mutants)",
    )
    parser.add_argument("--quiet", action="store_true", help="list survivors without their diffs")
    args = parser.parse_args()
    unknown = [module for module in args.modules if module_path(module) not in RELATED_TESTS]
    if unknown:
        parser.error(f"not in scope: {', '.join(unknown)}; choose from {', '.join(RELATED_TESTS)}")
    modules = [module_path(module) for module in args.modules] or list(RELATED_TESTS)

    started = time.monotonic()
    names_in_cached_functions()  # once, before the threads
    # The largest modules first, so that the last to finish is a short one.
    order = sorted(modules, key=lambda module: (ROOT / module).stat().st_size, reverse=True)
    results: dict[str, ModuleResult] = {}
    with ThreadPoolExecutor(max_workers=max(1, args.modules_at_once)) as pool:
        runs = {pool.submit(run_mutmut, module, args.jobs): module for module in order}
        for run in as_completed(runs):
            module = runs[run]
            results[module] = module_result(module, *run.result())
            print_result(results[module], quiet=args.quiet)
    ordered = [results[module] for module in modules]
    print_summary(ordered, time.monotonic() - started)
    WORK.mkdir(parents=True, exist_ok=True)
    report = [{**asdict(result), "score": round(result.score, 1)} for result in ordered]
    (WORK / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    return 0


def module_path(name: str) -> str:
    """A module in scope from its path, its path below bmad/ or its dotted name."""
    if not name.endswith(".py"):
        name = name.replace(".", "/") + ".py"
    return name if name.startswith("bmad/") else f"bmad/{name}"


def run_mutmut(module: str, jobs: int) -> tuple[Path, float, int]:
    """mutmut run on ``module`` in its own stage: (stage, seconds, exit code)."""
    tests = [test for test in RELATED_TESTS[module] if (ROOT / test).exists()]
    missing = sorted(set(RELATED_TESTS[module]) - set(tests))
    print(
        f"== {module}: {len(tests)} test files"
        + (f" ({', '.join(missing)} absent)" if missing else ""),
        flush=True,
    )
    stage = prepare_stage(module, tests)
    started = time.monotonic()
    mutmut = Path(sys.executable).parent / "mutmut"
    with (stage / "mutmut.log").open("w") as out:
        finished = subprocess.run(
            [str(mutmut), "run", "--max-children", str(jobs)],
            cwd=stage,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={
                **os.environ,
                "PYTHONDONTWRITEBYTECODE": "1",
                "BMAD_MUTATE_CACHED": ",".join(sorted(reached_by_a_cache(module))),
            },
            check=False,
        )
    return stage, time.monotonic() - started, finished.returncode


def module_result(module: str, stage: Path, seconds: float, exit_code: int) -> ModuleResult:
    """The module's outcomes, read in the main thread (reading a diff changes directory)."""
    if exit_code != 0:
        # Usually the related tests fail without any mutant (mutmut's "clean test" run).
        log = stage / "mutmut.log"
        tail = log.read_text(errors="replace").replace("\r", "\n")[-2000:]
        failure = f"mutmut exited {exit_code}; see {log}"
        print(f"{failure}:\n{tail}", flush=True)
        return ModuleResult(module, 0, 0, 0, round(seconds, 1), [], failure)
    return collect_result(module, stage, seconds)


def reached_by_a_cache(module: str) -> set[str]:
    """Names of ``module``'s functions and methods that a cached function anywhere in bmad may
    call, directly or through others of them (by name, so a coincidence only adds one): the
    mutants whose runs must start with empty caches (bench/mutate_plugin.py)."""
    seeds = names_in_cached_functions()
    calls = {
        node.name: referenced_names(node)
        for node in ast.walk(ast.parse((ROOT / module).read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    reached: set[str] = set()
    pending = [name for name in seeds if name in calls]
    while pending:
        name = pending.pop()
        if name not in reached:
            reached.add(name)
            pending += [callee for callee in calls[name] if callee in calls]
    return reached


@cache
def names_in_cached_functions() -> frozenset[str]:
    """Every cached function of bmad and every name its body references."""
    names: set[str] = set()
    for path in sorted((ROOT / "bmad").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
                is_cache(decorator) for decorator in node.decorator_list
            ):
                names |= {node.name, *referenced_names(node)}
    return frozenset(names)


def is_cache(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
    return name in {"cache", "lru_cache"}


def referenced_names(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    return {
        node.id if isinstance(node, ast.Name) else node.attr
        for node in ast.walk(function)
        if isinstance(node, ast.Name | ast.Attribute)
    }


def prepare_stage(module: str, tests: list[str]) -> Path:
    stage = WORK / module.removesuffix(".py").replace("/", ".")
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    (stage / "bmad").symlink_to(ROOT / "bmad")
    (stage / "tests").symlink_to(ROOT / "tests")
    shutil.copy(ROOT / "bench" / "mutate_plugin.py", stage / "mutate_plugin.py")
    settings = {
        "source_paths": ["bmad"],
        "only_mutate": [module],
        "also_copy": ["mutate_plugin.py"],
        "pytest_add_cli_args_test_selection": tests,
        "pytest_add_cli_args": ["-p", "no:cacheprovider", "-p", "mutate_plugin"],
        "use_git_change_detection": False,
        # CPU seconds, so a loaded machine does not turn slow mutants into timeouts.
        "timeout_multiplier": 3.0,
    }
    table = "\n".join(f"{key} = {json.dumps(value)}" for key, value in settings.items())
    pyproject = (ROOT / "pyproject.toml").read_text()
    (stage / "pyproject.toml").write_text(f"{pyproject}\n[tool.mutmut]\n{table}\n")
    return stage


def collect_result(module: str, stage: Path, seconds: float) -> ModuleResult:
    meta = json.loads((stage / "mutants" / f"{module}.meta").read_text())
    outcomes: dict[str, int | None] = meta["exit_code_by_key"]
    undetected = [
        name for name, code in outcomes.items() if code not in DETECTED and code not in NOT_RUN
    ]
    survivors = [survivor(module, stage, name, outcomes[name]) for name in undetected]
    return ModuleResult(
        module=module,
        detected=sum(1 for code in outcomes.values() if code in DETECTED),
        undetected=len(undetected),
        not_run=sum(1 for code in outcomes.values() if code in NOT_RUN),
        seconds=round(seconds, 1),
        survivors=sorted(survivors, key=lambda s: (line_of(s.location), mutant_order(s.mutant))),
    )


def mutant_order(name: str) -> tuple[str, int]:
    function, _, number = name.rpartition("__mutmut_")
    return function, int(number)


def line_of(location: str) -> int:
    return int(location.rpartition(":")[2])


def survivor(module: str, stage: Path, name: str, code: int | None) -> Survivor:
    diff = mutant_diff(stage, module, name)
    outcome = {0: "survived", 5: "no tests", 33: "no tests"}.get(code or 0, f"exit {code}")
    location = f"{module}:{changed_line(module, name, diff)}"
    return Survivor(location=location, mutant=name, outcome=outcome, diff=diff)


def mutant_diff(stage: Path, module: str, name: str) -> str:
    """The mutant's diff, read by mutmut (in this process: a `mutmut show` each took seconds)."""
    from mutmut.configuration import reset_config
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    here = Path.cwd()
    os.chdir(stage)  # mutmut reads its configuration and mutants from the working folder
    try:
        reset_config()
        return get_diff_for_mutant(name, path=module)
    finally:
        os.chdir(here)


def changed_line(module: str, name: str, diff: str) -> int:
    """The line of ``module`` that the mutant changes: its diff's first removed line, looked up
    inside the mutated function nearest the line the diff's hunk header points at."""
    source = (ROOT / module).read_text().splitlines()
    start, end = function_span(ROOT / module, name)
    lines = diff.splitlines()
    hunk = next((i for i, line in enumerate(lines) if line.startswith("@@")), None)
    if hunk is None:
        return start
    offset = int(lines[hunk].split()[1].lstrip("-").split(",")[0])
    removed = next((line[1:] for line in lines[hunk + 1 :] if line.startswith("-")), None)
    context = sum(1 for line in lines[hunk + 1 :] if line.startswith(" ") and removed is not None)
    if removed is None:
        return start
    hint = start + offset - 1 + min(context, 3)
    matches = [n for n in range(start, end + 1) if source[n - 1].strip() == removed.strip()]
    return min(matches, key=lambda n: abs(n - hint)) if matches else start


def function_span(path: Path, mutant: str) -> tuple[int, int]:
    mangled = mutant.rpartition(".")[2].rpartition("__mutmut_")[0]
    if mangled.startswith("x_"):
        class_name, function = None, mangled[2:]
    else:
        _, class_name, function = mangled.split("ǁ")
    tree = ast.parse(path.read_text())
    body = tree.body
    if class_name is not None:
        body = next(
            node.body
            for node in tree.body
            if isinstance(node, ast.ClassDef) and node.name == class_name
        )
    node = next(
        node
        for node in body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == function
    )
    first = min([node.lineno, *(decorator.lineno for decorator in node.decorator_list)])
    return first, node.end_lineno or node.lineno


def print_result(result: ModuleResult, *, quiet: bool) -> None:
    if result.failure:
        print(f"\n{result.module}: not measured ({result.failure})")
        return
    print(
        f"\n{result.module}: score {result.score:.1f}% ({result.detected} detected, "
        f"{result.undetected} not, {result.not_run} not run; {result.seconds:.0f} s)"
    )
    for item in result.survivors:
        print(f"  {item.location}  {item.mutant} ({item.outcome})")
        if not quiet:
            for line in item.diff.splitlines()[2:]:
                if line.startswith(("-", "+")):
                    print(f"      {line}")


def print_summary(results: list[ModuleResult], seconds: float) -> None:
    print(f"\n{'module':40} {'score':>7} {'detected':>9} {'undetected':>11} {'seconds':>8}")
    for result in results:
        if result.failure:
            print(f"{result.module:40} not measured ({result.failure})")
            continue
        print(
            f"{result.module:40} {result.score:6.1f}% {result.detected:9d} "
            f"{result.undetected:11d} {result.seconds:8.0f}"
        )
    print(f"total {seconds / 60:.1f} min; report in {WORK / 'report.json'}")


if __name__ == "__main__":
    sys.exit(main())
