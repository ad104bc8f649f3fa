"""iam-user-created on IAM UpdateUser renames: a user renamed is a new identity in the model's eyes (an
undeclared user taking a declared name, or a declared user escaping its declaration)."""

from __future__ import annotations

import json

from chalicelib.findings import Severity

from .conftest import Replace, finding, identity_of, record, replay_twice

RULE = "iam-user-created"
FIXTURE = "iam-update-user-rename.json"
AWAY = Replace({"userName": "github-actions-aws-deployer", "newUserName": "old-ci"})
NEITHER = Replace({"userName": "svc-backup", "newUserName": "svc-backup-2"})


def test_an_agent_renaming_a_user_to_the_declared_ci_users_name_is_high():
    f = finding(record(FIXTURE), RULE)
    assert f is not None and f.severity is Severity.HIGH
    assert "principal 'github-actions'" in f.reason and f.details["previous_user"] == "svc-backup"


def test_renaming_the_declared_ci_user_away_is_high_and_says_what_breaks():
    f = finding(record(FIXTURE, requestParameters=AWAY), RULE)
    assert f is not None and f.severity is Severity.HIGH and f.breaks == "Terraform CI in GitHub Actions"


def test_an_iam_manager_renaming_a_declared_user_away_is_medium():
    f = finding(record(FIXTURE, requestParameters=AWAY, userIdentity=identity_of("sso-session-call.json")), RULE)
    assert f is not None and f.severity is Severity.MEDIUM


def test_an_iam_manager_renaming_undeclared_users_is_low():
    f = finding(record(FIXTURE, requestParameters=NEITHER, userIdentity=identity_of("sso-session-call.json")), RULE)
    assert f is not None and f.severity is Severity.LOW


def test_a_path_change_is_not_judged():
    rec = record(FIXTURE, requestParameters=Replace({"userName": "svc-backup", "newPath": "/ops/"}))
    assert finding(rec, RULE) is None


def test_identity_centers_update_user_is_not_judged():
    rec = record(FIXTURE, eventSource="identitystore.amazonaws.com",
                 requestParameters=Replace({"identityStoreId": "d-9067642ac7", "userId": "u",
                                            "operations": "HIDDEN_DUE_TO_SECURITY_REASONS"}))
    assert finding(rec, RULE) is None


def test_a_refused_rename_is_medium():
    f = finding(record(FIXTURE, errorCode="AccessDenied"), RULE)
    assert f is not None and f.severity is Severity.MEDIUM


def test_replay_gives_the_same_output_with_and_without_the_memo(tmp_path, capsys):
    path = record(FIXTURE, requestParameters=Replace({"userName": "svc-backup", "newPath": "/ops/"}))
    with_memo, without = replay_twice([path, record(FIXTURE), path, record(FIXTURE)], tmp_path, capsys)
    assert with_memo == without
    assert [json.loads(line)["rule"] for line in with_memo.splitlines()].count(RULE) == 2
