"""iam-role-passed on the hand-overs red-team round 3 found unread: code that runs later as the role, on a
schedule or an event (EventBridge Scheduler, EventBridge targets, Step Functions, Systems Manager
Automation, CodePipeline, App Runner, StackSets, EKS node groups, Auto Scaling and EMR instance profiles)."""

from __future__ import annotations

import json

import pytest

from chalicelib.findings import Severity

from .conftest import Replace, finding, model_from, record, replay_twice

RULE = "iam-role-passed"
ROLE = "arn:aws:iam::630287363158:role/terraform-deploy"
SCHEDULE = "scheduler-create-schedule-role.json"
TARGETS = "events-put-targets-role.json"
AUTOMATION = "ssm-start-automation-execution-role.json"
PASSER = """
    version: 1
    accounts: [{id: "630287363158", name: management}]
    principals:
      - {id: ci, kind: ci, auth: access-key, iam_user: github-actions-aws-deployer, passes_roles: [terraform-*]}
      - {id: deploy, kind: ci, auth: role, roles: [terraform-deploy], manages_monitoring: true}
"""
# (eventSource, eventName, requestParameters naming the deploy role) for the calls without a fixture of their own.
OTHERS = [
    ("states.amazonaws.com", "CreateStateMachine", {"name": "sm", "roleArn": ROLE, "definition": "{}"}),
    ("states.amazonaws.com", "UpdateStateMachine", {"stateMachineArn": "arn:aws:states:us-east-1:630287363158:"
                                                    "stateMachine:sm", "roleArn": ROLE}),
    ("scheduler.amazonaws.com", "UpdateSchedule", {"name": "s", "target": {"arn": "a", "roleArn": ROLE}}),
    ("codepipeline.amazonaws.com", "CreatePipeline", {"pipeline": {"name": "p", "roleArn": ROLE, "stages": []}}),
    ("codepipeline.amazonaws.com", "UpdatePipeline", {"pipeline": {"name": "p", "roleArn": ROLE, "stages": []}}),
    ("apprunner.amazonaws.com", "CreateService", {"serviceName": "s",
                                                  "instanceConfiguration": {"instanceRoleArn": ROLE}}),
    ("apprunner.amazonaws.com", "UpdateService", {"serviceArn": "x",
                                                  "instanceConfiguration": {"instanceRoleArn": ROLE}}),
    ("cloudformation.amazonaws.com", "CreateStackSet", {"stackSetName": "s", "administrationRoleARN": ROLE,
                                                        "executionRoleName": "AWSCloudFormationStackSetExecutionRole"}),
    ("cloudformation.amazonaws.com", "UpdateStackSet", {"stackSetName": "s", "administrationRoleARN": ROLE}),
    ("eks.amazonaws.com", "CreateNodegroup", {"name": "prod", "nodegroupName": "ng", "nodeRole": ROLE}),
    ("autoscaling.amazonaws.com", "CreateLaunchConfiguration", {"launchConfigurationName": "lc", "imageId": "ami-1",
                                                                "iamInstanceProfile": "terraform-deploy"}),
    ("elasticmapreduce.amazonaws.com", "RunJobFlow", {"name": "c", "jobFlowRole": "terraform-deploy",
                                                      "serviceRole": "EMR_DefaultRole"}),
    ("eks.amazonaws.com", "CreatePodIdentityAssociation", {"clusterName": "prod", "namespace": "default",
                                                           "serviceAccount": "app", "roleArn": ROLE}),
    ("eks.amazonaws.com", "UpdatePodIdentityAssociation", {"clusterName": "prod", "associationId": "a-1",
                                                           "roleArn": ROLE}),
    ("batch.amazonaws.com", "RegisterJobDefinition", {"jobDefinitionName": "j", "type": "container",
                                                      "containerProperties": {"image": "x", "jobRoleArn": ROLE}}),
]


def test_a_schedule_running_as_the_deploy_role_is_critical():
    f = finding(record(SCHEDULE), RULE)
    assert f is not None and f.severity is Severity.CRITICAL
    assert "terraform-deploy" in f.reason and "scheduler" in f.reason


def test_an_eventbridge_target_running_as_the_deploy_role_is_critical():
    f = finding(record(TARGETS), RULE)
    assert f is not None and f.severity is Severity.CRITICAL and f.target_arn == ROLE


def test_an_automation_run_as_the_deploy_role_is_critical():
    f = finding(record(AUTOMATION), RULE)
    assert f is not None and f.severity is Severity.CRITICAL


@pytest.mark.parametrize(("source", "name", "request_"), OTHERS, ids=[n for _, n, _ in OTHERS])
def test_every_other_hand_over_names_the_role(source, name, request_):
    rec = record(SCHEDULE, eventSource=source, eventName=name, requestParameters=Replace(request_),
                 responseElements=None)
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.CRITICAL and "terraform-deploy" in f.reason


def test_targets_without_a_role_are_not_judged():
    rec = record(TARGETS, requestParameters=Replace({"rule": "r", "targets": [
        {"id": "1", "arn": "arn:aws:lambda:us-east-1:630287363158:function:f"}]}))
    assert finding(rec, RULE) is None


def test_an_automation_without_a_role_parameter_is_not_judged():
    rec = record(AUTOMATION, requestParameters=Replace({"documentName": "AWS-RestartEC2Instance",
                                                        "parameters": {"InstanceId": ["i-1"]}}))
    assert finding(rec, RULE) is None


def test_the_worst_of_several_targets_is_judged():
    rec = record(TARGETS)
    rec["requestParameters"]["targets"].insert(0, {"id": "0", "arn": "a", "roleArn": "not-a-role"})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.CRITICAL


def test_a_role_the_callers_passes_roles_allows_is_low():
    f = finding(record(SCHEDULE), RULE, model_from(PASSER))
    assert f is not None and f.severity is Severity.LOW


def test_a_session_handing_over_its_own_role_is_not_judged():
    own = Replace({"type": "AssumedRole", "principalId": "AROAZ7TW0DEPLOYROLE01:tf",
                   "arn": "arn:aws:sts::630287363158:assumed-role/terraform-deploy/tf", "accountId": "630287363158",
                   "accessKeyId": "ASIAZ7TW0DEPLOYSESS1",
                   "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAZ7TW0DEPLOYROLE01",
                                                        "arn": ROLE, "accountId": "630287363158",
                                                        "userName": "terraform-deploy"},
                                      "attributes": {"creationDate": "2026-11-20T10:00:00Z",
                                                     "mfaAuthenticated": "false"}}})
    assert finding(record(SCHEDULE, userIdentity=own), RULE) is None


def test_an_aws_service_relaying_an_ordinary_role_is_not_judged():
    rec = record(AUTOMATION, userIdentity={"invokedBy": "config.amazonaws.com"}, sourceIPAddress="config.amazonaws.com")
    rec["requestParameters"]["parameters"]["AutomationAssumeRole"] = ["arn:aws:iam::630287363158:role/remediation"]
    assert finding(rec, RULE) is None
    rec["sourceIPAddress"], rec["userIdentity"] = "45.137.21.9", record(AUTOMATION)["userIdentity"]
    assert finding(rec, RULE).severity is Severity.MEDIUM


def test_malformed_lists_do_not_crash():
    for bad in ("x", [None, 3, {"roleArn": ["nested"]}], {"roleArn": ROLE}):
        finding(record(TARGETS, requestParameters=Replace({"rule": "r", "targets": bad})), RULE)
        finding(record(AUTOMATION, requestParameters=Replace({"parameters": {"AutomationAssumeRole": bad}})), RULE)


def test_replay_gives_the_same_output_with_and_without_the_memo(tmp_path, capsys):
    quiet = record(TARGETS, requestParameters=Replace({"rule": "r", "targets": [{"id": "1", "arn": "a"}]}))
    records = [quiet, record(TARGETS), quiet, record(SCHEDULE), record(AUTOMATION), record(TARGETS)]
    with_memo, without = replay_twice(records, tmp_path, capsys)
    assert with_memo == without
    assert [json.loads(line)["rule"] for line in with_memo.splitlines()].count(RULE) == 4


def test_replay_of_launch_configurations_agrees_with_and_without_the_memo(tmp_path, capsys):
    """Auto Scaling names the profile as a string where RunInstances has an object: no memo key holds it."""
    def launch_config(**extra: object) -> dict:
        return record(SCHEDULE, eventSource="autoscaling.amazonaws.com", eventName="CreateLaunchConfiguration",
                      responseElements=None,
                      requestParameters=Replace({"launchConfigurationName": "lc", "imageId": "ami-1", **extra}))
    records = [launch_config(), launch_config(iamInstanceProfile="terraform-deploy"), launch_config(),
               launch_config(iamInstanceProfile="terraform-deploy")]
    with_memo, without = replay_twice(records, tmp_path, capsys)
    assert with_memo == without
    assert [json.loads(line)["rule"] for line in with_memo.splitlines()].count(RULE) == 2


BUILD = "codebuild-start-build-buildspec-override.json"


def test_a_buildspec_override_runs_as_the_projects_role_and_is_critical():
    f = finding(record(BUILD), RULE)
    assert f is not None and f.severity is Severity.CRITICAL
    assert "new build commands in a CodeBuild project that runs as role 'terraform-deploy'" in f.reason


def test_a_build_started_without_new_commands_is_not_judged():
    assert finding(record(BUILD, requestParameters=Replace({"projectName": "infra-plan"})), RULE) is None


def test_a_project_given_a_new_source_runs_as_its_role():
    rec = record(BUILD, eventName="UpdateProject", requestParameters=Replace(
        {"name": "infra-plan", "source": {"type": "NO_SOURCE", "buildspec": "version: 0.2"}}),
        responseElements=Replace({"project": {"name": "infra-plan", "serviceRole": ROLE}}))
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.CRITICAL and "new build commands" in f.reason


def test_a_project_update_touching_neither_source_nor_role_is_not_judged():
    rec = record(BUILD, eventName="UpdateProject", requestParameters=Replace({"name": "p", "timeoutInMinutes": 30}),
                 responseElements=Replace({"project": {"name": "p", "serviceRole": ROLE}}))
    assert finding(rec, RULE) is None


def test_replay_of_builds_agrees_with_and_without_the_memo(tmp_path, capsys):
    plain = record(BUILD, requestParameters=Replace({"projectName": "infra-plan"}))
    with_memo, without = replay_twice([plain, record(BUILD), plain, record(BUILD)], tmp_path, capsys)
    assert with_memo == without
    assert [json.loads(line)["rule"] for line in with_memo.splitlines()].count(RULE) == 2
