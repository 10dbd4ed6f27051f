"""`bmad federation`, `bmad learn patterns|success-factors` and `insights patterns --global`
against a real aggregator process; participants are separate processes with their own homes,
one of them a real daemon taking part in the background."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from bmad.cli.main import cli
from tests.federation.harness import Aggregator, make_repo, python_source, running_aggregator


@pytest.fixture
def aggregator(tmp_path: Path) -> Iterator[Aggregator]:
    with running_aggregator(tmp_path / "aggregator") as running:
        yield running


def home_env(home: Path) -> dict[str, str]:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        '[privacy]\nbudget = "epsilon=50.0,delta=1e-5"\norganisation_budget = '
        '"epsilon=100.0,delta=1e-5"\nk_min_participants = 3\n'
        "[federation]\npoll_interval = 0.1\nparticipate_interval = 0.5\n"
    )
    return {**os.environ, "BMAD_HOME": str(home)}


def bmad(home: Path, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, list(args), env=home_env(home), catch_exceptions=False)
    assert result.exit_code == code, (args, result.output, result.stderr)
    return result.stdout if code == 0 else result.stderr


def create(
    tmp_path: Path, url: str, names: list[str], *extra: str
) -> tuple[Path, dict[str, object]]:
    admin = tmp_path / "admin"
    created = json.loads(
        bmad(
            admin,
            "federation",
            "create",
            "--participants",
            ",".join(names),
            "--privacy-level",
            "low",
            "--aggregator",
            url,
            "--phase-timeout",
            "20",
            "--json",
            *extra,
        )
    )
    return admin, created


def test_create_join_invite_status_and_roles(tmp_path: Path, aggregator: Aggregator) -> None:
    admin, created = create(
        tmp_path,
        aggregator.url,
        ["acme", "globex", "initech"],
        "--privacy-unit",
        "technology_trends=repository",
        "--verify-inputs-up-to",
        "all",
    )
    governance = created["governance"]
    assert isinstance(governance, dict) and governance["verify_inputs_up_to"] == "all"
    federation, tokens = str(created["federation"]), created["tokens"]
    assert isinstance(tokens, dict) and set(tokens) == {"acme", "globex", "initech"}
    acme = tmp_path / "acme"
    joined = json.loads(
        bmad(
            acme,
            "federation",
            "join",
            "--consortium-id",
            federation,
            "--organization",
            "acme",
            "--aggregator",
            aggregator.url,
            "--token",
            tokens["acme"],
            "--json",
        )
    )
    assert joined["role"] == "member"
    error = bmad(
        tmp_path / "thief",
        "federation",
        "join",
        "--consortium-id",
        federation,
        "--organization",
        "acme",
        "--aggregator",
        aggregator.url,
        "--token",
        tokens["acme"],
        code=2,
    )
    assert "invalid or already used" in error and tokens["acme"] not in error
    invited = json.loads(
        bmad(
            admin,
            "federation",
            "invite",
            "--organization",
            "auditors",
            "--role",
            "observer",
            "--json",
        )
    )
    watcher = tmp_path / "watcher"
    bmad(
        watcher,
        "federation",
        "join",
        "--consortium-id",
        federation,
        "--organization",
        "auditors",
        "--aggregator",
        aggregator.url,
        "--token",
        invited["token"],
    )
    plain = json.loads(bmad(admin, "federation", "status", "--json"))
    assert "participants" not in plain and plain["you"]["role"] == "admin"
    units = {row["learning_type"]: row for row in plain["privacy_units"]}
    assert units["code_patterns"]["protects"] == "one function"
    assert units["success_patterns"]["unit"] == "organisation"
    assert units["technology_trends"]["unit"] == "repository"
    listed = json.loads(bmad(admin, "federation", "status", "--show-participants", "--json"))
    assert {row["organisation"] for row in listed["participants"]} == {
        "coordinator",
        "acme",
        "auditors",
    }
    assert "trust" not in listed["participants"][0]
    trusted = json.loads(bmad(admin, "federation", "status", "--trust-levels", "--json"))
    assert "trust" in trusted["participants"][0]
    observed = json.loads(bmad(watcher, "federation", "status", "--show-participants", "--json"))
    assert "participants" not in observed
    table = bmad(admin, "federation", "status", "--show-participants", "--trust-levels")
    assert "Participants" in table and "…" not in table
    # roles: a member's learn command reads insights instead of opening a round
    assert "no global insights yet" in bmad(acme, "learn", "patterns", "--cross-project")
    error = bmad(acme, "federation", "invite", "--organization", "x", code=2)
    assert "403" in error


def test_commands_without_a_federation_or_with_bad_input(tmp_path: Path) -> None:
    lonely = tmp_path / "lonely"
    assert "no federation is configured" in bmad(lonely, "federation", "status", code=2)
    assert "no federation is configured" in bmad(
        lonely, "learn", "patterns", "--cross-project", code=2
    )
    assert "--cross-project" in bmad(lonely, "learn", "patterns", code=2)
    assert "--anonymous" in bmad(lonely, "learn", "success-factors", code=2)
    assert "at least one organisation" in bmad(
        lonely, "federation", "create", "--participants", " , ", code=2
    )
    unit = ["federation", "create", "--participants", "a,b,c", "--privacy-unit"]
    assert "does not support the unit" in bmad(lonely, *unit, "workflow_patterns=record", code=2)
    assert "TYPE=UNIT" in bmad(lonely, *unit, "record", code=2)
    error = bmad(
        lonely,
        "federation",
        "create",
        "--participants",
        "a,b",
        "--aggregator",
        "http://127.0.0.1:9",
        code=2,
    )
    assert "cannot reach the aggregator at http://127.0.0.1:9" in error
    assert "`bmad aggregator serve`" in error and "--aggregator URL" in error
    error = bmad(lonely, "aggregator", "serve", "--db", "mysql://x", code=2)
    assert "sqlite:///" in error


def test_join_refuses_a_consortium_id_that_is_not_a_uuid(tmp_path: Path) -> None:
    error = bmad(
        tmp_path / "acme",
        "federation",
        "join",
        "--consortium-id",
        "my-federation",
        "--organization",
        "acme",
        "--token",
        "a-secret-enrolment-token",
        code=2,
    )

    assert error == (
        "bmad: error: --consortium-id must be the federation's UUID (as `federation create` "
        "prints it), got 'my-federation'\n"
    )


def test_a_weaker_delta_than_the_federations_names_the_one_it_would_accept(
    tmp_path: Path, aggregator: Aggregator
) -> None:
    names = ["acme", "globex", "initech", "umbrella", "hooli"]
    admin, _ = create(tmp_path, aggregator.url, names, "--privacy-level", "high")
    budget = ["--privacy-budget", "epsilon=1.0,delta=1e-5"]
    error = bmad(admin, "learn", "patterns", "--cross-project", *budget, code=2)

    assert "delta 1e-05 is weaker than the federation's 1e-06" in error
    assert 'use a delta of at most 1e-06, e.g. --privacy-budget "epsilon=1,delta=1e-06"' in error


def test_join_without_a_token_or_a_terminal_is_a_usage_error(tmp_path: Path) -> None:
    arguments = [
        "federation",
        "join",
        "--consortium-id",
        str(uuid.uuid4()),
        "--organization",
        "acme",
    ]
    env = {**os.environ, **home_env(tmp_path / "acme")}
    env.pop("BMAD_FEDERATION_TOKEN", None)
    result = subprocess.run(
        [sys.executable, "-m", "bmad", *arguments],
        check=False,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )

    assert result.returncode == 2
    assert "pass --token TOKEN or set BMAD_FEDERATION_TOKEN" in result.stderr
    assert "Warning" not in result.stderr and "Aborted" not in result.stderr


def test_create_warns_when_fewer_organisations_than_k(
    tmp_path: Path, aggregator: Aggregator
) -> None:
    arguments = ["federation", "create", "--participants", "acme,globex,initech"]
    arguments += ["--privacy-level", "high", "--aggregator", aggregator.url]
    result = CliRunner().invoke(cli, arguments, env=home_env(tmp_path / "admin"))

    assert result.exit_code == 0, result.stderr
    assert result.stderr == (
        "bmad: warning: k=5 but the federation names 4 organisations: no round releases "
        "anything until at least 5 take part (invite more with `bmad federation invite`, or "
        "create it with a lower --k)\n"
    )
    quiet = CliRunner().invoke(cli, [*arguments, "--k", "4"], env=home_env(tmp_path / "other"))
    assert (quiet.exit_code, quiet.stderr) == (0, "")


def start_daemon(home: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bmad", "daemon", "start", "--foreground"],
        env={**home_env(home), "BMAD_DAEMON__POLL_INTERVAL": "5"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_a_round_from_the_command_line_with_a_daemon_taking_part(
    tmp_path: Path, aggregator: Aggregator
) -> None:
    names = ["acme", "globex", "initech", "umbrella"]
    admin, created = create(tmp_path, aggregator.url, names)
    federation, tokens = str(created["federation"]), created["tokens"]
    assert isinstance(tokens, dict)
    short = Path(tempfile.mkdtemp(prefix="bf-"))  # unix socket paths must stay short
    homes = {name: (short / name if name == "umbrella" else tmp_path / name) for name in names}
    for index, name in enumerate(names):
        repo = make_repo(tmp_path / f"{name}-repo", python_source(index))
        joined = bmad(
            homes[name],
            "federation",
            "join",
            "--consortium-id",
            federation,
            "--organization",
            name,
            "--aggregator",
            aggregator.url,
            "--token",
            tokens[name],
            "--json",
        )
        fingerprint = json.loads(joined)["organisation_key_fingerprint"]
        bmad(admin, "federation", "admit", "--organization", name, "--fingerprint", fingerprint)
        bmad(homes[name], "share", "enable", str(repo), "--types", "code_patterns")
    daemon = start_daemon(homes["umbrella"])
    try:
        leader = subprocess.Popen(
            [sys.executable, "-m", "bmad", "learn", "patterns", "--cross-project", "--json"],
            env=home_env(admin),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        while (
            json.loads(bmad(admin, "federation", "status", "--json"))["rounds"].get("enrolling")
            is None
        ):
            time.sleep(0.1)
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "bmad", "federation", "participate", "--json"],
                env=home_env(homes[name]),
                stdout=subprocess.PIPE,
                text=True,
            )
            for name in names[:3]
        ]
        outcomes = [json.loads(worker.communicate(timeout=300)[0]) for worker in workers]
        out, err = leader.communicate(timeout=300)
    finally:
        daemon.terminate()
        daemon.wait(timeout=60)
        daemon_log = "".join(p.read_text() for p in (short / "umbrella" / "log").glob("*.log*"))
        shutil.rmtree(short, ignore_errors=True)
    assert leader.returncode == 0, err
    document = json.loads(out)
    assert document["round"]["state"] == "released"
    assert document["round"]["organisations"] == {"completed": 4}, daemon_log  # daemon too
    assert document["insights"]["organisations"] == 4
    assert "enrolling" in err  # progress went to stderr
    assert [[o["outcome"] for o in outcome] for outcome in outcomes] == [["released"]] * 3
    report = json.loads(
        bmad(
            homes["acme"],
            "insights",
            "patterns",
            str(tmp_path / "acme-repo"),
            "--global",
            "--confidence-threshold",
            "0",
            "--json",
        )
    )
    assert report["global"]["organisations"] == 4
    assert report["global"]["confidence_threshold"] == 0
    assert report["global"]["privacy"]["unit"] == "record"
    human = bmad(homes["acme"], "learn", "patterns", "--cross-project")
    assert "code_patterns: 4 organisations" in human
    status = json.loads(bmad(admin, "federation", "status", "--trust-levels", "--json"))
    assert status["rounds"] == {"released": 1}
    completed = {row["organisation"]: row["rounds_completed"] for row in status["participants"]}
    assert completed == {"coordinator": 0, "acme": 1, "globex": 1, "initech": 1, "umbrella": 1}


def test_federated_anti_patterns_shows_the_local_ranking_and_the_global_smells(
    tmp_path: Path, aggregator: Aggregator
) -> None:
    admin, created = create(
        tmp_path, aggregator.url, ["acme", "globex", "initech"], "--enrol-timeout", "1"
    )
    tokens = created["tokens"]
    assert isinstance(tokens, dict)
    acme = tmp_path / "acme"
    bmad(
        acme,
        "federation",
        "join",
        "--consortium-id",
        str(created["federation"]),
        "--organization",
        "acme",
        "--aggregator",
        aggregator.url,
        "--token",
        tokens["acme"],
    )
    repo = make_repo(tmp_path / "acme-repo", python_source(3))
    report = json.loads(
        bmad(
            acme,
            "learn",
            "anti-patterns",
            str(repo),
            "--federated",
            "--consensus-threshold",
            "0.6",
            "--json",
        )
    )
    assert report["consensus_threshold"] == 0.6
    assert report["global_smells"] == {}  # no anti-pattern round has been released yet
    assert report["round"] is None  # a member does not open rounds
    assert "functions" in report
    human = bmad(acme, "learn", "anti-patterns", str(repo), "--federated")
    assert "no global anti-pattern insights yet" in human
    sarif = tmp_path / "federated.sarif"
    bmad(acme, "learn", "anti-patterns", str(repo), "--federated", "--sarif", str(sarif))
    assert json.loads(sarif.read_text())["version"] == "2.1.0"
    # the admin's command opens a round; with nobody taking part it aborts, exit 1
    error = bmad(admin, "learn", "success-factors", "--anonymous", "--json", code=1)
    assert "round aborted" in error
