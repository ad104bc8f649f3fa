"""``model check``: validate the identity model offline, and compare it to the live account when it can.

"Live" here is a moto server reached only through ``AWS_ENDPOINT_URL``, with fake credentials;
every test isolates itself from any real AWS configuration on the machine.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from chalicelib.cli import main
from chalicelib.identity.loader import DEFAULT_MODEL

MOTO_ACCOUNT = "123456789012"
BUNDLED_ACCOUNT = "630287363158"
AWS_VARS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE",
            "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_SSM",
            "AWS_ENDPOINT_URL_STS", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "TRAILWARDEN_MODEL")
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})

INVALID_MODEL = """\
version: 1
accounts:
  - id: "630287363158"
    name: management
principals:
  - id: jared
    kind: human
    auth: ssoo
    sso_users: [jared@example.com]
"""


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["model", "check", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No credentials anywhere: no variables, no shared files, no instance metadata."""
    for name in AWS_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "absent-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "absent-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    access_log = logging.getLogger("werkzeug")
    level = access_log.level
    access_log.setLevel(logging.ERROR)  # keep the server's request log out of the captured stderr
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
        access_log.setLevel(level)


@pytest.fixture
def moto_account(no_aws: None, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Fake credentials pointed at a freshly reset moto server."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    request = urllib.request.Request(f"{moto_endpoint}/moto-api/reset", data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.status == 200
    return MOTO_ACCOUNT


@pytest.fixture
def moto_model(tmp_path: Path) -> Path:
    """The bundled model, declared for moto's account."""
    path = tmp_path / "identity_model.yaml"
    path.write_text(DEFAULT_MODEL.read_text(encoding="utf-8").replace(BUNDLED_ACCOUNT, MOTO_ACCOUNT),
                    encoding="utf-8")
    return path


@pytest.fixture
def ci_only_account(moto_account: str) -> None:
    """The CI user with its key exists; none of the model's roles or secrets do."""
    iam = boto3.client("iam")
    iam.create_user(UserName="github-actions-aws-deployer")
    iam.create_access_key(UserName="github-actions-aws-deployer")


# -- offline ----------------------------------------------------------------------------------
def test_offline_check_of_the_bundled_model_exits_0_and_says_it_is_valid(
        capsys: pytest.CaptureFixture[str], no_aws: None) -> None:
    code, out, err = check(capsys, "--offline")
    assert code == 0 and out == ""
    assert f"{DEFAULT_MODEL}: valid (1 account, 6 principals, 1 secret)" in err


def test_offline_check_never_calls_aws(
        capsys: pytest.CaptureFixture[str], no_aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens: a call would fail
    code, out, err = check(capsys, "--offline")
    assert code == 0 and out == "" and "drift" not in err


def test_an_invalid_model_exits_2_naming_file_line_and_key_path(
        capsys: pytest.CaptureFixture[str], no_aws: None, tmp_path: Path) -> None:
    model = tmp_path / "model.yaml"
    model.write_text(INVALID_MODEL, encoding="utf-8")
    code, out, err = check(capsys, "--offline", "--model", str(model))
    assert code == 2 and out == ""
    assert err.startswith(f"error: {model}:8: principals[0].auth: unknown value 'ssoo'")
    assert "Traceback" not in err


def test_an_unquoted_octal_looking_account_id_is_suggested_quoted_as_written(
        capsys: pytest.CaptureFixture[str], no_aws: None, tmp_path: Path) -> None:
    model = tmp_path / "model.yaml"
    model.write_text(DEFAULT_MODEL.read_text(encoding="utf-8").replace(f'"{BUNDLED_ACCOUNT}"', "012345670123", 1),
                     encoding="utf-8")
    code, _, err = check(capsys, "--offline", "--model", str(model))
    assert code == 2
    assert 'quote it as a string ("012345670123")' in err
    assert "001402433619" not in err


def test_every_problem_in_an_invalid_model_is_listed(
        capsys: pytest.CaptureFixture[str], no_aws: None, tmp_path: Path) -> None:
    model = tmp_path / "model.yaml"
    model.write_text(INVALID_MODEL + "    favourite_colour: teal\n", encoding="utf-8")
    code, _, err = check(capsys, "--offline", "--model", str(model))
    assert code == 2
    assert f"{model}:8: principals[0].auth: unknown value 'ssoo'" in err
    assert f"{model}:10: principals[0].favourite_colour: unknown key" in err


def test_a_missing_model_file_exits_2_naming_it(
        capsys: pytest.CaptureFixture[str], no_aws: None, tmp_path: Path) -> None:
    code, _, err = check(capsys, "--offline", "--model", str(tmp_path / "absent.yaml"))
    assert code == 2 and "absent.yaml" in err


def test_an_invalid_model_fails_before_any_aws_call(
        capsys: pytest.CaptureFixture[str], moto_account: str, tmp_path: Path) -> None:
    model = tmp_path / "model.yaml"
    model.write_text(INVALID_MODEL, encoding="utf-8")
    code, out, err = check(capsys, "--model", str(model))
    assert code == 2 and out == "" and "drift" not in err


# -- without credentials ----------------------------------------------------------------------
def test_without_credentials_the_check_validates_and_skips_the_comparison(
        capsys: pytest.CaptureFixture[str], no_aws: None) -> None:
    code, out, err = check(capsys)
    assert code == 0 and out == ""
    assert "valid" in err
    assert "no AWS credentials found: skipped the comparison with the live account" in err


def test_a_profile_that_does_not_exist_is_an_error_not_drift(
        capsys: pytest.CaptureFixture[str], no_aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "prod-audit")
    code, out, err = check(capsys)
    assert code == 2 and out == ""  # 1 would claim drift
    assert "prod-audit" in err and "Traceback" not in err


def test_an_unreadable_aws_config_file_is_an_error_naming_it(
        capsys: pytest.CaptureFixture[str], no_aws: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "broken-config"
    config.write_text("[default\nregion = us-east-1\n", encoding="utf-8")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    code, _, err = check(capsys)
    assert code == 2 and str(config) in err and "Traceback" not in err


# -- against the (moto) account ---------------------------------------------------------------
def test_with_credentials_the_drift_is_listed_and_the_exit_status_is_1(
        capsys: pytest.CaptureFixture[str], ci_only_account: None, moto_model: Path) -> None:
    code, out, err = check(capsys, "--model", str(moto_model), "--format", "json")
    assert code == 1
    findings = [json.loads(line) for line in out.splitlines()]
    missing = {f["principal_arn"] for f in findings if f["rule"] == "inventory-missing-principal"}
    assert {f"arn:aws:iam::{MOTO_ACCOUNT}:role/{role}" for role in (
        "abt-app-instance-role", "paperclip-agent", "github-oidc-deploy", "terraform-deploy")} <= missing
    assert f"drift against the live account: {len(findings)} findings" in err


def test_a_declared_user_that_exists_is_not_drift(
        capsys: pytest.CaptureFixture[str], ci_only_account: None, moto_model: Path) -> None:
    code, out, err = check(capsys, "--model", str(moto_model), "--format", "json")
    ci_arn = f"arn:aws:iam::{MOTO_ACCOUNT}:user/github-actions-aws-deployer"
    arns = {json.loads(line)["principal_arn"] for line in out.splitlines()}
    assert code == 1 and "drift against the live account" in err and arns  # the comparison ran and found other drift
    assert ci_arn not in arns


def test_the_drift_table_names_the_arns_and_what_breaks(
        capsys: pytest.CaptureFixture[str], ci_only_account: None, moto_model: Path) -> None:
    code, out, _ = check(capsys, "--model", str(moto_model))
    assert code == 1
    assert f"arn:aws:iam::{MOTO_ACCOUNT}:role/abt-app-instance-role" in out
    assert "the application servers" in out


def test_the_bundled_model_run_in_an_undeclared_account_says_so(
        capsys: pytest.CaptureFixture[str], moto_account: str) -> None:
    code, out, _ = check(capsys, "--format", "json")
    assert code == 1
    rules = {json.loads(line)["rule"] for line in out.splitlines()}
    assert "identity-undeclared-account" in rules
