"""Fixtures for the notify tests: findings, a scriptable local Slack webhook, and moto."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from moto import mock_aws

from chalicelib.findings import Finding, Severity

WEBHOOK_PATH = "/services/T0000TEST/B0000TEST/SeCrEtWeBhOoKtOkEn"
_PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")


def build_finding(**overrides: Any) -> Finding:
    """A root-API-use finding with every field set; tests override what they are about."""
    fields: dict[str, Any] = {
        "rule": "root-api-use",
        "severity": Severity.CRITICAL,
        "title": "Root user called GetParameter",
        "principal_arn": "arn:aws:iam::630287363158:root",
        "principal": None,
        "target_arn": "arn:aws:ssm:us-east-1:630287363158:parameter/paperclip-app/api-key",
        "event_id": "3f1c6a3e-9d2b-4a0e-8f4e-2c1d0b9a8e7f",
        "event_name": "GetParameter",
        "event_source": "ssm.amazonaws.com",
        "event_time": "2026-11-20T10:01:02Z",
        "account": "630287363158",
        "region": "us-east-1",
        "source_ip": "203.0.113.7",
        "user_agent": "aws-cli/2.15.0 Python/3.11.6 Linux/6.5",
        "breaks": "Paperclip agents lose API access",
        "runbook": "Confirm with the account owner; rotate root credentials; enable MFA.",
        "reason": "the model says root is never used in account management",
    }
    fields.update(overrides)
    return Finding(**fields)


@pytest.fixture
def make_finding() -> Callable[..., Finding]:
    return build_finding


@dataclass
class ScriptedWebhook:
    """A local stand-in for hooks.slack.com: answers from a script, records what it got."""

    url: str
    script: list[tuple[int, dict[str, str], str]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    accepted: list[dict[str, Any]] = field(default_factory=list)

    def answer(self, status: int, body: str = "", headers: dict[str, str] | None = None) -> None:
        """Queue one response; when the queue is empty the server answers 200 ``ok``."""
        self.script.append((status, headers or {}, body))


@pytest.fixture
def slack_webhook(monkeypatch: pytest.MonkeyPatch) -> Iterator[ScriptedWebhook]:
    for name in _PROXY_VARS:  # slack_sdk honours proxy variables; keep traffic local
        monkeypatch.delenv(name, raising=False)
    lock = threading.Lock()
    state = ScriptedWebhook(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            payload = json.loads(self.rfile.read(length) or b"{}")
            with lock:
                state.requests.append(payload)
                status, headers, body = state.script.pop(0) if state.script else (200, {}, "ok")
                if 200 <= status < 300:
                    state.accepted.append(payload)
            data = body.encode("utf-8")
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}{WEBHOOK_PATH}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fake credentials and region, then moto started before any client is created."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield
