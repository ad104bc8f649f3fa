#!/usr/bin/env python3
"""Build the template that `chalice package --merge-template` folds into Chalice's SAM output.

Chalice's `on_cw_event` sets no rule state, retry policy or dead-letter queue, its policy
files cannot name resources CloudFormation creates, and it knows nothing of the table,
topic or queue (DESIGN §8). This script adds all of that for one stage. It is generated,
not static JSON, so nothing is kept in sync by hand:

- the DynamoDB table is ``table_definition()``, the same kwargs the store's create_table uses;
- function, rule and role names come from ``app.py`` loaded with the stage's environment,
  exactly as `chalice package` loads it (the writes family exists only where switched on);
- every role's policy is the subset of ``.chalice/policy-<stage>.json`` its function needs
  (chosen by statement Sid), with each ``${...}`` placeholder turned into ``Fn::Sub`` so it
  resolves to the exact ARN of a resource this template creates;
- the key, topic, dead-letter queue, its alarm and the API's auditor and responder roles,
  which need only the stage's prefix and tags, are ``stage_resources.py``.

Usage: python deploy/build_merge_template.py --stage prod --output dist/merge-prod.json
"""

from __future__ import annotations

import argparse
import copy
import importlib
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))  # loaded by file path in tests, as a script otherwise
from narrowing import narrowed_pattern  # noqa: E402  (re-exported: the member builder)
from pattern_quota import PatternTooLarge, split_for_quota  # noqa: E402
from stage_resources import auditor_role, outputs, responder_role, shared_resources  # noqa: E402

ALL_EVENTS = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"

# Rules in state ENABLED never see read-only management events (DESIGN §8). Root List*/
# Describe*, AssumeRole and GetParameter are read-only; sign-in records often carry no
# readOnly field at all, and its pattern is narrow, so it costs nothing to be sure.
RULE_STATES = {"root": ALL_EVENTS, "sts": ALL_EVENTS, "ssm": ALL_EVENTS, "signin": ALL_EVENTS,
               "reads": ALL_EVENTS, "iam": "ENABLED", "writes": "ENABLED",
               "home": ALL_EVENTS, "blinding": "ENABLED", "pipeline": "ENABLED"}
# EventBridge → Lambda fails only when Lambda refuses the async invoke (throttling, missing
# permission); after 6 h an alert is stale, but the event still belongs in the log: the DLQ
# keeps it 14 days for a replay.
RULE_RETRY = {"MaximumRetryAttempts": 50, "MaximumEventAgeInSeconds": 6 * 3600}
# Lambda's own async retries for a handler that raised (e.g. DynamoDB or Slack down).
ASYNC_INVOKE = {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 6 * 3600}
PROTECTED_STAGES = {"prod", "org"}  # table and key are retained and deletion-protected

# Which statements (by Sid) of the stage policy each kind of function gets.
BASE = ("WriteOwnLogs", "Tracing")
HANDLER = (*BASE, "ReadIncidentLog", "WriteIncidentLog", "PublishAlerts", "EncryptAlertsViaSns",
           "ReadSlackWebhook", "DecryptSlackWebhookViaSsm", "SendFailedInvocations",
           "ImportSecurityHubFindings", "UpdateSecurityHubWorkflow")  # Security Hub channel; reopen → NEW
GRANTS = {
    "event": HANDLER,
    "audit": (*HANDLER, "ListInventory", "ReadInventoryUsers", "DescribeDeclaredSecrets", "PublishChainHead"),
    # Organization mode (issue 14): the daily audit and the coverage check read the organization and
    # assume each member's read-only role; the coverage check reads the central bus's own rules.
    "org-audit": (*HANDLER, "ListInventory", "ReadInventoryUsers", "DescribeDeclaredSecrets", "PublishChainHead",
                  "ListOrganizationAccounts", "AssumeMemberReadOnly"),
    "coverage": (*HANDLER, "ListOrganizationAccounts", "AssumeMemberReadOnly", "ReadCentralBusRules"),
    # The API also triages (POST /incidents/{id}/triage, Slack buttons): it appends to the log
    # and reads the Slack signing secret.
    # The backfill worker (issue 17) stores (and, when asked, alerts) like a handler, and reads the trail bucket.
    "backfill": (*BASE, "ReadIncidentLog", "WriteIncidentLog", "PublishAlerts", "EncryptAlertsViaSns",
                 "ReadSlackWebhook", "DecryptSlackWebhookViaSsm", "ReadTrailBucketObjects", "WriteBackfillSummaries",
                 "ImportSecurityHubFindings", "UpdateSecurityHubWorkflow"),
    "api": (*BASE, "ReadIncidentLog", "WriteIncidentLog", "ReadSlackSigningSecret",
            "DecryptSlackSigningSecretViaSsm", "UpdateSecurityHubWorkflow"),  # triage → the finding's workflow
}

# Names a policy placeholder may use besides pseudo parameters: resources and parameters of
# this template, and the per-role variable FunctionName.
TEMPLATE_NAMES = {"BackfillTrailBucket", "BackfillResultsBucket",
                  "IncidentsTable", "AlertsTopic", "TrailwardenKey", "DeadLetterQueue", "SlackWebhookParameterName",
                  "AnchorBucket", "SlackSigningSecretParameterName"}
ROLE_VARIABLES = {"FunctionName"}
_PLACEHOLDER = re.compile(r"\$\{([^}!][^}]*)\}")


class BuildError(Exception):
    """The stage config, policy file or app does not fit together; the message says how."""


def cfn_name(name: str) -> str:
    """Chalice's own CamelCase logical-id rule (chalice.utils.to_cfn_resource_name)."""
    from chalice.utils import to_cfn_resource_name

    return to_cfn_resource_name(name)


def load_config(stage: str) -> Any:
    from chalice.config import Config

    config_path = ROOT / ".chalice" / "config.json"
    on_disk = json.loads(config_path.read_text())
    if stage not in on_disk.get("stages", {}):
        raise BuildError(f"{config_path}: no stage {stage!r}")
    return Config(chalice_stage=stage, config_from_disk=on_disk)


def load_app(environment: dict[str, str]) -> Any:
    """Import app.py the way `chalice package` does: stage variables exported first."""
    if "app" in sys.modules:
        raise BuildError("app.py is already imported in this process; run the builder in a fresh one")
    os.environ.update(environment)
    sys.path.insert(0, str(ROOT))
    return importlib.import_module("app").app


def table_resource(table_name: str, protected: bool, tags: list[dict[str, str]]) -> dict[str, Any]:
    """The CloudFormation table, translated from the boto3 create_table kwargs of the store."""
    try:
        from chalicelib.incidents import dynamodb
    except ImportError as err:
        raise BuildError(f"cannot import chalicelib.incidents.dynamodb for table_definition(): {err}") from err

    kwargs = copy.deepcopy(dynamodb.table_definition(table_name))
    props: dict[str, Any] = {"TableName": table_name}
    for key in ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "LocalSecondaryIndexes",
                "BillingMode", "ProvisionedThroughput", "TableClass"):
        if key in kwargs:
            props[key] = kwargs.pop(key)
    kwargs.pop("TableName", None)
    kwargs.pop("Tags", None)  # stage tags below win
    kwargs.pop("SSESpecification", None)  # always on below
    if kwargs.pop("DeletionProtectionEnabled", False):
        protected = True
    stream = kwargs.pop("StreamSpecification", None)
    if stream and stream.get("StreamEnabled"):
        props["StreamSpecification"] = {"StreamViewType": stream["StreamViewType"]}
    if kwargs:
        raise BuildError(f"table_definition() has keys this builder does not translate: {sorted(kwargs)}")
    props["BillingMode"] = "PAY_PER_REQUEST" if props.get("BillingMode") is None else props["BillingMode"]
    props.update({
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS"},  # AWS managed key aws/dynamodb
        "TimeToLiveSpecification": dynamodb.ttl_specification(),
        "DeletionProtectionEnabled": protected,
        "Tags": tags,
    })
    policy = "Retain" if protected else "Delete"
    return {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": policy, "UpdateReplacePolicy": policy,
            "Properties": props}


def substitute(node: Any, variables: dict[str, str]) -> Any:
    """Every string holding a ``${...}`` placeholder becomes ``Fn::Sub`` (with only the
    per-role variables it uses, so cfn-lint sees no unused ones)."""
    if isinstance(node, dict):
        return {k: substitute(v, variables) for k, v in node.items()}
    if isinstance(node, list):
        return [substitute(v, variables) for v in node]
    if isinstance(node, str) and "${" in node:
        used = {name: variables[name] for name in _PLACEHOLDER.findall(node) if name in variables}
        return {"Fn::Sub": [node, used] if used else node}
    return node


def check_placeholders(policy: dict[str, Any], path: Path) -> None:
    for name in _PLACEHOLDER.findall(json.dumps(policy)):
        base = name.split(".", 1)[0]
        if not (name.startswith("AWS::") or base in TEMPLATE_NAMES or name in ROLE_VARIABLES):
            raise BuildError(f"{path}: placeholder ${{{name}}} names nothing this template defines")


def role_policy(policy: dict[str, Any], kind: str, function_name: str, policy_name: str) -> dict[str, Any]:
    wanted = GRANTS[kind]
    statements = [s for s in policy["Statement"] if s.get("Sid") in wanted]
    document = {"Version": policy.get("Version", "2012-10-17"), "Statement": statements}
    return {"PolicyName": policy_name, "PolicyDocument": substitute(document, {"FunctionName": function_name})}


def load_policy(config: Any, stage: str) -> tuple[dict[str, Any], Path]:
    path = ROOT / ".chalice" / (config.iam_policy_file or f"policy-{stage}.json")
    policy = json.loads(path.read_text())
    sids = [s.get("Sid") for s in policy.get("Statement", [])]
    granted = {sid for sids_ in GRANTS.values() for sid in sids_}
    if missing := sorted(granted - set(sids)):
        raise BuildError(f"{path}: statements {missing} are granted by the builder but missing")
    if unused := sorted(set(sids) - granted):
        raise BuildError(f"{path}: statements {unused} are granted to no function (or have no Sid)")
    check_placeholders(policy, path)
    return policy, path


def build(stage: str) -> dict[str, Any]:
    """The merge template for ``stage``."""
    from chalice.app import CloudWatchEventConfig, ScheduledEventConfig

    config = load_config(stage)
    env = config.environment_variables
    app = load_app(env)  # puts the project on sys.path
    from chalicelib.incidents.anchor_template import anchor_resources, anchors_url
    policy, _ = load_policy(config, stage)
    prefix = f"{config.app_name}-{stage}"
    protected = stage in PROTECTED_STAGES
    tags = [{"Key": k, "Value": v} for k, v in sorted(config.tags.items()) if not k.startswith("aws")]
    dlq_arn = {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}
    dead_letter = {"Arn": dlq_arn}
    env_refs = {"TRAILWARDEN_TABLE": {"Ref": "IncidentsTable"}, "TRAILWARDEN_TOPIC_ARN": {"Ref": "AlertsTopic"},
                "TRAILWARDEN_SLACK_WEBHOOK_PARAM": {"Ref": "SlackWebhookParameterName"},
                "TRAILWARDEN_ANCHORS": anchors_url()}
    resources: dict[str, Any] = {}
    rule_names: list[str] = []
    numbered: list[str] = []  # a family's rules past the first (over the pattern quota)
    # Which resources are Trailwarden's, for the monitor-pipeline-tampered rule (chalicelib/watch/own.py).
    from chalicelib.watch.own import ENV_RULES
    from chalicelib.watch.template import PARAMETERS, environment, heartbeat_resources

    handlers = [s.name for s in app.event_sources] + [f.name for f in app.pure_lambda_functions] + (
        ["api_handler"] if app.routes else [])
    roles = [f"{prefix}-{h}" for h in (*handlers, "heartbeat", *(["auditor", "responder"] if app.routes else []))]
    roles += [f"{prefix}-backfill"] if app.pure_lambda_functions else []  # the backfill state machine's role
    env_refs.update(environment(prefix, handlers, roles))
    # Organization mode (issue 14): the handler rules listen on a custom bus members forward to.
    from chalicelib.errors import ConfigError
    from chalicelib.org.template import central_wiring

    try:
        org = central_wiring(env, tags)
    except ConfigError as err:
        raise BuildError(str(err)) from None
    env_refs.update(org.environment)

    def function(name: str, logical_id: str, kind: str, events: dict[str, Any] | None) -> None:
        function_name = f"{prefix}-{name}"
        props: dict[str, Any] = {"FunctionName": function_name, "Environment": {"Variables": env_refs}}
        if kind not in ("api", "backfill"):  # invoked asynchronously by EventBridge (not API Gateway, Step Functions)
            # A dead-letter queue, not an on-failure destination: Lambda sends the event itself as the
            # message body (a destination wraps it in an invocation record with the error and stack,
            # which a large CloudTrail event pushes past SQS's size limit: lost), the same shape as the
            # rules' dead letters, so `dlq redrive` puts both back through the monitor unchanged.
            props["EventInvokeConfig"] = dict(ASYNC_INVOKE)
            props["DeadLetterQueue"] = {"Type": "SQS", "TargetArn": dlq_arn}
        if events:
            props["Events"] = events
        # A literal log group name (Chalice's own ${ApiHandler} reference is broken) lets the
        # group exist before the function can log: Lambda never creates a group without
        # retention, and the roles need no logs:CreateLogGroup.
        log_group = f"{cfn_name(name)}LogGroup"
        resources[log_group] = {"Properties": {"LogGroupName": f"/aws/lambda/{function_name}"}}
        resources[logical_id] = {"DependsOn": [log_group], "Properties": props}
        role_id = f"{cfn_name(name + '_role')}"
        resources[role_id] = {"Properties": {"RoleName": function_name, "Policies": [
            role_policy(policy, kind, function_name, f"{role_id}Policy"),
            *(org.role_policies if kind != "api" else [])]}}  # org mode: the model from its bucket

    for source in app.event_sources:
        event_id = cfn_name(f"{source.name}-event")
        rule_name = f"{prefix}-{source.name}"
        if not isinstance(source, CloudWatchEventConfig):
            rule_names.append(rule_name)
        if isinstance(source, CloudWatchEventConfig):
            if source.name not in RULE_STATES:
                raise BuildError(f"family {source.name!r} has no rule state in RULE_STATES; add one")
            pattern = narrowed_pattern(source.name, source.event_pattern, env) or source.event_pattern
            try:
                parts = split_for_quota(source.name, pattern)
            except PatternTooLarge as err:
                raise BuildError(str(err)) from None
            events = {}
            for n, part in enumerate(parts, start=1):  # one rule, or more when the pattern is over the quota
                name = rule_name if n == 1 else f"{rule_name}-{n}"
                rule_names.append(org.rule_path(name))
                numbered += [name] if n > 1 else []
                event = {"Type": "EventBridgeRule", "Properties": {
                    "RuleName": name, "State": RULE_STATES[source.name], "Pattern": part,
                    "RetryPolicy": RULE_RETRY, "DeadLetterConfig": dead_letter}}
                if org.bus_ref is not None:
                    event["Properties"]["EventBusName"] = org.bus_ref
                events[event_id if n == 1 else cfn_name(f"{source.name}-event-{n}")] = event
            function(source.name, cfn_name(source.name), "event", events)
        elif isinstance(source, ScheduledEventConfig):
            event = {"Properties": {"Name": rule_name, "State": "ENABLED",
                                    "RetryPolicy": RULE_RETRY, "DeadLetterConfig": dead_letter}}
            # Only the daily audit reads IAM; other schedules (closing groups) get handler grants.
            kind = "audit" if source.name == "daily_audit" else "event"
            if org.custom and source.name in ("daily_audit", "coverage"):
                kind = "org-audit" if source.name == "daily_audit" else "coverage"
            function(source.name, cfn_name(source.name), kind, {event_id: event})
        else:
            raise BuildError(f"event source {source.name!r} ({type(source).__name__}) is not handled")
    if numbered:  # they are Trailwarden's own rules too (monitor-pipeline-tampered); every function shares env_refs
        env_refs[ENV_RULES] = ",".join([env_refs[ENV_RULES], *numbered])
    if app.routes:
        function("api_handler", "APIHandler", "api", None)
    from chalicelib.backfill import definition as backfill

    for pure in app.pure_lambda_functions:  # only the backfill worker, invoked by its state machine
        if pure.name != "backfill_worker":
            raise BuildError(f"lambda function {pure.name!r} is not handled")
        function(pure.name, backfill.WORKER, "backfill", None)
        resources[backfill.WORKER]["Properties"].update(backfill.worker_properties())
        resources.update(backfill.resources(prefix, tags))
        env_refs["TRAILWARDEN_BACKFILL_RESULTS"] = {"Ref": "BackfillResultsBucket"}

    resources.update(shared_resources(prefix, rule_names, tags, protected))
    resources.update(heartbeat_resources(prefix, stage, tags))
    resources["IncidentsTable"] = table_resource(env["TRAILWARDEN_TABLE"], protected, tags)
    resources.update(anchor_resources(int(env.get("TRAILWARDEN_RETENTION_DAYS") or 400), tags))
    resources.update(org.resources)
    if app.routes:
        resources["AuditorRole"] = auditor_role(prefix, config.api_gateway_stage, tags)
        resources["ResponderRole"] = responder_role(prefix, config.api_gateway_stage, tags)
        env_refs.update(TRAILWARDEN_RESPONDER_ROLE=f"{prefix}-responder",
                        TRAILWARDEN_SLACK_SIGNING_SECRET_PARAM={"Ref": "SlackSigningSecretParameterName"})
    return {
        "Parameters": {"SlackWebhookParameterName": {
            "Type": "String", "Default": env["TRAILWARDEN_SLACK_WEBHOOK_PARAM"],
            "AllowedPattern": "^/[A-Za-z0-9_.\\-/]+$",
            "Description": "SSM SecureString holding the Slack webhook URL (encrypt it with the Trailwarden key)"},
            "SlackSigningSecretParameterName": {
                "Type": "String", "Default": env.get("TRAILWARDEN_SLACK_SIGNING_SECRET_PARAM",
                                                     "/trailwarden/slack-signing-secret"),
                "AllowedPattern": "^/[A-Za-z0-9_.\\-/]+$",
                "Description": "SSM SecureString holding the Slack app's signing secret (triage buttons)"},
            **PARAMETERS, **org.parameters, **backfill.parameters()},
        "Conditions": backfill.conditions(),
        "Resources": resources,
        "Outputs": {**outputs(bool(app.routes)), **org.outputs, **backfill.outputs()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", required=True)
    parser.add_argument("--output", "-o", required=True, type=Path)
    args = parser.parse_args(argv)
    return write_template("build_merge_template", lambda: build(args.stage), args.output)


def write_template(tool: str, make: Any, output: Path) -> int:
    """Build a template with ``make()`` and write it to ``output``; a build error is one line, exit 1."""
    try:
        template = make()
    except (BuildError, OSError, KeyError, ValueError) as err:
        print(f"{tool}: {err}", file=sys.stderr)
        return 1
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(template, indent=2, sort_keys=True) + "\n")
    print(f"wrote {output} ({len(template['Resources'])} resources)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
