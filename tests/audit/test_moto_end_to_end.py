"""The audit command end to end against a moto server, reached only through AWS_ENDPOINT_URL.

moto stamps every access key and parameter with the current time and offers no API to
backdate them, so keys and secrets are aged with ``--as-of`` a year ahead instead. moto
reports ``AccountMFAEnabled=0`` for every account (root MFA cannot be turned on through
its API), so root-without-MFA is an expected, justified finding in every run here.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import orjson
import pytest
from moto.server import ThreadedMotoServer

from chalicelib.audit import drift_findings
from chalicelib.cli import main
from chalicelib.identity import load_model
from chalicelib.identity.loader import DEFAULT_MODEL

MOTO_ACCOUNT = "123456789012"
BUNDLED_ACCOUNT = "630287363158"
CI_USER = "github-actions-aws-deployer"
CI_ARN = f"arn:aws:iam::{MOTO_ACCOUNT}:user/{CI_USER}"
ORPHAN_ARN = f"arn:aws:iam::{MOTO_ACCOUNT}:user/terraform-deployer"
MISSING_ROLE_ARN = f"arn:aws:iam::{MOTO_ACCOUNT}:role/abt-app-instance-role"
ROOT_ARN = f"arn:aws:iam::{MOTO_ACCOUNT}:root"
SECRET_ARN = f"arn:aws:ssm:us-east-1:{MOTO_ACCOUNT}:parameter/paperclip-app/api-key"
SECRET_VALUE = "pc-live-not-a-real-secret-value"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def _post(url: str, body: bytes = b"") -> None:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "text/plain"})
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.status == 200


@pytest.fixture(scope="module")
def moto_endpoint():
    # The server thread's access log would otherwise mix into the CLI's captured stderr.
    access_log = logging.getLogger("werkzeug")
    level = access_log.level
    access_log.setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
    access_log.setLevel(level)


@pytest.fixture
def aws(moto_endpoint, monkeypatch, tmp_path):
    """Fake credentials and the moto endpoint, isolated from any real AWS config on this machine."""
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_REGION", "TRAILWARDEN_MODEL",
                "AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_SSM", "AWS_ENDPOINT_URL_STS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    _post(f"{moto_endpoint}/moto-api/reset")
    return moto_endpoint


@pytest.fixture
def drifted_account(aws) -> dict[str, str]:
    """The §1 story: CI user with a key, an orphaned terraform-deployer, one role gone, the agents' secret."""
    iam, ssm = boto3.client("iam"), boto3.client("ssm")
    iam.create_user(UserName=CI_USER)
    ci_key = iam.create_access_key(UserName=CI_USER)["AccessKey"]
    # One call signed with the CI key gives it a last-used date (moto records it per request).
    boto3.client("sts", aws_access_key_id=ci_key["AccessKeyId"],
                 aws_secret_access_key=ci_key["SecretAccessKey"]).get_caller_identity()
    iam.create_user(UserName="terraform-deployer")
    orphan_key = iam.create_access_key(UserName="terraform-deployer")["AccessKey"]
    for role in ("paperclip-agent", "github-oidc-deploy", "terraform-deploy"):  # abt-app-instance-role is absent
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
    ssm.put_parameter(Name="/paperclip-app/api-key", Type="SecureString", Value=SECRET_VALUE)
    return {"ci_key": ci_key["AccessKeyId"], "orphan_key": orphan_key["AccessKeyId"]}


@pytest.fixture
def model_file(tmp_path) -> Path:
    """The bundled example model, declared for moto's account."""
    text = DEFAULT_MODEL.read_text(encoding="utf-8")
    assert f'"{BUNDLED_ACCOUNT}"' in text
    path = tmp_path / "identity_model.yaml"
    path.write_text(text.replace(f'"{BUNDLED_ACCOUNT}"', f'"{MOTO_ACCOUNT}"'), encoding="utf-8")
    return path


def run_audit(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["audit", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def as_json(stdout: str) -> list[dict]:
    return [orjson.loads(line) for line in stdout.splitlines()]


def summary(findings: list[dict]) -> set[tuple]:
    return {(f["rule"], f["severity"], f["principal_arn"], f["breaks"]) for f in findings}


def a_year_ahead() -> str:
    return (datetime.now(UTC) + timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_year_on_the_audit_lists_exactly_the_drifts_of_the_account(capsys, drifted_account, model_file):
    code, stdout, _ = run_audit(capsys, "--model", str(model_file), "--as-of", a_year_ahead(), "--format", "json")
    assert code == 0  # default --fail-on never
    findings = as_json(stdout)
    assert summary(findings) == {
        ("inventory-key-overdue", "high", CI_ARN, "Terraform CI in GitHub Actions"),
        ("inventory-key-unused", "medium", CI_ARN, "Terraform CI in GitHub Actions"),
        ("inventory-undeclared-user", "high", ORPHAN_ARN, None),
        ("inventory-missing-principal", "high", MISSING_ROLE_ARN, "the application servers"),
        ("inventory-secret-overdue", "medium", SECRET_ARN, "Paperclip agents lose API access"),
        ("inventory-root-credentials", "high", ROOT_ARN, None),  # moto: AccountMFAEnabled is always 0
    }
    assert len(findings) == 6
    by_rule = {f["rule"]: f for f in findings}
    assert by_rule["inventory-key-overdue"]["principal"] == "github-actions"
    assert by_rule["inventory-key-overdue"]["details"]["age_days"] >= 364
    assert by_rule["inventory-key-unused"]["details"]["last_used"] is not None
    assert by_rule["inventory-missing-principal"]["principal"] == "app-servers"
    assert by_rule["inventory-secret-overdue"]["details"]["type"] == "SecureString"
    for f in findings:
        assert f["account"] == MOTO_ACCOUNT and f["region"] == "us-east-1"
        assert f["event_id"] is None and f["runbook"] and f["reference"]


def test_the_output_never_shows_a_full_key_id_or_a_secret_value(capsys, drifted_account, model_file):
    _, stdout, _ = run_audit(capsys, "--model", str(model_file), "--as-of", a_year_ahead(), "--format", "json")
    _, table, _ = run_audit(capsys, "--model", str(model_file), "--as-of", a_year_ahead())
    for text in (stdout, table):
        assert drifted_account["ci_key"] not in text and drifted_account["orphan_key"] not in text
        assert SECRET_VALUE not in text
    assert f"…{drifted_account['ci_key'][-4:]}" in stdout


def test_today_the_fresh_key_and_secret_are_not_yet_drift(capsys, drifted_account, model_file):
    code, stdout, _ = run_audit(capsys, "--model", str(model_file), "--format", "json")
    assert code == 0
    assert {(f["rule"], f["principal_arn"]) for f in as_json(stdout)} == {
        ("inventory-undeclared-user", ORPHAN_ARN),
        ("inventory-missing-principal", MISSING_ROLE_ARN),
        ("inventory-root-credentials", ROOT_ARN),
    }


def test_fail_on_high_exits_1_and_the_table_names_the_arns(capsys, drifted_account, model_file):
    code, table, _ = run_audit(capsys, "--model", str(model_file), "--fail-on", "high")
    assert code == 1
    assert ORPHAN_ARN in table and MISSING_ROLE_ARN in table and "breaks: the application servers" in table
    assert table.rstrip().splitlines()[-1].startswith("3 findings as of ")
    assert run_audit(capsys, "--model", str(model_file), "--fail-on", "critical")[0] == 0


def test_drift_findings_takes_a_session_and_reaches_moto_through_aws_endpoint_url(drifted_account, model_file):
    findings = drift_findings(load_model(model_file), datetime.now(UTC), boto3.session.Session())
    assert {f.account for f in findings} == {MOTO_ACCOUNT}
    assert "inventory-missing-principal" in {f.rule for f in findings}


def test_model_check_reports_the_same_drift_as_the_audit_command(capsys, drifted_account, model_file):
    _, audit_out, _ = run_audit(capsys, "--model", str(model_file), "--format", "json")
    main(["model", "check", "--model", str(model_file), "--format", "json"])
    checked = as_json(capsys.readouterr().out)
    assert checked, "the drifted account should show drift"
    assert sorted((f["rule"], f["principal_arn"]) for f in checked) == sorted(
        (f["rule"], f["principal_arn"]) for f in as_json(audit_out))


def test_an_account_missing_from_the_model_is_reported_once_without_absence_claims(capsys, drifted_account):
    # The bundled model lists 630287363158 only; moto's account is 123456789012.
    code, stdout, _ = run_audit(capsys, "--model", str(DEFAULT_MODEL), "--format", "json")
    assert code == 0
    assert sorted((f["rule"], f["principal_arn"]) for f in as_json(stdout)) == [
        ("identity-undeclared-account", ROOT_ARN),
        ("inventory-root-credentials", ROOT_ARN),
        # Declared principals exist only in declared accounts: here the CI user is undeclared too.
        ("inventory-undeclared-user", "arn:aws:iam::123456789012:user/github-actions-aws-deployer"),
        ("inventory-undeclared-user", ORPHAN_ARN),
    ]


AUDITOR_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*", "Action": [
    "sts:GetCallerIdentity", "iam:ListUsers", "iam:GetLoginProfile", "iam:ListAccessKeys",
    "iam:GetAccessKeyLastUsed", "iam:GetAccountSummary", "ssm:DescribeParameters"]}]})  # no iam:ListRoles


@pytest.fixture
def auditor_without_list_roles(aws, drifted_account, monkeypatch):
    """Switch to an IAM user lacking iam:ListRoles and make moto enforce IAM policies."""
    iam = boto3.client("iam")
    iam.create_user(UserName="auditor")
    iam.put_user_policy(UserName="auditor", PolicyName="audit", PolicyDocument=AUDITOR_POLICY)
    creds = iam.create_access_key(UserName="auditor")["AccessKey"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", creds["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", creds["SecretAccessKey"])
    _post(f"{aws}/moto-api/reset-auth", b"0")
    try:
        yield
    finally:
        _post(f"{aws}/moto-api/reset-auth", b"inf")


def test_a_denied_read_names_the_api_and_the_permission_it_needs(capsys, auditor_without_list_roles, model_file):
    code, stdout, stderr = run_audit(capsys, "--model", str(model_file), "--format", "json")
    assert code == 2 and stdout == ""
    assert stderr.startswith("error: access denied calling iam:ListRoles")
    assert "needs the permission iam:ListRoles" in stderr
    assert "Traceback" not in stderr
