"""organization-guardrail-removed: service and resource control policies taken off accounts (detached, turned
off, rewritten, or the account moved out of its OU) without the account leaving the organization."""

from __future__ import annotations

import json

from chalicelib.findings import Severity

from .conftest import Replace, finding, identity_of, record, replay_twice

RULE = "organization-guardrail-removed"
FIXTURE = "organizations-detach-policy.json"
DISABLE = {"eventName": "DisablePolicyType",
           "requestParameters": Replace({"rootId": "r-ab12", "policyType": "SERVICE_CONTROL_POLICY"}),
           "responseElements": {"root": {"id": "r-ab12", "policyTypes": []}}}
UPDATE = {"eventName": "UpdatePolicy",
          "requestParameters": Replace({"policyId": "p-8f3k2l1m", "content": "{\"Version\":\"2012-10-17\"}"}),
          "responseElements": {"policy": {"policySummary": {"id": "p-8f3k2l1m", "type": "SERVICE_CONTROL_POLICY",
                                                            "awsManaged": False}}}}
MOVE = {"eventName": "MoveAccount", "requestParameters": Replace(
    {"accountId": "402918375610", "sourceParentId": "ou-ab12-cd34ef56", "destinationParentId": "r-ab12"})}


def test_an_agent_detaching_a_policy_from_an_ou_is_high():
    f = finding(record(FIXTURE), RULE)
    assert f is not None and f.severity is Severity.HIGH
    assert "p-8f3k2l1m" in f.reason and "ou-ab12-cd34ef56" in f.reason


def test_detaching_awss_full_access_policy_is_not_judged():
    rec = record(FIXTURE, requestParameters={"policyId": "p-FullAWSAccess"})
    assert finding(rec, RULE) is None


def test_turning_scps_off_for_the_organization_is_critical():
    f = finding(record(FIXTURE, **DISABLE), RULE)
    assert f is not None and f.severity is Severity.CRITICAL and "whole organization" in f.reason


def test_turning_tag_policies_off_is_not_judged():
    rec = record(FIXTURE, **DISABLE)
    rec["requestParameters"]["policyType"] = "TAG_POLICY"
    assert finding(rec, RULE) is None


def test_rewriting_an_scp_is_high_and_a_backup_policy_is_not_judged():
    assert finding(record(FIXTURE, **UPDATE), RULE).severity is Severity.HIGH
    rec = record(FIXTURE, **UPDATE)
    rec["responseElements"]["policy"]["policySummary"]["type"] = "BACKUP_POLICY"
    assert finding(rec, RULE) is None


def test_moving_an_account_out_of_its_ou_is_high():
    f = finding(record(FIXTURE, **MOVE), RULE)
    assert f is not None and f.severity is Severity.HIGH and "402918375610" in f.reason


def test_an_iam_manager_is_low_and_medium_for_turning_the_type_off():
    sso = identity_of("sso-session-call.json")
    assert finding(record(FIXTURE, userIdentity=sso), RULE).severity is Severity.LOW
    assert finding(record(FIXTURE, userIdentity=sso, **DISABLE), RULE).severity is Severity.MEDIUM


def test_a_refused_call_is_medium():
    f = finding(record(FIXTURE, **DISABLE, errorCode="AccessDeniedException"), RULE)
    assert f is not None and f.severity is Severity.MEDIUM and "attempt" in f.reason


def test_control_tower_acting_and_other_services_are_not_judged():
    assert finding(record(FIXTURE, userIdentity={"invokedBy": "controltower.amazonaws.com"}), RULE) is None
    assert finding(record(FIXTURE, eventSource="iot.amazonaws.com"), RULE) is None


def test_hostile_shapes_do_not_crash():
    for bad in ("x", None, [1], {"policyId": ["p-1"], "policyType": {"a": 1}}):
        finding(record(FIXTURE, requestParameters=Replace(bad)), RULE)
        finding(record(FIXTURE, **{**UPDATE, "responseElements": Replace(bad)}), RULE)


def test_replay_gives_the_same_output_with_and_without_the_memo(tmp_path, capsys):
    full = record(FIXTURE, requestParameters={"policyId": "p-FullAWSAccess"})
    tags = record(FIXTURE, **DISABLE)
    tags["requestParameters"]["policyType"] = "TAG_POLICY"
    records = [full, record(FIXTURE), full, tags, record(FIXTURE, **DISABLE), tags, record(FIXTURE, **UPDATE)]
    with_memo, without = replay_twice(records, tmp_path, capsys)
    assert with_memo == without
    assert [json.loads(line)["rule"] for line in with_memo.splitlines()].count(RULE) == 3


def test_moving_a_new_account_out_of_the_root_into_its_ou_is_not_judged():
    # Account vending: the root's policies still bind the account, and the OU's are added.
    assert finding(record("organizations-move-account-from-root.json"), RULE) is None


def test_moving_an_account_between_ous_is_still_judged_after_a_move_from_the_root(tmp_path, capsys):
    from_root = record("organizations-move-account-from-root.json")
    records = [from_root, record(FIXTURE, **MOVE), from_root, record(FIXTURE, **MOVE)]
    with_memo, without = replay_twice(records, tmp_path, capsys)
    assert with_memo == without
    assert [json.loads(line)["rule"] for line in with_memo.splitlines()].count(RULE) == 2


CONTROL = "controltower-disable-control.json"


def test_a_control_tower_control_disabled_is_high_and_named():
    # Control Tower's spelling of taking a guardrail off an OU (it then rewrites its own aws-guardrails SCP).
    f = finding(record(CONTROL), RULE)
    assert f is not None and f.severity is Severity.HIGH
    assert "AWS-GR_CLOUDTRAIL_CHANGE_PROHIBITED" in f.reason and "ou-ab12-cd34ef56" in f.reason


def test_a_control_disabled_by_an_iam_manager_is_low():
    f = finding(record(CONTROL, userIdentity=identity_of("sso-session-call.json")), RULE)
    assert f is not None and f.severity is Severity.LOW


def test_disable_control_from_another_service_is_not_judged():
    assert finding(record(CONTROL, eventSource="example.amazonaws.com"), RULE) is None
