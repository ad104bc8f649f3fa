"""``simulate --slack-webhook URL`` posts each alert to that webhook, as the deployed handlers would.

chalice's test client gave every invocation a 3-second Lambda context, less than the 8 seconds the
handlers keep back for the SNS fallback, so Slack was never called ("no time left"). A local HTTP
server stands in for hooks.slack.com (plain http is accepted for 127.0.0.1 only).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS

from chalicelib.cli import build_parser, main
from chalicelib.cli import simulate as simulate_cli

ROOT_SIGNIN = Path(__file__).resolve().parents[2] / "examples" / "story" / "01-root-console-signin.eventbridge.json"
PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")
TOKEN_PATH = "/services/T0000TEST/B0000TEST/SeCrEtWeBhOoKtOkEn"


@pytest.fixture
def webhook(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A local webhook answering 200 ``ok``; yields its URL and the payloads it received."""
    for name in (*PROXIES, "TRAILWARDEN_MODEL", "TRAILWARDEN_SLACK_WEBHOOK"):
        monkeypatch.delenv(name, raising=False)
    # Powertools keeps one SSM provider per process, with its cache and a client bound to this test's moto
    # server: start without one, and leave none behind for the next test (restored at teardown).
    monkeypatch.delitem(DEFAULT_PROVIDERS, "ssm", raising=False)
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0))))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{TOKEN_PATH}", received
    finally:
        DEFAULT_PROVIDERS.pop("ssm", None)  # made during the test; monkeypatch then restores one from before
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_simulate_with_a_slack_webhook_posts_each_alert_to_it(
        webhook: tuple[str, list[dict[str, Any]]], capsys: pytest.CaptureFixture[str]) -> None:
    url, received = webhook
    args = build_parser().parse_args(["simulate", str(ROOT_SIGNIN), "--slack-webhook", url, "--format", "json"])
    code = simulate_cli.run(args)
    out, err = capsys.readouterr()
    summary = json.loads(out.splitlines()[-1])
    assert code == 0, err
    assert "no time left" not in err
    assert summary["alert_fallbacks"] == 0
    assert len(received) == 1 and "root-signin" in json.dumps(received[0])
    assert "SeCrEtWeBhOoKtOkEn" not in out + err


def test_simulate_table_says_slack_messages_went_to_the_webhook_rather_than_counting_zero(
        webhook: tuple[str, list[dict[str, Any]]], capsys: pytest.CaptureFixture[str]) -> None:
    url, received = webhook
    code = simulate_cli.run(build_parser().parse_args(["simulate", str(ROOT_SIGNIN), "--slack-webhook", url]))
    out, _ = capsys.readouterr()
    assert code == 0 and len(received) == 1
    assert "Slack messages: posted to the --slack-webhook URL" in out
    assert "Slack messages (0)" not in out


@pytest.mark.parametrize("url", ["http://hooks.slack.com/services/T0/B0/SeCrEtWeBhOoKtOkEn",
                                 "hooks.slack.com/services/T0/B0/SeCrEtWeBhOoKtOkEn"])
def test_a_webhook_that_is_not_https_is_refused_before_anything_runs_without_quoting_it(
        url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRAILWARDEN_SLACK_WEBHOOK", raising=False)
    code = main(["simulate", str(ROOT_SIGNIN), "--slack-webhook", url])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err == "error: --slack-webhook: not an https:// Slack webhook URL (plain http only for localhost)\n"


def test_the_webhook_from_the_environment_is_checked_the_same_way(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAILWARDEN_SLACK_WEBHOOK", "ftp://hooks.slack.com/services/T0/B0/SeCrEtWeBhOoKtOkEn")
    assert main(["simulate", "--org", str(ROOT_SIGNIN)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --slack-webhook: not an https://") and "SeCrEtWeBhOoKtOkEn" not in err


@pytest.mark.parametrize("url", ["", "  "])
def test_an_empty_webhook_flag_is_refused_rather_than_silently_capturing(
        url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRAILWARDEN_SLACK_WEBHOOK", raising=False)
    code = main(["simulate", str(ROOT_SIGNIN), "--slack-webhook", url])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.startswith("error: --slack-webhook: the URL is empty (an unset variable?)")

