"""iam-mfa-device-enrolled: an MFA device enabled or resynchronised on another IAM user (MFA hijack)."""

from __future__ import annotations

import json

from chalicelib.findings import Severity

from .conftest import finding, identity_of, model_from, record, replay_twice

RULE = "iam-mfa-device-enrolled"
FIXTURE = "iam-enable-mfa-device.json"
MANAGER = """
    version: 1
    accounts: [{id: "630287363158", name: management}]
    principals:
      - {id: helpdesk, kind: human, auth: access-key, iam_user: github-actions-aws-deployer, manages_iam: true}
"""


def test_a_stolen_ci_key_enrolling_a_device_on_a_human_is_high():
    f = finding(record(FIXTURE), RULE)
    assert f is not None and f.severity is Severity.HIGH
    assert "'maria'" in f.reason and f.target_arn == "arn:aws:iam::630287363158:user/maria"
    assert f.details["serial_number"] == "arn:aws:iam::630287363158:mfa/backup-token"


def test_resyncing_another_users_device_is_judged_alike():
    f = finding(record(FIXTURE, eventName="ResyncMFADevice"), RULE)
    assert f is not None and f.severity is Severity.HIGH and "resynchronised" in f.reason


def test_a_user_enrolling_its_own_device_is_routine_and_quiet():
    assert finding(record(FIXTURE, requestParameters={"userName": "github-actions-aws-deployer"}), RULE) is None


def test_the_own_device_check_ignores_case_as_iam_does():
    assert finding(record(FIXTURE, requestParameters={"userName": "GitHub-Actions-AWS-Deployer"}), RULE) is None


def test_root_enrolling_its_own_device_is_left_to_the_root_rules():
    rec = record(FIXTURE, userIdentity=identity_of("root-cli-call.json"),
                 requestParameters={"userName": "AWS ROOT USER",
                                    "serialNumber": "arn:aws:iam::630287363158:mfa/root-account-mfa-device"})
    assert finding(rec, RULE) is None


def test_an_iam_manager_enrolling_a_users_device_is_low_and_still_recorded():
    f = finding(record(FIXTURE), RULE, model_from(MANAGER))
    assert f is not None and f.severity is Severity.LOW


def test_a_refused_attempt_is_medium_and_grouped_per_caller():
    one = finding(record(FIXTURE, errorCode="AccessDenied", errorMessage="not authorized"), RULE)
    other = finding(record(FIXTURE, errorCode="AccessDenied", requestParameters={"userName": "bob"}), RULE)
    assert one is not None and other is not None
    assert one.severity is Severity.MEDIUM and "attempt" in one.reason and one.group_key == other.group_key


def test_successes_group_per_target_user():
    one = finding(record(FIXTURE), RULE)
    other = finding(record(FIXTURE, requestParameters={"userName": "bob"}), RULE)
    assert one is not None and other is not None and one.group_key != other.group_key


def test_an_aws_service_acting_is_not_judged():
    assert finding(record(FIXTURE, userIdentity={"invokedBy": "ssm.amazonaws.com"}), RULE) is None


def test_a_user_named_like_the_target_in_another_account_is_not_enrolling_its_own_device():
    rec = record(FIXTURE, requestParameters={"userName": "github-actions-aws-deployer"},
                 userIdentity={"accountId": "402918375610",
                               "arn": "arn:aws:iam::402918375610:user/github-actions-aws-deployer"})
    assert finding(rec, RULE) is not None


def test_creating_a_virtual_device_names_no_user_and_is_not_judged():
    rec = record(FIXTURE, eventName="CreateVirtualMFADevice",
                 requestParameters={"virtualMFADeviceName": "maria", "path": "/"})
    assert finding(rec, RULE) is None


def test_a_record_without_request_parameters_is_judged_without_a_crash():
    f = finding(record(FIXTURE, requestParameters=None), RULE)
    assert f is not None and "'?'" in f.reason


def test_replay_gives_the_same_output_with_and_without_the_memo(tmp_path, capsys):
    own = record(FIXTURE, requestParameters={"userName": "github-actions-aws-deployer"})
    with_memo, without = replay_twice([own, record(FIXTURE)] * 2, tmp_path, capsys)
    assert with_memo == without
    assert [json.loads(line)["rule"] for line in with_memo.splitlines()].count(RULE) == 2


def test_root_enrolling_a_device_on_an_iam_user_is_judged():
    f = finding(record(FIXTURE, userIdentity=identity_of("root-cli-call.json")), RULE)
    assert f is not None and f.severity is Severity.HIGH
