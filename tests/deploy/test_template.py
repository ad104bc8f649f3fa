"""The packaged CloudFormation template: rules, state, retries, DLQ, encryption, IAM, API auth."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from chalicelib.incidents.dynamodb import table_definition
from chalicelib.watch.routing import blinding_pattern
from chalicelib.writes_pattern import writes_pattern

from .conftest import ALL_EVENTS, Packaged

API_CALL = "AWS API Call via CloudTrail"
# family → (the narrow pattern intended, the rule state it needs). This table is the spec.
EXPECTED: dict[str, tuple[dict[str, Any], str]] = {
    "root": ({"source": [{"prefix": "aws."}], "detail": {"userIdentity": {"type": ["Root"]}}}, ALL_EVENTS),
    # identity writes: credentials, privilege, trust, MFA, federation (IAM), assignments and permission sets
    # (IAM Identity Center), trust anchors (Roles Anywhere), roles passed to services; all readOnly false,
    # so ENABLED is enough
    # no detail-type pin: it delivers these names whole, so writes can leave them out
    "iam": ({"source": [{"prefix": "aws."}], "detail": {"$or": [
        {"eventSource": ["iam.amazonaws.com"], "eventName": [
            "DeleteUser", "CreateAccessKey", "DeleteAccessKey", "UpdateAccessKey", "DeleteLoginProfile", "CreateUser",
            "CreateLoginProfile", "UpdateLoginProfile", "CreateRole", "UpdateAssumeRolePolicy", "AttachUserPolicy",
            "AttachRolePolicy", "AttachGroupPolicy", "PutUserPolicy", "PutRolePolicy", "PutGroupPolicy",
            "CreatePolicy", "CreatePolicyVersion", "SetDefaultPolicyVersion", "AddUserToGroup", "DeactivateMFADevice",
            "DeleteVirtualMFADevice", "CreateSAMLProvider", "UpdateSAMLProvider", "DeleteSAMLProvider",
            "CreateOpenIDConnectProvider", "AddClientIDToOpenIDConnectProvider",
            "UpdateOpenIDConnectProviderThumbprint", "UploadSSHPublicKey", "CreateServiceSpecificCredential",
            "ResetServiceSpecificCredential", "UploadSigningCertificate", "UpdateSSHPublicKey",
            "UpdateServiceSpecificCredential", "UpdateSigningCertificate", "DeleteUserPermissionsBoundary",
            "DeleteRolePermissionsBoundary", "PutUserPermissionsBoundary", "PutRolePermissionsBoundary",
            "AddRoleToInstanceProfile", "EnableMFADevice", "ResyncMFADevice",
            "UpdateAccountPasswordPolicy", "DeleteAccountPasswordPolicy"]},
        {"eventSource": ["sso.amazonaws.com"], "eventName": [
            "CreateAccountAssignment", "DeleteAccountAssignment", "PutInlinePolicyToPermissionSet",
            "AttachManagedPolicyToPermissionSet", "AttachCustomerManagedPolicyReferenceToPermissionSet",
            "CreatePermissionSet"]},
        # an Identity Center token through the device-code grant, issued (not a poll before approval)
        {"eventSource": ["sso-oauth.amazonaws.com", "sso.amazonaws.com"], "eventName": ["CreateToken"],
         "requestParameters": {"grantType": ["urn:ietf:params:oauth:grant-type:device_code"]},
         "errorCode": [{"exists": False}]},
        # PassRole and new Lambda code, Lambda resource policies and URLs, Identity Center's directory,
        # Roles Anywhere, code run on instances (user data, SSM, Instance Connect), snapshots, AMIs and RDS
        # snapshots shared and bucket policies and ACLs: one branch (the quota), every name delivered from
        # every one of these sources
        {"eventSource": ["lambda.amazonaws.com", "ec2.amazonaws.com", "cloudformation.amazonaws.com",
                         "glue.amazonaws.com", "sagemaker.amazonaws.com", "codebuild.amazonaws.com",
                         "ecs.amazonaws.com", "identitystore.amazonaws.com", "sso-directory.amazonaws.com",
                         "rolesanywhere.amazonaws.com", "ssm.amazonaws.com", "ec2-instance-connect.amazonaws.com",
                         "rds.amazonaws.com", "s3.amazonaws.com"],
         "eventName": [
            "AddMemberToGroup", "AddPermission20150331", "AddPermission20150331v2",
            "AssociateIamInstanceProfile", "CreateChangeSet", "CreateDevEndpoint", "CreateFunction20150331",
            "CreateFunctionUrlConfig20211031", "CreateGroupMembership", "CreateJob", "CreateLaunchTemplate",
            "CreateLaunchTemplateVersion", "CreateNotebookInstance", "CreateProcessingJob", "CreateProfile",
            "CreateProject", "CreateStack", "CreateTrainingJob", "CreateTrustAnchor", "CreateUser",
            "ModifyDBClusterSnapshotAttribute", "ModifyDBSnapshotAttribute", "ModifyImageAttribute",
            "ModifyInstanceAttribute", "ModifySnapshotAttribute", "PutBucketAcl", "PutBucketPolicy",
            "RegisterTaskDefinition", "ReplaceIamInstanceProfileAssociation", "RequestSpotInstances", "RunInstances",
            "RunTask", "SendCommand", "SendSSHPublicKey", "SendSerialConsoleSSHPublicKey", "StartBuild",
            "StartBuildBatch", "StartSession", "StartTask", "UpdateFunctionCode20150331v2",
            "UpdateFunctionConfiguration20150331v2", "UpdateFunctionUrlConfig20211031", "UpdateJob",
            "UpdateNotebookInstance", "UpdateProject", "UpdateStack", "UpdateTrustAnchor"]}]}},
        "ENABLED"),
    "ssm": ({"source": ["aws.ssm", "aws.secretsmanager"], "detail-type": [API_CALL], "detail": {"$or": [
        {"eventSource": ["ssm.amazonaws.com"],
         "eventName": ["GetParameter", "GetParameters", "GetParametersByPath", "GetParameterHistory"],
         "requestParameters": {"withDecryption": [True]}},
        # Secrets Manager value reads: none, as the bundled model declares no such secret
        {"eventSource": ["ssm.amazonaws.com"], "eventName": ["DeleteParameter", "DeleteParameters"]}]}}, ALL_EVENTS),
    # Every console sign-in; a role's console sign-in token and the portal's role credentials when read-only.
    "signin": ({"source": ["aws.signin", "aws.sso"], "detail": {"$or": [
        {"eventSource": ["signin.amazonaws.com"], "eventName": ["ConsoleLogin"]},
        {"eventSource": ["signin.amazonaws.com"], "eventName": ["GetSigninToken"], "readOnly": [True]},
        {"eventSource": ["signin.amazonaws.com"], "eventName": ["GetSigninToken"], "readOnly": [{"exists": False}]},
        {"eventSource": ["sso.amazonaws.com"], "eventName": ["GetRoleCredentials"], "readOnly": [True]}]}},
        ALL_EVENTS),
}
# every write, less those the iam, blinding and signin families deliver whole (one invocation each)
EXPECTED["writes"] = (writes_pattern([EXPECTED["iam"][0], blinding_pattern(), EXPECTED["signin"][0]]), "ENABLED")
DATA_ACTION = re.compile(r"^(dynamodb|sns|kms|sqs):|^ssm:GetParameter", re.IGNORECASE)
DLQ_ARN = {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}


def family_event(pkg: Packaged, family: str) -> dict[str, Any]:
    """The family's rule; for a family spread over several rules (its pattern over EventBridge's
    size quota), one event holding all of their branches, which must share everything else."""
    function_id = family.capitalize()
    found = list(pkg.resources[function_id]["Properties"]["Events"].values())
    assert {e["Type"] for e in found} == {"EventBridgeRule"}
    events = [e["Properties"] for e in found]
    if len(events) == 1:
        return found[0]
    for other in events[1:]:
        assert {k: v for k, v in other.items() if k not in ("Pattern", "RuleName")} == \
            {k: v for k, v in events[0].items() if k not in ("Pattern", "RuleName")}
    details = [e["Pattern"]["detail"] for e in events]
    common = next({k: v for k, v in d.items() if k != "$or"} for d in details if "$or" in d)
    branches = [b for d in details for b in (d["$or"] if "$or" in d else [{k: v for k, v in d.items()
                                                                            if k not in common}])]
    pattern = {**events[0]["Pattern"], "detail": {**common, "$or": branches}}
    return {"Type": "EventBridgeRule", "Properties": {**events[0], "Pattern": pattern}}


def role_policies(pkg: Packaged) -> dict[str, list[dict[str, Any]]]:
    """Role id → its Allow statements (all inline policies)."""
    out = {}
    for role_id, role in pkg.of_type("AWS::IAM::Role").items():
        out[role_id] = [s for p in role["Properties"].get("Policies", []) for s in p["PolicyDocument"]["Statement"]
                        if s["Effect"] == "Allow"]
    return out


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def actions_of(statements: list[dict[str, Any]]) -> set[str]:
    return {a for s in statements for a in as_list(s["Action"])}


@pytest.mark.parametrize("family", sorted(EXPECTED))
def test_every_family_has_its_narrow_pattern_and_state(prod: Packaged, family: str) -> None:
    pattern, state = EXPECTED[family]
    event = family_event(prod, family)
    assert event["Type"] == "EventBridgeRule"  # SAM's CloudWatchEvent cannot carry retry/DLQ
    assert event["Properties"]["Pattern"] == pattern
    assert event["Properties"]["State"] == state
    assert event["Properties"]["RuleName"] == f"trailwarden-prod-{family}"


def test_the_reads_family_leaves_out_the_static_key_reads_of_the_bundled_models_ci_user(prod: Packaged) -> None:
    static_key, elsewhere = [b for b in family_event(prod, "reads")["Properties"]["Pattern"]["detail"]["$or"]
                             if b.get("userIdentity", {}).get("accessKeyId") == [{"prefix": "AKIA"}]]
    assert static_key["userIdentity"]["userName"] == [{"anything-but": ["github-actions-aws-deployer"]}]
    # Only in the account the model declares: the same user name anywhere else is routed.
    assert elsewhere["userIdentity"]["userName"] == ["github-actions-aws-deployer"]
    assert elsewhere["userIdentity"]["accountId"] == [{"anything-but": ["630287363158"]}]


def test_the_sts_family_leaves_out_only_the_ci_users_own_deploy_role_and_unrestricted_declared_roles(
        prod: Packaged) -> None:
    branches = family_event(prod, "sts")["Properties"]["Pattern"]["detail"]["$or"]
    assert {"errorCode": [{"exists": True}]} in branches
    assert {"eventName": ["GetSessionToken", "GetFederationToken"], "userIdentity": {"type": ["IAMUser"]}} in branches
    assert {"userIdentity": {"type": [{"anything-but": ["AWSService", "IAMUser", "AssumedRole"]}]}} in branches
    assert {"userIdentity": {"type": ["IAMUser"], "userName": [{"anything-but": ["github-actions-aws-deployer"]}]},
            } in branches
    assert {"userIdentity": {"type": ["IAMUser"], "userName": ["github-actions-aws-deployer"],
                             "accountId": ["630287363158"]},
            "requestParameters": {"roleArn": [{"anything-but": {"wildcard": [
                "arn:aws*:iam::630287363158:role/terraform-deploy"]}}]},
            } in branches
    assert {"userIdentity": {"type": ["IAMUser"], "userName": ["github-actions-aws-deployer"],
                             "accountId": [{"anything-but": ["630287363158"]}]}} in branches


def test_read_only_families_receive_read_only_events(prod: Packaged) -> None:
    for family in ("root", "sts", "ssm", "reads"):
        assert family_event(prod, family)["Properties"]["State"] == ALL_EVENTS


def test_every_rule_has_retry_policy_and_dead_letter_queue(prod: Packaged) -> None:
    rules = prod.rules()
    assert {cfn_family for cfn_family, _ in rules.values()} == {
        f for f, fn in prod.functions().items() if fn["Properties"].get("Events")}  # every scheduled or rule-fed one
    for event_id, (_, event) in rules.items():
        props = event["Properties"]
        assert props["DeadLetterConfig"] == {"Arn": DLQ_ARN}, event_id
        retry = props["RetryPolicy"]
        assert 0 < retry["MaximumRetryAttempts"] <= 185 and 60 <= retry["MaximumEventAgeInSeconds"] <= 86400


def test_dead_letter_queue_is_encrypted_and_accepts_every_rule(prod: Packaged) -> None:
    queue = prod.resources["DeadLetterQueue"]["Properties"]
    assert queue["SqsManagedSseEnabled"] is True
    (policy,) = prod.of_type("AWS::SQS::QueuePolicy").values()
    (allow,) = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "events.amazonaws.com"} and allow["Action"] == "sqs:SendMessage"
    sources = [arn["Fn::Sub"].rsplit("/", 1)[1] for arn in allow["Condition"]["ArnEquals"]["aws:SourceArn"]]
    names = [e["Properties"].get("RuleName") or e["Properties"].get("Name") for _, e in prod.rules().values()]
    assert sorted(sources) == sorted(names)


def test_anything_in_the_dead_letter_queue_raises_an_alarm(prod: Packaged) -> None:
    alarm = prod.resources["DeadLetterAlarm"]["Properties"]
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["DeadLetterQueue", "QueueName"]}}]
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold" and alarm["Threshold"] == 0
    assert alarm["AlarmActions"] == [{"Ref": "AlertsTopic"}]
    # CloudWatch may publish to the encrypted topic only for this stack's alarms
    for statements in (prod.resources["AlertsTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"],
                       prod.resources["TrailwardenKey"]["Properties"]["KeyPolicy"]["Statement"]):
        (grant,) = [s for s in statements if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}]
        assert grant["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Sub"].endswith(":alarm:trailwarden-prod-*")


def test_async_invocations_fail_into_the_dead_letter_queue(prod: Packaged) -> None:
    """A poison event ends in the DLQ intact: a function dead-letter queue sends the event itself as the
    body (an on-failure destination would wrap it in an invocation record, too large for a big event)."""
    for function_id, function in prod.functions().items():
        config = function["Properties"].get("EventInvokeConfig")
        if function_id in ("APIHandler", "BackfillWorker"):
            assert config is None  # API Gateway, and the backfill's state machine, invoke synchronously
            continue
        assert function["Properties"]["DeadLetterQueue"] == {"Type": "SQS", "TargetArn": DLQ_ARN}, function_id
        assert "DestinationConfig" not in config, function_id
        assert config["MaximumRetryAttempts"] == 2


def test_topic_is_encrypted_with_a_rotated_customer_key(prod: Packaged) -> None:
    topic = prod.resources["AlertsTopic"]["Properties"]
    assert topic["KmsMasterKeyId"] == {"Fn::GetAtt": ["TrailwardenKey", "Arn"]}
    key = prod.resources["TrailwardenKey"]
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"


def test_table_has_pitr_sse_ttl_and_is_retained_in_prod(prod: Packaged, dev: Packaged) -> None:
    table = prod.resources["IncidentsTable"]
    props = table["Properties"]
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert table["DeletionPolicy"] == "Retain" and props["DeletionProtectionEnabled"] is True
    assert dev.resources["IncidentsTable"]["DeletionPolicy"] == "Delete"


@pytest.mark.parametrize("stage", ["prod", "dev"])
def test_template_table_matches_table_definition(request: pytest.FixtureRequest, stage: str) -> None:
    pkg: Packaged = request.getfixturevalue(stage)
    props = pkg.resources["IncidentsTable"]["Properties"]
    expected = table_definition(f"trailwarden-{stage}-incidents")
    assert props["TableName"] == expected["TableName"]
    for key in ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "BillingMode"):
        assert props[key] == expected[key], key


def test_data_actions_never_have_a_star_resource(prod: Packaged) -> None:
    checked = 0
    for role_id, statements in role_policies(prod).items():
        for statement in statements:
            actions = as_list(statement["Action"])
            assert not any(a.endswith("*") for a in actions), (role_id, actions)
            if any(DATA_ACTION.search(a) for a in actions):
                checked += 1
                assert "*" not in as_list(statement["Resource"]), (role_id, statement.get("Sid"))
    assert checked > 0


def test_role_policies_are_resolved_by_cloudformation(prod: Packaged) -> None:
    """Every placeholder of the policy files sits inside Fn::Sub, none reaches IAM verbatim."""

    def raw_strings(node: Any) -> list[str]:
        if isinstance(node, dict):
            return [] if "Fn::Sub" in node else [s for v in node.values() for s in raw_strings(v)]
        if isinstance(node, list):
            return [s for v in node for s in raw_strings(v)]
        return [node] if isinstance(node, str) else []

    for role_id, role in prod.of_type("AWS::IAM::Role").items():
        assert not [s for s in raw_strings(role["Properties"]) if "${" in s], role_id


def test_each_function_gets_only_what_it_needs(prod: Packaged) -> None:
    policies = role_policies(prod)
    api = actions_of(policies["ApiHandlerRole"])
    # the API reads, and appends triage records (conditional puts and the head update)
    assert {a for a in api if a.startswith("dynamodb:")} == {"dynamodb:GetItem", "dynamodb:Query",
                                                              "dynamodb:PutItem", "dynamodb:UpdateItem"}
    assert not {a for a in api if a.split(":")[0] in {"sns", "iam", "sqs"}}
    for role_id, statements in policies.items():
        actions = actions_of(statements)
        # the incident log is append-only for Lambda: only TTL (and an operator) deletes
        assert not actions & {"dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:Scan"}, role_id
        # the monitor never reads the secrets it guards: only the webhook parameter (and the API, only
        # the Slack signing secret)
        allowed = ":parameter${SlackSigningSecretParameterName}" if role_id == "ApiHandlerRole" else \
            ":parameter${SlackWebhookParameterName}"
        for statement in statements:
            if "ssm:GetParameter" in as_list(statement["Action"]):
                assert statement["Resource"]["Fn::Sub"].endswith(allowed), role_id
        if any(a.startswith("iam:") for a in actions):
            assert role_id == "DailyAuditRole"


def test_kms_use_is_bound_to_the_service(prod: Packaged) -> None:
    for role_id, statements in role_policies(prod).items():
        for statement in statements:
            if any(a.startswith("kms:") for a in as_list(statement["Action"])):
                via = statement["Condition"]["StringEquals"]["kms:ViaService"]["Fn::Sub"]
                assert via in {"sns.${AWS::Region}.amazonaws.com", "ssm.${AWS::Region}.amazonaws.com"}, role_id


def test_auditor_role_may_only_invoke_the_get_incidents_routes(prod: Packaged) -> None:
    (policy,) = prod.resources["AuditorRole"]["Properties"]["Policies"]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow" and statement["Action"] == "execute-api:Invoke"
    paths = sorted(r["Fn::Sub"].split("${RestAPI}")[1] for r in statement["Resource"])
    assert paths == ["/api/GET/incidents", "/api/GET/incidents/*"]


def test_iam_authorization_on_every_api_route(prod: Packaged) -> None:
    body = prod.resources["RestAPI"]["Properties"]["DefinitionBody"]
    assert body["securityDefinitions"]["sigv4"]["x-amazon-apigateway-authtype"] == "awsSigv4"
    operations = [(path, method, op) for path, item in body["paths"].items() for method, op in item.items()]
    assert {(p, m) for p, m, _ in operations} == {("/incidents", "get"), ("/incidents/{incident_id}", "get"),
                                                  ("/incidents/{incident_id}/triage", "post"),
                                                  ("/slack/interactions", "post")}
    for path, method, op in operations:
        if path == "/slack/interactions":  # Slack cannot sign with SigV4: the handler checks Slack's signature
            assert "security" not in op
        else:
            assert op.get("security") == [{"sigv4": []}], (path, method)


def test_only_the_responder_role_may_invoke_the_triage_route(prod: Packaged) -> None:
    (policy,) = prod.resources["ResponderRole"]["Properties"]["Policies"]
    (statement,) = policy["PolicyDocument"]["Statement"]
    paths = sorted(r["Fn::Sub"].split("${RestAPI}")[1] for r in statement["Resource"])
    assert paths == ["/api/GET/incidents", "/api/GET/incidents/*", "/api/POST/incidents/*/triage"]
    api = prod.functions()["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert api["TRAILWARDEN_RESPONDER_ROLE"] == prod.resources["ResponderRole"]["Properties"]["RoleName"]


def test_functions_read_resource_names_from_the_template(prod: Packaged) -> None:
    for function_id, function in prod.functions().items():
        env = function["Properties"]["Environment"]["Variables"]
        assert env["TRAILWARDEN_TABLE"] == {"Ref": "IncidentsTable"}, function_id
        assert env["TRAILWARDEN_TOPIC_ARN"] == {"Ref": "AlertsTopic"}, function_id
        assert env["TRAILWARDEN_SLACK_WEBHOOK_PARAM"] == {"Ref": "SlackWebhookParameterName"}, function_id
        assert env["TRAILWARDEN_STAGE"] == "prod"


def test_writes_family_is_switched_per_stage(prod: Packaged, dev: Packaged) -> None:
    assert "Writes" in prod.functions() and "Writes" not in dev.functions()
    assert "WritesRole" not in dev.resources and "WritesLogGroup" not in dev.resources
    assert set(prod.functions()) - set(dev.functions()) == {"Writes"}
    names = {e["Properties"].get("RuleName") for _, e in dev.rules().values()}
    assert "trailwarden-dev-writes" not in names


@pytest.mark.parametrize("stage", ["prod", "dev"])
def test_merge_only_patches_resources_chalice_generated(request: pytest.FixtureRequest, stage: str) -> None:
    """A name drift between Chalice and the builder would leave a resource without a Type."""
    pkg: Packaged = request.getfixturevalue(stage)
    assert all("Type" in resource for resource in pkg.resources.values())
    patched = {k for k, v in pkg.merge["Resources"].items() if "Type" not in v}
    assert patched and patched <= set(pkg.resources)


def test_cfn_lint_reports_no_errors(prod: Packaged, dev: Packaged) -> None:
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    result = subprocess.run([str(cfn_lint), "--format", "json", str(prod.directory / "sam.json"),
                             str(dev.directory / "sam.json")], capture_output=True, text=True, timeout=300)
    findings = json.loads(result.stdout or "[]")
    errors = [f for f in findings if f["Level"] == "Error"]
    assert not errors, json.dumps(errors, indent=1)[:4000]
    assert result.returncode in (0, 4, 8, 12), result.stderr  # bit 2 = errors; 4, 8 = warnings, info
