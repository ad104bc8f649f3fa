"""resource-policy-outside beyond bucket, key, secret and repository policies: S3 bucket ACLs (the XML body,
canned ACLs, grant headers), SNS topic, SQS queue, Glacier vault and new KMS key policies, and CloudFormation
applying a template. The ECR record is panther-analysis's public-ECR sample."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.engine import Engine
from chalicelib.findings import Severity
from chalicelib.identity import load_model
from chalicelib.rules.resource_policy_outside import ResourcePolicyOutside
from chalicelib.watch.own import OwnResources

from .conftest import DECLARED_ACCOUNT, DROP, Replace, finding, record, replay_twice, to_event

RULE = "resource-policy-outside"
KEY_POLICY = "kms-put-key-policy.json"
ECR = "ecr-set-repository-policy.json"
QUEUE = "sqs-set-queue-attributes-policy.json"
BUCKET = "acme-customer-exports"


# --- bucket ACLs (PutBucketAcl): the XML body, canned ACLs and grant headers ---------------------------

ACL = "s3-put-bucket-acl.json"
OWNER = "8a7c3f9e2b1d4c6e0f5a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e"


def acl_of(*grants: tuple[dict[str, Any], str]) -> dict[str, Any]:
    body = {"AccessControlList": {"Grant": [{"Grantee": g, "Permission": p} for g, p in grants]},
            "Owner": {"ID": OWNER}}
    return record(ACL, requestParameters={"AccessControlPolicy": Replace(body)})


def test_a_bucket_acl_granting_all_users_read_is_critical():
    f = finding(record(ACL), RULE)
    assert f is not None and f.severity is Severity.CRITICAL and "AllUsers" in f.reason


@pytest.mark.parametrize("canned", ["public-read", "public-read-write", "authenticated-read"])
def test_a_public_canned_acl_is_critical(canned):
    rec = record(ACL, requestParameters=Replace({"bucketName": BUCKET, "acl": [""], "x-amz-acl": [canned]}))
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.CRITICAL


@pytest.mark.parametrize("canned", ["private", "bucket-owner-full-control", "log-delivery-write"])
def test_a_private_canned_acl_is_quiet(canned):
    rec = record(ACL, requestParameters=Replace({"bucketName": BUCKET, "acl": [""], "x-amz-acl": [canned]}))
    assert finding(rec, RULE) is None


def test_a_grant_header_to_all_users_is_critical():
    rec = record(ACL, requestParameters=Replace({
        "bucketName": BUCKET, "x-amz-grant-read": ['uri="http://acs.amazonaws.com/groups/global/AllUsers"']}))
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.CRITICAL


def test_the_owner_and_aws_log_delivery_are_quiet():
    rec = acl_of(({"xsi:type": "CanonicalUser", "ID": OWNER}, "FULL_CONTROL"),
                 ({"xsi:type": "Group", "URI": "http://acs.amazonaws.com/groups/s3/LogDelivery"}, "WRITE"))
    assert finding(rec, RULE) is None


def test_another_canonical_user_is_medium():
    f = finding(acl_of(({"xsi:type": "CanonicalUser", "ID": "f" * 64}, "READ")), RULE)
    assert f is not None and f.severity is Severity.MEDIUM


def test_a_grant_header_naming_a_canonical_id_is_low_as_it_may_be_the_owner():
    rec = record(ACL, requestParameters=Replace({"bucketName": BUCKET, "x-amz-grant-full-control": [f'id="{OWNER}"']}))
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.LOW


def test_authenticated_users_reading_only_the_acl_is_medium():
    f = finding(acl_of(({"xsi:type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"},
                        "READ_ACP")), RULE)
    assert f is not None and f.severity is Severity.MEDIUM


@pytest.mark.parametrize("params", [
    {"AccessControlPolicy": None}, {"AccessControlPolicy": {"AccessControlList": "x"}},
    {"AccessControlPolicy": {"AccessControlList": {"Grant": {"Grantee": None}}}},
    {"AccessControlPolicy": {"AccessControlList": {"Grant": [{"Grantee": {"URI": 5}, "Permission": None}]}}},
    {"x-amz-acl": 5}, {"x-amz-grant-read": [None, "uri", 'id=""']},
])
def test_hostile_acl_shapes_never_crash(params):
    finding(record(ACL, requestParameters=Replace(params)), RULE)


def test_replay_judges_every_bucket_acl_with_and_without_the_memo(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    private = record(ACL, requestParameters=Replace({"bucketName": BUCKET, "acl": [""], "x-amz-acl": ["private"]}))
    public = record(ACL, requestParameters=Replace({"bucketName": BUCKET, "acl": [""], "x-amz-acl": ["public-read"]}))
    header = record(ACL, requestParameters=Replace({
        "bucketName": BUCKET, "acl": [""], "x-amz-grant-read": ['uri="http://acs.amazonaws.com/groups/global/AllUsers"']}))
    with_memo, without = replay_twice([private] * 33 + [public, header], tmp_path, capsys)
    assert with_memo == without
    assert [json.loads(line)["rule"] for line in with_memo.splitlines()].count(RULE) == 2


# --- SNS, SQS, Glacier, a new KMS key; CloudFormation applying a template ------------------------------

TOPIC = "sns-set-topic-attributes-policy.json"


def test_a_topic_policy_letting_in_an_outside_account_is_high_and_its_default_statement_is_not_counted():
    f = finding(record(TOPIC), RULE)
    assert f is not None and f.severity is Severity.HIGH and f.details["outside_model"] == ["193672423079"]


def test_a_topic_attribute_other_than_the_policy_is_not_judged():
    rec = record(TOPIC, requestParameters={"attributeName": "DisplayName", "attributeValue": "orders"})
    assert finding(rec, RULE) is None


def test_a_queue_anyone_may_send_to_is_critical():
    f = finding(record(QUEUE), RULE)
    assert f is not None and f.severity is Severity.CRITICAL


def test_a_queue_open_only_to_a_topic_of_this_account_is_quiet():
    own_topic = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
                                "Action": "sqs:SendMessage", "Condition": {"ArnEquals": {
                                    "aws:SourceArn": f"arn:aws:sns:us-east-1:{DECLARED_ACCOUNT}:order-events"}}}]}
    assert finding(record(QUEUE, requestParameters={"attributes": {"Policy": json.dumps(own_topic)}}), RULE) is None


def test_queue_attributes_without_a_policy_change_nothing():
    rec = record(QUEUE, requestParameters={"attributes": Replace({"VisibilityTimeout": "60"})})
    assert finding(rec, RULE) is None


def test_a_glacier_vault_policy_for_everyone_is_critical():
    policy = json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "glacier:InitiateJob"}]})
    rec = record(QUEUE, eventSource="glacier.amazonaws.com", eventName="SetVaultAccessPolicy",
                 requestParameters=Replace({"accountId": "-", "vaultName": "backups", "policy": {"policy": policy}}))
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.CRITICAL and "backups" in f.reason


def test_a_new_key_whose_policy_lets_in_an_outside_account_is_high():
    rec = record(KEY_POLICY, eventName="CreateKey", requestParameters={"keyId": DROP, "policyName": DROP},
                 responseElements={"keyMetadata": {"arn": f"arn:aws:kms:us-east-1:{DECLARED_ACCOUNT}:key/abc"}})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.HIGH
    assert f.target_arn == f"arn:aws:kms:us-east-1:{DECLARED_ACCOUNT}:key/abc"


def test_a_new_key_with_the_default_policy_is_quiet():
    rec = record(KEY_POLICY, eventName="CreateKey", requestParameters=Replace({"keyUsage": "ENCRYPT_DECRYPT"}))
    assert finding(rec, RULE) is None


def test_cloudformation_applying_a_template_is_the_caller_acting_as_in_panthers_public_ecr_sample():
    f = finding(record(ECR, userIdentity={"invokedBy": "cloudformation.amazonaws.com"}), RULE)
    assert f is not None and f.severity is Severity.CRITICAL


def test_trailwardens_own_topic_is_left_to_monitor_pipeline_tampered():
    from chalicelib.rules.monitor_pipeline_tampered import MonitorPipelineTampered

    own = OwnResources.from_env({"TRAILWARDEN_STAGE": "prod"})
    engine = Engine(load_model(None), rules=[MonitorPipelineTampered(own=own), ResourcePolicyOutside(own=own)])
    ours = f"arn:aws:sns:us-east-1:{DECLARED_ACCOUNT}:trailwarden-prod-alerts"
    (f,) = engine.judge(to_event(record(TOPIC, requestParameters={"topicArn": ours})))
    assert f.rule == "monitor-pipeline-tampered" and f.severity is Severity.CRITICAL
