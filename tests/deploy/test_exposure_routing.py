"""Grants outside the model (snapshot-shared-outside, resource-policy-outside) reach a handler, once: the
always-on ``iam`` family delivers Stratus Red Team's sharing calls and bucket policies and ACLs whole (KMS
PutKeyPolicy comes through ``pipeline``, which already delivers it whole), so the dev stage, which has no
``writes`` family, still sees them and prod's ``writes`` family leaves them out. KMS grants, secret,
repository, topic, queue, vault, new-key and replica-key policies, SNS/SQS AddPermission and EFS, Backup vault, Glue
catalog, OpenSearch domain and S3 access point policies, EventBridge bus and Lambda layer permissions, RAM shares and
S3 replication reach prod through ``writes`` only (chalicelib/event_names.py
says why; tests/deploy/test_patterns.py delivers every case to the prod stage).

Each call is put on moto's default bus as a real-shaped EventBridge envelope, against the rules of the
packaged dev template.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

import app
from chalicelib.rules._grant_calls import GRANT_CALLS
from chalicelib.rules.resource_policy_outside import ResourcePolicyOutside
from chalicelib.rules.snapshot_shared_outside import SnapshotSharedOutside
from chalicelib.writes_pattern import delivered_whole

from .cloudtrail import api_call, envelope, iam_user
from .conftest import Packaged, bus_to_queue, family_rules

REGION = "us-east-1"
OUTSIDE = "193672423079"
# (eventSource, eventName, requestParameters) as CloudTrail records each grant.
CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("ec2.amazonaws.com", "ModifySnapshotAttribute",
     {"snapshotId": "snap-0123", "attributeType": "CREATE_VOLUME_PERMISSION",
      "createVolumePermission": {"add": {"items": [{"userId": OUTSIDE}]}}}),
    ("ec2.amazonaws.com", "ModifyImageAttribute",
     {"imageId": "ami-0123", "attributeType": "launchPermission",
      "launchPermission": {"add": {"items": [{"group": "all"}]}}}),
    ("rds.amazonaws.com", "ModifyDBSnapshotAttribute",
     {"dBSnapshotIdentifier": "orders", "attributeName": "restore", "valuesToAdd": [OUTSIDE]}),
    ("rds.amazonaws.com", "ModifyDBClusterSnapshotAttribute",
     {"dBClusterSnapshotIdentifier": "orders", "attributeName": "restore", "valuesToAdd": ["all"]}),
    ("redshift.amazonaws.com", "AuthorizeSnapshotAccess",
     {"snapshotIdentifier": "analytics-final", "accountWithRestoreAccess": OUTSIDE}),
    ("s3.amazonaws.com", "PutBucketPolicy",
     {"bucketName": "exports", "bucketPolicy": {"Statement": [{"Effect": "Allow", "Principal": "*",
                                                              "Action": "s3:GetObject"}]}}),
    ("s3.amazonaws.com", "PutBucketAcl", {"bucketName": "exports", "x-amz-acl": ["public-read"]}),
    ("kms.amazonaws.com", "CreateGrant", {"keyId": "k", "granteePrincipal": f"arn:aws:iam::{OUTSIDE}:root"}),
    ("kms.amazonaws.com", "PutKeyPolicy", {"keyId": "k", "policyName": "default", "policy": "{}"}),
    ("kms.amazonaws.com", "CreateKey", {"policy": "{}", "keyUsage": "ENCRYPT_DECRYPT"}),
    ("kms.amazonaws.com", "ReplicateKey", {"keyId": "mrk-0123", "replicaRegion": "eu-west-1", "policy": "{}"}),
    ("sns.amazonaws.com", "SetTopicAttributes", {"topicArn": "arn:aws:sns:us-east-1:630287363158:orders",
                                                 "attributeName": "Policy", "attributeValue": "{}"}),
    ("sns.amazonaws.com", "CreateTopic", {"name": "orders", "attributes": {"Policy": "{}"}}),
    ("sqs.amazonaws.com", "SetQueueAttributes", {"queueUrl": "https://sqs.us-east-1.amazonaws.com/630287363158/q",
                                                 "attributes": {"Policy": "{}"}}),
    ("sqs.amazonaws.com", "CreateQueue", {"queueName": "q", "attributes": {"Policy": "{}"}}),
    ("glacier.amazonaws.com", "SetVaultAccessPolicy", {"accountId": "-", "vaultName": "v",
                                                       "policy": {"policy": "{}"}}),
    ("secretsmanager.amazonaws.com", "PutResourcePolicy", {"secretId": "prod/db", "resourcePolicy": "{}"}),
    ("ecr.amazonaws.com", "SetRepositoryPolicy", {"repositoryName": "community", "policyText": "{}"}),
    ("sns.amazonaws.com", "AddPermission", {"topicArn": "arn:aws:sns:us-east-1:630287363158:orders", "label": "x",
                                            "aWSAccountId": [OUTSIDE], "actionName": ["Subscribe"]}),
    ("sqs.amazonaws.com", "AddPermission", {"queueUrl": "https://sqs.us-east-1.amazonaws.com/630287363158/q",
                                            "label": "x", "aWSAccountIds": [OUTSIDE], "actions": ["ReceiveMessage"]}),
    ("elasticfilesystem.amazonaws.com", "PutFileSystemPolicy", {"fileSystemId": "fs-0a1b2c3d4e5f60718",
                                                                "policy": "{}"}),
    ("backup.amazonaws.com", "PutBackupVaultAccessPolicy", {"backupVaultName": "prod-vault", "policy": "{}"}),
    ("glue.amazonaws.com", "PutResourcePolicy", {"policyInJson": "{}"}),
    *(("es.amazonaws.com", name, {"domainName": "customer-search", "accessPolicies": "{}"})
      for name in ("CreateDomain", "UpdateDomainConfig", "CreateElasticsearchDomain",
                   "UpdateElasticsearchDomainConfig")),
    ("s3.amazonaws.com", "PutAccessPointPolicy",
     {"name": "exports-ap", "PutAccessPointPolicyRequest": {"Policy": "{}"}}),
    ("s3.amazonaws.com", "PutAccessPointPolicyForObjectLambda",
     {"name": "exports-olap", "PutAccessPointPolicyForObjectLambdaRequest": {"Policy": "{}"}}),
    ("s3.amazonaws.com", "PutMultiRegionAccessPointPolicy",
     {"PutMultiRegionAccessPointPolicyRequest": {"Details": {"Name": "global", "Policy": "{}"}}}),
    ("events.amazonaws.com", "PutPermission", {"eventBusName": "orders", "action": "events:PutEvents",
                                               "principal": OUTSIDE, "statementId": "x"}),
    *(("lambda.amazonaws.com", name, {"layerName": "shared", "versionNumber": 1, "principal": "*",
                                      "action": "lambda:GetLayerVersion", "statementId": "x"})
      for name in ("AddLayerVersionPermission20181031", "AddLayerVersionPermission")),
    ("ram.amazonaws.com", "CreateResourceShare", {"name": "s", "principals": [OUTSIDE]}),
    ("ram.amazonaws.com", "AssociateResourceShare", {"resourceShareArn": "arn:aws:ram:us-east-1:630287363158:"
                                                     "resource-share/x", "principals": [OUTSIDE]}),
    ("s3.amazonaws.com", "PutBucketReplication", {"bucketName": "b", "ReplicationConfiguration": {
        "Rule": {"Destination": {"Bucket": "arn:aws:s3:::x", "Account": OUTSIDE}}}}),
]


# Through prod's writes family only (each source in the iam family is one more branch of writes).
WRITES_ONLY = {("kms.amazonaws.com", "CreateGrant"), ("secretsmanager.amazonaws.com", "PutResourcePolicy"),
               ("ecr.amazonaws.com", "SetRepositoryPolicy"),
               ("kms.amazonaws.com", "CreateKey"), ("kms.amazonaws.com", "ReplicateKey"),
               ("sns.amazonaws.com", "SetTopicAttributes"),
               ("sns.amazonaws.com", "CreateTopic"), ("sqs.amazonaws.com", "SetQueueAttributes"),
               ("sqs.amazonaws.com", "CreateQueue"), ("glacier.amazonaws.com", "SetVaultAccessPolicy"),
               ("sns.amazonaws.com", "AddPermission"), ("sqs.amazonaws.com", "AddPermission"),
               ("redshift.amazonaws.com", "AuthorizeSnapshotAccess"),
               ("elasticfilesystem.amazonaws.com", "PutFileSystemPolicy"),
               ("backup.amazonaws.com", "PutBackupVaultAccessPolicy"), ("glue.amazonaws.com", "PutResourcePolicy"),
               *(("es.amazonaws.com", name) for name in ("CreateDomain", "UpdateDomainConfig",
                                                         "CreateElasticsearchDomain",
                                                         "UpdateElasticsearchDomainConfig")),
               *(("s3.amazonaws.com", name) for name in ("PutAccessPointPolicy", "PutAccessPointPolicyForObjectLambda",
                                                         "PutMultiRegionAccessPointPolicy")),
               *GRANT_CALLS}
EVERY_STAGE = [case for case in CASES if case[:2] not in WRITES_ONLY]


def _judged() -> set[tuple[str, str]]:
    from chalicelib.rules._policy_calls import PERMISSION_CALLS, POLICY_CALLS
    from chalicelib.rules.snapshot_shared_outside import EC2, EC2_CALLS, RDS, RDS_CALLS, REDSHIFT, REDSHIFT_CALL

    return ({(EC2, n) for n in EC2_CALLS} | {(RDS, n) for n in RDS_CALLS} | set(POLICY_CALLS)
            | set(PERMISSION_CALLS) | set(GRANT_CALLS)
            | {("kms.amazonaws.com", "CreateGrant"), ("s3.amazonaws.com", "PutBucketAcl"), (REDSHIFT, REDSHIFT_CALL)})


def test_every_call_the_rules_judge_is_a_routing_case() -> None:
    assert SnapshotSharedOutside.event_names | ResourcePolicyOutside.event_names == {n for _, n in _judged()}
    assert _judged() == {(source, name) for source, name, _ in CASES}


def test_every_call_is_delivered_whole_by_the_iam_family_or_pipeline() -> None:
    # pipeline pins the detail-type, so writes does not count on it; the branch itself takes the names whole.
    pipeline = {k: v for k, v in app.PATTERNS["pipeline"].items() if k != "detail-type"}
    whole = {(s, n) for pattern in (app.PATTERNS["iam"], pipeline) for s, names in delivered_whole(pattern).items()
             for n in names}
    assert _judged() - WRITES_ONLY <= whole


def test_the_iam_familys_share_calls_are_left_out_of_writes() -> None:
    exposure = {(s, n) for s, names in app.EXPOSURE_WRITES.items() for n in names}
    assert exposure == _judged() - WRITES_ONLY - {("kms.amazonaws.com", "PutKeyPolicy")}
    assert exposure <= {(s, n) for s, names in delivered_whole(app.PATTERNS["iam"]).items() for n in names}


@pytest.fixture(scope="module")
def dev_queue(dev: Packaged) -> Iterator[tuple[Any, Any, str]]:
    with bus_to_queue(family_rules(dev, ("iam", "pipeline")), "tw-dev-exposure", REGION) as bus:
        yield bus


@pytest.mark.parametrize(("source", "name", "request_"), EVERY_STAGE, ids=[c[1] for c in EVERY_STAGE])
def test_every_grant_reaches_a_handler_once_in_the_dev_stage(dev_queue: tuple[Any, Any, str], source: str,
                                                             name: str, request_: dict[str, Any]) -> None:
    events, sqs, url = dev_queue
    env = envelope(api_call(source, name, iam_user("github-actions-aws-deployer"), read_only=False,
                            request=request_))
    entry = {"Source": env["source"], "DetailType": env["detail-type"], "Detail": json.dumps(env["detail"])}
    assert "EventId" in events.put_events(Entries=[entry])["Entries"][0]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    for message in messages:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert [json.loads(m["Body"])["detail"]["eventName"] for m in messages] == [name]
