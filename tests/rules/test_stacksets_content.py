"""A service-managed StackSet's role in a member account applies a template someone chose: it is
judged as a caller, not waved through as AWS acting (the service-linked role path is AWS-set, but
what it creates is the management account's choice)."""

from __future__ import annotations

from chalicelib.findings import Severity

from .conftest import finding, identity_of, record, replay_twice

STACKSET = "stacksets-member-attach-role-policy-admin.json"
RULE = "iam-privilege-granted"


def test_administrator_access_attached_by_a_stackset_in_a_member_account_is_not_low():
    f = finding(record(STACKSET), RULE)
    assert f is not None and f.severity >= Severity.HIGH
    assert "AWS made the call itself" not in f.reason


def test_identity_center_provisioning_the_same_attachment_stays_low():
    rec = record(STACKSET, userIdentity=identity_of("sso-provision-create-role.json"))
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.LOW and "AWS made the call itself" in f.reason


def test_guardduty_switched_off_by_a_stackset_is_not_lowered_as_aws_acting():
    rec = record("guardduty-update-detector.json", userIdentity=identity_of(STACKSET))
    f = finding(rec, "detector-disabled")
    assert f is not None and f.severity >= Severity.HIGH and "AWS made this call itself" not in f.reason


def test_guardduty_switched_off_by_identity_center_s_kind_of_service_linked_role_is_low():
    rec = record("guardduty-update-detector.json", userIdentity=identity_of("sso-provision-create-role.json"))
    f = finding(rec, "detector-disabled")
    assert f is not None and f.severity is Severity.LOW


def test_replay_gives_the_same_output_with_and_without_the_memo(tmp_path, capsys):
    sso = record(STACKSET, userIdentity=identity_of("sso-provision-create-role.json"), eventID="sso-1")
    with_memo, without = replay_twice([sso, record(STACKSET), sso], tmp_path, capsys)
    assert with_memo == without and with_memo.count(RULE) == 3
