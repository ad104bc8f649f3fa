"""``simulate examples/blinding --liveness --stage prod``: issue 12's story through the deployed path on moto.

Three blinding calls each give one critical incident with one Slack and one SNS message naming the
offending ARN; the heartbeat check past its threshold gives monitor-blind for the account and region;
the heartbeat that follows closes it with a closing message; the heartbeat itself is no incident.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from chalicelib.cli import build_parser
from chalicelib.cli import simulate as simulate_cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "blinding"
PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")
BLINDING = {  # event id → (rule, offending ARN)
    "6f0c3a51-2b8e-4d4f-9d0e-1a7c5e2b9f01": ("monitor-trail-tampered",
                                             "arn:aws:sts::630287363158:assumed-role/ops-automation/nightly-cleanup"),
    "4b1e8d2a-6c3f-4e9a-b2d7-1f5c8a3e6d10": ("monitor-pipeline-tampered", "arn:aws:sts::630287363158:assumed-role/"
                                                                          "paperclip-agent/paperclip-worker-7"),
    "c7a2f5e1-3d8b-4f6c-9e1a-2b4d7f0c3e11": ("monitor-pipeline-tampered", "arn:aws:sts::630287363158:assumed-role/"
                                                                          "paperclip-agent/paperclip-worker-7"),
}


@pytest.fixture(scope="module")
def lines() -> list[dict]:
    with pytest.MonkeyPatch.context() as mp:
        for name in (*PROXIES, "TRAILWARDEN_MODEL", "TRAILWARDEN_SLACK_WEBHOOK"):
            mp.delenv(name, raising=False)
        args = build_parser().parse_args(["simulate", str(EXAMPLES), "--liveness", "--stage", "prod",
                                          "--format", "json"])
        buffer = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
        with contextlib.redirect_stdout(buffer):
            assert simulate_cli.run(args) == 0
        buffer.flush()
        return [json.loads(line) for line in buffer.buffer.getvalue().decode().splitlines() if line.strip()]


def test_each_blinding_call_is_one_critical_incident_with_one_slack_and_one_sns_message(lines: list[dict]) -> None:
    incidents = [x for x in lines if x["kind"] == "incident"]
    sns = [x for x in lines if x["kind"] == "sns"]
    slack = [x for x in lines if x["kind"] == "slack"]
    for event_id, (rule, arn) in BLINDING.items():
        mine = [i for i in incidents if i["event_id"] == event_id and i["rule"] == rule]
        assert len(mine) == 1 and mine[0]["severity"] == "critical" and mine[0]["principal_arn"] == arn
        assert sum(1 for m in sns if m["message"].get("event_id") == event_id) == 1
        about = [m for m in slack if event_id in json.dumps(m["payload"]) and rule in m["payload"]["text"]]
        assert len(about) == 1 and arn in json.dumps(about[0]["payload"])


def test_past_the_threshold_the_account_and_region_is_blind_and_a_heartbeat_closes_it(lines: list[dict]) -> None:
    (blind,) = [x for x in lines if x["kind"] == "incident" and x["rule"] == "monitor-blind"]
    assert (blind["account"], blind["region"], blind["severity"]) == ("630287363158", "us-east-1", "critical")
    steps = [x for x in lines if x["kind"] == "liveness"]
    assert steps[0]["blind"] == ["630287363158/us-east-1"]
    assert steps[1]["blind"] == [] and steps[1]["closed"] == ["630287363158/us-east-1"]
    closing = [x for x in lines if x["kind"] == "sns" and "heartbeat resumed" in x["subject"]]
    assert len(closing) == 1


def test_the_heartbeat_is_never_an_incident(lines: list[dict]) -> None:
    assert not [x for x in lines if x["kind"] == "incident" and x["event_name"] == "PutParameter"]
    summary = lines[-1]
    assert summary["failed_invocations"] == 0 and summary["invocations"]["pipeline"] == 3
