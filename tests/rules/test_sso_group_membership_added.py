"""sso-group-membership-added: an Identity Center group membership is routine only from an IAM manager."""

from __future__ import annotations

from chalicelib.findings import Severity

from .conftest import Replace, finding, identity_of, record

RULE = "sso-group-membership-added"


def test_the_ci_key_adding_a_member_to_an_identity_center_group_is_high():
    f = finding(record("identitystore-create-group-membership.json"), RULE)
    assert f is not None and f.severity is Severity.HIGH
    assert f.details["member_user_id"] == "9067642ac7-a1b2c3d4-e5f6-4789-8abc-def012345678"


def test_the_console_spelling_from_sso_directory_is_judged_too():
    rec = record("identitystore-create-group-membership.json", eventSource="sso-directory.amazonaws.com",
                 eventName="AddMemberToGroup",
                 requestParameters=Replace({"groupId": "9067642ac7-4b1f", "memberId": {"userId": "9067642ac7-a1b2"}}))
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.HIGH and "9067642ac7-a1b2" in f.reason


def test_an_iam_manager_adding_a_member_is_low():
    rec = record("identitystore-create-group-membership.json", userIdentity=identity_of("delete-user.json"))
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.LOW


def test_a_refused_attempt_is_at_most_medium():
    rec = record("identitystore-create-group-membership.json", errorCode="AccessDeniedException",
                 responseElements=None)
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.MEDIUM


def test_the_name_from_another_service_is_not_a_membership():
    rec = record("identitystore-create-group-membership.json", eventSource="sso-directory.amazonaws.com")
    assert finding(rec, RULE) is None


def test_identity_center_syncing_its_directory_is_low():
    rec = record("identitystore-create-group-membership.json", userIdentity=Replace(
        {"type": "AWSService", "invokedBy": "sso.amazonaws.com"}))
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.LOW and "directory" in f.reason


def test_a_console_session_invoked_by_signin_is_still_high():
    rec = record("identitystore-create-group-membership.json", userIdentity={"invokedBy": "signin.amazonaws.com"})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.HIGH
