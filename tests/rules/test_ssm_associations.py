"""ssm-instance-access on State Manager associations: a document run on instances on a schedule (SendCommand
made persistent), judged by who acts; AWS's own patch/inventory/agent documents are quiet."""

from __future__ import annotations

import json

import pytest

from chalicelib.findings import Severity

from .conftest import Replace, finding, identity_of, model_from, record, replay_twice

RULE = "ssm-instance-access"
ASSOCIATION = "ssm-create-association.json"
OPERATOR = """
    version: 1
    accounts: [{id: "630287363158", name: management}]
    principals:
      - {id: deploy, kind: ci, auth: access-key, iam_user: github-actions-aws-deployer, operates_instances: true}
"""


def test_a_stolen_ci_key_scheduling_a_shell_script_on_every_instance_is_high_persistence():
    f = finding(record(ASSOCIATION), RULE)
    assert f is not None and f.severity is Severity.HIGH
    assert "persistence" in f.reason and "rate(30 minutes)" in f.reason and "every managed instance" in f.reason
    assert f.details["document_names"] == ["AWS-RunShellScript"] and f.details["instance_ids"] == ["*"]


def test_a_declared_operators_association_is_low():
    f = finding(record(ASSOCIATION), RULE, model_from(OPERATOR))
    assert f is not None and f.severity is Severity.LOW


@pytest.mark.parametrize("document", ["AWS-RunPatchBaseline", "AWS-GatherSoftwareInventory", "AWS-UpdateSSMAgent"])
def test_an_association_of_awss_patch_inventory_or_agent_document_is_quiet(document):
    assert finding(record(ASSOCIATION, requestParameters={"name": document}), RULE) is None


def test_a_document_shared_from_another_account_is_judged_whatever_it_is_called():
    doc = "arn:aws:ssm:us-east-1:193672423079:document/AWS-RunPatchBaseline-copy"
    f = finding(record(ASSOCIATION, requestParameters={"name": doc}), RULE)
    assert f is not None and f.severity is Severity.HIGH


def test_a_batch_with_one_shell_script_among_patch_associations_is_judged():
    rec = record(ASSOCIATION, eventName="CreateAssociationBatch", requestParameters=Replace({"entries": [
        {"name": "AWS-RunPatchBaseline", "targets": [{"key": "tag:Patch", "values": ["yes"]}]},
        {"name": "AWS-RunShellScript", "instanceId": "i-0aaa1111bbbb2222c", "parameters": "HIDDEN"}]}))
    f = finding(rec, RULE)
    assert f is not None and f.details["document_names"] == ["AWS-RunPatchBaseline", "AWS-RunShellScript"]
    assert f.details["instance_ids"] == ["i-0aaa1111bbbb2222c"] and f.details["target_selectors"] == ["tag:Patch=yes"]


def test_an_update_naming_no_document_is_judged_as_it_may_change_the_commands():
    rec = record(ASSOCIATION, eventName="UpdateAssociation", requestParameters=Replace({
        "associationId": "8dfe3659-4309-493a-8755-9a1f4f1a0c4e", "parameters": "HIDDEN_DUE_TO_SECURITY_REASONS"}),
                 responseElements=None)
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.HIGH and "document not named" in f.reason


def test_an_update_of_the_parameters_is_judged_on_the_document_the_response_describes():
    rec = record(ASSOCIATION, eventName="UpdateAssociation", requestParameters=Replace({
        "associationId": "8dfe3659-4309-493a-8755-9a1f4f1a0c4e", "parameters": "HIDDEN_DUE_TO_SECURITY_REASONS"}))
    f = finding(rec, RULE)
    assert f is not None and f.details["document_names"] == ["AWS-RunShellScript"]


def test_an_update_of_only_the_schedule_runs_nothing_new_so_is_quiet():
    rec = record(ASSOCIATION, eventName="UpdateAssociation", requestParameters=Replace({
        "associationId": "8dfe3659-4309-493a-8755-9a1f4f1a0c4e", "scheduleExpression": "rate(1 day)",
        "associationName": "sync-agent-daily"}))
    assert finding(rec, RULE) is None


def test_an_update_retargeting_a_patch_baseline_association_is_quiet():
    rec = record(ASSOCIATION, eventName="UpdateAssociation", requestParameters=Replace({
        "associationId": "8dfe3659-4309-493a-8755-9a1f4f1a0c4e",
        "targets": [{"key": "tag:Patch", "values": ["yes"]}]}),
        responseElements={"associationDescription": {"name": "AWS-RunPatchBaseline"}})
    assert finding(rec, RULE) is None


def test_an_association_a_stack_makes_with_the_callers_credentials_is_judged_as_the_caller():
    # AWS::SSM::Association in a template: commands on every targeted instance, the caller's choice
    f = finding(record(ASSOCIATION, userIdentity={"invokedBy": "cloudformation.amazonaws.com"}), RULE)
    assert f is not None and f.severity is Severity.HIGH


def test_an_association_an_aws_service_relays_is_not_judged():
    assert finding(record(ASSOCIATION, userIdentity={"invokedBy": "ssm.amazonaws.com"}), RULE) is None


@pytest.mark.parametrize("params", [{"entries": None}, {"entries": [None, 3, {"name": 5}]}, {"name": ["x"]},
                                    {"targets": "i-1", "instanceId": {"x": 1}}])
def test_hostile_association_shapes_never_crash(params):
    finding(record(ASSOCIATION, eventName="CreateAssociationBatch" if "entries" in params else "CreateAssociation",
                   requestParameters=Replace(params)), RULE)


def test_replay_judges_every_association_with_and_without_the_memo(tmp_path, capsys):
    """A quiet patch association must not make replay skip a shell-script one by the same caller after it."""
    declared = identity_of("role-session-call.json")
    patch = record(ASSOCIATION, userIdentity=declared, requestParameters={"name": "AWS-RunPatchBaseline"})
    with_memo, without = replay_twice([patch] * 33 + [record(ASSOCIATION, userIdentity=declared)], tmp_path, capsys)
    assert with_memo == without
    assert [json.loads(line)["rule"] for line in with_memo.splitlines()].count(RULE) == 1
