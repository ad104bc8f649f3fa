"""ec2-password-data-read: an instance's administrator password asked for, graded by outcome and actor."""

from __future__ import annotations

from chalicelib.findings import Severity

from .conftest import DROP, finding, identity_of, model_from, record

RULE = "ec2-password-data-read"


def test_a_refused_read_by_the_agents_role_is_medium_probing():
    f = finding(record("ec2-get-password-data.json"), RULE)
    assert f is not None and f.severity is Severity.MEDIUM
    assert "i-0b2c4d6e8f0a1c3e5" in f.reason and "attempt" in f.reason


def test_a_successful_read_is_high():
    rec = record("ec2-get-password-data.json", errorCode=DROP, errorMessage=DROP,
                 responseElements={"instanceId": "i-0b2c4d6e8f0a1c3e5",
                                   "passwordData": "HIDDEN_DUE_TO_SECURITY_REASONS"})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.HIGH


def test_refused_reads_by_one_caller_group_together():
    one = finding(record("ec2-get-password-data.json"), RULE)
    other = finding(record("ec2-get-password-data.json", requestParameters={"instanceId": "i-0aaa"}), RULE)
    assert one is not None and other is not None and one.group_key == other.group_key


def test_an_iam_manager_reading_it_is_low():
    model = model_from("""
        version: 1
        accounts: [{id: "630287363158", name: management}]
        principals:
          - {id: ops, kind: human, auth: role, roles: [paperclip-agent], manages_iam: true}
    """)
    f = finding(record("ec2-get-password-data.json", errorCode=DROP), RULE, model)
    assert f is not None and f.severity is Severity.LOW


def test_other_ec2_reads_are_not_password_reads():
    assert finding(record("ec2-get-password-data.json", eventName="DescribeInstances"), RULE) is None


def test_an_identity_center_session_is_not_judged_as_its_reads_are_not_routed():
    rec = record("ec2-get-password-data.json", userIdentity=identity_of("sso-session-call.json"))
    assert finding(rec, RULE) is None


def test_a_console_session_read_marked_invoked_by_signin_is_still_judged():
    f = finding(record("ec2-get-password-data.json", userIdentity={"invokedBy": "signin.amazonaws.com"}), RULE)
    assert f is not None and f.severity is Severity.MEDIUM


def test_an_aws_service_reading_it_for_someone_is_not_judged():
    rec = record("ec2-get-password-data.json", userIdentity={"invokedBy": "ssm.amazonaws.com"})
    assert finding(rec, RULE) is None


def test_a_service_linked_role_session_is_aws_acting_and_not_judged():
    issuer = "arn:aws:iam::630287363158:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS"
    rec = record("ec2-get-password-data.json", userIdentity={
        "arn": "arn:aws:sts::630287363158:assumed-role/AWSServiceRoleForECS/ecs-service-616",
        "sessionContext": {"sessionIssuer": {"arn": issuer, "userName": "AWSServiceRoleForECS"}}})
    assert finding(rec, RULE) is None


def test_a_customer_role_under_a_path_like_a_service_linked_one_is_still_judged():
    issuer = "arn:aws:iam::630287363158:role/ops/aws-service-role/ecs.amazonaws.com/Fake"
    rec = record("ec2-get-password-data.json", userIdentity={
        "arn": "arn:aws:sts::630287363158:assumed-role/Fake/s",
        "sessionContext": {"sessionIssuer": {"arn": issuer, "userName": "Fake"}}})
    assert finding(rec, RULE) is not None
