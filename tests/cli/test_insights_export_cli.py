"""`bmad insights export --learning-outcomes --privacy-preserved`."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bmad.cli.main import cli
from bmad.privacy import audit
from bmad.privacy.db import open_privacy_store
from bmad.privacy.payloads import Payload, digest, serialise
from bmad.privacy.sharing import cache_global_insights, settings_for
from tests.privacy.canary import build_canary_repo, leaks


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_export_writes_consented_payloads_charges_budget_and_audits(tmp_path: Path) -> None:
    repo = build_canary_repo(tmp_path / "project")
    other = build_canary_repo(tmp_path / "not-consented")
    assert invoke("share", "enable", str(repo), "--types", "code_patterns,success_patterns")[0] == 0
    with open_privacy_store() as store:
        cache_global_insights(store, "code_patterns", 1, {"ccn_p97": 14})
    target = tmp_path / "export.json"
    code, out, err = invoke(
        "insights",
        "export",
        "--learning-outcomes",
        "--privacy-preserved",
        "-o",
        str(target),
        "--json",
        "--yes",
    )
    assert code == 0, err
    report = json.loads(out)
    assert report.pop("spent_rho") > 0
    assert report == {"output": str(target), "payloads": 2, "skipped": []}
    text = target.read_text()
    assert leaks(text, repo) == [] and leaks(text, other) == []
    document = json.loads(text)
    assert document["privacy_preserved"] is True
    outcomes = document["learning_outcomes"]
    assert [o["learning_type"] for o in outcomes] == ["code_patterns", "success_patterns"]
    for outcome in outcomes:
        recorded = outcome.pop("digest")
        assert recorded == digest(serialise(Payload.from_dict(outcome)))
    assert document["global_insights"][0]["insights"] == {"ccn_p97": 14}
    with open_privacy_store() as store:
        sent = [e.detail for e in audit.entries(store) if e.kind == "payload_sent"]
        assert audit.verify(store).ok
    assert sorted(e["digest"] for e in sent) == sorted(
        digest(serialise(Payload.from_dict(o))) for o in outcomes
    )
    code, out, _ = invoke("privacy", "budget", str(repo), "--json")
    assert json.loads(out)["usage"][0]["spent_rho"] > 0


def test_export_without_learning_outcomes_spends_nothing(tmp_path: Path) -> None:
    repo = build_canary_repo(tmp_path / "project")
    invoke("share", "enable", str(repo))
    code, out, err = invoke("insights", "export", "--privacy-preserved")
    assert code == 0, err
    assert json.loads(out)["learning_outcomes"] == []
    code, out, _ = invoke("privacy", "budget", str(repo), "--json")
    assert json.loads(out)["usage"][0]["spent_rho"] == 0


def test_export_to_a_file_says_what_was_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = build_canary_repo(tmp_path / "project")
    invoke("share", "enable", str(repo), "--types", "code_patterns")
    monkeypatch.setenv("BMAD_PRIVACY__BUDGET", '"epsilon=0.01,delta=1e-5"')
    target = tmp_path / "export.json"

    code, out, err = invoke(
        "insights", "export", "--learning-outcomes", "--privacy-preserved", "-o", str(target), "-y"
    )

    assert (code, out) == (0, "")
    assert "code_patterns: rho 0.002, more than the 6.543e-06 left in" in err
    assert err.endswith(
        f"wrote 0 privacy-preserved payloads to {target}\n"
        "not exported: code_patterns (budget exhausted)\n"
    )


def test_export_requires_privacy_preserved() -> None:
    code, _, err = invoke("insights", "export", "--learning-outcomes")
    assert code == 2 and "--privacy-preserved" in err


def test_an_unwritable_target_releases_the_budget(tmp_path: Path) -> None:
    repo = build_canary_repo(tmp_path / "project")
    invoke("share", "enable", str(repo), "--types", "code_patterns")
    target = tmp_path / "missing-folder" / "export.json"
    code, _, err = invoke(
        "insights", "export", "--learning-outcomes", "--privacy-preserved", "-o", str(target), "-y"
    )
    assert code == 2 and "cannot write" in err
    code, out, _ = invoke("privacy", "budget", str(repo), "--json")
    usage = json.loads(out)["usage"][0]
    assert usage["spent_rho"] == 0 and usage["reserved_rho"] == 0


def spent_rho(repo: Path) -> float:
    code, out, _ = invoke("privacy", "budget", str(repo), "--json")
    assert code == 0
    usage = json.loads(out)["usage"][0]
    return float(usage["spent_rho"] + usage["reserved_rho"])


def test_export_says_what_it_will_spend_then_what_it_spent(tmp_path: Path) -> None:
    repo = build_canary_repo(tmp_path / "project")
    invoke("share", "enable", str(repo), "--types", "code_patterns,success_patterns")
    settings = settings_for()
    each = [settings.noise_plan(t).rho for t in ("code_patterns", "success_patterns")]
    target = tmp_path / "export.json"

    code, _, err = invoke(
        "insights", "export", "--learning-outcomes", "--privacy-preserved", "-o", str(target), "-y"
    )

    assert code == 0, err
    announced = (
        f"  repository {repo}: code_patterns, success_patterns: rho {sum(each):.4g} of the "
        f"{settings.repository_budget.rho:.4g} left; used in "
    )
    spent = f"spent for repository {repo}: rho {sum(each):.4g} (code_patterns, success_patterns)"
    assert err.index(announced) < err.index("wrote 2 privacy-preserved payloads") < err.index(spent)
    assert spent_rho(repo) == pytest.approx(sum(each))


def test_without_yes_or_a_terminal_nothing_is_spent_or_written(tmp_path: Path) -> None:
    repo = build_canary_repo(tmp_path / "project")
    invoke("share", "enable", str(repo), "--types", "code_patterns")
    target = tmp_path / "export.json"

    code, _, err = invoke(
        "insights", "export", "--learning-outcomes", "--privacy-preserved", "-o", str(target)
    )

    assert code == 2
    assert "charged to the privacy budget" in err and "pass --yes" in err
    assert not target.exists()
    assert spent_rho(repo) == 0


def test_sharing_off_everywhere_is_pointed_out(tmp_path: Path) -> None:
    code, out, err = invoke("insights", "export", "--learning-outcomes", "--privacy-preserved")
    assert code == 0, err
    assert json.loads(out)["learning_outcomes"] == []
    assert "sharing is off for every repository" in err and "bmad share enable" in err
    assert "charged" not in err


def export_on_a_terminal(answer: str, target: Path) -> tuple[int, str]:
    """The export in a real pseudo-terminal (stdin and stderr), answering its question."""
    primary, secondary = pty.openpty()
    command = [sys.executable, "-m", "bmad", "insights", "export", "--learning-outcomes"]
    command += ["--privacy-preserved", "-o", str(target)]
    with subprocess.Popen(
        command, stdin=secondary, stdout=subprocess.DEVNULL, stderr=secondary
    ) as process:
        os.close(secondary)
        shown = b""
        while b"[y/N]" not in shown:
            chunk = os.read(primary, 4096)
            assert chunk, shown
            shown += chunk
        os.write(primary, f"{answer}\n".encode())
        code = process.wait(timeout=60)
    with contextlib.suppress(OSError):  # the terminal closes with the process
        while chunk := os.read(primary, 4096):
            shown += chunk
    os.close(primary)
    return code, shown.decode()


def test_on_a_terminal_the_export_asks_before_spending(tmp_path: Path) -> None:
    repo = build_canary_repo(tmp_path / "project")
    invoke("share", "enable", str(repo), "--types", "code_patterns")
    target = tmp_path / "export.json"

    code, shown = export_on_a_terminal("n", target)
    assert code == 1
    assert "nothing exported, no budget spent" in shown
    assert not target.exists() and spent_rho(repo) == 0

    code, shown = export_on_a_terminal("y", target)
    assert code == 0, shown
    assert f"spent for repository {repo}" in shown
    assert target.exists() and spent_rho(repo) > 0
