"""sts-root-session-assumed: AssumeRoot is root use in a member account, graded by its root policy and task."""

from __future__ import annotations

from chalicelib.findings import Severity

from .conftest import finding, model_from, record

RULE = "sts-root-session-assumed"
HOME = "630287363158"
MEMBER = "402918375610"
MODEL = f"""
version: 1
accounts:
  - {{id: "{HOME}", name: management}}
  - {{id: "{MEMBER}", name: sandbox, root: break-glass, break_glass_contacts: [oncall@example.com]}}
"""
UNLOCK = {"arn": "arn:aws:iam::aws:policy/root-task/S3UnlockBucketPolicy"}


def test_a_root_password_task_in_an_undeclared_account_is_critical():
    f = finding(record("sts-assume-root.json"), RULE)
    assert f is not None and f.severity is Severity.CRITICAL
    assert MEMBER in f.reason and "IAMCreateRootUserPassword" in f.reason
    assert f.target_arn == f"arn:aws:iam::{MEMBER}:root"


def test_a_root_session_in_an_account_whose_root_is_never_used_is_critical():
    rec = record("sts-assume-root.json", requestParameters={"targetPrincipal": HOME, "taskPolicyArn": UNLOCK})
    f = finding(rec, RULE, model_from(MODEL))
    assert f is not None and f.severity is Severity.CRITICAL and "never" in f.reason


def test_a_bounded_task_in_a_break_glass_account_is_high_and_names_its_contacts():
    rec = record("sts-assume-root.json", requestParameters={"taskPolicyArn": UNLOCK})
    f = finding(rec, RULE, model_from(MODEL))
    assert f is not None and f.severity is Severity.HIGH
    assert f.details["break_glass_contacts"] == ["oncall@example.com"]


def test_a_root_password_task_is_critical_even_in_a_break_glass_account():
    f = finding(record("sts-assume-root.json"), RULE, model_from(MODEL))
    assert f is not None and f.severity is Severity.CRITICAL


def test_a_refused_assume_root_is_at_most_medium():
    rec = record("sts-assume-root.json", errorCode="AccessDenied", responseElements=None)
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.MEDIUM


def test_an_assume_role_is_not_a_root_session():
    assert finding(record("assume-role-success.json"), RULE) is None


MANAGER_MODEL = f"""
version: 1
accounts:
  - {{id: "{HOME}", name: management}}
  - {{id: "{MEMBER}", name: sandbox}}
principals:
  - {{id: jared, kind: human, auth: sso, sso_users: [jared@example.com], manages_iam: true}}
"""


def task(name: str) -> dict:
    return record("sts-assume-root.json",
                  requestParameters={"taskPolicyArn": {"arn": f"arn:aws:iam::aws:policy/root-task/{name}"}})


def test_an_iam_manager_auditing_root_credentials_of_a_never_root_account_is_low():
    f = finding(task("IAMAuditRootUserCredentials"), RULE, model_from(MANAGER_MODEL))
    assert f is not None and f.severity is Severity.LOW


def test_an_undeclared_caller_auditing_root_credentials_is_medium():
    f = finding(task("IAMAuditRootUserCredentials"), RULE, model_from(MODEL))
    assert f is not None and f.severity is Severity.MEDIUM


def test_an_iam_manager_deleting_root_credentials_is_medium():
    f = finding(task("IAMDeleteRootUserCredentials"), RULE, model_from(MANAGER_MODEL))
    assert f is not None and f.severity is Severity.MEDIUM


def test_an_undeclared_caller_deleting_root_credentials_of_a_never_root_account_is_critical():
    rec = task("IAMDeleteRootUserCredentials")
    rec["requestParameters"]["targetPrincipal"] = HOME
    f = finding(rec, RULE, model_from(MODEL))
    assert f is not None and f.severity is Severity.CRITICAL
