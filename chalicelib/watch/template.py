"""CloudFormation for watching the watcher, added by ``deploy/build_merge_template.py``.

* the heartbeat: an EventBridge Scheduler schedule whose universal target calls
  ``ssm:PutParameter`` on ``/trailwarden/<stage>/heartbeat`` with the scheduled time (no Lambda
  runs for it), and its role, which may do exactly that and nothing else;
* an alarm on the ``pipeline`` handler's ``CloudTrailEvents`` metric, where every heartbeat
  is counted: missing data is breaching, and it publishes straight to the alerts topic, so it
  fires even when every Lambda function is broken;
* the environment that tells the rules which resources are Trailwarden's (``watch/own.py``).
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.watch import own
from chalicelib.watch.heartbeat import parameter_name

PARAMETERS = {
    "HeartbeatMinutes": {"Type": "Number", "Default": 15, "MinValue": 1, "MaxValue": 60,
                         "Description": "Minutes between heartbeats (EventBridge Scheduler → ssm:PutParameter)"},
    "BlindAfterMinutes": {"Type": "Number", "Default": 45, "MinValue": 5,
                          "Description": "Minutes without a heartbeat before monitor-blind is raised"},
}


def _sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}


def environment(prefix: str, handlers: list[str], roles: list[str]) -> dict[str, Any]:
    """Variables every function gets: its own resources' exact names, the account, the blind threshold."""
    return {
        own.ENV_RULES: ",".join(f"{prefix}-{h}" for h in handlers if h != "api_handler"),
        own.ENV_FUNCTIONS: ",".join(f"{prefix}-{h}" for h in handlers),
        own.ENV_ROLES: ",".join(roles),
        own.ENV_KEY: {"Fn::GetAtt": ["TrailwardenKey", "Arn"]},
        own.ENV_STACK: {"Ref": "AWS::StackName"},
        own.ENV_STACK_ID: {"Ref": "AWS::StackId"},
        "TRAILWARDEN_ACCOUNT_ID": {"Ref": "AWS::AccountId"},
        "TRAILWARDEN_BLIND_AFTER_MINUTES": {"Ref": "BlindAfterMinutes"},
    }


def scheduled_write(*, schedule: str, role: Any, parameter: str, rate: Any, described: tuple[str, str],
                    tags: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """An EventBridge Scheduler schedule that puts ``parameter``, and a role that may do only that.

    The stage's heartbeat and each member region's (chalicelib/org/template.py) are this pair;
    ``described`` is the role's and the schedule's description.
    """
    parameter_arn = _sub(f"arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter{parameter}")
    schedule_arn = _sub(f"arn:${{AWS::Partition}}:scheduler:${{AWS::Region}}:${{AWS::AccountId}}:schedule/default/"
                        f"{schedule}")
    return {
        "HeartbeatRole": {"Type": "AWS::IAM::Role", "Properties": {
            "RoleName": role, "MaxSessionDuration": 3600, **({"Tags": tags} if tags is not None else {}),
            "Description": described[0],
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"}, "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
                              "ArnEquals": {"aws:SourceArn": schedule_arn}}}]},
            "Policies": [{"PolicyName": "WriteHeartbeatParameter", "PolicyDocument": {
                "Version": "2012-10-17", "Statement": [{
                    "Sid": "WriteHeartbeatParameter", "Effect": "Allow", "Action": "ssm:PutParameter",
                    "Resource": parameter_arn}]}}],
        }},
        "HeartbeatSchedule": {"Type": "AWS::Scheduler::Schedule", "Properties": {
            "Name": schedule,
            "Description": described[1],
            "ScheduleExpression": rate,
            "FlexibleTimeWindow": {"Mode": "OFF"}, "State": "ENABLED",
            "Target": {
                "Arn": _sub("arn:${AWS::Partition}:scheduler:::aws-sdk:ssm:putParameter"),
                "RoleArn": {"Fn::GetAtt": ["HeartbeatRole", "Arn"]},
                "Input": json.dumps({"Name": parameter, "Value": "<aws.scheduler.scheduled-time>",
                                     "Type": "String", "Overwrite": True}),
                "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 300},
            },
        }},
    }


def heartbeat_resources(prefix: str, stage: str, tags: list[dict[str, str]]) -> dict[str, Any]:
    """The schedule, its least-privilege role and the missing-data alarm."""
    schedule = f"{prefix}-heartbeat"  # the role's name too: watch.heartbeat.heartbeat_role (tested)
    return {
        **scheduled_write(schedule=schedule, role=schedule, parameter=parameter_name(stage),
                          rate=_sub("rate(${HeartbeatMinutes} minutes)"), tags=tags, described=(
                              "Trailwarden heartbeat: EventBridge Scheduler writes the heartbeat parameter, "
                              "nothing else",
                              "Trailwarden heartbeat: a recorded write that travels CloudTrail → EventBridge → "
                              "Lambda")),
        # Independent of every Lambda: heartbeats are counted by the pipeline handler, so a healthy
        # monitor never has an empty period; no data at all (every function broken) is breaching.
        "HeartbeatSilentAlarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {
            "AlarmName": f"{prefix}-heartbeat-silent",
            "AlarmDescription": "Trailwarden handled no CloudTrail event (not even its heartbeat) for 45 minutes: "
                                "the trail, EventBridge rules or Lambda functions are broken. See README "
                                "'Reading a monitor-blind alert'.",
            "Namespace": "Trailwarden", "MetricName": "CloudTrailEvents",
            "Dimensions": [{"Name": "service", "Value": "trailwarden"}, {"Name": "family", "Value": "pipeline"}],
            "Statistic": "Sum", "Period": 900, "EvaluationPeriods": 3, "DatapointsToAlarm": 3, "Threshold": 1,
            "ComparisonOperator": "LessThanThreshold", "TreatMissingData": "breaching",
            "AlarmActions": [{"Ref": "AlertsTopic"}], "OKActions": [{"Ref": "AlertsTopic"}]}},
    }
