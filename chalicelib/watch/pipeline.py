"""The calls that can blind Trailwarden through its own resources, and where each names them.

One row per (event source, call): the kind of resource, the ``requestParameters`` keys that
may name it, and whether the call switches the resource off (rather than changing it). Lambda
records its calls with an API-version suffix (``UpdateFunctionConfiguration20150331v2``);
``base_name`` strips it, and ``EVENT_NAMES`` lists every spelling for the engine's dispatch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from chalicelib.events import CloudTrailEvent, as_bool, as_dict, as_str
from chalicelib.watch.own import OwnResources


@dataclass(frozen=True)
class Call:
    kind: str  # rule | function | topic | table | key | parameter | role | stack | schedule | alarm | bus
    params: tuple[str, ...]  # requestParameters keys naming the resource
    verb: str  # what the call did, for the reason
    off: bool  # switches the resource off / removes it (rather than changing it)


EVENTS, LAMBDA, SNS, DDB, KMS, SSM, IAM, CFN, SCHEDULER, CLOUDWATCH = (f"{s}.amazonaws.com" for s in (
    "events", "lambda", "sns", "dynamodb", "kms", "ssm", "iam", "cloudformation", "scheduler", "monitoring"))
S3 = "s3.amazonaws.com"
# The calls on the trail's declared bucket that chalicelib/watch/archive.py judges; named here,
# light, because app.py's blinding pattern routes them (importing archive pulls in the rules).
TRAIL_BUCKET_CALLS = ("DeleteBucket", "DeleteBucketPolicy", "PutBucketLifecycle", "PutBucketPolicy")
CALLS: dict[tuple[str, str], Call] = {
    (EVENTS, "DisableRule"): Call("rule", ("name",), "disabled", True),
    (EVENTS, "DeleteRule"): Call("rule", ("name",), "deleted", True),
    (EVENTS, "RemoveTargets"): Call("rule", ("rule",), "removed targets from", True),
    (EVENTS, "PutRule"): Call("rule", ("name",), "replaced the pattern or state of", False),
    (EVENTS, "PutTargets"): Call("rule", ("rule",), "replaced the targets of", False),
    # Organization mode: the central bus's resource policy is what lets every member forward to it.
    (EVENTS, "DeleteEventBus"): Call("bus", ("name",), "deleted", True),
    (EVENTS, "RemovePermission"): Call("bus", ("eventBusName",), "removed a permission from", True),
    (EVENTS, "PutPermission"): Call("bus", ("eventBusName",), "replaced the resource policy of", False),
    (LAMBDA, "DeleteFunction"): Call("function", ("functionName",), "deleted", True),
    (LAMBDA, "UpdateFunctionCode"): Call("function", ("functionName",), "replaced the code of", False),
    (LAMBDA, "UpdateFunctionConfiguration"): Call("function", ("functionName",), "changed the configuration of",
                                                  False),
    (LAMBDA, "PutFunctionConcurrency"): Call("function", ("functionName",), "limited the concurrency of", False),
    (LAMBDA, "DeleteFunctionConcurrency"): Call("function", ("functionName",), "removed the reserved concurrency of",
                                                False),
    (LAMBDA, "RemovePermission"): Call("function", ("functionName",), "removed an invoke permission from", True),
    (SNS, "DeleteTopic"): Call("topic", ("topicArn",), "deleted", True),
    (SNS, "Unsubscribe"): Call("topic", ("subscriptionArn",), "removed a subscription from", True),
    (SNS, "SetTopicAttributes"): Call("topic", ("topicArn",), "changed the attributes of", False),
    (SNS, "RemovePermission"): Call("topic", ("topicArn",), "removed a permission from", True),
    # A filter policy that matches nothing, or a redirected delivery, silences one subscriber.
    (SNS, "SetSubscriptionAttributes"): Call("topic", ("subscriptionArn",), "changed a subscription of", False),
    # A data protection policy can deny publishing whatever its (custom, regex) identifiers match: every alert.
    (SNS, "PutDataProtectionPolicy"): Call("topic", ("resourceArn",), "replaced the data protection policy of",
                                           False),
    (DDB, "DeleteTable"): Call("table", ("tableName",), "deleted", True),
    (DDB, "UpdateTable"): Call("table", ("tableName",), "changed", False),
    (DDB, "UpdateContinuousBackups"): Call("table", ("tableName",), "turned off point-in-time recovery of", True),
    (DDB, "UpdateTimeToLive"): Call("table", ("tableName",), "changed the time-to-live of", False),
    # A resource-based policy denying the handlers' roles stops every read and write as surely as DeleteTable.
    (DDB, "PutResourcePolicy"): Call("table", ("resourceArn",), "replaced the resource policy of", False),
    (KMS, "DisableKey"): Call("key", ("keyId",), "disabled", True),
    (KMS, "ScheduleKeyDeletion"): Call("key", ("keyId",), "scheduled the deletion of", True),
    (KMS, "PutKeyPolicy"): Call("key", ("keyId",), "replaced the key policy of", False),
    (SSM, "DeleteParameter"): Call("parameter", ("name",), "deleted", True),
    (SSM, "DeleteParameters"): Call("parameter", ("names",), "deleted", True),
    (SSM, "PutParameter"): Call("parameter", ("name",), "overwrote", False),
    (IAM, "DetachRolePolicy"): Call("role", ("roleName",), "detached a policy from", True),
    (IAM, "DeleteRolePolicy"): Call("role", ("roleName",), "deleted an inline policy of", True),
    (IAM, "PutRolePolicy"): Call("role", ("roleName",), "replaced an inline policy of", False),
    (IAM, "UpdateAssumeRolePolicy"): Call("role", ("roleName",), "replaced the trust policy of", False),
    # A managed Deny (AWSDenyAll) or a boundary that allows nothing switches the role off as surely.
    (IAM, "AttachRolePolicy"): Call("role", ("roleName",), "attached a managed policy to", False),
    (IAM, "PutRolePermissionsBoundary"): Call("role", ("roleName",), "set a permissions boundary on", False),
    (IAM, "DeleteRole"): Call("role", ("roleName",), "deleted", True),
    (SCHEDULER, "DeleteSchedule"): Call("schedule", ("name",), "deleted", True),
    (SCHEDULER, "UpdateSchedule"): Call("schedule", ("name",), "replaced the settings of", False),
    (CLOUDWATCH, "DeleteAlarms"): Call("alarm", ("alarmNames",), "deleted", True),
    (CLOUDWATCH, "DisableAlarmActions"): Call("alarm", ("alarmNames",), "disabled the actions of", True),
    (CLOUDWATCH, "PutMetricAlarm"): Call("alarm", ("alarmName",), "replaced", False),
    (CFN, "DeleteStack"): Call("stack", ("stackName",), "deleted", True),
    (CFN, "UpdateStack"): Call("stack", ("stackName",), "updated", False),
    (CFN, "ExecuteChangeSet"): Call("stack", ("stackName",), "executed a change set on", False),
}
# Lambda's API-version suffixes as CloudTrail records them (and the bare name, as other tools write it).
LAMBDA_SUFFIXES = {"DeleteFunction": ("20150331",), "UpdateFunctionCode": ("20150331", "20150331v2"),
                   "UpdateFunctionConfiguration": ("20150331", "20150331v2"),
                   "PutFunctionConcurrency": ("20171031",), "DeleteFunctionConcurrency": ("20171031",),
                   "RemovePermission": ("20150331", "20150331v2")}
_SUFFIX = re.compile(r"(?:20\d{6}(?:v\d+)?)$")
EVENT_NAMES = frozenset({name for _, name in CALLS}
                        | {f"{name}{s}" for name, suffixes in LAMBDA_SUFFIXES.items() for s in suffixes})

# What each kind of resource does for the monitor (what is lost when it goes).
LOSS = {
    "topic": "alerts on the SNS topic (the on-call e-mail/pager subscribers, and the fallback when Slack fails)",
    "table": "the incident log and the monitor's state (stored incidents, heartbeats, alert ledger)",
    "key": "the encrypted alerts topic and Slack webhook parameter: alerts stop when the key cannot be used",
    "parameter": "Slack alerts (the webhook is gone or replaced: alerts may now go to someone else's Slack)",
    "role": "whatever the function using this role does: without its permissions it stops judging or alerting",
    "stack": "every part of Trailwarden (its rules, functions, topic and table are managed by this stack)",
    "schedule": "the heartbeat: without it every region reads as blind after the threshold, and a real "
                "blinding hides among those false alarms",
    "alarm": "the alarm independent of every Lambda: if the functions are broken too, nobody is told",
    "bus": "every member account's events: their forwarding rules can no longer put events on the central bus",
}
FAMILY_LOSS = {
    "root": "root activity", "iam": "IAM credential changes", "sts": "role assumptions", "ssm": "secret reads "
    "and deletions", "signin": "console sign-ins", "reads": "sensitive reads", "writes": "writes by anyone "
    "(model correlation)", "blinding": "trails, detectors and the organization switched off",
    "pipeline": "changes to the monitor itself, and its heartbeat",
    "daily_audit": "the daily credential audit", "close_groups": "closing counts of grouped incidents",
    "liveness": "the heartbeat check (a silent region would go unnoticed)", "api_handler": "the auditor API",
}


def base_name(event_name: str) -> str:
    return _SUFFIX.sub("", event_name)


def call_of(event: CloudTrailEvent) -> Call | None:
    return CALLS.get((event.event_source, base_name(event.event_name)))


def named(event: CloudTrailEvent, call: Call) -> list[Any]:
    """Every value the record gives for the resource: request keys (lists flattened), KMS ``resources``."""
    values: list[Any] = []
    for key in call.params:
        value = event.request_parameters.get(key)
        values.extend(value if isinstance(value, list) else [value])
    resources = event.raw.get("resources") if call.kind == "key" else None
    if isinstance(resources, list):
        values.extend(as_dict(r).get("ARN") for r in resources)
    return [v for v in values if v is not None]


def own_resource(own: OwnResources, call: Call, values: list[Any]) -> str | None:
    """The first value naming a resource of Trailwarden's (compared whole), or None."""
    if call.kind == "key":
        return own.key(values)
    check = getattr(own, call.kind)
    for value in values:
        found = check(value)
        if found:
            return str(found)
    return None


def loss(own: OwnResources, call: Call, resource: str) -> str:
    """What the monitor can no longer see or do once ``resource`` is changed or gone."""
    if call.kind in ("rule", "function"):
        name = resource.rsplit("/", 1)[-1].split(":function:")[-1].split(":")[0]
        for stage in sorted(own.stages):
            handler = name.removeprefix(f"trailwarden-{stage}-")
            if handler != name and handler in FAMILY_LOSS:
                return f"{FAMILY_LOSS[handler]} (the '{handler}' handler)"
        return "events this forwarding rule carries from its account and region"
    return LOSS[call.kind]


def not_a_weakening(event: CloudTrailEvent, call: Call) -> bool:
    """A call of the table that does not weaken: point-in-time recovery switched *on*."""
    params = event.request_parameters
    if base_name(event.event_name) == "UpdateContinuousBackups" and params:
        spec = as_dict(params.get("pointInTimeRecoverySpecification"))
        return as_bool(spec.get("pointInTimeRecoveryEnabled")) is True
    return False


def concurrency(event: CloudTrailEvent) -> int | None:
    value = event.request_parameters.get("reservedConcurrentExecutions")
    text = as_str(value)
    return int(text) if text is not None and text.isdigit() else None
