"""iam-create-access-key: a new static key, expected only as a declared access-key rotation (DESIGN §5)."""

from __future__ import annotations

import json

from chalicelib.findings import Severity
from chalicelib.history import MemoryHistory

from .conftest import DECLARED_ACCOUNT, DROP, finding, identity_of, judge, merge, model_from, record

RULE = "iam-create-access-key"
NEW_KEY = "AKIAZ7TW0NEWR0TATE42"
CI_USER_ARN = f"arn:aws:iam::{DECLARED_ACCOUNT}:user/github-actions-aws-deployer"


def key_for(user: str | None, **overrides):
    """CreateAccessKey by the fixture's actor (an admin) for ``user`` (None: the caller's own key)."""
    params = {"userName": user} if user else None
    key = {"userName": user} if user else {"userName": DROP}
    rec = record("create-access-key.json", requestParameters=params, responseElements={"accessKey": key})
    return merge(rec, overrides)


def test_admin_creating_a_key_for_a_declared_access_key_principal_is_low_rotation():
    f = finding(record("create-access-key.json"), RULE)
    assert f is not None
    assert f.severity is Severity.LOW
    assert "expected rotation" in f.reason
    assert f.principal == "jared"
    assert f.target_arn == CI_USER_ARN
    assert f.breaks == "Terraform CI in GitHub Actions"


def test_access_key_principal_creating_its_own_key_from_its_known_source_is_low_rotation():
    usual = record("iam-user-access-key-call.json", eventTime="2026-11-20T07:20:31Z")  # hours before the key
    history = MemoryHistory()
    judge(usual, history=history)
    rec = key_for(None, userIdentity=identity_of("iam-user-access-key-call.json"),
                  sourceIPAddress=usual["sourceIPAddress"], userAgent=usual["userAgent"])
    rec["responseElements"]["accessKey"]["userName"] = "github-actions-aws-deployer"
    f = finding(rec, RULE, history=history)
    assert f is not None
    assert f.severity is Severity.LOW
    assert f.principal == "github-actions"
    assert f.target_arn == CI_USER_ARN


def test_new_key_id_is_masked_to_its_last_four_characters():
    f = finding(record("create-access-key.json"), RULE)
    assert f is not None
    assert f.details["new_key"] == "…TE42"
    assert "…TE42" in f.reason


def test_full_new_key_id_appears_in_no_finding_of_the_event():
    for rec in (record("create-access-key.json"), key_for("intern-sandbox"),
                key_for(None, userIdentity=identity_of("root-cli-call.json"))):
        findings = judge(rec)
        assert findings, "CreateAccessKey must produce a finding"
        for f in findings:
            assert NEW_KEY not in json.dumps(f.to_dict(), ensure_ascii=False)


def test_key_for_an_undeclared_user_is_high():
    f = finding(key_for("intern-sandbox"), RULE)
    assert f is not None
    assert f.severity is Severity.HIGH
    assert "does not declare" in f.reason
    assert f.target_arn == f"arn:aws:iam::{DECLARED_ACCOUNT}:user/intern-sandbox"
    assert f.breaks is None


def test_key_for_a_declared_human_is_high_even_from_an_admin():
    model = model_from("""
        version: 1
        accounts: [{id: "630287363158", name: management}]
        principals:
          - {id: jared, kind: human, auth: sso, sso_users: [jared@example.com], manages_iam: true}
          - {id: dana, kind: human, auth: sso, sso_users: [dana@example.com], iam_user: dana.legacy}
    """)
    f = finding(key_for("dana.legacy"), RULE, model)
    assert f is not None
    assert f.severity is Severity.HIGH
    assert "'sso', not a static key" in f.reason
    assert f.details["target_principal"] == "dana"


def test_root_creating_its_own_key_is_high_and_targets_root():
    f = finding(key_for(None, userIdentity=identity_of("root-cli-call.json")), RULE)
    assert f is not None
    assert f.severity is Severity.HIGH
    assert f.target_arn == f"arn:aws:iam::{DECLARED_ACCOUNT}:root"
    assert f.principal_arn == f"arn:aws:iam::{DECLARED_ACCOUNT}:root"
    assert "root user" in f.reason


def test_root_creating_a_key_for_a_declared_access_key_principal_is_high():
    f = finding(record("create-access-key.json", userIdentity=identity_of("root-cli-call.json")), RULE)
    assert f is not None
    assert f.severity is Severity.HIGH


def test_non_admin_creating_a_key_for_another_declared_principal_is_high():
    f = finding(record("create-access-key.json", userIdentity=identity_of("role-session-call.json")), RULE)
    assert f is not None
    assert f.severity is Severity.HIGH
    assert "neither that principal nor allowed to manage IAM" in f.reason


def test_failed_key_creation_is_at_most_medium():
    rec = key_for("intern-sandbox", responseElements=None, errorCode="LimitExceededException",
                  errorMessage="Cannot exceed quota for AccessKeysPerUser: 2")
    f = finding(rec, RULE)
    assert f is not None
    assert f.severity is Severity.MEDIUM
    assert "attempt" in f.reason


def test_failed_rotation_stays_low():
    rec = record("create-access-key.json", responseElements=None, errorCode="LimitExceededException")
    f = finding(rec, RULE)
    assert f is not None
    assert f.severity is Severity.LOW


def test_listing_access_keys_is_not_a_key_creation():
    rec = record("create-access-key.json", eventName="ListAccessKeys", readOnly=True, responseElements=None)
    assert finding(rec, RULE) is None


def test_creating_a_login_profile_is_not_a_key_creation():
    rec = record("create-access-key.json", eventName="CreateLoginProfile", responseElements=None)
    assert finding(rec, RULE) is None
