"""credential-quarantine-lifted: AWS's quarantine of a leaked key, AWSDenyAll, or a role's session revocation
taken off, so the compromised credential works again."""

from __future__ import annotations

import json

import pytest

from chalicelib.findings import Severity

from .conftest import Replace, finding, identity_of, record, replay_twice

RULE = "credential-quarantine-lifted"
FIXTURE = "iam-detach-user-policy-quarantine.json"
OTHER_POLICY = Replace({"userName": "github-actions-aws-deployer",
                        "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})


def test_the_leaked_key_lifting_its_own_quarantine_is_critical_and_says_what_breaks():
    f = finding(record(FIXTURE), RULE)
    assert f is not None and f.severity is Severity.CRITICAL
    assert "AWSCompromisedKeyQuarantineV3" in f.reason and f.breaks == "Terraform CI in GitHub Actions"


@pytest.mark.parametrize(("name", "params"), [
    ("DetachUserPolicy", {"userName": "u", "policyArn": "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantine"}),
    ("DetachRolePolicy", {"roleName": "paperclip-agent", "policyArn": "arn:aws:iam::aws:policy/AWSDenyAll"}),
    ("DetachGroupPolicy", {"groupName": "ops", "policyArn": "arn:aws:iam::aws:policy/AWSDenyAll"}),
    ("DeleteUserPolicy", {"userName": "u", "policyName": "AWSExposedCredentialPolicy_DO_NOT_REMOVE"}),
    ("DeleteRolePolicy", {"roleName": "paperclip-agent", "policyName": "AWSRevokeOlderSessions"}),
])
def test_every_quarantine_removed_is_critical(name, params):
    f = finding(record(FIXTURE, eventName=name, requestParameters=Replace(params)), RULE)
    assert f is not None and f.severity is Severity.CRITICAL


def test_deleting_the_revocation_policy_says_the_sessions_are_valid_again():
    rec = record(FIXTURE, eventName="DeleteRolePolicy",
                 requestParameters=Replace({"roleName": "paperclip-agent", "policyName": "AWSRevokeOlderSessions"}))
    assert "revoked sessions are valid again" in finding(rec, RULE).reason


def test_another_policy_is_not_judged():
    assert finding(record(FIXTURE, requestParameters=OTHER_POLICY), RULE) is None


def test_a_customer_policy_named_like_awss_is_not_judged():
    rec = record(FIXTURE, requestParameters={"policyArn": "arn:aws:iam::630287363158:policy/AWSDenyAll"})
    assert finding(rec, RULE) is None


def test_an_inline_name_on_the_wrong_kind_is_not_judged():
    rec = record(FIXTURE, eventName="DeleteUserPolicy",
                 requestParameters=Replace({"userName": "u", "policyName": "AWSRevokeOlderSessions"}))
    assert finding(rec, RULE) is None


def test_an_iam_manager_lifting_it_after_rotation_is_low():
    f = finding(record(FIXTURE, userIdentity=identity_of("sso-session-call.json")), RULE)
    assert f is not None and f.severity is Severity.LOW


def test_a_refused_attempt_is_medium():
    f = finding(record(FIXTURE, errorCode="AccessDenied"), RULE)
    assert f is not None and f.severity is Severity.MEDIUM and "attempt" in f.reason


def test_aws_tidying_its_own_quarantine_is_not_judged():
    rec = record(FIXTURE, userIdentity=identity_of("quarantine-attach-user-policy.json"))
    assert finding(rec, RULE) is None


def test_replay_gives_the_same_output_with_and_without_the_memo(tmp_path, capsys):
    other = record(FIXTURE, requestParameters=OTHER_POLICY)
    with_memo, without = replay_twice([other, record(FIXTURE), other, record(FIXTURE)], tmp_path, capsys)
    assert with_memo == without
    assert [json.loads(line)["rule"] for line in with_memo.splitlines()].count(RULE) == 2


REWRITTEN = "iam-put-user-policy-exposed-credential-rewritten.json"


def test_rewriting_the_exposed_credential_policy_in_place_is_critical():
    # PutUserPolicy of the same name replaces AWS's deny with the caller's text: the quarantine is gone without a
    # DeleteUserPolicy, and the new text here is nowhere near admin (iam-privilege-granted stays quiet).
    f = finding(record(REWRITTEN), RULE)
    assert f is not None and f.severity is Severity.CRITICAL and "replaced the text" in f.reason


def test_another_inline_policy_put_on_the_user_is_not_judged():
    assert finding(record(REWRITTEN, requestParameters={"policyName": "ci-deploy"}), RULE) is None


def test_writing_a_roles_session_revocation_is_not_judged():
    # The console's "Revoke active sessions" writes AWSRevokeOlderSessions with PutRolePolicy: that is the revocation.
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": ["*"], "Resource": ["*"], "Condition": {
        "DateLessThan": {"aws:TokenIssueTime": "2026-11-20T11:41:36.000Z"}}}]}
    rec = record(REWRITTEN, eventName="PutRolePolicy", requestParameters=Replace(
        {"roleName": "paperclip-agent", "policyName": "AWSRevokeOlderSessions", "policyDocument": json.dumps(doc)}))
    assert finding(rec, RULE) is None


BACKDATED = "iam-put-role-policy-revocation-backdated.json"


def _revocation(issued_before: str) -> dict[str, object]:
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": ["*"], "Resource": ["*"], "Condition": {
        "DateLessThan": {"aws:TokenIssueTime": issued_before}}}]}
    return {"requestParameters": {"policyDocument": json.dumps(doc)}}


def test_a_revocation_rewritten_to_an_earlier_time_is_critical():
    # The role's session (issued 09:02) was revoked; the rewrite denies only sessions issued before 08:00.
    f = finding(record(BACKDATED), RULE)
    assert f is not None and f.severity is Severity.CRITICAL and "2026-11-20T08:00:00" in f.reason


def test_a_fresh_revocation_written_now_is_not_judged():
    assert finding(record(BACKDATED, **_revocation("2026-11-20T11:52:05.000Z")), RULE) is None


def test_a_revocation_rewritten_to_deny_nothing_is_critical():
    allow = {"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}
    rec = record(BACKDATED, requestParameters={"policyDocument": json.dumps({"Version": "2012-10-17",
                                                                             "Statement": [allow]})})
    assert finding(rec, RULE).severity is Severity.CRITICAL


def test_revocation_rewrites_replay_the_same_with_and_without_the_memo(tmp_path, capsys):
    fresh = record(BACKDATED, **_revocation("2026-11-20T11:52:05.000Z"))
    later = record(BACKDATED, eventTime="2026-11-21T11:52:06Z", **_revocation("2026-11-20T11:52:05.000Z"))
    with_memo, without = replay_twice([fresh, later, fresh, later], tmp_path, capsys)
    assert with_memo == without
    assert [json.loads(line)["rule"] for line in with_memo.splitlines()].count(RULE) == 2


def test_hostile_revocation_documents_do_not_crash():
    for bad in ("x", "{}", "[1]", json.dumps({"Statement": [{"Effect": "Deny", "Action": "*", "Condition": "x"}]}),
                json.dumps({"Statement": {"Effect": "Deny", "Action": ["*"], "Condition": {
                    "DateLessThan": {"aws:TokenIssueTime": ["x", 1]}}}}), None, 7):
        finding(record(BACKDATED, requestParameters={"policyDocument": bad}), RULE)
