"""app.py as Chalice sees it: handlers, routes and their authorizer, the writes switch, import cost.

The Chalice test client does not enforce IAMAuthorizer (DESIGN §8), so the authorizer is
checked on the route table here and on the packaged API definition in test_template.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chalice import IAMAuthorizer
from chalice.app import CloudWatchEventConfig, ScheduledEventConfig
from chalice.test import Client

import app as app_module
from chalicelib import runtime
from chalicelib.notify.slack import CapturingSlackSender
from chalicelib.settings import Settings

from .conftest import ROOT
from .routing_cases import cases

# The local gateway says so on every request; the deployed authorizer is tested on the template.
pytestmark = pytest.mark.filterwarnings("ignore:IAMAuthorizer is not a supported in local mode")


def run_python(code: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TRAILWARDEN_")}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**clean, **env},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_every_route_but_slacks_is_behind_the_iam_authorizer() -> None:
    routes = app_module.app.routes
    assert {path: set(methods) for path, methods in routes.items()} == {
        "/incidents": {"GET"}, "/incidents/{incident_id}": {"GET"}, "/incidents/{incident_id}/triage": {"POST"},
        "/slack/interactions": {"POST"}}
    for path, methods in routes.items():
        for entry in methods.values():
            # Slack cannot sign with SigV4: that route checks Slack's own request signature instead.
            assert isinstance(entry.authorizer, IAMAuthorizer) or path == "/slack/interactions", path


def test_one_handler_per_family_plus_the_two_schedules() -> None:
    sources = app_module.app.event_sources
    families = {s.name: s for s in sources if isinstance(s, CloudWatchEventConfig)}
    assert set(families) == set(app_module.FAMILIES)
    for name, source in families.items():
        assert source.event_pattern == app_module.PATTERNS[name]
        assert source.handler_string == f"app.{name}"
    schedules = {s.name: s.schedule_expression.to_string() for s in sources if isinstance(s, ScheduledEventConfig)}
    assert schedules == {"daily_audit": "rate(1 day)", "close_groups": "rate(1 hour)",
                         "liveness": "rate(15 minutes)"}


@pytest.mark.parametrize(("value", "has_writes"), [("true", True), ("false", False), ("", False)])
def test_writes_switch_is_read_at_import(value: str, has_writes: bool) -> None:
    out = run_python("import app, json; print(json.dumps([s.name for s in app.app.event_sources]))",
                     TRAILWARDEN_WATCH_WRITES=value)
    assert ("writes" in json.loads(out)) is has_writes


def test_import_creates_no_client_and_loads_no_xray_sdk() -> None:
    out = run_python("import json, sys, app; "
                     "print(json.dumps([m for m in ('boto3', 'aws_xray_sdk', 'yaml') if m in sys.modules]))")
    assert json.loads(out) == [], "import app must stay cheap: it runs on every Lambda cold start"


def test_repeated_filter_is_a_clear_400(capsys: pytest.CaptureFixture[str]) -> None:
    with Client(app_module.app, stage_name="dev") as client:
        response = client.http.get("/incidents?severity=high&severity=low")
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/json"
    body: dict[str, Any] = response.json_body
    assert body["error"] == "bad_filter" and "severity" in body["message"]
    # the observability middleware ran: an EMF metric in the Trailwarden namespace
    metrics = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert any(m["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Trailwarden" and "ApiClientErrors" in m
               for m in metrics)


@pytest.fixture
def local_runtime(tmp_path: Path) -> Iterator[CapturingSlackSender]:
    """The real runtime wiring on a SQLite incident log, Slack captured, no AWS (runtime.use)."""
    slack = CapturingSlackSender()
    cfg = Settings(store_url=f"sqlite:///{tmp_path / 'incidents.db'}", topic_arn=None, stage="test")
    runtime.use(runtime.build_monitor(cfg, slack=slack))
    yield slack
    runtime.use(None)


def test_event_handler_to_auditor_api_end_to_end(local_runtime: CapturingSlackSender) -> None:
    signin = next(env for name, env, _ in cases() if name == "root-signin-success")
    with Client(app_module.app) as client:
        first = client.lambda_.invoke("root", signin).payload
        # the same record also reaches the signin family (and writes): stored and alerted once
        again = client.lambda_.invoke("signin", signin).payload
        listing = client.http.get("/incidents?rule=root-signin")
        (finding,) = [f for f in first["findings"] if f["rule"] == "root-signin"]
        one = client.http.get(f"/incidents/{finding['incident_id']}")
        missing = client.http.get("/incidents/inc-000000000000000000000000")
        bad = client.http.get("/incidents?severity_at_least=urgent")
        unknown = client.http.get("/incidents?colour=red")
    assert first["family"] == "root" and finding["status"] == "new"
    assert [f["status"] for f in again["findings"] if f["rule"] == "root-signin"] == ["duplicate"]
    assert len(local_runtime.payloads) == 1
    assert listing.status_code == 200
    assert [i["incident_id"] for i in listing.json_body["incidents"]] == [finding["incident_id"]]
    assert one.status_code == 200 and one.json_body["principal_arn"] == "arn:aws:iam::630287363158:root"
    assert missing.status_code == 404 and missing.json_body["error"] == "not_found"
    assert bad.status_code == 400 and "severity_at_least" in bad.json_body["message"]
    assert unknown.status_code == 400 and "colour" in unknown.json_body["message"]


def test_an_unsigned_slack_interaction_is_401(local_runtime: CapturingSlackSender) -> None:
    with Client(app_module.app) as client:
        answer = client.http.post("/slack/interactions", body="payload=%7B%7D",
                                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 401


def test_triage_without_a_responder_identity_is_403(local_runtime: CapturingSlackSender) -> None:
    with Client(app_module.app) as client:
        answer = client.http.post("/incidents/inc-000000000000000000000000/triage", body='{"action": "ack"}',
                                  headers={"Content-Type": "application/json"})
    assert answer.status_code == 403 and answer.json_body["error"] == "forbidden"


def api_event(path: str, resource: str, params: dict[str, str], body: str, user_arn: str) -> dict[str, Any]:
    """An API Gateway REST proxy event as IAM auth delivers it: the verified signer in requestContext.identity."""
    headers = {"Content-Type": "application/json", "Host": "api.example"}
    return {
        "resource": resource, "path": path, "httpMethod": "POST", "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()}, "queryStringParameters": None,
        "multiValueQueryStringParameters": None, "pathParameters": params, "stageVariables": None,
        "requestContext": {"resourcePath": resource, "httpMethod": "POST", "path": f"/api{path}", "stage": "api",
                           "identity": {"userArn": user_arn, "sourceIp": "198.51.100.7"}},
        "body": body, "isBase64Encoded": False,
    }  # fmt: skip


class _LambdaContext:
    function_name = "trailwarden-test-api_handler"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:630287363158:function:trailwarden-test-api_handler"
    aws_request_id = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def test_a_responder_session_triages_through_the_route_and_is_recorded(
    local_runtime: CapturingSlackSender, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.settings import settings
    from tests.incidents.factories import make_finding

    monkeypatch.setenv("TRAILWARDEN_STAGE", "test")
    settings.cache_clear()
    store = runtime.monitor().store
    outcome = store.record(make_finding("evt-route-1"))
    assert outcome.incident is not None
    incident_id = outcome.incident.incident_id
    responder = "arn:aws:sts::630287363158:assumed-role/trailwarden-test-responder/maria"
    auditor = "arn:aws:sts::630287363158:assumed-role/trailwarden-test-auditor/eve"
    resource, path = "/incidents/{incident_id}/triage", f"/incidents/{incident_id}/triage"
    try:
        refused = app_module.app(api_event(path, resource, {"incident_id": incident_id}, '{"action": "ack"}',
                                           auditor), _LambdaContext())
        done = app_module.app(api_event(path, resource, {"incident_id": incident_id}, '{"action": "ack"}',
                                        responder), _LambdaContext())
    finally:
        settings.cache_clear()
    assert refused["statusCode"] == 403 and done["statusCode"] == 200, done
    assert [r.actor for r in store.triage_history(incident_id)] == [responder]


def test_a_signed_slack_click_through_the_route_acknowledges_once(
    local_runtime: CapturingSlackSender, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time
    from urllib.parse import urlencode

    import boto3
    from moto import mock_aws
    from slack_sdk.signature import SignatureVerifier

    from chalicelib.settings import settings
    from tests.incidents.factories import make_finding

    secret, name = "8f742231b10e8888abcd99yyyzzz85a5", "/trailwarden/test/slack-signing-secret"
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1", "TRAILWARDEN_SLACK_SIGNING_SECRET_PARAM": name}.items():
        monkeypatch.setenv(key, value)
    settings.cache_clear()
    monkeypatch.setattr(runtime, "_signing_secret", None)
    outcome = runtime.monitor().store.record(make_finding("evt-slack-1"))
    assert outcome.incident is not None
    incident_id = outcome.incident.incident_id
    payload = {"type": "block_actions", "user": {"id": "U024BE7LH", "username": "jared"},
               "actions": [{"action_id": "triage-ack", "value": incident_id}]}
    body = urlencode({"payload": json.dumps(payload)})
    ts = str(int(time.time()))
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": ts,
               "X-Slack-Signature": str(SignatureVerifier(secret).generate_signature(timestamp=ts, body=body))}
    try:
        with mock_aws():
            boto3.client("ssm", region_name="us-east-1").put_parameter(Name=name, Value=secret, Type="SecureString")
            with Client(app_module.app) as client:
                first = client.http.post("/slack/interactions", body=body, headers=headers)
                replay = client.http.post("/slack/interactions", body=body, headers=headers)
                forged = client.http.post("/slack/interactions", body=body.replace("jared", "eve"), headers=headers)
    finally:
        settings.cache_clear()
    assert (first.status_code, replay.status_code, forged.status_code) == (200, 401, 401)
    assert [r.actor for r in runtime.monitor().store.triage_history(incident_id)] == ["slack:jared (U024BE7LH)"]
