"""iam-privilege-granted: admin-equivalent grants, graded by who receives them."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest

from chalicelib.findings import Severity

from .conftest import DROP, Replace, finding, identity_of, record, replay_twice

RULE = "iam-privilege-granted"


def inline(statement: dict, name: str = "PutUserPolicy", **target: str) -> dict:
    doc = quote(json.dumps({"Version": "2012-10-17", "Statement": [statement]}), safe="")
    return record("put-role-policy.json", eventName=name,
                  requestParameters={"roleName": DROP, **target, "policyName": "x", "policyDocument": doc})


def test_administrator_access_on_the_ci_user_is_critical_and_says_what_it_can_do():
    f = finding(record("attach-user-policy.json"), RULE)
    assert f is not None and f.severity is Severity.CRITICAL
    assert "AdministratorAccess" in f.details["can_now"][0]
    assert f.details["target_principal"] == "github-actions"
    assert f.target_arn == "arn:aws:iam::630287363158:user/github-actions-aws-deployer"


def test_an_admin_inline_policy_on_a_declared_role_is_high():
    rec = inline({"Effect": "Allow", "Action": "iam:*", "Resource": "*"}, "PutRolePolicy", roleName="paperclip-agent")
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.HIGH
    assert f.details["target_principal"] == "paperclip-agents"


def test_passrole_on_everything_for_an_undeclared_role_is_critical():
    rec = inline({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}, "PutRolePolicy", roleName="new-role")
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.CRITICAL


def test_iam_full_access_on_a_group_is_high():
    rec = record("attach-user-policy.json", eventName="AttachGroupPolicy",
                 requestParameters={"userName": DROP, "groupName": "ops",
                                    "policyArn": "arn:aws:iam::aws:policy/IAMFullAccess"})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.HIGH
    assert f.details["target_kind"] == "group"


def test_an_emr_role_policy_passing_any_role_on_the_ci_user_is_critical():
    rec = record("attach-user-policy.json", requestParameters={
        "userName": "github-actions-aws-deployer",
        "policyArn": "arn:aws:iam::aws:policy/service-role/AmazonElasticMapReduceRole"})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.CRITICAL
    assert "AmazonElasticMapReduceRole" in f.details["can_now"][0]


def test_power_user_access_is_not_admin_equivalent():
    rec = record("attach-user-policy.json", requestParameters={
        "userName": "github-actions-aws-deployer", "policyArn": "arn:aws:iam::aws:policy/PowerUserAccess"})
    assert finding(rec, RULE) is None


def test_a_policy_that_grants_nothing_admin_equivalent_is_quiet():
    assert finding(record("put-role-policy.json"), RULE) is None
    rec = record("attach-user-policy.json", requestParameters={"policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})
    assert finding(rec, RULE) is None


def test_a_malformed_document_is_reported_as_unreadable():
    truncated = '{"Statement": [{"Effect": "Allow"'
    rec = record("put-role-policy.json", requestParameters={"policyDocument": truncated})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.HIGH
    assert "could not be read" in f.reason


def test_an_admin_policy_version_made_default_is_high():
    doc = quote(json.dumps({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}), safe="")
    rec = record("attach-user-policy.json", eventName="CreatePolicyVersion", requestParameters={
        "userName": DROP, "policyArn": "arn:aws:iam::630287363158:policy/deploy", "policyDocument": doc,
        "setAsDefault": True})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.HIGH


def test_a_policy_version_not_made_default_is_quiet():
    doc = quote(json.dumps({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}), safe="")
    rec = record("attach-user-policy.json", eventName="CreatePolicyVersion", requestParameters={
        "userName": DROP, "policyArn": "arn:aws:iam::630287363158:policy/deploy", "policyDocument": doc,
        "setAsDefault": False})
    assert finding(rec, RULE) is None


def test_adding_the_ci_user_to_a_group_is_medium_since_the_groups_policies_are_unknown():
    rec = record("attach-user-policy.json", eventName="AddUserToGroup",
                 requestParameters={"policyArn": DROP, "groupName": "admins"})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.MEDIUM
    assert "admins" in f.reason


def test_an_iam_manager_setting_a_default_version_is_low():
    rec = record("attach-user-policy.json", eventName="SetDefaultPolicyVersion",
                 userIdentity=identity_of("delete-user.json"),
                 requestParameters={"userName": DROP, "policyArn": "arn:aws:iam::630287363158:policy/deploy",
                                    "versionId": "v3"})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.LOW


# --- IAM Identity Center provisioning: AWS applies a permission set through its service-linked role ----------

SSO_SLR = identity_of("sso-provision-create-role.json")
SSO_ROLE = "AWSReservedSSO_AdministratorAccess_0123456789abcdef"


def _attach_admin_to_sso_role(**overrides):
    return record("attach-user-policy.json", eventName="AttachRolePolicy", requestParameters=Replace({
        "roleName": SSO_ROLE, "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}), **overrides)


def test_identity_center_provisioning_an_admin_permission_set_is_low():
    f = finding(_attach_admin_to_sso_role(userIdentity=SSO_SLR, sourceIPAddress="sso.amazonaws.com"), RULE)
    assert f is not None and f.severity is Severity.LOW and "service-linked role" in f.reason


def test_the_same_grant_relayed_by_cloudformation_with_the_callers_credentials_stays_critical():
    f = finding(_attach_admin_to_sso_role(userIdentity={"invokedBy": "cloudformation.amazonaws.com"}), RULE)
    assert f is not None and f.severity is Severity.CRITICAL


# --- the same names in other services: Organizations' SCPs, IoT policies -------------------------------------

SCP = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]})
IOT_ALL = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


def test_an_organizations_service_control_policy_created_is_not_an_iam_grant():
    scp = record("iam-create-policy-admin-equivalent.json", eventSource="organizations.amazonaws.com",
                 requestParameters=Replace({"content": SCP, "name": "deny-leave", "type": "SERVICE_CONTROL_POLICY"}))
    assert finding(scp, RULE) is None


def test_an_iot_policy_is_not_an_iam_grant_but_the_same_document_in_iam_is():
    iot = record("iam-create-policy-admin-equivalent.json", eventSource="iot.amazonaws.com",
                 requestParameters={"policyDocument": IOT_ALL})
    assert finding(iot, RULE) is None
    f = finding(record("iam-create-policy-admin-equivalent.json", requestParameters={"policyDocument": IOT_ALL}), RULE)
    assert f is not None and f.severity is Severity.HIGH


def test_replay_keys_a_quiet_create_policy_on_its_source(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    declared = identity_of("role-session-call.json")
    iot = record("iam-create-policy-admin-equivalent.json", eventSource="iot.amazonaws.com", userIdentity=declared,
                 requestParameters={"policyDocument": IOT_ALL})
    iam = record("iam-create-policy-admin-equivalent.json", userIdentity=declared,
                 requestParameters={"policyDocument": IOT_ALL})
    with_memo, without = replay_twice([iot] * 33 + [iam], tmp_path, capsys)
    assert with_memo == without
    assert [json.loads(line)["rule"] for line in with_memo.splitlines()].count(RULE) == 1
