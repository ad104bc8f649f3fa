"""Slack button clicks: signed with the app's secret, fresh, once — else 401 and nothing changes.

Requests are signed exactly as Slack signs them (``v0=HMAC-SHA256(secret, "v0:ts:body")``)
with slack_sdk's own ``SignatureVerifier.generate_signature``; the payload is Slack's
``block_actions`` shape, form-encoded as ``payload=<json>``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest
from moto import mock_aws
from slack_sdk.signature import SignatureVerifier

from chalicelib.errors import ChannelNotConfigured
from chalicelib.findings import Severity
from chalicelib.incidents.sqlite import SQLiteIncidentStore
from chalicelib.incidents.state import SQLiteStateStore
from chalicelib.notify.actions import triage_block
from chalicelib.notify.slack_interactions import InteractionHandler, ssm_signing_secret
from tests.incidents.factories import make_finding

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
NOW = datetime(2026, 11, 20, 10, 6, tzinfo=UTC)
RESPONSE_URL = "https://hooks.slack.com/actions/T0001/1234/abcd"


class Rig:
    def __init__(self, tmp_path: Path, secret: Any = SECRET) -> None:
        path = tmp_path / "log.db"
        self.store = SQLiteIncidentStore(path)
        outcome = self.store.record(make_finding("evt-1", severity=Severity.CRITICAL), now=NOW - timedelta(minutes=4))
        assert outcome.incident is not None
        self.incident_id = outcome.incident.incident_id
        self.posted: list[tuple[str, dict[str, Any]]] = []
        self.now = NOW
        provider = secret if callable(secret) else (lambda: secret)
        self.handler = InteractionHandler(self.store, SQLiteStateStore(str(path)), provider, lambda: self.now,
                                          respond=lambda url, message: self.posted.append((url, message)))

    def click(self, action_id: str = "triage-ack", response_url: str = RESPONSE_URL) -> bytes:
        payload = {
            "type": "block_actions", "user": {"id": "U024BE7LH", "username": "jared", "team_id": "T0001"},
            "response_url": response_url,
            "message": {"text": "CRITICAL: root-api-use", "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": "*Why:* root"}},
                triage_block(self.incident_id)]},
            "actions": [{"type": "button", "action_id": action_id, "block_id": "trailwarden-triage",
                         "value": self.incident_id, "action_ts": "1700000000.000100"}],
        }
        return urlencode({"payload": json.dumps(payload)}).encode()

    def statuses(self) -> list[str]:
        return [r.status for r in self.store.triage_history(self.incident_id)]


def signed(body: bytes, at: datetime = NOW, secret: str = SECRET) -> dict[str, str]:
    ts = str(int(at.timestamp()))
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": str(signature),
            "Content-Type": "application/x-www-form-urlencoded"}


def test_a_signed_click_acknowledges_as_the_slack_user(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    body = rig.click()
    answer = rig.handler.handle(signed(body), body)
    assert answer.status == 200
    [record] = rig.store.triage_history(rig.incident_id)
    assert (record.status, record.actor, record.via) == ("acknowledged", "slack:jared (U024BE7LH)", "slack")


def test_the_message_is_updated_through_its_response_url(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    body = rig.click()
    rig.handler.handle(signed(body), body)
    [(url, message)] = rig.posted
    assert url == RESPONSE_URL and message["replace_original"] is True
    assert "Acknowledged by slack:jared (U024BE7LH)" in message["blocks"][-1]["elements"][0]["text"]
    [actions] = [b for b in message["blocks"] if b["type"] == "actions"]
    assert [e["action_id"] for e in actions["elements"]] == ["triage-resolve-expected", "triage-false-positive"]


def test_resolve_as_expected_resolves_and_removes_the_buttons(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    body = rig.click("triage-resolve-expected")
    assert rig.handler.handle(signed(body), body).status == 200
    [record] = rig.store.triage_history(rig.incident_id)
    assert (record.status, record.resolution) == ("resolved", "expected")
    assert not [b for b in rig.posted[0][1]["blocks"] if b["type"] == "actions"]


def test_an_unsigned_request_is_401_and_changes_nothing(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    assert rig.handler.handle({}, rig.click()).status == 401
    assert (rig.statuses(), rig.posted) == ([], [])


def test_a_request_signed_with_another_secret_is_401(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    body = rig.click()
    assert rig.handler.handle(signed(body, secret="not-the-secret"), body).status == 401
    assert rig.statuses() == []


def test_a_body_changed_after_signing_is_401(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    headers = signed(rig.click("triage-ack"))
    assert rig.handler.handle(headers, rig.click("triage-false-positive")).status == 401
    assert rig.statuses() == []


def test_a_timestamp_older_than_5_minutes_is_401(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    body = rig.click()
    assert rig.handler.handle(signed(body, at=NOW - timedelta(minutes=5, seconds=1)), body).status == 401
    assert rig.statuses() == []


def test_a_timestamp_within_5_minutes_is_accepted(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    body = rig.click()
    assert rig.handler.handle(signed(body, at=NOW - timedelta(minutes=4)), body).status == 200


def test_a_replayed_request_is_401_even_while_fresh(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    body = rig.click()
    headers = signed(body)
    assert rig.handler.handle(headers, body).status == 200
    rig.now = NOW + timedelta(seconds=30)
    assert rig.handler.handle(headers, body).status == 401
    assert rig.statuses() == ["acknowledged"]


def test_a_non_numeric_timestamp_is_401(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    body = rig.click()
    headers = {**signed(body), "X-Slack-Request-Timestamp": "soon"}
    assert rig.handler.handle(headers, body).status == 401


def test_a_second_ack_answers_ephemerally_and_records_nothing(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    first, second = rig.click(), rig.click() + b"&x=1"
    rig.handler.handle(signed(first), first)
    answer = rig.handler.handle(signed(second), second)
    assert answer.status == 200 and answer.body["ok"] is False
    assert rig.statuses() == ["acknowledged"] and rig.posted[-1][1]["replace_original"] is False


def test_a_response_url_off_slack_is_never_posted_to(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    body = rig.click(response_url="https://attacker.example/collect")
    assert rig.handler.handle(signed(body), body).status == 200
    assert rig.posted == []


def test_without_a_signing_secret_the_route_is_503(tmp_path: Path) -> None:
    def missing() -> str:
        raise ChannelNotConfigured("no parameter")

    rig = Rig(tmp_path, secret=missing)
    body = rig.click()
    assert rig.handler.handle(signed(body), body).status == 503
    assert rig.statuses() == []


@pytest.fixture
def ssm(monkeypatch: pytest.MonkeyPatch) -> Any:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield boto3.client("ssm", region_name="us-east-1")


def test_the_secret_is_read_from_an_ssm_securestring(ssm: Any) -> None:
    ssm.put_parameter(Name="/tw/test/signing", Value=SECRET, Type="SecureString")
    assert ssm_signing_secret("/tw/test/signing", max_age=0)() == SECRET


def test_a_missing_secret_parameter_means_not_configured(ssm: Any) -> None:
    with pytest.raises(ChannelNotConfigured, match="/tw/test/absent"):
        ssm_signing_secret("/tw/test/absent", max_age=0)()
