"""The stage's resources that are neither functions nor rules: key, topic, dead letters, API roles.

Kept apart from ``build_merge_template.py`` (which wires app.py's functions and rules to them)
because they are fixed per stage: they need only the stage's name prefix, tags and rule names,
never the app, its patterns or the policy file.
"""

from __future__ import annotations

from typing import Any

DLQ_RETENTION_SECONDS = 14 * 24 * 3600


def _sub(text: str) -> dict[str, str]:
    """A string with ``${...}`` placeholders, resolved by CloudFormation."""
    return {"Fn::Sub": text}


def shared_resources(prefix: str, rule_names: list[str], tags: list[dict[str, str]],
                     protected: bool) -> dict[str, Any]:
    """Key, topic, dead-letter queue (with its policy for EventBridge) and its alarm."""
    account_root = _sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")
    alarm_arn = _sub(f"arn:${{AWS::Partition}}:cloudwatch:${{AWS::Region}}:${{AWS::AccountId}}:alarm:{prefix}-*")
    from_this_account = {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    retain = "Retain" if protected else "Delete"
    deny_plain_http = {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*",
                       "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    rule_arns = [_sub(f"arn:${{AWS::Partition}}:events:${{AWS::Region}}:${{AWS::AccountId}}:rule/{name}")
                 for name in rule_names]
    return {
        # Customer-managed so the key policy, rotation and every use are ours to audit. The
        # Lambda roles publish through IAM (their policies add kms:ViaService; naming them
        # here would be a dependency cycle), EventBridge never touches the topic, and the
        # only service granted use is CloudWatch, for the dead-letter alarm.
        "TrailwardenKey": {
            "Type": "AWS::KMS::Key", "DeletionPolicy": retain, "UpdateReplacePolicy": retain,
            "Properties": {
                "Description": f"{prefix}: encrypts the alerts topic and the Slack webhook parameter",
                "EnableKeyRotation": True, "PendingWindowInDays": 30, "Tags": tags,
                "KeyPolicy": {"Version": "2012-10-17", "Statement": [
                    {"Sid": "AccountAdministersAndDelegatesToIam", "Effect": "Allow",
                     "Principal": {"AWS": account_root}, "Action": "kms:*", "Resource": "*"},
                    {"Sid": "DeadLetterAlarmPublishes", "Effect": "Allow",
                     "Principal": {"Service": "cloudwatch.amazonaws.com"},
                     "Action": ["kms:GenerateDataKey*", "kms:Decrypt"], "Resource": "*",
                     "Condition": {**from_this_account, "ArnLike": {"aws:SourceArn": alarm_arn}}}]},
            },
        },
        "TrailwardenKeyAlias": {"Type": "AWS::KMS::Alias", "Properties": {
            "AliasName": f"alias/{prefix}", "TargetKeyId": {"Ref": "TrailwardenKey"}}},
        "AlertsTopic": {"Type": "AWS::SNS::Topic", "Properties": {
            "TopicName": f"{prefix}-alerts", "DisplayName": "Trailwarden alerts",
            "KmsMasterKeyId": {"Fn::GetAtt": ["TrailwardenKey", "Arn"]}, "Tags": tags}},
        "AlertsTopicPolicy": {"Type": "AWS::SNS::TopicPolicy", "Properties": {
            "Topics": [{"Ref": "AlertsTopic"}],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Sid": "DeadLetterAlarmPublishes", "Effect": "Allow",
                 "Principal": {"Service": "cloudwatch.amazonaws.com"}, "Action": "sns:Publish",
                 "Resource": {"Ref": "AlertsTopic"},
                 "Condition": {**from_this_account, "ArnLike": {"aws:SourceArn": alarm_arn}}},
                {**deny_plain_http, "Action": "sns:Publish", "Resource": {"Ref": "AlertsTopic"}}]}}},
        "DeadLetterQueue": {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": f"{prefix}-dlq", "SqsManagedSseEnabled": True,
            "MessageRetentionPeriod": DLQ_RETENTION_SECONDS, "Tags": tags}},
        "DeadLetterQueuePolicy": {"Type": "AWS::SQS::QueuePolicy", "Properties": {
            "Queues": [{"Ref": "DeadLetterQueue"}],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Sid": "EventBridgeRulesOfThisStack", "Effect": "Allow",
                 "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
                 "Resource": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]},
                 "Condition": {"ArnEquals": {"aws:SourceArn": rule_arns}}},
                {**deny_plain_http, "Action": "sqs:*", "Resource": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}},
            ]}}},
        # A monitor that drops events must be loud about it: anything in the DLQ pages.
        "DeadLetterAlarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {
            "AlarmName": f"{prefix}-dead-letters",
            "AlarmDescription": "Trailwarden lost events or alerts: read the DLQ, fix, and replay",
            "Namespace": "AWS/SQS", "MetricName": "ApproximateNumberOfMessagesVisible",
            "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["DeadLetterQueue", "QueueName"]}}],
            "Statistic": "Maximum", "Period": 300, "EvaluationPeriods": 1, "Threshold": 0,
            "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "notBreaching",
            "AlarmActions": [{"Ref": "AlertsTopic"}]}},
    }


def auditor_role(prefix: str, api_stage: str, tags: list[dict[str, str]]) -> dict[str, Any]:
    """Read-only auditors: may call the GET /incidents routes and nothing else."""
    api = f"arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{RestAPI}}/{api_stage}/GET"
    return {"Type": "AWS::IAM::Role", "Properties": {
        "RoleName": f"{prefix}-auditor", "MaxSessionDuration": 3600, "Tags": tags,
        "Description": "Trailwarden auditors: read the incident log through the API only",
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "sts:AssumeRole",
            "Principal": {"AWS": _sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")}}]},
        "Policies": [{"PolicyName": "InvokeIncidentQueries", "PolicyDocument": {
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": "execute-api:Invoke",
                "Resource": [_sub(f"{api}/incidents"), _sub(f"{api}/incidents/*")]}]}}],
    }}


def responder_role(prefix: str, api_stage: str, tags: list[dict[str, str]]) -> dict[str, Any]:
    """Responders: read like auditors, and triage (POST /incidents/{id}/triage); the API records who signed."""
    api = f"arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{RestAPI}}/{api_stage}"
    role = auditor_role(prefix, api_stage, tags)
    props = role["Properties"]
    props.update(RoleName=f"{prefix}-responder", Description="Trailwarden responders: read and triage incidents "
                 "through the API")
    props["Policies"] = [{"PolicyName": "InvokeIncidentTriage", "PolicyDocument": {
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "execute-api:Invoke",
            "Resource": [_sub(f"{api}/GET/incidents"), _sub(f"{api}/GET/incidents/*"),
                         _sub(f"{api}/POST/incidents/*/triage")]}]}}]
    return role


def outputs(has_api: bool) -> dict[str, Any]:
    from chalicelib.incidents.anchor_template import anchors_url

    out = {
        "IncidentsTableName": {"Value": {"Ref": "IncidentsTable"}},
        "AlertsTopicArn": {"Value": {"Ref": "AlertsTopic"}},
        "TrailwardenKeyArn": {"Value": {"Fn::GetAtt": ["TrailwardenKey", "Arn"]}},
        "DeadLetterQueueUrl": {"Value": {"Ref": "DeadLetterQueue"}},
        "ChainHeadAnchors": {"Value": anchors_url()},
    }
    if has_api:
        out["AuditorRoleArn"] = {"Value": {"Fn::GetAtt": ["AuditorRole", "Arn"]}}
        out["ResponderRoleArn"] = {"Value": {"Fn::GetAtt": ["ResponderRole", "Arn"]}}
    return out
