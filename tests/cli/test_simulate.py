"""``simulate`` exits 1 and names the invocation when a handler failed, as Lambda would have retried it.

The whole deployed path runs on a moto server; the Slack sender and SNS publisher are injected
(a Slack outage, an SNS outage) through ``simulate.run``'s keyword arguments.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.cli import build_parser
from chalicelib.cli import simulate as simulate_cli
from chalicelib.errors import DeliveryError
from chalicelib.findings import Finding
from chalicelib.notify import AlertContext

STORY = Path(__file__).resolve().parents[2] / "examples" / "story"
ROOT_SIGNIN = STORY / "01-root-console-signin.eventbridge.json"
ROOT_SIGNIN_EVENT_ID = "9a1b7e55-3a53-4f2e-9a1e-0c6f4f1a0001"
PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")


class DownSlack:
    def send(self, payload: dict[str, Any]) -> None:
        raise DeliveryError("Slack webhook answered HTTP 503: service_unavailable")


class DownSns:
    def publish_finding(self, finding: Finding, context: AlertContext | None = None) -> str:
        raise DeliveryError("SNS publish failed: InternalError")


@pytest.fixture(autouse=True)
def local_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """boto3 must talk to the local moto server, not through a proxy; the model is the bundled one."""
    for name in (*PROXIES, "TRAILWARDEN_MODEL", "TRAILWARDEN_SLACK_WEBHOOK"):
        monkeypatch.delenv(name, raising=False)


def simulate(capsys: pytest.CaptureFixture[str], *argv: str, **channels: Any) -> tuple[int, str, list[str]]:
    """(exit status, stdout, the ``error:`` lines on stderr; the rest of stderr is the handlers' logs)."""
    args = build_parser().parse_args(["simulate", *argv])
    code = simulate_cli.run(args, **channels)
    out, err = capsys.readouterr()
    return code, out, [line for line in err.splitlines() if line.startswith("error:")]


def root_signin_in_an_undeclared_account(folder: Path) -> Path:
    """Root signs in to an account the model does not list: a critical and a medium finding."""
    env = json.loads(ROOT_SIGNIN.read_text(encoding="utf-8"))
    record = copy.deepcopy(env["detail"])
    record["recipientAccountId"] = record["userIdentity"]["accountId"] = "111122223333"
    record["userIdentity"]["arn"] = "arn:aws:iam::111122223333:root"
    path = folder / "undeclared-root-signin.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    return path


def test_simulate_exits_1_and_names_each_failed_invocation(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, errors = simulate(capsys, str(ROOT_SIGNIN), slack=DownSlack(), sns=DownSns())
    assert code == 1
    assert errors, "each failed invocation is named on stderr"
    assert all(f"for event {ROOT_SIGNIN_EVENT_ID} failed: DeliveryError: alerts failed" in e for e in errors)
    assert {e.split(" handler ")[0] for e in errors} == {"error: invocation 1 of the root",
                                                          "error: invocation 1 of the signin"}


def test_simulate_exits_0_when_the_sns_fallback_delivered(capsys: pytest.CaptureFixture[str],
                                                          tmp_path: Path) -> None:
    event = root_signin_in_an_undeclared_account(tmp_path)
    code, out, errors = simulate(capsys, str(event), "--format", "json", slack=DownSlack())
    lines = [json.loads(line) for line in out.splitlines()]
    summary = lines[-1]
    assert code == 0 and errors == []
    assert summary["failed_invocations"] == 0 and summary["alert_fallbacks"] == 1
    assert sorted(x["message"]["rule"] for x in lines if x["kind"] == "sns") == [
        "identity-undeclared-account", "root-signin"]
