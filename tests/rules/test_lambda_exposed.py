"""lambda-exposed: a Lambda function opened to anyone, an outside account or the internet; routine
grants (a declared account, an AWS service of this account) stay quiet; an organization-wide grant is
medium (the caller names the organization id)."""

from __future__ import annotations

import pytest

from chalicelib.findings import Severity

from .conftest import DROP, Replace, finding, identity_of, record

RULE = "lambda-exposed"
ACCOUNT = "630287363158"
OUTSIDE = "193672423079"


def test_a_statement_letting_in_anyone_is_critical():
    f = finding(record("lambda-add-permission.json"), RULE)
    assert f is not None and f.severity is Severity.CRITICAL
    assert "anyone" in f.reason and "ops-sync" in f.reason
    assert f.target_arn == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:ops-sync"


@pytest.mark.parametrize("principal", [OUTSIDE, f"arn:aws:iam::{OUTSIDE}:root"])
def test_an_account_outside_the_model_is_critical(principal):
    f = finding(record("lambda-add-permission.json", requestParameters={"principal": principal}), RULE)
    assert f is not None and f.severity is Severity.CRITICAL and OUTSIDE in f.reason


def test_an_account_the_model_declares_is_quiet():
    assert finding(record("lambda-add-permission.json", requestParameters={"principal": ACCOUNT}), RULE) is None


def test_an_s3_trigger_from_this_account_is_quiet():
    rec = record("lambda-add-permission.json", requestParameters={
        "principal": "s3.amazonaws.com", "sourceArn": "arn:aws:s3:::ops-inbox", "sourceAccount": ACCOUNT})
    assert finding(rec, RULE) is None


def test_a_service_acting_for_an_outside_account_is_high():
    rec = record("lambda-add-permission.json", requestParameters={
        "principal": "sns.amazonaws.com", "sourceArn": f"arn:aws:sns:us-east-1:{OUTSIDE}:feed"})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.HIGH


def test_anyone_within_an_organization_the_caller_names_is_medium():
    rec = record("lambda-add-permission.json", requestParameters={"principalOrgID": "o-a1b2c3d4e5"})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.MEDIUM and "o-a1b2c3d4e5" in f.reason


def test_an_iam_manager_granting_the_organization_is_low():
    rec = record("lambda-add-permission.json", requestParameters={"principalOrgID": "o-a1b2c3d4e5"},
                 userIdentity=identity_of("delete-user.json"))
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.LOW


def test_an_iam_manager_opening_a_function_is_medium():
    rec = record("lambda-add-permission.json", userIdentity=identity_of("delete-user.json"))
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.MEDIUM


def test_a_function_url_without_auth_is_high():
    rec = record("lambda-add-permission.json", eventName="CreateFunctionUrlConfig20211031",
                 requestParameters=Replace({"functionName": "ops-sync", "authType": "NONE"}),
                 responseElements={"statement": DROP, "functionUrl": "https://abc.lambda-url.us-east-1.on.aws/",
                                   "authType": "NONE"})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.HIGH and "function URL" in f.reason


def test_a_function_url_behind_iam_auth_is_quiet():
    rec = record("lambda-add-permission.json", eventName="UpdateFunctionUrlConfig20211031",
                 requestParameters=Replace({"functionName": "ops-sync", "authType": "AWS_IAM"}))
    assert finding(rec, RULE) is None


def test_a_refused_grant_is_at_most_medium():
    rec = record("lambda-add-permission.json", errorCode="AccessDeniedException", responseElements=None,
                 errorMessage="not authorized to perform: lambda:AddPermission")
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.MEDIUM and "attempt" in f.reason


def test_permissions_on_other_services_are_not_lambda_grants():
    rec = record("lambda-add-permission.json", eventSource="sqs.amazonaws.com", eventName="AddPermission")
    assert finding(rec, RULE) is None


@pytest.mark.parametrize("principal", [f"arn:aws:iam::{ACCOUNT}:role/service-role/ops-invoker",
                                       f"arn:aws-us-gov:iam::{ACCOUNT}:user/ops", f"arn:aws-cn:iam::{ACCOUNT}:root"])
def test_a_user_or_role_of_a_declared_account_is_quiet(principal):
    assert finding(record("lambda-add-permission.json", requestParameters={"principal": principal}), RULE) is None


def test_a_role_of_an_outside_account_is_critical():
    rec = record("lambda-add-permission.json", requestParameters={"principal": f"arn:aws:iam::{OUTSIDE}:role/x"})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.CRITICAL and OUTSIDE in f.reason


def test_an_alexa_skill_trigger_is_a_service_and_quiet():
    rec = record("lambda-add-permission.json", requestParameters={
        "principal": "alexa-appkit.amazon.com", "eventSourceToken": "amzn1.ask.skill.1a2b3c4d"})
    assert finding(rec, RULE) is None


def test_an_iam_manager_making_a_function_url_without_auth_is_medium_like_a_grant_to_anyone():
    rec = record("lambda-add-permission.json", eventName="CreateFunctionUrlConfig20211031",
                 userIdentity=identity_of("delete-user.json"),
                 requestParameters=Replace({"functionName": "ops-sync", "authType": "NONE"}))
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.MEDIUM
