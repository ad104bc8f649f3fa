"""The packaged heartbeat: schedule, least-privilege role, missing-data alarm, and the names the rules read."""

from __future__ import annotations

import json

import pytest

from chalicelib.watch.heartbeat import MEMBER_STAGE, heartbeat_role

from .conftest import Packaged


def test_the_heartbeat_schedule_writes_the_stage_parameter_every_15_minutes_by_default(prod: Packaged) -> None:
    schedule = prod.resources["HeartbeatSchedule"]
    assert schedule["Type"] == "AWS::Scheduler::Schedule"
    props = schedule["Properties"]
    assert props["ScheduleExpression"] == {"Fn::Sub": "rate(${HeartbeatMinutes} minutes)"}
    assert prod.template["Parameters"]["HeartbeatMinutes"]["Default"] == 15
    assert props["Target"]["Arn"] == {"Fn::Sub": "arn:${AWS::Partition}:scheduler:::aws-sdk:ssm:putParameter"}
    sent = json.loads(props["Target"]["Input"])
    assert sent["Name"] == "/trailwarden/prod/heartbeat" and sent["Value"] == "<aws.scheduler.scheduled-time>"


def test_the_heartbeat_role_may_only_put_the_heartbeat_parameter(prod: Packaged) -> None:
    role = prod.resources["HeartbeatRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert "aws:SourceArn" in trust["Condition"]["ArnEquals"]
    (policy,) = role["Policies"]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Action"] == "ssm:PutParameter"
    assert statement["Resource"]["Fn::Sub"].endswith(":parameter/trailwarden/prod/heartbeat")


def test_the_heartbeat_role_is_the_one_whose_writes_are_left_unjudged(prod: Packaged) -> None:
    assert prod.resources["HeartbeatRole"]["Properties"]["RoleName"] == heartbeat_role("prod", "us-east-1")


def test_each_member_regions_heartbeat_role_is_the_one_whose_writes_are_left_unjudged(prod: Packaged) -> None:
    member = json.loads((prod.directory / "member.json").read_text())
    name = member["Resources"]["HeartbeatRole"]["Properties"]["RoleName"]["Fn::Sub"]
    assert name.replace("${AWS::Region}", "eu-west-1") == heartbeat_role(MEMBER_STAGE, "eu-west-1")


def test_an_alarm_outside_lambda_fires_when_no_event_is_handled(prod: Packaged) -> None:
    props = prod.resources["HeartbeatSilentAlarm"]["Properties"]
    assert props["MetricName"] == "CloudTrailEvents" and props["Namespace"] == "Trailwarden"
    assert {"Name": "family", "Value": "pipeline"} in props["Dimensions"]
    assert props["TreatMissingData"] == "breaching"
    assert props["AlarmActions"] == [{"Ref": "AlertsTopic"}]
    assert props["AlarmName"].startswith("trailwarden-prod-")  # the topic policy admits the stack's alarms


@pytest.mark.parametrize("stage", ["prod", "dev"])
def test_every_function_is_told_which_resources_are_trailwardens(request: pytest.FixtureRequest, stage: str) -> None:
    pkg: Packaged = request.getfixturevalue(stage)
    for function_id, function in pkg.functions().items():
        env = function["Properties"]["Environment"]["Variables"]
        assert f"trailwarden-{stage}-pipeline" in env["TRAILWARDEN_FUNCTION_NAMES"].split(","), function_id
        assert f"trailwarden-{stage}-root" in env["TRAILWARDEN_RULE_NAMES"].split(",")
        assert env["TRAILWARDEN_KEY_ARN"] == {"Fn::GetAtt": ["TrailwardenKey", "Arn"]}
        assert env["TRAILWARDEN_STACK_NAME"] == {"Ref": "AWS::StackName"}
        assert env["TRAILWARDEN_BLIND_AFTER_MINUTES"] == {"Ref": "BlindAfterMinutes"}
        assert len(json.dumps(env)) < 4096  # Lambda's limit for all variables together


@pytest.mark.parametrize("stage", ["prod", "dev"])
def test_the_role_names_the_functions_are_told_are_the_roles_created(request: pytest.FixtureRequest,
                                                                      stage: str) -> None:
    pkg: Packaged = request.getfixturevalue(stage)
    told = set(next(iter(pkg.functions().values()))["Properties"]["Environment"]["Variables"]
               ["TRAILWARDEN_ROLE_NAMES"].split(","))
    created = {r["Properties"]["RoleName"] for r in pkg.of_type("AWS::IAM::Role").values()}
    assert told == created


def test_dev_has_the_blinding_families_without_writes(dev: Packaged) -> None:
    names = {e["Properties"].get("RuleName"): e["Properties"].get("State") for _, e in dev.rules().values()}
    assert names["trailwarden-dev-blinding"] == "ENABLED" and names["trailwarden-dev-pipeline"] == "ENABLED"
    assert "trailwarden-dev-writes" not in names
