"""Does the anti-pattern ranking find code that later needs fixing?

For each repository: check out the commit at date T, run bmad's detection on it (code scan,
history mined up to T, import graph), then label every file (and function) by whether a fix
commit in the year after T touched it. Report ROC AUC and precision@20 of bmad's priority
against single-metric baselines (nloc, ccn, revisions).

Labels come from `git log -p -U0` over (T, T + 1 year] in the bench itself: a commit is a fix
when its subject matches bmad's default fix patterns ([history] fix_patterns). A file is
positive when a fix commit changed it (old path, renames off). A function is positive when a
fix hunk's header (git's funcname context, Python diff driver) names it in that file: an
approximation (a hunk that edits the `def` line itself is credited to the previous function).

Usage: .venv/bin/python bench/analysis/fix_prediction.py [--repo NAME=MIRROR@T ...]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "risk"))
from measures import precision_at, roc_auc

WORK = Path(__file__).resolve().parents[1] / "_work" / "analysis"
DEFAULT_REPOS = (
    "requests=/work/.mirror/psf+requests/repo@2019-01-01",
    "flask=/work/.mirror/pallets+flask/repo@2019-01-01",
)
TOP = 20


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True, errors="replace"
    ).stdout


def checkout_at(name: str, mirror: Path, when: datetime) -> tuple[Path, str]:
    clone = WORK / name
    if not clone.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "clone", "-q", str(mirror), str(clone)], check=True)
    main = git(clone, "rev-parse", "origin/HEAD").strip()
    commit = git(clone, "rev-list", "-1", "--first-parent", f"--before={when.isoformat()}", main)
    git(clone, "checkout", "-q", "--detach", commit.strip())
    return clone, main


def fix_labels(
    clone: Path, main: str, start: datetime, end: datetime, fix: re.Pattern[str]
) -> tuple[set[str], set[tuple[str, str]], int]:
    attributes = WORK / "gitattributes"
    attributes.write_text("*.py diff=python\n")
    log = git(
        clone,
        "-c",
        f"core.attributesFile={attributes}",
        "log",
        main,
        "--no-merges",
        "--no-renames",
        f"--since={start.isoformat()}",
        f"--until={end.isoformat()}",
        "-p",
        "-U0",
        "--format=%x00%s",
    )
    files: set[str] = set()
    functions: set[tuple[str, str]] = set()
    fixes = 0
    for chunk in log.split("\x00")[1:]:
        subject, _, patch = chunk.partition("\n")
        if not fix.search(subject):
            continue
        fixes += 1
        current: str | None = None
        for line in patch.splitlines():
            if line.startswith("--- a/"):
                current = line[6:]
                files.add(current)
            elif line.startswith("--- /dev/null"):
                current = None
            elif line.startswith("@@") and current is not None:
                context = line.rsplit("@@", 1)[-1]
                match = re.search(r"\bdef\s+(\w+)", context)
                if match:
                    functions.add((current, match.group(1)))
    return files, functions, fixes


def table(
    title: str,
    keys: Sequence[str],
    labels: Sequence[bool],
    rankers: Mapping[str, Callable[[int], float]],
) -> None:
    print(f"  {title}: {len(keys)} items, {sum(labels)} fixed ({sum(labels) / len(keys):.1%})")
    print(f"    {'ranking':<22} {'ROC AUC':>8} {'P@' + str(TOP):>6}")
    for name, score_of in rankers.items():
        scores = [score_of(i) for i in range(len(keys))]
        auc = roc_auc(scores, labels)
        precision = precision_at(keys, scores, labels, TOP)
        print(f"    {name:<22} {auc:>8.3f} {precision:>6.2f}")


def evaluate(name: str, mirror: Path, when: datetime) -> None:
    from bmad.analysis.store import analyse_repository
    from bmad.config import DEFAULTS

    clone, main = checkout_at(name, mirror, when)
    analysis_input, report, _root = analyse_repository(clone)
    fix = re.compile("|".join(DEFAULTS["history"]["fix_patterns"]), re.IGNORECASE)
    fixed_files, fixed_functions, fixes = fix_labels(
        clone, main, when, when + timedelta(days=365), fix
    )
    history = analysis_input.history
    revisions = {p: f.revisions for p, f in history.files.items()} if history else {}
    print(
        f"{name} at {when.date()}: {report.functions} functions, {report.files} files, "
        f"{fixes} fix commits in the next year; models {report.models}"
    )
    paths = sorted(report.file_priority)
    nloc: dict[str, int] = dict.fromkeys(paths, 0)
    ccn: dict[str, int] = dict.fromkeys(paths, 0)
    for record in analysis_input.functions:
        if record.path in nloc:
            nloc[record.path] += record.metrics.nloc
            ccn[record.path] += record.metrics.ccn
    summed = dict(report.file_priority)
    for (path, _line, _name), value in report.function_priority.items():
        summed[path] = summed.get(path, 0.0) + value
    table(
        "files",
        paths,
        [path in fixed_files for path in paths],
        {
            "bmad priority": lambda i: report.file_priority[paths[i]],
            "bmad + sum(functions)": lambda i: summed[paths[i]],
            "nloc (sum)": lambda i: nloc[paths[i]],
            "ccn (sum)": lambda i: ccn[paths[i]],
            "revisions": lambda i: revisions.get(paths[i], 0),
        },
    )
    records = [
        r
        for r in analysis_input.functions
        if (r.path, r.metrics.start_line, r.metrics.qualified_name) in report.function_priority
    ]
    table(
        "functions",
        [f"{r.path}:{r.metrics.start_line}:{r.metrics.qualified_name}" for r in records],
        [(r.path, r.metrics.name) in fixed_functions for r in records],
        {
            "bmad priority": lambda i: report.function_priority[
                (records[i].path, records[i].metrics.start_line, records[i].metrics.qualified_name)
            ],
            "nloc": lambda i: records[i].metrics.nloc,
            "ccn": lambda i: records[i].metrics.ccn,
            "revisions (file)": lambda i: revisions.get(records[i].path, 0),
        },
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", action="append", help="NAME=MIRROR@YYYY-MM-DD")
    args = parser.parse_args(argv)
    os.environ.setdefault("BMAD_HOME", str(WORK / "home"))
    for spec in args.repo or DEFAULT_REPOS:
        name, _, rest = spec.partition("=")
        mirror, _, date = rest.rpartition("@")
        evaluate(name, Path(mirror), datetime.fromisoformat(date).replace(tzinfo=UTC))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
