"""Blinding calls and the heartbeat as EventBridge delivers them, for the routing tests (issue 12).

Each is a real-shaped management write (``cloudtrail.api_call``) on the prod stage's own
resources (``trailwarden-prod-*``), or on someone else's for the negative cases.
"""

from __future__ import annotations

from typing import Any

from chalicelib.watch.pipeline import EVENT_NAMES, LAMBDA_SUFFIXES, base_name

from .cloudtrail import ACCOUNT, api_call, assumed_role, envelope

OPS = assumed_role("ops-automation", "nightly-cleanup")
SCHEDULER = {**assumed_role("trailwarden-prod-heartbeat", "9f2c4e6a8b0d1f3e"), "invokedBy": "scheduler.amazonaws.com"}
TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:trailwarden-prod-alerts"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
WEBHOOK = "/trailwarden/prod/slack-webhook-url"
TRAIL = {"name": "management-events"}

# event name → (event source, request) on a Trailwarden resource / a monitored control.
CALLS: dict[str, tuple[str, dict[str, Any] | None]] = {
    "StopLogging": ("cloudtrail.amazonaws.com", TRAIL),
    "DeleteTrail": ("cloudtrail.amazonaws.com", TRAIL),
    "UpdateTrail": ("cloudtrail.amazonaws.com", {**TRAIL, "isMultiRegionTrail": False}),
    "PutEventSelectors": ("cloudtrail.amazonaws.com", {"trailName": "management-events", "eventSelectors": [
        {"readWriteType": "WriteOnly", "includeManagementEvents": True}]}),
    "PutAdvancedEventSelectors": ("cloudtrail.amazonaws.com", None),
    "DeleteEventDataStore": ("cloudtrail.amazonaws.com", {"eventDataStore": "EXAMPLE-f852-4e8f-8bd1"}),
    "StopEventDataStoreIngestion": ("cloudtrail.amazonaws.com", {"eventDataStore": "EXAMPLE-f852-4e8f-8bd1"}),
    "LeaveOrganization": ("organizations.amazonaws.com", None),
    "RemoveAccountFromOrganization": ("organizations.amazonaws.com", {"accountId": "402918375610"}),
    "DeleteOrganization": ("organizations.amazonaws.com", None),
    "DeleteDetector": ("guardduty.amazonaws.com", {"detectorId": "12abc34d567e8fa901bc2d34e56789f0"}),
    "UpdateDetector": ("guardduty.amazonaws.com", {"detectorId": "12abc34d567e8fa901bc2d34e56789f0",
                                                   "enable": False}),
    "DisassociateFromMasterAccount": ("guardduty.amazonaws.com", {"detectorId": "12abc34d"}),
    "DisassociateFromAdministratorAccount": ("guardduty.amazonaws.com", {"detectorId": "12abc34d"}),
    "CreateFilter": ("guardduty.amazonaws.com", {"detectorId": "12abc34d", "name": "noise", "action": "ARCHIVE",
                                                 "findingCriteria": {"criterion": {"severity": {"gte": 1}}}}),
    "UpdateFilter": ("guardduty.amazonaws.com", {"detectorId": "12abc34d", "filterName": "noise", "action": "ARCHIVE"}),
    "CreateIPSet": ("guardduty.amazonaws.com", {"detectorId": "12abc34d", "name": "office", "format": "TXT",
                                                "location": "https://s3.amazonaws.com/b/ips.txt", "activate": True}),
    "UpdateIPSet": ("guardduty.amazonaws.com", {"detectorId": "12abc34d", "ipSetId": "0cb0141ab9fbde177613ab9436212e90",
                                                "activate": True}),
    "StopConfigurationRecorder": ("config.amazonaws.com", {"configurationRecorderName": "default"}),
    "DeleteConfigurationRecorder": ("config.amazonaws.com", {"configurationRecorderName": "default"}),
    "DeleteDeliveryChannel": ("config.amazonaws.com", {"deliveryChannelName": "default"}),
    "PutConfigurationRecorder": ("config.amazonaws.com", {"configurationRecorder": {
        "name": "default", "recordingGroup": {"allSupported": False, "resourceTypes": ["AWS::S3::Bucket"]}}}),
    "DisableSecurityHub": ("securityhub.amazonaws.com", None),
    "DeleteAnalyzer": ("access-analyzer.amazonaws.com", {"analyzerName": "org-analyzer"}),
    "DeleteFlowLogs": ("ec2.amazonaws.com", {"DeleteFlowLogsRequest": {"FlowLogId": {"content": "fl-0abc"}}}),
    "DeleteResolverQueryLogConfig": ("route53resolver.amazonaws.com", {"resolverQueryLogConfigId": "rqlc-1"}),
    "DisassociateResolverQueryLogConfig": ("route53resolver.amazonaws.com", {"resolverQueryLogConfigId": "rqlc-1",
                                                                             "resourceId": "vpc-0abc"}),
    "DisableRule": ("events.amazonaws.com", {"name": "trailwarden-prod-root"}),
    "DeleteRule": ("events.amazonaws.com", {"name": "trailwarden-prod-sts"}),
    "PutRule": ("events.amazonaws.com", {"name": "trailwarden-prod-iam", "state": "DISABLED"}),
    "PutTargets": ("events.amazonaws.com", {"rule": "trailwarden-prod-ssm", "targets": [{"id": "x", "arn": KEY}]}),
    "RemoveTargets": ("events.amazonaws.com", {"rule": "trailwarden-forward", "ids": ["us-east-1"]}),
    "DeleteFunction20150331": ("lambda.amazonaws.com", {"functionName": "trailwarden-prod-iam"}),
    "UpdateFunctionCode20150331v2": ("lambda.amazonaws.com", {"functionName": "trailwarden-prod-root"}),
    "UpdateFunctionConfiguration20150331v2": ("lambda.amazonaws.com", {"functionName": "trailwarden-prod-sts"}),
    "PutFunctionConcurrency20171031": ("lambda.amazonaws.com", {"functionName": "trailwarden-prod-iam",
                                                                "reservedConcurrentExecutions": 0}),
    "DeleteFunctionConcurrency20171031": ("lambda.amazonaws.com", {"functionName": "trailwarden-prod-iam"}),
    "RemovePermission20150331v2": ("lambda.amazonaws.com", {"functionName": "trailwarden-prod-iam",
                                                            "statementId": "x"}),
    "DeleteTopic": ("sns.amazonaws.com", {"topicArn": TOPIC}),
    "Unsubscribe": ("sns.amazonaws.com", {"subscriptionArn": f"{TOPIC}:0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e"}),
    "SetTopicAttributes": ("sns.amazonaws.com", {"topicArn": TOPIC, "attributeName": "Policy"}),
    "PutDataProtectionPolicy": ("sns.amazonaws.com", {"resourceArn": TOPIC, "dataProtectionPolicy": "{}"}),
    "DeleteTable": ("dynamodb.amazonaws.com", {"tableName": "trailwarden-prod-incidents"}),
    "UpdateTable": ("dynamodb.amazonaws.com", {"tableName": "trailwarden-prod-incidents",
                                               "deletionProtectionEnabled": False}),
    "UpdateContinuousBackups": ("dynamodb.amazonaws.com", {"tableName": "trailwarden-prod-incidents",
                                                           "pointInTimeRecoverySpecification": {
                                                               "pointInTimeRecoveryEnabled": False}}),
    "UpdateTimeToLive": ("dynamodb.amazonaws.com", {"tableName": "trailwarden-prod-incidents",
                                                    "timeToLiveSpecification": {"enabled": False,
                                                                                "attributeName": "expires_at"}}),
    "PutResourcePolicy": ("dynamodb.amazonaws.com", {
        "resourceArn": f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/trailwarden-prod-incidents",
        "policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Principal\":\"*\","
                  "\"Action\":\"dynamodb:*\",\"Resource\":\"*\"}]}"}),
    "DisableKey": ("kms.amazonaws.com", {"keyId": KEY}),
    "ScheduleKeyDeletion": ("kms.amazonaws.com", {"keyId": KEY, "pendingWindowInDays": 7}),
    "PutKeyPolicy": ("kms.amazonaws.com", {"keyId": KEY, "policyName": "default"}),
    "PutParameter": ("ssm.amazonaws.com", {"name": WEBHOOK, "type": "SecureString", "overwrite": True}),
    "DeleteParameter": ("ssm.amazonaws.com", {"name": WEBHOOK}),
    "DeleteParameters": ("ssm.amazonaws.com", {"names": [WEBHOOK]}),
    "DetachRolePolicy": ("iam.amazonaws.com", {"roleName": "trailwarden-prod-iam", "policyArn": "arn:aws:iam::aws:x"}),
    "DeleteRolePolicy": ("iam.amazonaws.com", {"roleName": "trailwarden-prod-iam", "policyName": "IamRolePolicy"}),
    "PutRolePolicy": ("iam.amazonaws.com", {"roleName": "trailwarden-prod-iam", "policyName": "IamRolePolicy"}),
    "UpdateAssumeRolePolicy": ("iam.amazonaws.com", {"roleName": "trailwarden-prod-heartbeat"}),
    "AttachRolePolicy": ("iam.amazonaws.com", {"roleName": "trailwarden-prod-iam",
                                               "policyArn": "arn:aws:iam::aws:policy/AWSDenyAll"}),
    "PutRolePermissionsBoundary": ("iam.amazonaws.com", {"roleName": "trailwarden-prod-pipeline",
                                                         "permissionsBoundary": "arn:aws:iam::aws:policy/AWSDenyAll"}),
    "DeleteRole": ("iam.amazonaws.com", {"roleName": "trailwarden-forward-eu-west-1"}),
    "SetSubscriptionAttributes": ("sns.amazonaws.com", {
        "subscriptionArn": f"{TOPIC}:0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e", "attributeName": "FilterPolicy",
        "attributeValue": "{\"severity\":[\"none\"]}"}),
    "DeleteSchedule": ("scheduler.amazonaws.com", {"name": "trailwarden-prod-heartbeat", "groupName": "default"}),
    "UpdateSchedule": ("scheduler.amazonaws.com", {"name": "trailwarden-prod-heartbeat", "groupName": "default",
                                                   "state": "DISABLED", "scheduleExpression": "rate(1 days)"}),
    "RemovePermission": ("events.amazonaws.com", {"statementId": "OrganizationMembersPutEvents",
                                                  "eventBusName": "trailwarden-org", "removeAllPermissions": False}),
    "PutPermission": ("events.amazonaws.com", {"eventBusName": "trailwarden-org", "policy": "{\"Statement\":[]}"}),
    "DeleteEventBus": ("events.amazonaws.com", {"name": "trailwarden-org"}),
    "DeleteAlarms": ("monitoring.amazonaws.com", {"alarmNames": ["trailwarden-prod-heartbeat-silent"]}),
    "DisableAlarmActions": ("monitoring.amazonaws.com", {"alarmNames": ["trailwarden-prod-dead-letters"]}),
    "PutMetricAlarm": ("monitoring.amazonaws.com", {"alarmName": "trailwarden-prod-heartbeat-silent",
                                                    "actionsEnabled": False}),
    "DeleteStack": ("cloudformation.amazonaws.com", {"stackName": "trailwarden-prod"}),
    "UpdateStack": ("cloudformation.amazonaws.com", {"stackName": "trailwarden-prod"}),
    "ExecuteChangeSet": ("cloudformation.amazonaws.com", {"stackName": "trailwarden-prod", "changeSetName": "cs"}),
}
BLINDING_SOURCES = {"cloudtrail.amazonaws.com", "organizations.amazonaws.com", "guardduty.amazonaws.com",
                    "config.amazonaws.com", "securityhub.amazonaws.com", "access-analyzer.amazonaws.com",
                    "ec2.amazonaws.com", "route53resolver.amazonaws.com"}


def family_of(source: str) -> str:
    return "blinding" if source in BLINDING_SOURCES else "pipeline"


def record(name: str, *, caller: dict[str, Any] = OPS, request: Any = ..., **more: Any) -> dict[str, Any]:
    source, default = CALLS[name]
    return api_call(source, name, caller, read_only=False, request=default if request is ... else request, **more)


def heartbeat(region: str = "us-east-1", time: str = "2026-11-20T13:00:02Z") -> dict[str, Any]:
    return api_call("ssm.amazonaws.com", "PutParameter", SCHEDULER, read_only=False, region=region,
                    request={"name": "/trailwarden/prod/heartbeat", "type": "String", "overwrite": True,
                             "value": "HIDDEN_DUE_TO_SECURITY_REASONS"},
                    response={"version": 412, "tier": "Standard"}, eventTime=time,
                    sourceIPAddress="scheduler.amazonaws.com", userAgent="scheduler.amazonaws.com")


def _base(name: str) -> str:
    return base_name(name) if name.startswith(tuple(LAMBDA_SUFFIXES)) else name


# For test_patterns' table of every event name a detection reads (read-only False: all are writes); Lambda's
# calls in every spelling the rule lists.
_BY_BASE = {_base(name): call for name, call in CALLS.items()}
RULE_EVENTS = {name: (_BY_BASE[_base(name)][0], False, _BY_BASE[_base(name)][1], OPS)
               for name in sorted(set(CALLS) | EVENT_NAMES) if _base(name) in _BY_BASE}


def blinding_cases() -> list[tuple[str, dict[str, Any], set[str]]]:
    """Positive and negative cases of the two families, prod's expectations (writes on)."""
    return [
        ("blinding-stoplogging", envelope(record("StopLogging")), {"blinding"}),
        ("blinding-guardduty-off", envelope(record("UpdateDetector")), {"blinding"}),
        ("blinding-leave-organization-refused", envelope(record("LeaveOrganization", error=(
            "AccessDenied", "not authorized to perform: organizations:LeaveOrganization"))), {"blinding"}),
        ("blinding-update-trail-with-null-parameters", envelope(record("UpdateTrail", request=None)),
         {"blinding", "writes"}),
        ("blinding-update-trail-moving-the-bucket", envelope(record("UpdateTrail", request={
            **TRAIL, "s3BucketName": "exfil-4411"})), {"blinding", "writes"}),
        ("blinding-update-trail-moving-the-prefix", envelope(record("UpdateTrail", request={
            **TRAIL, "s3KeyPrefix": "archive-2019"})), {"blinding", "writes"}),
        ("blinding-update-trail-turning-on-validation-is-not-blinding", envelope(record("UpdateTrail", request={
            **TRAIL, "enableLogFileValidation": True, "isMultiRegionTrail": True})), {"writes"}),
        ("blinding-starting-a-trail-is-not-blinding", envelope(api_call(
            "cloudtrail.amazonaws.com", "StartLogging", OPS, read_only=False, request=TRAIL)), {"writes"}),
        ("pipeline-disable-root-rule", envelope(record("DisableRule")), {"pipeline", "writes"}),
        ("pipeline-concurrency-zero", envelope(record("PutFunctionConcurrency20171031")), {"pipeline", "writes"}),
        ("pipeline-heartbeat", envelope(heartbeat()), {"pipeline", "writes"}),
        ("pipeline-refused-delete-of-the-iam-handler", envelope(record(
            "DeleteFunction20150331", error=("AccessDeniedException", "denied"))), {"pipeline", "writes"}),
        ("pipeline-refused-call-naming-no-function-is-not-pipeline", envelope(record(
            "DeleteFunction20150331", request=None, error=("AccessDeniedException", "denied"))), {"writes"}),
        ("pipeline-disabling-another-teams-rule-is-not-pipeline", envelope(record(
            "DisableRule", request={"name": "payments-nightly"})), {"writes"}),
        ("pipeline-another-parameter-is-not-pipeline", envelope(record(
            "PutParameter", request={"name": "/payments/feature-flag", "type": "String"})), {"writes"}),
    ]
