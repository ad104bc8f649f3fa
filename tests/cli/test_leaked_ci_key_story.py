"""The second demo story, examples/leaked-ci-key: what an attacker holding the CI user's key does to
stay in and widen access, and the ids (at least the severities) the README promises for each step.

Replay judges each file with the bundled model; one ``simulate`` run proves the same alerts come out
of the deployed path (EventBridge pattern → iam handler → store → Slack/SNS) on moto.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.cli import build_parser, main
from chalicelib.cli import simulate as simulate_cli
from chalicelib.findings import Severity

STORY = Path(__file__).resolve().parents[2] / "examples" / "leaked-ci-key"
# file → the (rule id, lowest severity) each of its findings must have; the README lists the same.
EXPECTED: dict[str, list[tuple[str, Severity]]] = {
    "01-ci-key-sets-a-console-password.eventbridge.json": [("iam-login-profile-created", Severity.CRITICAL)],
    "02-ci-key-attaches-administrator-access.eventbridge.json": [("iam-privilege-granted", Severity.CRITICAL)],
    "03-ci-key-opens-the-deploy-role-to-an-outside-account.eventbridge.json":
        [("iam-trust-policy-changed", Severity.CRITICAL)],
    "04-ci-key-removes-mfa.records.json": [("iam-mfa-removed", Severity.MEDIUM), ("iam-mfa-removed", Severity.MEDIUM)],
    "05-aws-quarantines-the-leaked-key.json": [("credential-quarantined", Severity.CRITICAL)],
    "06-routine-iam-changes.jsonl": [("sso-assignment-changed", Severity.LOW)],
}


@pytest.fixture(autouse=True)
def bundled_model(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TRAILWARDEN_MODEL", "TRAILWARDEN_SLACK_WEBHOOK", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy",
                 "https_proxy"):
        monkeypatch.delenv(name, raising=False)


def replay_json(capsys: pytest.CaptureFixture[str], path: Path) -> list[dict]:
    assert main(["replay", "--format", "json", str(path)]) in (0, 1)
    out = capsys.readouterr().out
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_the_story_holds_exactly_the_documented_files():
    assert sorted(p.name for p in STORY.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_step_of_the_story_gives_its_documented_ids(capsys: pytest.CaptureFixture[str], name: str):
    findings = replay_json(capsys, STORY / name)
    got = sorted((f["rule"], Severity.parse(f["severity"])) for f in findings)
    assert got == sorted(EXPECTED[name])


def test_the_routine_changes_raise_nothing_at_medium_or_above(capsys: pytest.CaptureFixture[str]):
    findings = replay_json(capsys, STORY / "06-routine-iam-changes.jsonl")
    assert all(Severity.parse(f["severity"]) < Severity.MEDIUM for f in findings)


def test_the_deployed_path_alerts_on_every_attack_step(capsys: pytest.CaptureFixture[str]):
    args = build_parser().parse_args(["simulate", str(STORY), "--format", "json"])
    assert simulate_cli.run(args) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    slack = {line["payload"]["text"].split(":", 1)[0] for line in lines if line["kind"] == "slack"}
    assert slack == {"[CRITICAL] iam-login-profile-created", "[CRITICAL] iam-privilege-granted",
                     "[CRITICAL] iam-trust-policy-changed", "[MEDIUM] iam-mfa-removed",
                     "[CRITICAL] credential-quarantined"}
