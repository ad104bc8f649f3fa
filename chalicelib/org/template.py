"""CloudFormation for an organization: the central bus (in the monitor's stack) and the member template.

The member template is generated from the handler families the central stack deploys (their
exact patterns and rule states, ``app.PATTERNS`` narrowed as ``build_merge_template`` narrows
them), so a family added to ``app.PATTERNS`` is forwarded from every member with no edit here.
It is plain CloudFormation (no SAM): StackSets deploy it, and moto's CloudFormation runs it too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chalicelib.org.names import (
    DEFAULT_BUS,
    FORWARD_ROLE_PREFIX,
    GLOBAL_REGION,
    MEMBER_ROLE,
    ORG_ID,
    bus_name,
    forward_rule,
    org_id,
    regions,
)
from chalicelib.watch.heartbeat import MEMBER_STAGE, heartbeat_role, parameter_name
from chalicelib.watch.template import scheduled_write

HEARTBEAT = parameter_name(MEMBER_STAGE)  # matches watch.heartbeat.PARAMETER and the pipeline family
FORWARD_RETRY = {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 24 * 3600}
DLQ_RETENTION_SECONDS = 14 * 24 * 3600
BUS_ARN_PATTERN = r"^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus/[A-Za-z0-9._\-]+$"
# What the coverage check and the organization audit read in a member, and nothing else.
MEMBER_READ_ACTIONS = {
    "ReadTrails": ["cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors",
                   "cloudtrail:ListTrails"],
    "ReadForwardingRules": ["events:ListRules", "events:DescribeRule", "events:ListTargetsByRule"],
    "ListInventory": ["iam:ListUsers", "iam:ListRoles", "iam:GetAccountSummary", "ssm:DescribeParameters"],
}
MEMBER_USER_ACTIONS = ["iam:ListAccessKeys", "iam:GetAccessKeyLastUsed", "iam:GetLoginProfile"]


def _sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}


def central_parameters(default_org_id: str | None) -> dict[str, Any]:
    """The ``OrganizationId`` parameter of the central stack (refused by CloudFormation unless ``o-…``)."""
    param: dict[str, Any] = {"Type": "String", "AllowedPattern": ORG_ID.pattern,
                             "ConstraintDescription": "an AWS Organizations id: o- and 10-32 lowercase letters/digits",
                             "Description": "Only principals of this organization may put events on the central bus"}
    if default_org_id:
        param["Default"] = default_org_id
    return {"OrganizationId": param}


def central_bus_resources(bus: str, tags: list[dict[str, str]]) -> dict[str, Any]:
    """The custom bus the handlers listen on, and its policy: PutEvents for the organization only."""
    return {
        "TrailwardenEventBus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": bus, "Tags": tags}},
        "TrailwardenEventBusPolicy": {"Type": "AWS::Events::EventBusPolicy", "Properties": {
            "EventBusName": {"Ref": "TrailwardenEventBus"},
            "StatementId": "OrganizationMembersForward",
            "Statement": {
                "Sid": "OrganizationMembersForward", "Effect": "Allow", "Principal": "*",
                "Action": "events:PutEvents", "Resource": {"Fn::GetAtt": ["TrailwardenEventBus", "Arn"]},
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": {"Ref": "OrganizationId"}}}}}},
    }


MODEL_KEY = "identity_model.yaml"


def model_bucket_resources(tags: list[dict[str, str]]) -> dict[str, Any]:
    """The model as configuration: a versioned, KMS-encrypted bucket only the deployer role may write."""
    bucket_arn = {"Fn::GetAtt": ["ModelBucket", "Arn"]}
    deployer = {"Fn::GetAtt": ["ModelDeployerRole", "Arn"]}
    return {
        "ModelBucket": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
                        "Properties": {
                            "VersioningConfiguration": {"Status": "Enabled"},
                            "BucketEncryption": {"ServerSideEncryptionConfiguration": [{
                                "ServerSideEncryptionByDefault": {
                                    "SSEAlgorithm": "aws:kms",
                                    "KMSMasterKeyID": {"Fn::GetAtt": ["TrailwardenKey", "Arn"]}},
                                "BucketKeyEnabled": True}]},
                            "PublicAccessBlockConfiguration": {
                                "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True,
                                "RestrictPublicBuckets": True},
                            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                            "Tags": tags}},
        "ModelBucketPolicy": {"Type": "AWS::S3::BucketPolicy", "Properties": {
            "Bucket": {"Ref": "ModelBucket"},
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Sid": "OnlyTheDeployerWritesTheModel", "Effect": "Deny", "Principal": "*",
                 "Action": ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"],
                 "Resource": {"Fn::Sub": "${ModelBucket.Arn}/*"},
                 "Condition": {"ArnNotEquals": {"aws:PrincipalArn": deployer}}},
                {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                 "Resource": [bucket_arn, {"Fn::Sub": "${ModelBucket.Arn}/*"}],
                 "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}}},
        "ModelDeployerRole": {"Type": "AWS::IAM::Role", "Properties": {
            "MaxSessionDuration": 3600, "Tags": tags,
            "Description": "Trailwarden: publishes the identity model (python -m chalicelib model publish)",
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": "sts:AssumeRole",
                "Principal": {"AWS": _sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")}}]},
            "Policies": [{"PolicyName": "PublishIdentityModel", "PolicyDocument": {
                "Version": "2012-10-17", "Statement": [
                    {"Sid": "PutModel", "Effect": "Allow", "Action": "s3:PutObject",
                     "Resource": {"Fn::Sub": f"${{ModelBucket.Arn}}/{MODEL_KEY}"}},
                    {"Sid": "EncryptModel", "Effect": "Allow", "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                     "Resource": {"Fn::GetAtt": ["TrailwardenKey", "Arn"]}}]}}]}},
    }


def model_read_policy() -> dict[str, Any]:
    """What each monitor function needs to poll the model (GetObject with its ETag, through the key)."""
    return {"PolicyName": "ReadIdentityModel", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
        {"Sid": "ReadModel", "Effect": "Allow", "Action": "s3:GetObject",
         "Resource": {"Fn::Sub": f"${{ModelBucket.Arn}}/{MODEL_KEY}"}},
        {"Sid": "DecryptModel", "Effect": "Allow", "Action": "kms:Decrypt",
         "Resource": {"Fn::GetAtt": ["TrailwardenKey", "Arn"]}}]}}


def member_template(families: Mapping[str, tuple[dict[str, Any], str]], description: str) -> dict[str, Any]:
    """The StackSet template: ``families`` maps family → (pattern, rule state) as the central stack has them."""
    if not families:
        raise ValueError("no handler family to forward")
    bus = {"Ref": "CentralEventBusArn"}
    central_account = {"Fn::Select": [4, {"Fn::Split": [":", bus]}]}
    dlq_arn = {"Fn::GetAtt": ["ForwardDeadLetterQueue", "Arn"]}
    rule_arns = [_sub(f"arn:${{AWS::Partition}}:events:${{AWS::Region}}:${{AWS::AccountId}}:rule/{forward_rule(f)}")
                 for f in families]
    resources: dict[str, Any] = {
        # Named per region: IAM is global and every regional stack instance owns its own role.
        "ForwardingRole": {"Type": "AWS::IAM::Role", "Properties": {
            "RoleName": _sub(f"{FORWARD_ROLE_PREFIX}${{AWS::Region}}"), "MaxSessionDuration": 3600,
            "Description": "Trailwarden: EventBridge forwards CloudTrail events to the central bus, nothing else",
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}}]},
            "Policies": [{"PolicyName": "PutEventsOnCentralBus", "PolicyDocument": {
                "Version": "2012-10-17", "Statement": [{
                    "Sid": "PutEventsOnCentralBus", "Effect": "Allow", "Action": "events:PutEvents",
                    "Resource": bus}]}}]}},
        "ForwardDeadLetterQueue": {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": _sub("trailwarden-forward-dlq-${AWS::Region}"), "SqsManagedSseEnabled": True,
            "MessageRetentionPeriod": DLQ_RETENTION_SECONDS}},
        "ForwardDeadLetterQueuePolicy": {"Type": "AWS::SQS::QueuePolicy", "Properties": {
            "Queues": [{"Ref": "ForwardDeadLetterQueue"}],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Sid": "ForwardingRulesOfThisStack", "Effect": "Allow",
                 "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": dlq_arn,
                 "Condition": {"ArnEquals": {"aws:SourceArn": rule_arns}}},
                {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "sqs:*",
                 "Resource": dlq_arn, "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}}},
        "MemberReadOnlyRole": member_role(central_account),
        **member_heartbeat(),
    }
    for family, (pattern, state) in families.items():
        resources[_logical(family)] = {"Type": "AWS::Events::Rule", "Properties": {
            "Name": forward_rule(family), "EventBusName": "default", "State": state,
            "Description": f"Trailwarden: forward the {family} family to the central monitor",
            "EventPattern": json.loads(json.dumps(pattern)),
            "Targets": [{"Id": "central-bus", "Arn": bus, "RoleArn": {"Fn::GetAtt": ["ForwardingRole", "Arn"]},
                         "DeadLetterConfig": {"Arn": dlq_arn}, "RetryPolicy": FORWARD_RETRY}]}}
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": description,
        "Parameters": {"CentralEventBusArn": {
            "Type": "String", "AllowedPattern": BUS_ARN_PATTERN,
            "ConstraintDescription": "the central bus ARN (arn:aws:events:REGION:ACCOUNT:event-bus/NAME), not empty",
            "Description": "The Trailwarden central event bus (output CentralEventBusArn of the central stack)"},
            AUDITOR_ROLES: {
                "Type": "String", "Default": "", "AllowedPattern": AUDITOR_ROLES_PATTERN,
                "ConstraintDescription": "comma-separated IAM role ARNs of the central account (wildcards allowed)",
                "Description": "Central-account roles, besides Trailwarden's own, that may assume the member's "
                               "read-only role (e.g. an Identity Center auditor role: arn:aws:iam::CENTRAL:role/"
                               "aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_SecurityAudit_*)"}},
        "Conditions": {"GlobalRegion": {"Fn::Equals": [{"Ref": "AWS::Region"}, GLOBAL_REGION]},
                       AUDITORS_GIVEN: {"Fn::Not": [{"Fn::Equals": [{"Ref": AUDITOR_ROLES}, ""]}]}},
        "Resources": resources,
        "Outputs": {
            "ForwardingRoleArn": {"Value": {"Fn::GetAtt": ["ForwardingRole", "Arn"]}},
            "ForwardDeadLetterQueueUrl": {"Value": {"Ref": "ForwardDeadLetterQueue"}},
        },
    }


AUDITOR_ROLES = "AuditorRoleArns"  # the member template's parameter: who else may read each member
AUDITORS_GIVEN = "AuditorRolesGiven"
_ROLE_ARN = r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/*?-]+"
AUDITOR_ROLES_PATTERN = rf"^({_ROLE_ARN}(,{_ROLE_ARN})*)?$"


def member_heartbeat() -> dict[str, Any]:
    """Every 15 minutes a recorded write in this account and region (issue 12's heartbeat, per member).

    It travels the member's pipeline forwarding rule to the central monitor, which notes it for
    this account and region: the coverage check's "heartbeat recent" reads those notes.
    """
    return scheduled_write(schedule="trailwarden-member-heartbeat",
                           role=_sub(heartbeat_role(MEMBER_STAGE, "${AWS::Region}")), parameter=HEARTBEAT,
                           rate="rate(15 minutes)", described=(
                               "Trailwarden member heartbeat: EventBridge Scheduler writes the heartbeat "
                               "parameter only",
                               "Trailwarden heartbeat: a recorded write forwarded to the central monitor"))


def member_role(central_account: Any) -> dict[str, Any]:
    """Read-only role for the central account's coverage check and audit (IAM is global: us-east-1 only)."""
    user_arn = _sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:user/*")
    statements = [{"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": "*"}
                  for sid, actions in MEMBER_READ_ACTIONS.items()]
    statements.append({"Sid": "ReadInventoryUsers", "Effect": "Allow", "Action": MEMBER_USER_ACTIONS,
                       "Resource": user_arn})
    # The coverage check confirms this role and the forwarding roles exist.
    statements.append({"Sid": "ReadTrailwardenRoles", "Effect": "Allow", "Action": "iam:GetRole",
                       "Resource": _sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/trailwarden-*")})
    # Not every principal of the central account: its Trailwarden roles (the coverage check and the
    # daily audit run as trailwarden-STAGE-*), plus the roles named in AuditorRoleArns (the humans who
    # run `audit --organization`, `coverage`). aws:PrincipalArn is the role's ARN, set by AWS.
    central_roles = {"Fn::Sub": ["arn:${AWS::Partition}:iam::${Central}:role/trailwarden-*",
                                 {"Central": central_account}]}
    trusted = {"Fn::If": [AUDITORS_GIVEN, {"Fn::Split": [",", {"Fn::Join": [",", [central_roles,
                                                                                 {"Ref": AUDITOR_ROLES}]]}]},
                          [central_roles]]}
    return {"Type": "AWS::IAM::Role", "Condition": "GlobalRegion", "Properties": {
        "RoleName": MEMBER_ROLE, "MaxSessionDuration": 3600,
        "Description": "Trailwarden central account: coverage check and inventory audit, read only",
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "sts:AssumeRole",
            "Principal": {"AWS": {"Fn::Sub": ["arn:${AWS::Partition}:iam::${Central}:root",
                                              {"Central": central_account}]}},
            "Condition": {"ArnLike": {"aws:PrincipalArn": trusted}}}]},
        "Policies": [{"PolicyName": "CoverageAndInventoryRead", "PolicyDocument": {
            "Version": "2012-10-17", "Statement": statements}}]}}


def _logical(family: str) -> str:
    return "Forward" + "".join(part.capitalize() for part in family.replace("-", "_").split("_")) + "Rule"


@dataclass(frozen=True)
class CentralWiring:
    """What the central stack adds in organization mode (a custom bus); empty for the default bus."""

    bus: str
    resources: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)

    @property
    def custom(self) -> bool:
        return self.bus != DEFAULT_BUS

    @property
    def bus_ref(self) -> Any:
        """``EventBusName`` for the handler rules (a Ref orders the bus before its rules); None on the default bus."""
        return {"Ref": "TrailwardenEventBus"} if self.custom else None

    def rule_path(self, rule_name: str) -> str:
        """The resource part of a handler rule's ARN (``rule/BUS/NAME`` on a custom bus)."""
        return f"{self.bus}/{rule_name}" if self.custom else rule_name

    @property
    def environment(self) -> dict[str, Any]:
        """The bus, and the model read from the stack's bucket (the bundled one until a model is published)."""
        if not self.custom:
            return {}
        return {"TRAILWARDEN_EVENT_BUS": self.bus, "TRAILWARDEN_MODEL": {"Fn::Sub": f"s3://${{ModelBucket}}/{MODEL_KEY}"}}

    @property
    def role_policies(self) -> list[dict[str, Any]]:
        return [model_read_policy()] if self.custom else []


def central_wiring(env: Mapping[str, str], tags: list[dict[str, str]]) -> CentralWiring:
    """From the stage's TRAILWARDEN_EVENT_BUS (and TRAILWARDEN_ORG_ID, a default); bad values raise ConfigError."""
    bus = bus_name(env.get("TRAILWARDEN_EVENT_BUS"))
    if bus == DEFAULT_BUS:
        return CentralWiring(bus)
    default_org = env.get("TRAILWARDEN_ORG_ID") or None
    if default_org is not None:
        org_id(default_org, "TRAILWARDEN_ORG_ID")
    regions(env.get("TRAILWARDEN_REGIONS", ""), "TRAILWARDEN_REGIONS")  # the daily coverage walk reads it
    return CentralWiring(
        bus, {**central_bus_resources(bus, tags), **model_bucket_resources(tags)}, central_parameters(default_org),
        {"CentralEventBusArn": {"Value": {"Fn::GetAtt": ["TrailwardenEventBus", "Arn"]},
                                "Description": "Give this to the member StackSet (parameter CentralEventBusArn)"},
         "ModelUrl": {"Value": {"Fn::Sub": f"s3://${{ModelBucket}}/{MODEL_KEY}"},
                      "Description": "python -m chalicelib model publish --model FILE --to <this>"},
         "ModelDeployerRoleArn": {"Value": {"Fn::GetAtt": ["ModelDeployerRole", "Arn"]}}})
