"""ARNs a rule builds name the partition of the event's region (GovCloud, China), never "aws" alone."""

from __future__ import annotations

import pytest

from chalicelib.events import partition_of
from chalicelib.identity.resolve import resolve_actor

from .conftest import DROP, finding, record, to_event


@pytest.mark.parametrize(("region", "partition"), [
    ("us-east-1", "aws"), ("eu-west-1", "aws"), ("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov"),
    ("us-iso-east-1", "aws-iso"), ("us-isob-east-1", "aws-iso-b"), (None, "aws"), ("", "aws"),
])
def test_a_region_belongs_to_its_partition(region, partition):
    assert partition_of(region) == partition


def test_a_user_deleted_in_govcloud_is_named_with_the_govcloud_partition():
    f = finding(record("delete-user.json", awsRegion="us-gov-west-1"), "iam-delete-user")
    assert f is not None and f.target_arn is not None and f.target_arn.startswith("arn:aws-us-gov:iam::")


def test_a_user_deleted_in_a_commercial_region_keeps_the_aws_partition():
    f = finding(record("delete-user.json"), "iam-delete-user")
    assert f is not None and f.target_arn is not None and f.target_arn.startswith("arn:aws:iam::")


def test_root_without_an_arn_in_govcloud_is_named_in_the_govcloud_partition():
    doc = record("root-cli-call.json", awsRegion="us-gov-west-1", userIdentity={"arn": DROP})
    f = finding(doc, "root-api-use")
    assert f is not None and f.principal_arn == "arn:aws-us-gov:iam::630287363158:root"


def test_a_session_without_its_issuer_arn_names_its_role_in_the_sessions_partition(bundled_model):
    doc = record("get-parameter.json", awsRegion="us-gov-west-1", userIdentity={
        "arn": "arn:aws-us-gov:sts::630287363158:assumed-role/paperclip-agent/paperclip-worker-7",
        "sessionContext": {"sessionIssuer": {"arn": DROP}}})
    actor = resolve_actor(to_event(doc), bundled_model)
    assert actor.role_arn == "arn:aws-us-gov:iam::630287363158:role/paperclip-agent"


def test_a_commercial_session_without_its_issuer_arn_keeps_the_aws_partition(bundled_model):
    doc = record("get-parameter.json", userIdentity={"sessionContext": {"sessionIssuer": {"arn": DROP}}})
    actor = resolve_actor(to_event(doc), bundled_model)
    assert actor.role_arn is not None and actor.role_arn.startswith("arn:aws:iam::")
