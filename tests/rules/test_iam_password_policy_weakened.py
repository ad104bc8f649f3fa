"""iam-password-policy-weakened: the account password policy removed or set below the CIS baseline."""

from __future__ import annotations

import json

from chalicelib.findings import Severity

from .conftest import Replace, finding, model_from, record, replay_twice

RULE = "iam-password-policy-weakened"
UPDATE, DELETE = "iam-update-account-password-policy.json", "iam-delete-account-password-policy.json"
STRONG = Replace({"minimumPasswordLength": 16, "passwordReusePrevention": 24, "requireSymbols": True})
MANAGER = """
    version: 1
    accounts: [{id: "630287363158", name: management}]
    principals:
      - {id: admin, kind: human, auth: access-key, iam_user: github-actions-aws-deployer, manages_iam: true}
"""


def test_a_weak_policy_set_by_a_stolen_ci_key_is_high_and_says_what_falls_short():
    f = finding(record(UPDATE), RULE)
    assert f is not None and f.severity is Severity.HIGH
    assert "minimum length of 6" in f.reason and "no reuse prevention" in f.reason


def test_removing_the_policy_is_high():
    f = finding(record(DELETE), RULE)
    assert f is not None and f.severity is Severity.HIGH and "removed" in f.reason


def test_parameters_left_out_are_aws_defaults_so_an_empty_update_is_weak():
    f = finding(record(UPDATE, requestParameters=Replace({})), RULE)
    assert f is not None and f.severity is Severity.HIGH and "minimum length of 8" in f.reason


def test_a_policy_meeting_the_baseline_set_by_a_non_manager_is_medium():
    f = finding(record(UPDATE, requestParameters=STRONG), RULE)
    assert f is not None and f.severity is Severity.MEDIUM and f.details["shortfalls"] == []


def test_an_iam_manager_changing_it_is_low_and_still_recorded():
    f = finding(record(DELETE), RULE, model_from(MANAGER))
    assert f is not None and f.severity is Severity.LOW


def test_a_refused_change_is_medium_and_grouped_per_caller():
    one = finding(record(DELETE, errorCode="AccessDenied"), RULE)
    other = finding(record(UPDATE, errorCode="AccessDenied"), RULE)
    assert one is not None and other is not None
    success = finding(record(DELETE), RULE)
    assert one.severity is Severity.MEDIUM and one.group_key == other.group_key
    assert success is not None and success.group_key != one.group_key


def test_an_aws_service_acting_is_not_judged():
    assert finding(record(UPDATE, userIdentity={"invokedBy": "ssm.amazonaws.com"}), RULE) is None


def test_a_policy_a_stack_sets_with_the_callers_credentials_is_judged_as_the_caller():
    f = finding(record(UPDATE, userIdentity={"invokedBy": "cloudformation.amazonaws.com"}), RULE)
    assert f is not None


def test_unreadable_numbers_count_as_the_defaults_without_a_crash():
    f = finding(record(UPDATE, requestParameters=Replace({"minimumPasswordLength": "lots",
                                                          "passwordReusePrevention": True})), RULE)
    assert f is not None and "minimum length of 8" in f.reason


def test_replay_gives_the_same_output_with_and_without_the_memo(tmp_path, capsys):
    service = record(UPDATE, userIdentity={"invokedBy": "ssm.amazonaws.com"})
    with_memo, without = replay_twice([service, record(UPDATE), record(DELETE)] * 2, tmp_path, capsys)
    assert with_memo == without
    assert [json.loads(line)["rule"] for line in with_memo.splitlines()].count(RULE) == 4
