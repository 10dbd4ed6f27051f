"""``make run``'s federated part: one secure round on this machine, end to end.

It starts an aggregator on 127.0.0.1 (SQLite, a free port) in a temporary folder, creates a
federation, enrols participants (this repository plus a few installed Python packages, each an
organisation with its own data folder, keys and consent), opens a code-patterns round, lets
every participant take part (consent, budget, noise, secure aggregation), then prints the
federation's state and the global insights next to this repository's findings. Everything it
started is stopped and its folder deleted at the end; the user's own bmad folders are never
touched.

The demo federation runs at the documented "medium" level: epsilon 1 per round (delta 1e-5),
k = 5, and the level's default unit of privacy for code patterns, one function (at most 10,000
per organisation; ``bmad.privacy.units``). At that unit six organisations are enough for
legible standings; at the organisation unit they would not be (the noise per bin would be
larger than an organisation's whole histogram), as the figures printed at the end show with
the utility benchmark's measurements (bench/privacy/utility.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PACKAGE_CANDIDATES = (
    "click",
    "platformdirs",
    "idna",
    "h11",
    "markdown_it",
    "attr",
    "mdurl",
    "anyio",
    "httpx",
    "joblib",
    "certifi",
)
PACKAGES = 5
MIN_PACKAGE_BYTES = 20_000
MAX_PACKAGE_BYTES = 1_500_000
DEMO_LEVEL = "medium"


def _python_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*.py"))


def installed_packages() -> list[Path]:
    """Small real source trees already on this machine: packages of this interpreter."""
    import click

    site = Path(click.__file__).resolve().parent.parent
    chosen = []
    for name in PACKAGE_CANDIDATES:
        folder = site / name
        if folder.is_dir() and MIN_PACKAGE_BYTES <= _python_bytes(folder) <= MAX_PACKAGE_BYTES:
            chosen.append(folder)
        if len(chosen) == PACKAGES:
            break
    return chosen


class Demo:
    def __init__(self, root: Path, repository: Path) -> None:
        self.root = root
        self.repository = repository
        self.processes: list[subprocess.Popen[str]] = []

    def home(self, name: str) -> dict[str, str]:
        home = self.root / name
        home.mkdir(exist_ok=True)
        (home / "config.toml").write_text(
            "[privacy]\n"
            'budget = "epsilon=2.0,delta=1e-5"\n'
            'organisation_budget = "epsilon=4.0,delta=1e-5"\n'
            "k_min_participants = 5\n"
            "[federation]\npoll_interval = 0.2\n",
            encoding="utf-8",
        )
        return {**os.environ, "BMAD_HOME": str(home), "NO_COLOR": "1"}

    def bmad(self, name: str, *args: str, capture: bool = True) -> str:
        completed = subprocess.run(
            [sys.executable, "-m", "bmad", *args],
            env=self.home(name),
            capture_output=capture,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            raise SystemExit(
                f"bmad {' '.join(args[:2])} failed for {name}: {completed.stderr.strip()}"
            )
        return completed.stdout if capture else ""

    def start_aggregator(self) -> str:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bmad",
                "aggregator",
                "serve",
                "--port",
                "0",
                "--db",
                f"sqlite:///{self.root / 'aggregator.sqlite3'}",
            ],
            env=self.home("aggregator"),
            stdout=subprocess.PIPE,
            text=True,
        )
        self.processes.append(process)
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("listening on "):
            raise SystemExit("the aggregator did not start")
        return line.split()[-1]

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(timeout=30)


def run(repository: Path) -> None:
    root = Path(tempfile.mkdtemp(prefix="bmad-demo-"))
    demo = Demo(root, repository)
    started = time.monotonic()
    try:
        _run(demo)
    finally:
        demo.stop()
        shutil.rmtree(root, ignore_errors=True)
    print(
        f"\n(demo finished in {time.monotonic() - started:.0f} s; everything it started is "
        "stopped and its folder removed)"
    )


def _run(demo: Demo) -> None:
    from bmad.cli.insights_patterns import render_global

    url = demo.start_aggregator()
    print(f"== aggregator listening on {url} (SQLite in a temporary folder)")
    trees = {"this-repo": demo.repository}
    for folder in installed_packages():
        trees[f"pkg-{folder.name.replace('_', '-')}"] = folder
    names = list(trees)
    created = json.loads(
        demo.bmad(
            "coordinator",
            "federation",
            "create",
            "--participants",
            ",".join(names),
            "--privacy-level",
            DEMO_LEVEL,
            # this repository's first collection (scan, history, analysis) can take minutes
            # on a loaded machine; the round waits for it instead of leaving it out
            "--enrol-timeout",
            "300",
            "--aggregator",
            url,
            "--json",
        )
    )
    federation = created["federation"]
    governance = created["governance"]
    print(
        f"== federation {federation}: {len(names)} organisations, level {DEMO_LEVEL}: k="
        f"{governance['k_min_participants']}, epsilon {governance['epsilon_per_round']:g} per "
        f"round, delta {governance['delta']:g}"
    )
    print("   " + _code_guarantee(governance))
    for name, tree in trees.items():
        joined = json.loads(
            demo.bmad(
                name,
                "federation",
                "join",
                "--consortium-id",
                federation,
                "--organization",
                name,
                "--aggregator",
                url,
                "--token",
                created["tokens"][name],
                "--json",
            )
        )
        # the admin admits each organisation key (members refuse rosters with unadmitted keys)
        demo.bmad(
            "coordinator",
            "federation",
            "admit",
            "--organization",
            name,
            "--fingerprint",
            joined["organisation_key_fingerprint"],
        )
        demo.bmad(name, "share", "enable", str(tree), "--types", "code_patterns")
        print(f"   {name}: joined, sharing code_patterns of {tree}")
    opened = json.loads(
        demo.bmad("coordinator", "learn", "patterns", "--cross-project", "--no-wait", "--json")
    )
    round_id = opened["round"]["id"]
    print(f"== round {round_id} opened; every participant takes part (secure aggregation)")
    workers = {
        name: subprocess.Popen(
            [sys.executable, "-m", "bmad", "federation", "participate", "--json"],
            env=demo.home(name),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in names
    }
    for name, worker in workers.items():
        out, err = worker.communicate(timeout=300)
        outcomes: list[dict[str, Any]] = json.loads(out) if out.strip() else []
        summary = ", ".join(f"{o['outcome']}" for o in outcomes) or err.strip()[-200:]
        print(f"   {name}: {summary}")
    print("\n== federation status (as the coordinator sees it)")
    print(demo.bmad("coordinator", "federation", "status", "--show-participants", "--trust-levels"))
    print("== consortium rules, their signatures and history; this member's compliance check")
    review = ("governance", "review", "--consortium-rules", "--compliance-check")
    print(demo.bmad("this-repo", *review))
    # the repository's own patterns are `bmad insights patterns`' (make run prints them just
    # before): here only what the federation adds
    print("== the global insights, and where this repository's top findings stand in them")
    compared = demo.bmad(
        "this-repo",
        "insights",
        "patterns",
        str(demo.repository),
        "--global",
        "--confidence-threshold",
        "0.8",
        "--top",
        "5",
        "--json",
    )
    render_global(json.loads(compared))
    print()
    _explain_noise(len(names))


def _code_guarantee(governance: dict[str, Any]) -> str:
    from bmad.federation.governance import Governance

    return Governance.from_dict(governance).guarantee("code_patterns").text()


def released_noise_std(organisations: int, level: str, unit_name: str | None = None) -> float:
    """Std of the noise per bin of a code_patterns round's released sum, as its insights report
    it: the organisations split into the engine's groups, each participant's noise share sized
    as members size it (the group's least survivors minus its collusion allowance, the
    smallest among the groups) and for one unit of the level's (or the given) unit of privacy."""
    from bmad.federation.governance import (
        governance_for,
        group_sizes,
        noise_shares,
        reconstruction_threshold,
    )
    from bmad.federation.insights import RoundFacts
    from bmad.federation.wire import round_schema
    from bmad.privacy.noise import plan_distributed_gaussian
    from bmad.privacy.schemas import schema_for
    from bmad.privacy.units import unit_for

    governance = governance_for(level)
    unit = governance.unit("code_patterns")
    if unit_name is not None:
        unit = unit_for("code_patterns", unit_name)
    layout = round_schema(schema_for("code_patterns"), unit)
    k = governance.k_min_participants
    sizes = group_sizes(organisations, k)
    shares = min(noise_shares(size, reconstruction_threshold(size, k)) for size in sizes)
    plan = plan_distributed_gaussian(
        governance.rho_per_round, shares, layout.l2_sensitivity, layout.dim
    )
    facts = RoundFacts(
        "code_patterns",
        layout.version,
        organisations,
        len(sizes),
        plan.scale,
        governance.epsilon_per_round,
        governance.delta,
        governance.consensus_threshold,
        k,
        unit.name,
    )
    return facts.sum_std


def _explain_noise(organisations: int) -> None:
    print(
        f"noise per bin of the released sum at level {DEMO_LEVEL} ({organisations} organisations):"
    )
    for unit, mass in (
        ("record", "each function counts 1"),
        ("organisation", "each organisation's histograms have mass 100 per metric"),
    ):
        std = released_noise_std(organisations, DEMO_LEVEL, unit)
        print(f"  unit {unit:>12}: std {std:,.1f} ({mass})")
    print(
        "bench/privacy/utility.py (2026-12, real packages, level medium): the 95th percentile "
        "of a standing's error at the p50 and p90 of each metric is within 5 points from 10 "
        "organisations with the record unit (1.9 points at 10,000); with the organisation "
        "unit nothing legible is released up to 100 organisations and the error is still 78 "
        "points at 1,000 (the noise per bin exceeds an organisation's whole histogram)."
    )


def main() -> None:
    from bmad.cli.main import unwrap_when_piped

    # the commands it runs print through a pipe to this terminal: as wide as the terminal
    columns = os.get_terminal_size(sys.stdout.fileno()).columns if sys.stdout.isatty() else 0
    if columns:
        os.environ.setdefault("COLUMNS", str(columns))
    unwrap_when_piped()
    run(Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve())


if __name__ == "__main__":
    main()
