"""resource-policy-outside: a bucket, key, secret or repository policy, or a KMS grant, letting in an
account the model does not declare (high) or everyone (critical). Policies are parsed, Conditions that
pin the caller to declared accounts keep it quiet, and the trail's own bucket and key give one finding
(monitor-trail-tampered's), not two. The S3 record carries Stratus Red Team's
aws.exfiltration.s3-backdoor-bucket-policy document; the ECR one panther-analysis's public-ECR sample."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.engine import Engine
from chalicelib.findings import Severity
from chalicelib.identity import load_model
from chalicelib.rules.monitor_trail_tampered import MonitorTrailTampered
from chalicelib.rules.resource_policy_outside import ResourcePolicyOutside
from chalicelib.watch.own import OwnResources

from .conftest import (
    DECLARED_ACCOUNT,
    UNDECLARED_ACCOUNT,
    Replace,
    finding,
    identity_of,
    model_from,
    record,
    replay_twice,
    to_event,
)

RULE = "resource-policy-outside"
S3 = "s3-put-bucket-policy.json"
KEY_POLICY = "kms-put-key-policy.json"
GRANT = "kms-create-grant.json"
SECRET = "secretsmanager-put-resource-policy.json"
ECR = "ecr-set-repository-policy.json"
QUEUE = "sqs-set-queue-attributes-policy.json"
BUCKET = "acme-customer-exports"


def bucket_policy(*statements: dict[str, Any]) -> dict[str, Any]:
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    return record(S3, requestParameters={"bucketPolicy": Replace(document)})


def allow(principal: Any, condition: dict[str, Any] | None = None, effect: str = "Allow") -> dict[str, Any]:
    statement = {"Effect": effect, "Principal": principal, "Action": "s3:GetObject",
                 "Resource": f"arn:aws:s3:::{BUCKET}/*"}
    return {**statement, "Condition": condition} if condition else statement


@pytest.mark.parametrize("name", [S3, KEY_POLICY, SECRET, GRANT])
def test_letting_in_an_account_outside_the_model_is_high(name):
    f = finding(record(name), RULE)
    assert f is not None and f.severity is Severity.HIGH and "193672423079" in f.reason


def test_the_stratus_bucket_backdoor_names_the_bucket_and_its_arn():
    f = finding(record(S3), RULE)
    assert f is not None and BUCKET in f.reason and f.target_arn == f"arn:aws:s3:::{BUCKET}"
    assert f.details["outside_model"] == ["193672423079"]


def test_a_public_ecr_repository_is_critical():
    f = finding(record(ECR), RULE)
    assert f is not None and f.severity is Severity.CRITICAL and f.details["public"] is True
    assert f.target_arn == f"arn:aws:ecr:us-east-1:{DECLARED_ACCOUNT}:repository/community"


def test_a_bucket_open_to_everyone_is_critical():
    f = finding(bucket_policy(allow("*")), RULE)
    assert f is not None and f.severity is Severity.CRITICAL


def test_not_principal_in_an_allow_lets_in_everyone_else():
    statement = {"Effect": "Allow", "NotPrincipal": {"AWS": f"arn:aws:iam::{DECLARED_ACCOUNT}:root"},
                 "Action": "s3:GetObject", "Resource": "*"}
    f = finding(bucket_policy(statement), RULE)
    assert f is not None and f.severity is Severity.CRITICAL


@pytest.mark.parametrize("principal", [{"AWS": f"arn:aws:iam::{DECLARED_ACCOUNT}:root"}, {"AWS": DECLARED_ACCOUNT},
                                       {"AWS": [f"arn:aws:iam::{DECLARED_ACCOUNT}:role/app"]},
                                       {"Service": "cloudtrail.amazonaws.com"},
                                       {"AWS": "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2Q"},
                                       {"AWS": "arn:aws:iam::127311923021:root"}])  # ELB's log writer, us-east-1
def test_the_models_accounts_and_aws_services_are_quiet(principal):
    assert finding(bucket_policy(allow(principal)), RULE) is None


def test_a_deny_to_everyone_lets_no_one_in():
    deny = allow("*", {"Bool": {"aws:SecureTransport": "false"}}, effect="Deny")
    assert finding(bucket_policy(deny, allow({"AWS": DECLARED_ACCOUNT})), RULE) is None


@pytest.mark.parametrize("condition", [
    {"StringEquals": {"aws:PrincipalAccount": DECLARED_ACCOUNT}},
    {"StringEquals": {"AWS:SourceAccount": [DECLARED_ACCOUNT]}},
    {"ArnLike": {"aws:SourceArn": f"arn:aws:cloudtrail:*:{DECLARED_ACCOUNT}:trail/*"}},
    {"StringEquals": {"kms:CallerAccount": DECLARED_ACCOUNT, "kms:ViaService": "ec2.us-east-1.amazonaws.com"}},
])
def test_anyone_pinned_by_a_condition_to_declared_accounts_is_quiet(condition):
    assert finding(bucket_policy(allow("*", condition)), RULE) is None


def test_anyone_pinned_to_an_outside_account_is_high():
    f = finding(bucket_policy(allow("*", {"StringEquals": {"aws:PrincipalAccount": UNDECLARED_ACCOUNT}})), RULE)
    assert f is not None and f.severity is Severity.HIGH and UNDECLARED_ACCOUNT in f.reason


def test_anyone_under_a_wildcard_account_condition_is_public():
    lax = allow({"AWS": "*"}, {"StringLike": {"aws:PrincipalAccount": "*"}})
    f = finding(bucket_policy(lax), RULE)
    assert f is not None and f.severity is Severity.CRITICAL and f.details["public"] is True


def test_a_bucket_policy_for_another_accounts_saml_provider_is_high():
    f = finding(bucket_policy(allow({"Federated": f"arn:aws:iam::{UNDECLARED_ACCOUNT}:saml-provider/Okta"})), RULE)
    assert f is not None and f.severity is Severity.HIGH and UNDECLARED_ACCOUNT in f.reason


def test_a_cloudfront_origin_access_control_policy_of_a_declared_distribution_is_quiet():
    oac = allow({"Service": "cloudfront.amazonaws.com"},
                {"StringEquals": {"AWS:SourceArn": f"arn:aws:cloudfront::{DECLARED_ACCOUNT}:distribution/E2QWRUHAPOM"}})
    assert finding(bucket_policy(oac), RULE) is None


def test_cloudfront_allowed_without_a_source_pin_is_public():
    f = finding(bucket_policy(allow({"Service": "cloudfront.amazonaws.com"})), RULE)
    assert f is not None and f.severity is Severity.CRITICAL and "any AWS account's distribution" in f.reason


def test_a_service_acting_for_an_outside_account_is_high():
    statement = allow({"Service": "cloudtrail.amazonaws.com"},
                      {"StringEquals": {"aws:SourceAccount": UNDECLARED_ACCOUNT}})
    f = finding(bucket_policy(statement), RULE)
    assert f is not None and f.severity is Severity.HIGH


def test_a_condition_that_only_fails_open_pins_nothing():
    lax = allow("*", {"StringEqualsIfExists": {"aws:PrincipalAccount": DECLARED_ACCOUNT}})
    f = finding(bucket_policy(lax), RULE)
    assert f is not None and f.severity is Severity.HIGH  # anyone, under a condition the model cannot place


def test_anyone_from_a_source_address_is_high_not_critical():
    f = finding(bucket_policy(allow("*", {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}})), RULE)
    assert f is not None and f.severity is Severity.HIGH and "Condition" in f.reason


def test_anyone_in_an_organization_is_medium_because_the_model_declares_no_organization_id():
    f = finding(bucket_policy(allow("*", {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}})), RULE)
    assert f is not None and f.severity is Severity.MEDIUM and "o-a1b2c3d4e5" in f.reason


def test_a_key_policy_for_the_account_itself_is_quiet():
    own = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{DECLARED_ACCOUNT}:root"}, "Action": "kms:*",
        "Resource": "*"}]}
    assert finding(record(KEY_POLICY, requestParameters={"policy": json.dumps(own)}), RULE) is None


def test_a_url_encoded_policy_with_a_single_statement_object_is_read():
    doc = {"Statement": {"Effect": "Allow", "Principal": {"AWS": UNDECLARED_ACCOUNT}, "Action": "*", "Resource": "*"}}
    encoded = json.dumps(doc).replace('"', "%22").replace(" ", "%20").replace("{", "%7B").replace("}", "%7D")
    f = finding(record(SECRET, requestParameters={"resourcePolicy": encoded}), RULE)
    assert f is not None and f.severity is Severity.HIGH


@pytest.mark.parametrize("grantee", [f"arn:aws:iam::{DECLARED_ACCOUNT}:role/app", "rds.us-east-1.amazonaws.com",
                                     "AWS Internal", f"{DECLARED_ACCOUNT}:aws:ec2-infrastructure:i-81e2f56c"])
def test_a_grant_to_the_model_or_to_aws_is_quiet(grantee):
    assert finding(record(GRANT, requestParameters={"granteePrincipal": grantee}), RULE) is None


def test_a_grant_to_an_outside_accounts_ebs_infrastructure_is_high():
    grantee = f"{UNDECLARED_ACCOUNT}:aws:ec2-infrastructure:i-1"
    f = finding(record(GRANT, requestParameters={"granteePrincipal": grantee}), RULE)
    assert f is not None and f.severity is Severity.HIGH


def test_a_grant_that_names_no_account_is_medium():
    f = finding(record(GRANT, requestParameters={"granteePrincipal": "AROAEXAMPLEUNIQUEID"}), RULE)
    assert f is not None and f.severity is Severity.MEDIUM


@pytest.mark.parametrize("name", [S3, KEY_POLICY, SECRET, ECR, GRANT])
def test_a_call_an_aws_service_made_for_the_caller_is_quiet(name):
    assert finding(record(name, userIdentity={"invokedBy": "AWS Internal"}), RULE) is None


def test_a_refused_public_policy_is_at_most_medium():
    rec = record(ECR, errorCode="AccessDeniedException", responseElements=None, errorMessage="not authorized")
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.MEDIUM and "attempt" in f.reason


def test_a_truncated_policy_is_medium_and_says_why():
    f = finding(record(KEY_POLICY, requestParameters={"policy": '{"Statement": [{"Effect": "Allow", "Princ'}), RULE)
    assert f is not None and f.severity is Severity.MEDIUM and "could not be read" in f.reason


@pytest.mark.parametrize("value", [None, "HIDDEN_DUE_TO_SECURITY_REASONS"])
def test_a_policy_the_record_does_not_show_is_low(value):
    f = finding(record(SECRET, requestParameters={"resourcePolicy": value}), RULE)
    assert f is not None and f.severity is Severity.LOW


def test_put_resource_policy_of_another_service_is_not_judged():
    assert finding(record(SECRET, eventSource="logs.amazonaws.com"), RULE) is None


@pytest.mark.parametrize("params", [
    None, [], "x", {"bucketPolicy": 7}, {"bucketPolicy": []}, {"bucketPolicy": {"Statement": "all"}},
    {"bucketPolicy": {"Statement": [None, 3, {"Effect": "Allow", "Principal": 5}]}},
    {"bucketPolicy": {"Statement": [{"Effect": "Allow", "Principal": {"AWS": [None, {}]}, "Condition": []}]}},
    {"bucketPolicy": {"Statement": [{"Effect": "Allow", "Principal": "*", "Condition": {"StringEquals": []}}]}},
    {"bucketPolicy": {"Statement": [{"Effect": "Allow", "Principal": "*",
                                     "Condition": {"StringEquals": {"aws:PrincipalAccount": [None, 5]}}}]}},
])
def test_hostile_policy_shapes_never_crash(params):
    finding(record(S3, requestParameters=Replace(params)), RULE)  # judge() fails the test if a rule raised


@pytest.mark.parametrize("grantee", [None, 5, [], {"a": 1}, ""])
def test_hostile_grantees_never_crash(grantee):
    finding(record(GRANT, requestParameters={"granteePrincipal": grantee, "operations": "Decrypt"}), RULE)


# --- the trail's own bucket and key: one finding, monitor-trail-tampered's ----------------------------

TRAIL_BUCKET = f"acme-cloudtrail-logs-{DECLARED_ACCOUNT}"
OWN = {"TRAILWARDEN_STAGE": "prod", "TRAILWARDEN_TRAIL_BUCKETS": TRAIL_BUCKET}


def both_rules(doc: dict[str, Any], model: Any = None) -> list[Any]:
    own = OwnResources.from_env(OWN)
    engine = Engine(model or load_model(None), rules=[MonitorTrailTampered(own=own), ResourcePolicyOutside(own=own)])
    return engine.judge(to_event(doc))


def test_opening_the_trails_bucket_to_an_outside_account_is_one_critical_finding_naming_it():
    doc = record(S3, requestParameters={"bucketName": TRAIL_BUCKET})
    (f,) = both_rules(doc)
    assert f.rule == "monitor-trail-tampered" and f.severity is Severity.CRITICAL
    assert "193672423079" in f.reason and f.details["opened_to"]


def test_a_principal_allowed_to_manage_monitoring_opening_the_trails_bucket_stays_critical():
    monitoring = model_from(f"""
        version: 1
        accounts: [{{id: "{DECLARED_ACCOUNT}", name: management}}]
        principals:
          - {{id: ops, kind: workload, auth: role, roles: [ops-automation], manages_monitoring: true}}
        """)
    opened = record(S3, userIdentity=identity_of("s3-put-bucket-policy-trail-bucket.json"),
                    requestParameters={"bucketName": TRAIL_BUCKET})
    (f,) = both_rules(opened, monitoring)
    assert f.severity is Severity.CRITICAL and f.details["actor_manages_monitoring"] is True
    (g,) = both_rules(record("s3-put-bucket-policy-trail-bucket.json"), monitoring)
    assert g.severity is Severity.LOW  # the same principal's policy that lets no one in: its declared work


def test_a_trail_bucket_policy_letting_no_one_in_stays_monitor_trail_tampereds_high():
    (f,) = both_rules(record("s3-put-bucket-policy-trail-bucket.json"))
    assert f.rule == "monitor-trail-tampered" and f.severity is Severity.HIGH


def test_another_bucket_is_this_rules_even_with_a_trail_bucket_declared():
    (f,) = both_rules(record(S3))
    assert f.rule == RULE


def test_replay_gives_the_same_output_with_and_without_the_memo(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    quiet_grant = record(GRANT, requestParameters={"granteePrincipal": "rds.us-east-1.amazonaws.com"})
    loud_grant = record(GRANT, requestParameters={"granteePrincipal": f"arn:aws:iam::{UNDECLARED_ACCOUNT}:root"})
    own_policy = json.dumps({"Statement": [{"Effect": "Allow", "Principal": {"AWS": DECLARED_ACCOUNT}, "Action": "*"}]})
    open_policy = json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*"}]})
    quiet_secret = record(SECRET, requestParameters={"resourcePolicy": own_policy})
    loud_secret = record(SECRET, requestParameters={"resourcePolicy": open_policy})
    other_service = record(SECRET, eventSource="logs.amazonaws.com", requestParameters={"resourcePolicy": open_policy})
    declared = identity_of("role-session-call.json")  # a declared role: its routine calls are quiet
    quiet_queue = record(QUEUE, userIdentity=declared, requestParameters={
        "attributes": Replace({"VisibilityTimeout": "120"})})
    # The memo learns between batches of 32 lines: the quiet ones first, then their look-alikes.
    trail = [quiet_grant, quiet_secret, other_service, quiet_queue] * 9 + [
        loud_grant, loud_secret, record(S3), record(ECR), record(QUEUE, userIdentity=declared)]
    with_memo, without = replay_twice(trail, tmp_path, capsys)
    assert with_memo == without
    assert [json.loads(line)["rule"] for line in with_memo.splitlines()].count(RULE) == 5


# --- a grant whose retiring principal is outside the model ---------------------------------------------

DECLARED_GRANTEE = f"arn:aws:iam::{DECLARED_ACCOUNT}:role/ops-automation"


def test_an_outside_retiring_principal_on_a_declared_grantee_is_low():
    f = finding(record(GRANT, requestParameters={"granteePrincipal": DECLARED_GRANTEE,
                                                 "retiringPrincipal": f"arn:aws:iam::{UNDECLARED_ACCOUNT}:root"}), RULE)
    assert f is not None and f.severity is Severity.LOW and "RetireGrant" in f.reason and UNDECLARED_ACCOUNT in f.reason


@pytest.mark.parametrize("retiring", ["ec2.us-east-1.amazonaws.com", f"arn:aws:iam::{DECLARED_ACCOUNT}:root", None])
def test_a_retiring_principal_of_aws_or_the_model_is_quiet(retiring):
    params = {"granteePrincipal": DECLARED_GRANTEE, "retiringPrincipal": retiring}
    assert finding(record(GRANT, requestParameters=params), RULE) is None


def test_replay_keys_a_quiet_grant_on_its_retiring_principal(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    declared = identity_of("role-session-call.json")
    quiet = record(GRANT, userIdentity=declared, requestParameters={
        "granteePrincipal": DECLARED_GRANTEE, "retiringPrincipal": f"arn:aws:iam::{DECLARED_ACCOUNT}:root"})
    loud = record(GRANT, userIdentity=declared, requestParameters={
        "granteePrincipal": DECLARED_GRANTEE, "retiringPrincipal": f"arn:aws:iam::{UNDECLARED_ACCOUNT}:root"})
    with_memo, without = replay_twice([quiet] * 33 + [loud], tmp_path, capsys)
    assert with_memo == without
    assert [json.loads(line)["rule"] for line in with_memo.splitlines()].count(RULE) == 1


def test_a_policy_naming_many_outside_accounts_names_five_in_the_reason_and_all_in_the_details():
    accounts = [f"{400000000000 + i:012d}" for i in range(40)]
    f = finding(bucket_policy(allow({"AWS": accounts}), allow("*")), RULE)
    assert f is not None and f.severity is Severity.CRITICAL
    assert f.reason.index("everyone") < f.reason.index(accounts[0])  # loudest first
    assert "and 36 more" in f.reason and accounts[5] not in f.reason and len(f.reason) < 1500
    assert len(f.details["outside_model"]) == 41


def test_a_policy_naming_one_outside_account_names_it_without_a_tally():
    f = finding(bucket_policy(allow({"AWS": UNDECLARED_ACCOUNT})), RULE)
    assert f is not None and "more (the finding" not in f.reason and UNDECLARED_ACCOUNT in f.reason


# --- a multi-Region key's replica, created with its own policy ----------------------------------------------

REPLICA = "kms-replicate-key.json"


def test_a_replica_key_whose_policy_lets_in_an_outside_account_is_high():
    f = finding(record(REPLICA), RULE)
    assert f is not None and f.severity is Severity.HIGH and "193672423079" in f.reason
    assert f.target_arn == "arn:aws:kms:eu-west-1:630287363158:key/mrk-4c1f3a529d4e4b8aa6c02e5d8f1b3a94"


OWN_KEY_POLICY = json.dumps({"Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*",
                                             "Principal": {"AWS": DECLARED_ACCOUNT}}]})


@pytest.mark.parametrize("policy", [None, OWN_KEY_POLICY])
def test_a_replica_key_with_the_default_or_an_own_account_policy_is_quiet(policy):
    assert finding(record(REPLICA, requestParameters={"policy": policy}), RULE) is None


# --- SNS and SQS AddPermission: a statement for named accounts, without writing a policy ----------------------

@pytest.mark.parametrize("name", ["sqs-add-permission.json", "sns-add-permission.json"])
def test_a_permission_added_for_an_outside_account_is_high(name):
    f = finding(record(name), RULE)
    assert f is not None and f.severity is Severity.HIGH and "193672423079" in f.reason and "AddPermission" in f.reason


@pytest.mark.parametrize(("name", "key"), [("sqs-add-permission.json", "aWSAccountIds"),
                                           ("sns-add-permission.json", "aWSAccountId")])
def test_a_permission_added_for_a_declared_account_is_quiet(name, key):
    assert finding(record(name, requestParameters={key: [DECLARED_ACCOUNT]}), RULE) is None


def test_a_permission_added_for_everyone_is_critical():
    f = finding(record("sqs-add-permission.json", requestParameters={"aWSAccountIds": ["*"]}), RULE)
    assert f is not None and f.severity is Severity.CRITICAL


@pytest.mark.parametrize("accounts", [None, 5, "garbage", [None, {}], {"items": [UNDECLARED_ACCOUNT]}])
def test_hostile_add_permission_shapes_never_crash(accounts):
    finding(record("sqs-add-permission.json", requestParameters={"aWSAccountIds": accounts}), RULE)


def test_replay_never_skips_an_add_permission_for_an_outsider(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    declared = identity_of("role-session-call.json")
    quiet = record("sqs-add-permission.json", userIdentity=declared, requestParameters={
        "aWSAccountIds": [DECLARED_ACCOUNT]})
    loud = record("sqs-add-permission.json", userIdentity=declared)
    with_memo, without = replay_twice([quiet] * 33 + [loud], tmp_path, capsys)
    assert with_memo == without
    assert [json.loads(line)["rule"] for line in with_memo.splitlines()].count(RULE) == 1


def test_replay_never_skips_a_replica_key_policy(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    declared = identity_of("role-session-call.json")
    quiet = record(REPLICA, userIdentity=declared, requestParameters={"policy": OWN_KEY_POLICY})
    with_memo, without = replay_twice([quiet] * 33 + [record(REPLICA, userIdentity=declared)], tmp_path, capsys)
    assert with_memo == without
    assert [json.loads(line)["rule"] for line in with_memo.splitlines()].count(RULE) == 1
