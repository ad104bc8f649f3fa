"""ARNs a rule builds name the partition of the event's region (GovCloud, China), never "aws" alone."""

from __future__ import annotations

import pytest

from chalicelib.events import partition_of

from .conftest import finding, record


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
