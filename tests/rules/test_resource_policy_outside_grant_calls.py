"""resource-policy-outside on calls that let another account in without a policy document of their own: an
EventBridge bus permission, a Lambda layer permission, a RAM resource share, S3 replication. The RAM record is
AWS's own example's shape (the RAM User Guide); the S3 body is spelt as S3 records XML elements."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.findings import Severity

from .conftest import DECLARED_ACCOUNT, DROP, Replace, finding, identity_of, record, replay_twice

RULE = "resource-policy-outside"
BUS = "events-put-permission-outside-account.json"
LAYER = "lambda-add-layer-version-permission.json"
SHARE = "ram-create-resource-share.json"
REPLICATION = "s3-put-bucket-replication-outside-account.json"
OUTSIDER = "193672423079"


def test_an_outside_account_allowed_to_put_events_on_a_bus_is_high():
    f = finding(record(BUS), RULE)
    assert f is not None and f.severity is Severity.HIGH
    assert f.details["outside_model"] == [OUTSIDER] and f.details["resource"] == "orders"


def test_a_declared_account_allowed_on_a_bus_is_quiet():
    assert finding(record(BUS, requestParameters={"principal": DECLARED_ACCOUNT}), RULE) is None


def test_everyone_in_an_organization_the_caller_names_on_a_bus_is_medium():
    rec = record(BUS, requestParameters={"principal": "*", "condition": {
        "type": "StringEquals", "key": "aws:PrincipalOrgID", "value": "o-a1b2c3d4e5"}})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.MEDIUM


def test_a_bus_policy_written_whole_is_read_like_any_policy():
    policy = json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "events:PutEvents",
                                        "Resource": "*"}]})
    rec = record(BUS, requestParameters=Replace({"eventBusName": "orders", "policy": policy}))
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.CRITICAL


def test_a_layer_shared_with_everyone_is_critical():
    f = finding(record(LAYER), RULE)
    assert f is not None and f.severity is Severity.CRITICAL and "shared-crypto" in f.reason


def test_a_layer_shared_with_an_organization_the_caller_names_is_medium():
    f = finding(record(LAYER, requestParameters={"organizationId": "o-a1b2c3d4e5"}), RULE)
    assert f is not None and f.severity is Severity.MEDIUM


def test_a_layer_shared_with_a_declared_account_is_quiet():
    assert finding(record(LAYER, requestParameters={"principal": DECLARED_ACCOUNT}), RULE) is None


def test_a_resource_share_with_an_outside_account_is_high():
    f = finding(record(SHARE), RULE)
    assert f is not None and f.severity is Severity.HIGH
    assert f.details["resource_arns"] and f.details["outside_model"] == [OUTSIDER]


def test_a_share_allowing_no_external_principals_reaches_only_the_organization_so_is_low():
    rec = record(SHARE, requestParameters={"allowExternalPrincipals": False},
                 responseElements={"resourceShare": {"allowExternalPrincipals": False}})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.LOW


def test_associating_a_share_with_a_declared_account_or_a_service_is_quiet():
    rec = record(SHARE, eventName="AssociateResourceShare", requestParameters=Replace({
        "resourceShareArn": "arn:aws:ram:us-east-1:630287363158:resource-share/3b5d7f9a",
        "principals": [DECLARED_ACCOUNT, "ec2.amazonaws.com"]}), responseElements=None)
    assert finding(rec, RULE) is None


def test_associating_a_share_with_an_outside_organization_is_high():
    rec = record(SHARE, eventName="AssociateResourceShare", requestParameters=Replace({
        "resourceShareArn": "arn:aws:ram:us-east-1:630287363158:resource-share/3b5d7f9a",
        "principals": [f"arn:aws:organizations::{OUTSIDER}:organization/o-zz9y8x7w6v"]}), responseElements=None)
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.HIGH


def test_replication_to_a_bucket_of_an_outside_account_is_high():
    f = finding(record(REPLICATION), RULE)
    assert f is not None and f.severity is Severity.HIGH and "replicate" in f.reason
    assert f.target_arn == "arn:aws:s3:::acme-customer-exports"


def test_replication_to_a_declared_account_is_quiet():
    rec = record(REPLICATION, requestParameters={"ReplicationConfiguration": {"Rule": {"Destination": {
        "Account": DECLARED_ACCOUNT}}}})
    assert finding(rec, RULE) is None


def test_replication_naming_no_destination_account_is_low_as_the_bucket_may_be_ours():
    rec = record(REPLICATION, requestParameters={"ReplicationConfiguration": {"Rule": {"Destination": {
        "Account": DROP, "AccessControlTranslation": DROP}}}})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.LOW and "partner-archive-7731" in f.reason


def test_replication_rules_spelt_lower_case_and_listed_are_read_and_disabled_ones_skipped():
    rec = record(REPLICATION, requestParameters=Replace({"bucketName": "b", "ReplicationConfiguration": {"rules": [
        {"status": "Disabled", "destination": {"bucket": "arn:aws:s3:::x", "account": "402918375610"}},
        {"status": "Enabled", "destination": {"bucket": "arn:aws:s3:::y", "account": OUTSIDER}}]}}))
    f = finding(rec, RULE)
    assert f is not None and f.details["outside_model"] == [OUTSIDER]


def test_replication_relayed_by_an_aws_service_is_not_judged():
    assert finding(record(REPLICATION, userIdentity={"invokedBy": "backup.amazonaws.com"}), RULE) is None


@pytest.mark.parametrize("fixture", [BUS, LAYER, SHARE, REPLICATION])
@pytest.mark.parametrize("params", [{}, {"principal": 7, "principals": "x", "condition": [1]},
                                    {"ReplicationConfiguration": {"Rule": [None, {"Destination": 3}]}},
                                    {"policy": "not json", "principals": [None, {"a": 1}]}])
def test_hostile_shapes_never_crash(fixture, params):
    finding(record(fixture, requestParameters=Replace(params), responseElements={"resourceShare": "x"}), RULE)


QUIET = {BUS: {"principal": DECLARED_ACCOUNT}, LAYER: {"principal": DECLARED_ACCOUNT},
         SHARE: {"principals": [DECLARED_ACCOUNT]},
         REPLICATION: {"ReplicationConfiguration": {"Rule": {"Destination": {"Account": DECLARED_ACCOUNT}}}}}


@pytest.mark.parametrize("fixture", list(QUIET))
def test_replay_judges_every_grant_call_with_and_without_the_memo(
        fixture: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    """The grantees sit in lists and objects no memo key holds: a quiet call by a declared role must not make
    replay skip an outsider's after it."""
    declared = identity_of("role-session-call.json")
    quiet = record(fixture, userIdentity=declared, requestParameters=QUIET[fixture])
    with_memo, without = replay_twice([quiet] * 33 + [record(fixture, userIdentity=declared)], tmp_path, capsys)
    assert with_memo == without
    assert [json.loads(line)["rule"] for line in with_memo.splitlines()].count(RULE) == 1


def test_trailwardens_own_central_bus_is_left_to_monitor_pipeline_tampered():
    from chalicelib.engine import Engine
    from chalicelib.identity import load_model
    from chalicelib.rules.monitor_pipeline_tampered import MonitorPipelineTampered
    from chalicelib.rules.resource_policy_outside import ResourcePolicyOutside
    from chalicelib.watch.own import OwnResources

    from .conftest import to_event

    own = OwnResources.from_env({"TRAILWARDEN_STAGE": "prod", "TRAILWARDEN_EVENT_BUS": "trailwarden-org"})
    engine = Engine(load_model(None), rules=[MonitorPipelineTampered(own=own), ResourcePolicyOutside(own=own)])
    found = engine.judge(to_event(record(BUS, requestParameters={"eventBusName": "trailwarden-org"})))
    assert [f.rule for f in found] == ["monitor-pipeline-tampered"]


SLR_SHARE = "ram-create-resource-share-service-linked-role.json"


def test_a_share_made_by_a_services_linked_role_is_the_services_own():
    assert finding(record(SLR_SHARE), RULE) is None


def test_a_role_merely_named_like_a_service_linked_role_shares_as_itself():
    rec = record(SLR_SHARE, userIdentity={"sessionContext": {"sessionIssuer": {
        "arn": "arn:aws:iam::630287363158:role/AWSServiceRoleForFMS"}}})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.HIGH


def test_a_share_from_a_service_managed_stacksets_role_is_the_templates_author_sharing():
    role = "arn:aws:iam::630287363158:role/aws-service-role/member.org.stacksets.cloudformation.amazonaws.com/" \
           "AWSServiceRoleForCloudFormationStackSetsOrgMember"
    rec = record(SLR_SHARE, userIdentity={"sessionContext": {"sessionIssuer": {"arn": role}}})
    assert finding(rec, RULE) is not None
