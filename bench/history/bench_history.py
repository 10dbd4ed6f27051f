"""History mining benchmark: bmad's miner against the `git log --numstat` floor and PyDriller.

Usage: .venv/bin/python bench/history/bench_history.py REPO [REPO ...] [--pydriller]
           [--repeat N] [--baseline DIR]

For each repository (a local clone or bare mirror, >= 5,000 commits):
- floor: `git log --numstat --no-renames` piped into a minimal parser (same totals checked);
- bmad full mine, --no-renames (default worker processes, and serial) and with renames, each
  into a fresh store, in a child process whose peak memory (own + worker processes) is
  reported;
- incremental: a branch 10 commits behind is mined, moved to the tip, and mined again;
- PyDriller (bench/_work/venv-pydriller) computing the same per-file revisions, churn and
  authors, when --pydriller is given;
- agreement with git per file of HEAD's tree (one more mine of each rename mode, then three
  `git log` per file): without renames, the share of files whose revisions equal
  `git log --no-renames -- PATH` (merges included), the share with at least that count's
  non-merge commits, and the share equal to git's full history of the path (the non-merge
  commits of `git log --full-history` plus the merges whose PATH differs from every parent);
  with renames, the share whose non-merge revisions equal `git log --follow -- PATH`, the
  rest split by why (git's walk follows a copy; the path was deleted or made again, where
  git's --follow runs on into the older file; git lists fewer; bmad lists fewer).

Every figure comes as wall time and CPU time (user + system of the process and the processes
it waited for: git for the floor, the worker processes for bmad), because the machine is
shared: CPU time is what the work costs, wall time what a user waits. Ratios are given for
both. bmad's time includes reading the mined commits back from the store.

--repeat N runs the floor and the bmad mines N times, in turn, and keeps each one's lowest
wall and lowest CPU time (the run least disturbed by other work on the machine).
--baseline DIR also runs the three mines with the ``bmad`` package found in DIR
(e.g. ``git archive <rev> bmad | tar -x -C DIR``), in turn with the current code, for a
before/after comparison from the same run.

REPO may be the bare mirror the ``fetch`` tool brings (``/work/.mirror/<owner>+<name>/repo``)
or a clone of it (``git clone --bare /work/.mirror/... /tmp/name``); the benchmark only reads
it (its incremental step clones it into a scratch folder).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv" / "bin" / "python"
PYDRILLER_PYTHON = ROOT / "bench" / "_work" / "venv-pydriller" / "bin" / "python"

MINE_CHILD = """
import json, resource, sys, time
from pathlib import Path
from bmad.scanning.history import stored_commits, update_history
from bmad.store.history import open_history_store
from bmad.scanning.history_git import MiningSettings
repo, db, renames, rev = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4] or None
settings = MiningSettings(follow_renames=renames, jobs=int(sys.argv[5]))
def cpu_now():
    return sum(
        u.ru_utime + u.ru_stime
        for u in (resource.getrusage(resource.RUSAGE_SELF),
                  resource.getrusage(resource.RUSAGE_CHILDREN))
    )
started, cpu_started = time.perf_counter(), cpu_now()
with open_history_store(Path(db)) as store:
    result = update_history(store, Path(repo), rev, settings)
    commits = stored_commits(store, result.source_id)
seconds = time.perf_counter() - started
cpu = cpu_now() - cpu_started
self_usage = resource.getrusage(resource.RUSAGE_SELF)
child_usage = resource.getrusage(resource.RUSAGE_CHILDREN)
own, children = self_usage.ru_maxrss, child_usage.ru_maxrss
print(json.dumps({
    "seconds": seconds, "update_seconds": result.seconds, "cpu_seconds": cpu,
    "new": result.new_commits, "commits": len(commits),
    "files": sum(len(c.changes) for c in commits if not c.is_merge),
    "added": sum(c.insertions for c in commits), "deleted": sum(c.deletions for c in commits),
    "peak_mb": max(own, children) / 1024, "peak_sum_mb": (own + children) / 1024,
}))
"""

AGREEMENT_CHILD = """
import dataclasses, json, sys
from pathlib import Path
from bmad.extractors.history import file_timeline
from bmad.scanning.history import stored_commits, update_history
from bmad.scanning.history_git import MiningSettings
from bmad.store.history import open_history_store
repo, work = Path(sys.argv[1]), Path(sys.argv[2])
found = {}
for renames in (False, True):
    with open_history_store(work / f"agreement-{int(renames)}.sqlite3") as store:
        result = update_history(store, repo, None, MiningSettings(follow_renames=renames))
        commits = stored_commits(store, result.source_id)
    tip = result.tip_tree
    kinds = {"all": commits}
    if renames:  # merges keep their renames, not their changes: revisions without merges
        kinds["no_merges"] = [dataclasses.replace(c, changes=()) if c.is_merge else c
                              for c in commits]
    for kind, records in kinds.items():
        timeline = file_timeline(records, tip, renames)
        found[f"{'renames' if renames else 'plain'}_{kind}"] = {
            history.path: history.revisions for history in timeline.files[: timeline.live]
        }
found["tip"] = result.tip
found["paths"] = sorted(tip.paths)
print(json.dumps(found))
"""

PYDRILLER_CHILD = """
import json, sys, time
from collections import defaultdict
from pydriller import Repository
started = time.perf_counter()
revisions = defaultdict(int); added = defaultdict(int); deleted = defaultdict(int)
authors = defaultdict(set)
commits = 0
for commit in Repository(sys.argv[1], only_no_merge=True).traverse_commits():
    commits += 1
    for modified in commit.modified_files:
        path = modified.new_path or modified.old_path
        revisions[path] += 1
        added[path] += modified.added_lines
        deleted[path] += modified.deleted_lines
        authors[path].add(commit.author.email)
print(json.dumps({"seconds": time.perf_counter() - started, "commits": commits,
                  "added": sum(added.values()), "deleted": sum(deleted.values())}))
"""


def _cpu() -> float:
    return sum(
        usage.ru_utime + usage.ru_stime
        for usage in (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )
    )


def git_log_floor(repo: Path) -> dict[str, float]:
    started, cpu_started = time.perf_counter(), _cpu()
    process = subprocess.Popen(
        ["git", "-C", str(repo), "log", "--numstat", "--no-renames", "--format=@%H"],
        stdout=subprocess.PIPE,
    )
    assert process.stdout is not None
    commits = files = added = deleted = 0
    for line in process.stdout:
        if line.startswith(b"@"):
            commits += 1
            continue
        parts = line.split(b"\t", 2)
        if len(parts) == 3:
            files += 1
            if parts[0] != b"-":
                added += int(parts[0])
                deleted += int(parts[1])
    process.wait()
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": _cpu() - cpu_started,
        "commits": commits,
        "files": files,
        "added": added,
        "deleted": deleted,
    }


def mine(
    repo: Path, db: Path, renames: bool, rev: str = "", jobs: int = 0, code: Path | None = None
) -> dict[str, float]:
    # run from the scratch folder: `python -c` puts the working folder first on sys.path, and
    # from the checkout that would shadow a --baseline package given by PYTHONPATH
    env = {**os.environ, "PYTHONPATH": str(code)} if code is not None else None
    out = subprocess.run(
        [
            str(PYTHON),
            "-c",
            MINE_CHILD,
            str(repo),
            str(db),
            "1" if renames else "0",
            rev,
            str(jobs),
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=db.parent,
        env=env,
    ).stdout
    return dict(json.loads(out))


def incremental(repo: Path, work: Path) -> dict[str, float]:
    clone = work / "clone.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo), str(clone)], check=True)
    behind = subprocess.run(
        ["git", "-C", str(clone), "rev-parse", "HEAD~10"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    subprocess.run(["git", "-C", str(clone), "branch", "-f", "bench", behind], check=True)
    db = work / "incremental.sqlite3"
    mine(clone, db, True, "bench")
    subprocess.run(["git", "-C", str(clone), "branch", "-f", "bench", "HEAD"], check=True)
    return mine(clone, db, True, "bench")


def pydriller(repo: Path, work: Path) -> dict[str, float]:
    # PyDriller (GitPython) needs a repository with a work-tree layout, not a bare mirror
    clone = work / "pydriller"
    subprocess.run(["git", "clone", "-q", "--no-checkout", str(repo), str(clone)], check=True)
    cpu_started = _cpu()
    out = subprocess.run(
        [str(PYDRILLER_PYTHON), "-c", PYDRILLER_CHILD, str(clone)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    found = dict(json.loads(out))
    found["cpu_seconds"] = _cpu() - cpu_started  # PyDriller and the git processes it waited for
    return found


def git_ids(repo: Path, *args: str) -> list[str]:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout.split()


def merges_changing(repo: Path, tip: str, paths: list[str]) -> dict[str, int]:
    """Per path, the merges reachable from ``tip`` whose entry differs from every parent's."""
    import pygit2

    repository = pygit2.Repository(str(repo))
    counts = dict.fromkeys(paths, 0)
    for commit in repository.walk(tip):
        if len(commit.parents) < 2:
            continue
        trees = [commit.tree, *(parent.tree for parent in commit.parents)]
        for path in paths:
            entries: list[tuple[object, int] | None] = []
            for tree in trees:
                try:
                    entries.append((tree[path].id, tree[path].filemode))
                except KeyError:
                    entries.append(None)
            if all(entries[0] != other for other in entries[1:]):
                counts[path] += 1
    return counts


def follow_walk(repo: Path, tip: str, path: str) -> tuple[int, str]:
    """Commits ``git log --follow`` lists for ``path``, and what its walk passed: "copy"
    when it followed a copy, "reused" when the name was deleted or made again on the way."""
    out = subprocess.run(
        [
            "git",
            "-C",
            str(repo),
            "log",
            "--follow",
            "--name-status",
            "--format=@%H",
            tip,
            "--",
            path,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    statuses = [line.split("\t")[0][0] for line in out.splitlines() if "\t" in line]
    if "C" in statuses:
        return out.count("@"), "copy"
    if "D" in statuses or statuses.count("A") > 1:
        return out.count("@"), "reused"
    return out.count("@"), ""


def agreement(repo: Path, work: Path) -> dict[str, float]:
    """How bmad's revisions per file of HEAD's tree compare with git's per-path logs."""
    out = subprocess.run(
        [str(PYTHON), "-c", AGREEMENT_CHILD, str(repo), str(work)],
        check=True,
        capture_output=True,
        text=True,
        cwd=work,
    ).stdout
    found = json.loads(out)
    paths: list[str] = found["paths"]
    merges = set(git_ids(repo, "rev-list", "--merges", found["tip"]))
    merge_counts = merges_changing(repo, found["tip"], paths)
    plain, renamed = found["plain_all"], found["renames_no_merges"]
    tally = dict.fromkeys(
        ("equal", "at_least", "full_history", "follow_equal", "copy", "reused", "git_fewer"),
        0,
    )
    tally["bmad_fewer"] = 0
    for path in paths:
        listed = git_ids(repo, "log", "--no-renames", "--format=%H", found["tip"], "--", path)
        tally["equal"] += plain.get(path, 0) == len(listed)
        tally["at_least"] += plain.get(path, 0) >= len(set(listed) - merges)
        full = git_ids(
            repo,
            "log",
            "--full-history",
            "--no-merges",
            "--no-renames",
            "--format=%H",
            found["tip"],
            "--",
            path,
        )
        tally["full_history"] += plain.get(path, 0) == len(full) + merge_counts[path]
        followed, passed = follow_walk(repo, found["tip"], path)
        mine = renamed.get(path, 0)
        if mine == followed:
            tally["follow_equal"] += 1
        elif passed:
            tally[passed] += 1
        else:
            tally["git_fewer" if mine > followed else "bmad_fewer"] += 1
    files = len(paths)
    shares: dict[str, float] = {"files": files}
    shares["listed_is_tree"] = float(
        set(plain) == set(paths) and set(found["renames_all"]) == set(paths)
    )
    for key, count in tally.items():
        shares[key] = round(count / files, 4) if files else 0.0
    return shares


def lowest(runs: list[dict[str, float]]) -> dict[str, float]:
    """The first run's figures with the lowest wall and the lowest CPU time of all runs."""
    best = dict(runs[0])
    best["seconds"] = min(run["seconds"] for run in runs)
    best["cpu_seconds"] = min(run["cpu_seconds"] for run in runs)
    return best


def fresh_db(work: Path, name: str, counter: list[int]) -> Path:
    counter[0] += 1
    return work / f"{name}-{counter[0]}.sqlite3"


def measure(
    repo: Path, work: Path, repeat: int, baseline: Path | None
) -> dict[str, dict[str, float]]:
    """Floor and bmad mines, each ``repeat`` times in turn; the lowest figures of each."""
    kinds: dict[str, Callable[[Path], dict[str, float]]] = {
        "floor": lambda db: git_log_floor(repo),
        "plain": lambda db: mine(repo, db, renames=False),
        "serial": lambda db: mine(repo, db, renames=False, jobs=1),
    }
    if baseline is not None:  # each right after its counterpart
        kinds = {
            "floor": kinds["floor"],
            "plain": kinds["plain"],
            "baseline_plain": lambda db: mine(repo, db, renames=False, code=baseline),
            "serial": kinds["serial"],
            "baseline_serial": lambda db: mine(repo, db, renames=False, jobs=1, code=baseline),
        }
    kinds["renamed"] = lambda db: mine(repo, db, renames=True)
    if baseline is not None:
        kinds["baseline_renamed"] = lambda db: mine(repo, db, renames=True, code=baseline)
    runs: dict[str, list[dict[str, float]]] = {kind: [] for kind in kinds}
    counter = [0]
    for _ in range(repeat):
        for kind, run in kinds.items():
            runs[kind].append(run(fresh_db(work, kind, counter)))
    return {kind: lowest(found) for kind, found in runs.items()}


def ratio(numerator: float, denominator: float) -> float:
    return round(numerator / denominator, 2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("repos", nargs="+", type=Path)
    parser.add_argument("--pydriller", action="store_true")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--baseline", type=Path)
    args = parser.parse_args()
    for repo in args.repos:
        with tempfile.TemporaryDirectory() as scratch:
            work = Path(scratch)
            found = measure(repo, work, max(1, args.repeat), args.baseline)
            floor, plain, serial = found["floor"], found["plain"], found["serial"]
            update = incremental(repo, work)
            row = {
                "repo": repo.parent.name if repo.name == "repo" else repo.name,
                "commits": plain["commits"],
                "git_log_s": round(floor["seconds"], 2),
                "git_log_cpu_s": round(floor["cpu_seconds"], 2),
                "bmad_no_renames_s": round(plain["seconds"], 2),
                "bmad_no_renames_cpu_s": round(plain["cpu_seconds"], 2),
                "ratio_to_floor": ratio(plain["seconds"], floor["seconds"]),
                "cpu_ratio_to_floor": ratio(plain["cpu_seconds"], floor["cpu_seconds"]),
                "bmad_serial_s": round(serial["seconds"], 2),
                "bmad_serial_cpu_s": round(serial["cpu_seconds"], 2),
                "serial_ratio_to_floor": ratio(serial["seconds"], floor["seconds"]),
                "serial_cpu_ratio_to_floor": ratio(serial["cpu_seconds"], floor["cpu_seconds"]),
                "bmad_renames_s": round(found["renamed"]["seconds"], 2),
                "bmad_renames_cpu_s": round(found["renamed"]["cpu_seconds"], 2),
                "renames_ratio_to_floor": ratio(found["renamed"]["seconds"], floor["seconds"]),
                "churn_matches_floor": all(
                    (run["added"], run["deleted"]) == (floor["added"], floor["deleted"])
                    for run in (plain, serial)
                ),
                "peak_mb": round(plain["peak_mb"], 1),
                "peak_sum_mb": round(plain["peak_sum_mb"], 1),
                "incremental_new": update["new"],
                "incremental_update_s": round(update["update_seconds"], 3),
                "incremental_with_reload_s": round(update["seconds"], 3),
            }
            if args.baseline is not None:
                for kind in ("baseline_plain", "baseline_serial", "baseline_renamed"):
                    before = found[kind]
                    row[f"{kind}_s"] = round(before["seconds"], 2)
                    row[f"{kind}_cpu_s"] = round(before["cpu_seconds"], 2)
                    row[f"{kind}_ratio_to_floor"] = ratio(before["seconds"], floor["seconds"])
                    row[f"{kind}_cpu_ratio_to_floor"] = ratio(
                        before["cpu_seconds"], floor["cpu_seconds"]
                    )
            shares = agreement(repo, work)
            row["files_at_head"] = shares.pop("files")
            row.update({f"share_{key}": value for key, value in shares.items()})
            if args.pydriller:
                driller = pydriller(repo, work)
                row["pydriller_s"] = round(driller["seconds"], 2)
                row["pydriller_cpu_s"] = round(driller["cpu_seconds"], 2)
                row["pydriller_over_bmad"] = ratio(driller["seconds"], plain["seconds"])
                row["pydriller_over_bmad_cpu"] = ratio(driller["cpu_seconds"], plain["cpu_seconds"])
            print(json.dumps(row), flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
