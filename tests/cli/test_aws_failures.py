"""Every AWS failure a CLI command can meet is one ``error:`` line on stderr and exit 2, never a traceback.

The commands run as a user runs them: ``python -m chalicelib ...`` in a subprocess whose AWS
configuration is built for the case (no region: no region variable and an empty config file; no
credentials: no credential variables and ``/dev/null`` as the credentials file; unreachable: an
endpoint on a closed loopback port). AWS's own error answers (expired session, access denied,
throttling) come from a local HTTP server that speaks the DynamoDB JSON and STS query error
formats, so real botocore parses them. A missing table is a moto table that was never created.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from chalicelib.cli import main
from chalicelib.incidents.dynamodb_schema import table_definition

ROOT = Path(__file__).resolve().parents[2]
STORY_EVENT = ROOT / "examples" / "story" / "01-root-console-signin.eventbridge.json"
STORE = "dynamodb://trailwarden-cli-test"
PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")
STORE_COMMANDS = {
    "incidents list": ["incidents", "--store", STORE, "list"],
    "incidents show": ["incidents", "--store", STORE, "show", "0123456789abcdef"],
    "incidents verify": ["incidents", "--store", STORE, "verify"],
    "incidents report": ["incidents", "--store", STORE, "report", "--format", "md"],
    "incidents purge": ["incidents", "--store", STORE, "purge", "--older-than", "400d"],
    "replay --store": ["replay", "--store", STORE, str(STORY_EVENT)],
}


@dataclass(frozen=True)
class Result:
    code: int
    stdout: str
    stderr: str


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[object]:
    """Run ``python -m chalicelib`` with only the AWS settings a case gives (plus fast, single attempts)."""
    empty_config = tmp_path / "aws-config"
    empty_config.write_text("", encoding="utf-8")

    def run(*argv: str, **aws: str) -> Result:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("AWS_", "TRAILWARDEN_")) and k not in PROXIES}
        env |= {"AWS_CONFIG_FILE": str(empty_config), "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "AWS_EC2_METADATA_DISABLED": "true", "AWS_RETRY_MODE": "standard", "AWS_MAX_ATTEMPTS": "1"}
        env |= aws
        proc = subprocess.run([sys.executable, "-m", "chalicelib", *argv], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
        return Result(proc.returncode, proc.stdout, proc.stderr)

    yield run


CREDENTIALS = {"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCY",
               "AWS_DEFAULT_REGION": "us-east-1"}


def one_error_line(result: Result) -> str:
    """The single stderr line of a failed command (exit 2, no traceback)."""
    assert result.code == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


# -- a local AWS that answers with an error ----------------------------------------------------
@dataclass
class AwsAnswer:
    """What the local endpoint answers to every request: an AWS error code and message."""

    code: str = "ExpiredTokenException"
    message: str = "The security token included in the request is expired"
    status: int = 400
    url: str = ""


@pytest.fixture
def aws_answers() -> Iterator[AwsAnswer]:
    answer = AwsAnswer()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.headers.get("X-Amz-Target"):  # JSON protocol (DynamoDB)
                body = json.dumps({"__type": f"com.amazon.coral.service#{answer.code}",
                                   "message": answer.message}).encode()
                kind = "application/x-amz-json-1.0"
            else:  # query protocol (STS)
                body = (f'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>'
                        f"<Type>Sender</Type><Code>{answer.code}</Code><Message>{answer.message}</Message>"
                        "</Error><RequestId>4f1e-test</RequestId></ErrorResponse>").encode()
                kind = "text/xml"
            self.send_response(answer.status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    answer.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield answer
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# -- configuration missing on this machine ------------------------------------------------------
@pytest.mark.parametrize("command", list(STORE_COMMANDS))
def test_without_a_region_every_store_command_says_to_set_one(cli, command: str) -> None:
    credentials_only = {k: v for k, v in CREDENTIALS.items() if k != "AWS_DEFAULT_REGION"}
    line = one_error_line(cli(*STORE_COMMANDS[command], **credentials_only))
    assert "no AWS region is configured: set AWS_DEFAULT_REGION" in line
    assert "dynamodb://trailwarden-cli-test" in line


@pytest.mark.parametrize("command", ["incidents list", "replay --store"])
def test_without_credentials_the_store_commands_say_how_to_provide_them(cli, command: str) -> None:
    line = one_error_line(cli(*STORE_COMMANDS[command], AWS_DEFAULT_REGION="us-east-1"))
    assert "no AWS credentials found: set AWS_PROFILE" in line


def test_half_a_key_pair_names_the_missing_half(cli) -> None:
    line = one_error_line(cli(*STORE_COMMANDS["incidents list"], AWS_ACCESS_KEY_ID="AKIAIOSFODNN7EXAMPLE",
                              AWS_DEFAULT_REGION="us-east-1"))
    assert "incomplete AWS credentials" in line and "missing: AWS_SECRET_ACCESS_KEY" in line
    assert "AKIAIOSFODNN7EXAMPLE" not in line


@pytest.mark.parametrize("command", ["incidents list", "incidents verify", "replay --store"])
def test_an_unreachable_endpoint_is_named_with_what_to_check(cli, command: str) -> None:
    endpoint = f"http://127.0.0.1:{closed_port()}"
    line = one_error_line(cli(*STORE_COMMANDS[command], AWS_ENDPOINT_URL_DYNAMODB=endpoint, **CREDENTIALS))
    assert f"cannot reach {endpoint}" in line and "AWS_ENDPOINT_URL" in line


# -- AWS says no ---------------------------------------------------------------------------------
@pytest.mark.parametrize("code", ["ExpiredTokenException", "ExpiredToken"])
@pytest.mark.parametrize("command", ["incidents list", "incidents purge", "replay --store"])
def test_an_expired_session_says_to_refresh_the_credentials(cli, aws_answers: AwsAnswer, command: str,
                                                            code: str) -> None:
    aws_answers.code = code
    line = one_error_line(cli(*STORE_COMMANDS[command], AWS_ENDPOINT_URL_DYNAMODB=aws_answers.url, **CREDENTIALS))
    assert f"the AWS session has expired ({code})" in line and "aws sso login" in line


def test_access_denied_quotes_the_permission_aws_wanted(cli, aws_answers: AwsAnswer) -> None:
    aws_answers.code = "AccessDeniedException"
    aws_answers.message = ("User: arn:aws:iam::123456789012:user/dev is not authorized to perform: dynamodb:GetItem "
                           "on resource: arn:aws:dynamodb:us-east-1:123456789012:table/trailwarden-cli-test")
    line = one_error_line(cli(*STORE_COMMANDS["incidents list"], AWS_ENDPOINT_URL_DYNAMODB=aws_answers.url,
                              **CREDENTIALS))
    assert "access denied calling GetItem (AccessDeniedException)" in line
    assert "not authorized to perform: dynamodb:GetItem" in line


def test_throttling_after_the_retries_says_to_wait(cli, aws_answers: AwsAnswer) -> None:
    aws_answers.code = "ThrottlingException"
    aws_answers.message = "Rate of requests exceeds the allowed throughput."
    line = one_error_line(cli(*STORE_COMMANDS["incidents list"], AWS_ENDPOINT_URL_DYNAMODB=aws_answers.url,
                              **CREDENTIALS))
    assert "AWS throttled GetItem (ThrottlingException)" in line


def test_the_audit_reports_an_expired_session_in_the_same_words(cli, aws_answers: AwsAnswer) -> None:
    aws_answers.code, aws_answers.status = "ExpiredToken", 403
    line = one_error_line(cli("audit", AWS_ENDPOINT_URL=aws_answers.url, **CREDENTIALS))
    assert line.startswith("error: the AWS session has expired (ExpiredToken) calling sts:GetCallerIdentity")


def test_model_check_reports_an_expired_session_as_an_error_not_drift(cli, aws_answers: AwsAnswer) -> None:
    aws_answers.code, aws_answers.status = "ExpiredToken", 403
    result = cli("model", "check", AWS_ENDPOINT_URL=aws_answers.url, **CREDENTIALS)
    # model check first says the file is valid (its own status lines), then the one error line.
    lines = result.stderr.strip().splitlines()
    valid, error = lines[0], lines[-1]
    assert ": valid (" in valid
    assert [line for line in lines if line.startswith("error:")] == [error]
    assert one_error_line(Result(result.code, result.stdout, error)) == error
    assert "the AWS session has expired (ExpiredToken)" in error


# -- a table that does not exist (moto) ----------------------------------------------------------
@pytest.fixture
def moto_account(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name in [k for k in os.environ if k.startswith(("AWS_", "TRAILWARDEN_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    for name, value in {**CREDENTIALS, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield


@pytest.mark.parametrize("command", ["incidents list", "incidents verify", "replay --store"])
def test_a_missing_table_is_named_with_its_region(moto_account: None, capsys: pytest.CaptureFixture[str],
                                                  command: str) -> None:
    code = main(STORE_COMMANDS[command])
    line = one_error_line(Result(code, *capsys.readouterr()))
    assert "DynamoDB table 'trailwarden-cli-test' does not exist in us-east-1 (ResourceNotFoundException)" in line
    assert "deploy the stack" in line


def test_an_existing_table_lists_without_an_error(moto_account: None, capsys: pytest.CaptureFixture[str]) -> None:
    boto3.client("dynamodb").create_table(**table_definition("trailwarden-cli-test"))
    code = main(STORE_COMMANDS["incidents list"])
    out, err = capsys.readouterr()
    assert code == 0 and err == "" and out == "no incidents\n"
