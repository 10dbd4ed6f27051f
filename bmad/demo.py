"""``make run``'s federated part: one secure round on this machine, end to end.

It starts an aggregator on 127.0.0.1 (SQLite, a free port) in a temporary folder, creates a
federation, enrols participants (this repository plus a few installed Python packages, each an
organisation with its own data folder, keys and consent), opens a code-patterns round, lets
every participant take part (consent, budget, noise, secure aggregation), then prints the
federation's state and the global insights next to this repository's findings. Everything it
started is stopped and its folder deleted at the end; the user's own bmad folders are never
touched.

The demo federation runs at epsilon 1000 per round, which protects nothing: with six
organisations every meaningful epsilon (the documented levels use 0.5 to 2 per round) leaves
noise far larger than the signal, as the printed noise figures show. The demo shows the
mechanics; useful privacy needs hundreds of organisations per round.
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
DEMO_EPSILON = 1000.0


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
            'budget = "epsilon=5000.0,delta=1e-5"\n'
            'organisation_budget = "epsilon=10000.0,delta=1e-5"\n'
            "k_min_participants = 3\n"
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
            "low",
            "--epsilon-per-round",
            str(DEMO_EPSILON),
            "--epsilon-per-period",
            str(2 * DEMO_EPSILON),
            "--aggregator",
            url,
            "--json",
        )
    )
    federation = created["federation"]
    print(
        f"== federation {federation}: {len(names)} organisations, k="
        f"{created['governance']['k_min_participants']}, epsilon {DEMO_EPSILON:g} per round "
        "(a demo setting that protects nothing; see the noise figures at the end)"
    )
    for name, tree in trees.items():
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
    print("== this repository's patterns next to the global insights")
    print(
        demo.bmad(
            "this-repo",
            "insights",
            "patterns",
            str(demo.repository),
            "--global",
            "--confidence-threshold",
            "0.5",
            "--top",
            "5",
        )
    )
    _explain_noise(len(names), int(created["governance"]["k_min_participants"]))


def released_noise_std(organisations: int, k: int, epsilon: float, delta: float) -> float:
    """Std of the noise per bin of a code_patterns round's released sum, as its insights report
    it: the organisations split into groups of at least k, and each participant's noise share is
    sized for the smallest Shamir threshold among the groups."""
    from bmad.federation.governance import group_sizes, reconstruction_threshold
    from bmad.federation.wire import round_schema
    from bmad.privacy.accounting import rho_budget
    from bmad.privacy.noise import plan_distributed_gaussian
    from bmad.privacy.schemas import schema_for

    layout = round_schema(schema_for("code_patterns"))
    threshold = min(reconstruction_threshold(size, k) for size in group_sizes(organisations, k))
    plan = plan_distributed_gaussian(
        rho_budget(epsilon, delta), threshold, layout.l2_sensitivity, layout.dim
    )
    return float(plan.scale * organisations**0.5)


def _explain_noise(organisations: int, demo_k: int) -> None:
    from bmad.federation.governance import governance_for
    from bmad.federation.wire import round_schema
    from bmad.privacy.schemas import schema_for

    layout = round_schema(schema_for("code_patterns"))
    print(
        f"noise per bin of the released sum ({organisations} organisations, "
        f"{layout.dim} bins, each organisation's histograms of mass 100 per metric):"
    )
    for label, k, epsilon, delta in (
        ("this demo", demo_k, DEMO_EPSILON, 1e-5),
        *(
            (f"level {lvl}", g.k_min_participants, g.epsilon_per_round, g.delta)
            for lvl in ("low", "medium", "high")
            if (g := governance_for(lvl))
        ),
    ):
        std = released_noise_std(organisations, k, epsilon, delta)
        print(f"  {label:>13}: epsilon {epsilon:g}, k={k} -> std {std:,.1f}")


def main() -> None:
    run(Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve())


if __name__ == "__main__":
    main()
