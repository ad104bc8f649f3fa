"""The deployed EventBridge patterns, end to end on moto: which family's queue gets each event.

Every rule of the packaged prod template is created on moto's default bus with its exact
pattern, targeting one SQS queue per family; real-shaped CloudTrail envelopes are put on the
bus and the queues are read back. moto does not model rule *state*, so delivery of read-only
management events is filtered here the way EventBridge documents it: a rule in state
ENABLED never sees them. That is what makes "root ListBuckets reaches root" a test of the
state too, not only of the pattern.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.event_names import DEVICE_CODE_GRANT
from chalicelib.rules import load_rules

from . import blinding_events as blinding
from .cloudtrail import api_call, assumed_role, envelope, iam_user, root
from .conftest import ALL_EVENTS, ROOT, Packaged, family_of
from .coverage_calls import CASES as COVERAGE
from .escalation_calls import ESCALATION
from .review_calls import CASES as REVIEW
from .round3_calls import CASES as ROUND3
from .routing_cases import SAMPLE_EXPECTATIONS, cases
from .test_exposure_routing import CASES as EXPOSURE

REGION = "us-east-1"
FAMILIES = {"root", "iam", "sts", "ssm", "signin", "reads", "writes", "blinding", "pipeline", "home"}
SAMPLES = ROOT.parent / "shared" / "cloudtrail-samples" / "7-eventbridge"


def delivered_despite_state(state: str, detail: dict[str, Any]) -> bool:
    """EventBridge: rules in state ENABLED get no read-only CloudTrail management events."""
    read_only = detail.get("readOnly") is True and detail.get("eventCategory", "Management") == "Management"
    return state == ALL_EVENTS or not read_only


@dataclass
class Bus:
    events: Any
    sqs: Any
    queues: dict[str, str]  # family → queue URL
    states: dict[str, str]  # family → rule state in the template

    def deliver(self, env: dict[str, Any]) -> set[str]:
        """Put one envelope on the bus; the families whose Lambda EventBridge would invoke."""
        entry = {"Source": env["source"], "DetailType": env["detail-type"], "Detail": json.dumps(env["detail"]),
                 "Resources": env.get("resources") or []}
        (result,) = self.events.put_events(Entries=[entry])["Entries"]
        assert "EventId" in result, result
        return self.reached(env)

    def reached(self, env: dict[str, Any]) -> set[str]:
        """The families whose queue got ``env`` (put on this bus or forwarded to it), read off the queues."""
        reached = set()
        for family, url in self.queues.items():
            messages = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            for message in messages:
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                body = json.loads(message["Body"])
                assert body["detail"] == env["detail"]  # the Lambda would get the whole record
                if delivered_despite_state(self.states[family], body["detail"]):
                    reached.add(family)
        return reached


@contextmanager
def packaged_bus(pkg: Packaged) -> Iterator[Bus]:
    """moto's EventBridge holding the package's rules, each family's rule(s) feeding one SQS queue."""
    prefix = f"trailwarden-{pkg.stage}-"
    with pytest.MonkeyPatch.context() as mp:
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
            mp.delenv(name, raising=False)
        mp.setenv("AWS_ACCESS_KEY_ID", "testing")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        mp.setenv("AWS_DEFAULT_REGION", REGION)
        with mock_aws():
            events, sqs = boto3.client("events", region_name=REGION), boto3.client("sqs", region_name=REGION)
            queues, states = {}, {}
            for function_id, event in pkg.rules().values():
                props = event["Properties"]
                if "Pattern" not in props:
                    continue  # a schedule
                family = family_of(props["RuleName"], prefix)
                url = sqs.create_queue(QueueName=f"tw-{pkg.stage}-{family}")["QueueUrl"]
                arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
                events.put_rule(Name=props["RuleName"], EventPattern=json.dumps(props["Pattern"]),
                                State=props["State"])
                events.put_targets(Rule=props["RuleName"], Targets=[{"Id": function_id, "Arn": arn}])
                queues[family], states[family] = url, props["State"]
            yield Bus(events, sqs, queues, states)


@pytest.fixture(scope="module")
def bus(prod: Packaged) -> Iterator[Bus]:
    with packaged_bus(prod) as found:
        assert set(found.queues) == FAMILIES
        yield found


CASES = cases() + blinding.blinding_cases()


@pytest.mark.parametrize(("envelope_", "expected"), [(c[1], c[2]) for c in CASES], ids=[c[0] for c in CASES])
def test_event_reaches_exactly_the_expected_families(bus: Bus, envelope_: dict[str, Any], expected: set[str]) -> None:
    assert bus.deliver(envelope_) == expected


def test_every_family_has_positive_and_negative_cases() -> None:
    families = FAMILIES
    reached = set().union(*(expected for _, _, expected in CASES))
    assert reached == families
    for family in families:
        assert any(family not in expected and family in name for name, _, expected in CASES), family


def test_read_only_events_need_the_all_events_state(bus: Bus) -> None:
    """Without ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS these would be silently lost."""
    read_only_positive = [(name, expected) for name, env, expected in CASES if env["detail"].get("readOnly") is True]
    needing = {family for _, expected in read_only_positive for family in expected}
    assert needing == {"root", "sts", "ssm", "reads", "home"}
    assert all(bus.states[family] == ALL_EVENTS for family in needing)


def test_the_sign_in_pattern_does_not_depend_on_the_detail_type(bus: Bus) -> None:
    signin = next(env for name, env, _ in CASES if name == "signin-ci-user")
    for detail_type in ("AWS Console Sign In via CloudTrail", "AWS Console Sign-In via CloudTrail"):
        assert "signin" in bus.deliver(envelope(signin["detail"], detail_type=detail_type))


@pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"shared EventBridge samples not found at {SAMPLES}")
@pytest.mark.parametrize("name", sorted(SAMPLE_EXPECTATIONS))
def test_shared_aws_samples_reach_the_expected_families(bus: Bus, name: str) -> None:
    path: Path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"{path} is not in this copy of the shared samples")
    sample = json.loads(path.read_text())
    assert bus.deliver(sample) == SAMPLE_EXPECTATIONS[name]


# Every event name a detection reads, in the shape that detection judges, with a caller it judges
# (None: root, for the root-only rules). A new rule's names must be added here, so a detection
# whose events no deployed rule delivers cannot land.
CI_KEY = iam_user("github-actions-aws-deployer")
AGENT = assumed_role("paperclip-agent", "paperclip-7f3a")
UNDECLARED_ROLE = assumed_role("reporting-lambda", "etl")
PARAMETER = "/paperclip-app/api-key"
RULE_EVENTS: dict[str, tuple[str, bool | None, dict[str, Any] | None, dict[str, Any] | None]] = {
    "ConsoleLogin": ("signin.amazonaws.com", False, None, CI_KEY),
    "ExternalIdPDirectoryLogin": ("signin.amazonaws.com", False, None, None),
    "DeleteUser": ("iam.amazonaws.com", False, {"userName": "github-actions-aws-deployer"}, AGENT),
    "CreateAccessKey": ("iam.amazonaws.com", False, {"userName": "github-actions-aws-deployer"}, AGENT),
    "DeleteAccessKey": ("iam.amazonaws.com", False, {"userName": "github-actions-aws-deployer"}, AGENT),
    "UpdateAccessKey": ("iam.amazonaws.com", False, {"status": "Inactive"}, AGENT),
    "DeleteLoginProfile": ("iam.amazonaws.com", False, {"userName": "github-actions-aws-deployer"}, AGENT),
    "DeleteParameter": ("ssm.amazonaws.com", False, {"name": PARAMETER}, AGENT),
    "DeleteParameters": ("ssm.amazonaws.com", False, {"names": [PARAMETER]}, AGENT),
    "GetParameter": ("ssm.amazonaws.com", True, {"name": PARAMETER, "withDecryption": True}, AGENT),
    "GetParameters": ("ssm.amazonaws.com", True, {"names": [PARAMETER], "withDecryption": True}, AGENT),
    "GetParametersByPath": ("ssm.amazonaws.com", True, {"path": "/paperclip-app", "withDecryption": True}, AGENT),
    "GetParameterHistory": ("ssm.amazonaws.com", True, {"name": PARAMETER, "withDecryption": True}, AGENT),
    "Decrypt": ("kms.amazonaws.com", True, {"encryptionContext": {
        "PARAMETER_ARN": f"arn:aws:ssm:us-east-1:630287363158:parameter{PARAMETER}"}}, AGENT),
    "ReEncrypt": ("kms.amazonaws.com", True, {"sourceEncryptionContext": {
        "PARAMETER_ARN": f"arn:aws:ssm:us-east-1:630287363158:parameter{PARAMETER}"},
        "destinationKeyId": "arn:aws:kms:us-east-1:402918375610:key/0d4f6a8c-0e2b-4d6f-8a1c-3e5b7d9f1a2c"}, AGENT),
    "AssumeRole": ("sts.amazonaws.com", True, {"roleArn": "arn:aws:iam::630287363158:role/paperclip-agent",
                                               "roleSessionName": "x"}, CI_KEY),
    "AssumeRoleWithWebIdentity": ("sts.amazonaws.com", True, {
        "roleArn": "arn:aws:iam::630287363158:role/github-oidc-deploy", "roleSessionName": "gh"},
        {"type": "WebIdentityUser", "principalId": "token.actions.githubusercontent.com:repo:evil/x",
         "userName": "repo:evil/x:ref:refs/heads/main", "identityProvider": "token.actions.githubusercontent.com"}),
    "GetSessionToken": ("sts.amazonaws.com", True, {"durationSeconds": 3600}, CI_KEY),
    "GetFederationToken": ("sts.amazonaws.com", False, {"name": "backdoor"}, CI_KEY),
    "GetPasswordData": ("ec2.amazonaws.com", True, {"instanceId": "i-0b2c4d6e8f0a1c3e5"}, AGENT),
    "AssumeRoot": ("sts.amazonaws.com", True, {"targetPrincipal": "402918375610", "taskPolicyArn": {
        "arn": "arn:aws:iam::aws:policy/root-task/IAMCreateRootUserPassword"}}, AGENT),
    # The bundled model declares no Secrets Manager secret: an undeclared caller's reads are what
    # it can judge (identity-undeclared-principal; tests/deploy/test_secret_routing.py for declared ones).
    "GetSecretValue": ("secretsmanager.amazonaws.com", True, {"secretId": "prod/db-password"}, UNDECLARED_ROLE),
    "BatchGetSecretValue": ("secretsmanager.amazonaws.com", True, {"filters": [{"key": "name", "values": ["prod/"]}]},
                            UNDECLARED_ROLE),
    "AssumeRoleWithSAML": ("sts.amazonaws.com", True, {
        "roleArn": "arn:aws:iam::630287363158:role/saml-admin", "roleSessionName": "alice",
        "principalArn": "arn:aws:iam::630287363158:saml-provider/corp"},
        {"type": "SAMLUser", "principalId": "corp:alice", "userName": "alice"}),
    # An Identity Center token through the device-code grant (sso-device-code-token).
    "CreateToken": ("sso-oauth.amazonaws.com", False, {"clientId": "c", "grantType": DEVICE_CODE_GRANT},
                    {"type": "Unknown", "principalId": "9067642ac7-4b1c", "accountId": "630287363158",
                     "userName": "contractor@example.net"}),
}


RULE_EVENTS.update({k: v for k, v in blinding.RULE_EVENTS.items() if k not in RULE_EVENTS})

# The identity writes of issue 13, by the leaked CI key (every one is routed whoever makes it).
RULE_EVENTS.update({name: (source, False, request, CI_KEY) for source, name, request in ESCALATION})
# Lambda's first spelling of the 2015-03-31 API (older trails): left to the writes family, which prod has.
RULE_EVENTS.update({
    "UpdateFunctionConfiguration20150331": ("lambda.amazonaws.com", False,
                                            {"functionName": "f", "role": "arn:aws:iam::630287363158:role/x"}, CI_KEY),
    "UpdateFunctionCode20150331": ("lambda.amazonaws.com", False, {"functionName": "f"}, CI_KEY)})
# State Manager associations (ssm-instance-access: SendCommand on a schedule): prod's writes only, as the iam
# family's SSM names would lengthen the writes pattern past its quota (chalicelib/event_names.py).
SHELL_ASSOCIATION = {"name": "AWS-RunShellScript", "scheduleExpression": "rate(1 hour)",
                     "targets": [{"key": "InstanceIds", "values": ["*"]}]}
RULE_EVENTS.update({
    "CreateAssociation": ("ssm.amazonaws.com", False, SHELL_ASSOCIATION, CI_KEY),
    "CreateAssociationBatch": ("ssm.amazonaws.com", False, {"entries": [SHELL_ASSOCIATION]}, CI_KEY),
    "UpdateAssociation": ("ssm.amazonaws.com", False, {"associationId": "8dfe3659-4309-493a-8755-9a1f4f1a0c4e"},
                          CI_KEY)})
# The trail's log bucket (monitor-trail-tampered): the always-on blinding family routes it once the stage
# declares TRAILWARDEN_TRAIL_BUCKETS (tests/rules/test_monitor_trail_archive.py); undeclared, prod's writes.
RULE_EVENTS.update({name: ("s3.amazonaws.com", False, {"bucketName": "acme-cloudtrail-logs-630287363158"}, CI_KEY)
                    for name in ("PutBucketPolicy", "DeleteBucketPolicy", "PutBucketLifecycle", "DeleteBucket")})
# Grants outside the model (snapshot-shared-outside, resource-policy-outside): the iam family, in every stage.
RULE_EVENTS.update({name: (source, False, request, CI_KEY) for source, name, request in EXPOSURE
                    if name not in RULE_EVENTS})
# Red-team round 3's calls (EKS access entries, notebook start scripts, ...): prod's writes family.
RULE_EVENTS.update({name: (source, False, request, CI_KEY) for source, name, request in ROUND3
                    if name not in RULE_EVENTS})
# The review round's calls (iam-role-passed: Glue sessions, SageMaker Studio roles; Control Tower DisableControl):
# prod's writes family.
RULE_EVENTS.update({name: (source, False, request, CI_KEY) for source, name, request in REVIEW
                    if name not in RULE_EVENTS})
# Roles Anywhere sessions and changes, the Identity Center portal's role credentials, a role's console
# sign-in token (the coverage round; tests/deploy/test_coverage_routing.py).
RULE_EVENTS.update({name: (source, read_only, request, caller) for source, name, read_only, request, caller
                    in COVERAGE if name not in RULE_EVENTS})


def test_every_event_name_a_detection_reads_is_in_the_delivery_table() -> None:
    named = {name for rule in load_rules() for name in (rule.event_names or ())}
    assert named <= set(RULE_EVENTS), f"add how these reach a handler: {sorted(named - set(RULE_EVENTS))}"


@pytest.mark.parametrize("event_name", sorted(RULE_EVENTS))
def test_every_event_name_a_detection_reads_reaches_a_handler_in_production(bus: Bus, event_name: str) -> None:
    source, read_only, request, caller = RULE_EVENTS[event_name]
    record = api_call(source, event_name, caller if caller is not None else root(), read_only=read_only,
                      request=request)
    assert bus.deliver(envelope(record)), f"{event_name} reaches no handler of the prod stage"
