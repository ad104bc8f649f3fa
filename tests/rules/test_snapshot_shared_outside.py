"""snapshot-shared-outside: an EBS snapshot, AMI or RDS snapshot shared with an account the model does
not declare (high) or everyone (critical); shares with declared accounts, removals and AWS services
acting stay quiet. Records: Stratus Red Team's detonation logs of ec2-share-ebs-snapshot, ec2-share-ami
and rds-share-snapshot, moved into the bundled model's account."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.findings import Severity

from .conftest import DECLARED_ACCOUNT, DROP, RECORDS, UNDECLARED_ACCOUNT, Replace, finding, record, replay_twice

RULE = "snapshot-shared-outside"
SNAPSHOT = "ec2-modify-snapshot-attribute.json"
IMAGE = "ec2-modify-image-attribute.json"
RDS = "rds-modify-db-snapshot-attribute.json"


def _ec2(name: str, attribute: str, change: object) -> dict:
    return record(name, requestParameters={attribute: Replace(change)})


@pytest.mark.parametrize("name", [SNAPSHOT, IMAGE, RDS])
def test_sharing_with_an_account_outside_the_model_is_high(name):
    f = finding(record(name), RULE)
    assert f is not None and f.severity is Severity.HIGH
    assert "193672423079" in f.reason and f.details["shared_with"] == ["193672423079"]


def test_the_finding_names_the_snapshot_and_its_arn():
    f = finding(record(SNAPSHOT), RULE)
    assert f is not None and "snap-041993b54a9b3af6f" in f.reason
    assert f.target_arn == "arn:aws:ec2:us-east-1::snapshot/snap-041993b54a9b3af6f"


def test_making_a_snapshot_public_is_critical():
    f = finding(_ec2(SNAPSHOT, "createVolumePermission", {"add": {"items": [{"group": "all"}]}}), RULE)
    assert f is not None and f.severity is Severity.CRITICAL and f.details["public"] is True


def test_making_an_ami_public_is_critical_in_the_groovy_samples_console_shape():
    f = finding(_ec2(IMAGE, "launchPermission", {"add": {"items": [{"group": "all"}]}}), RULE)
    assert f is not None and f.severity is Severity.CRITICAL


def test_an_rds_snapshot_restorable_by_all_is_critical():
    f = finding(record(RDS, requestParameters={"valuesToAdd": ["all"]}), RULE)
    assert f is not None and f.severity is Severity.CRITICAL


def test_a_cluster_snapshot_shared_outside_is_high():
    rec = record(RDS, eventName="ModifyDBClusterSnapshotAttribute", requestParameters=Replace({
        "attributeName": "restore", "dBClusterSnapshotIdentifier": "orders-final",
        "valuesToAdd": [UNDECLARED_ACCOUNT]}))
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.HIGH and "orders-final" in f.reason


@pytest.mark.parametrize("name", [SNAPSHOT, IMAGE])
def test_sharing_with_a_declared_account_is_quiet(name):
    attribute = "createVolumePermission" if name == SNAPSHOT else "launchPermission"
    assert finding(_ec2(name, attribute, {"add": {"items": [{"userId": DECLARED_ACCOUNT}]}}), RULE) is None


def test_an_rds_share_with_a_declared_account_is_quiet():
    assert finding(record(RDS, requestParameters={"valuesToAdd": [DECLARED_ACCOUNT]}), RULE) is None


def test_removing_a_permission_is_quiet():
    rec = _ec2(SNAPSHOT, "createVolumePermission", {"remove": {"items": [{"userId": "193672423079"}]}})
    assert finding(rec, RULE) is None


def test_an_rds_removal_is_quiet():
    rec = record(RDS, requestParameters=Replace({"attributeName": "restore", "dBSnapshotIdentifier": "x",
                                                 "valuesToRemove": ["all"]}))
    assert finding(rec, RULE) is None


def test_a_share_an_aws_service_made_for_the_caller_is_quiet():
    rec = record(SNAPSHOT, userIdentity={"invokedBy": "backup.amazonaws.com"})
    assert finding(rec, RULE) is None


def test_cloudformation_applying_a_template_that_shares_is_the_caller_acting():
    f = finding(record(RDS, userIdentity={"invokedBy": "cloudformation.amazonaws.com"}), RULE)
    assert f is not None and f.severity is Severity.HIGH


def test_a_refused_share_is_at_most_medium():
    rec = record(SNAPSHOT, errorCode="Client.OperationNotPermitted", responseElements=None,
                 errorMessage="block public access for snapshots is enabled",
                 requestParameters={"createVolumePermission": Replace({"add": {"items": [{"group": "all"}]}})})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.MEDIUM and "attempt" in f.reason


def test_an_ami_shared_with_an_organization_managed_from_a_declared_account_is_quiet():
    org = f"arn:aws:organizations::{DECLARED_ACCOUNT}:organization/o-a1b2c3d4e5"
    assert finding(_ec2(IMAGE, "launchPermission", {"add": {"items": [{"organizationArn": org}]}}), RULE) is None


def test_an_ami_shared_with_another_organization_is_high():
    ou = f"arn:aws:organizations::{UNDECLARED_ACCOUNT}:ou/o-z9y8x7w6v5/ou-ab12-cd34ef56"
    f = finding(_ec2(IMAGE, "launchPermission", {"add": {"items": [{"organizationalUnitArn": ou}]}}), RULE)
    assert f is not None and f.severity is Severity.HIGH and UNDECLARED_ACCOUNT in f.reason


def test_the_flat_cli_form_with_operation_type_add_is_read_too():
    rec = record(SNAPSHOT, requestParameters=Replace({
        "snapshotId": "snap-1", "attributeType": "CREATE_VOLUME_PERMISSION", "operationType": "add",
        "userIds": {"items": [{"userId": "all"}]}}))
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.CRITICAL


def test_the_stratus_docs_groups_spelling_still_counts_as_public():
    f = finding(_ec2(IMAGE, "launchPermission", {"add": {"items": [{"groups": "all"}]}}), RULE)
    assert f is not None and f.severity is Severity.CRITICAL


def test_a_group_other_than_all_grants_no_one_as_in_panthers_negative_sample():
    assert finding(_ec2(SNAPSHOT, "createVolumePermission", {"add": {"items": [{"group": "none"}]}}), RULE) is None


def test_an_image_description_change_is_not_a_share():
    rec = record(IMAGE, requestParameters=Replace({"imageId": "ami-1", "attributeType": "description",
                                                   "description": {"value": "golden image"}}))
    assert finding(rec, RULE) is None


def test_an_rds_attribute_other_than_restore_is_not_a_share():
    assert finding(record(RDS, requestParameters={"attributeName": "other"}), RULE) is None


def test_the_same_name_from_another_service_is_not_judged():
    assert finding(record(SNAPSHOT, eventSource="lightsail.amazonaws.com"), RULE) is None


@pytest.mark.parametrize("params", [
    None, "garbage", [], {"createVolumePermission": None}, {"createVolumePermission": {"add": None}},
    {"createVolumePermission": {"add": {"items": "all"}}}, {"createVolumePermission": {"add": {"items": [None, 7]}}},
    {"createVolumePermission": {"add": [{"userId": None}]}}, {"operationType": ["add"], "userIds": 3},
])
def test_hostile_ec2_shapes_never_crash(params):
    finding(record(SNAPSHOT, requestParameters=Replace(params)), RULE)  # judge() fails the test if a rule raised


@pytest.mark.parametrize("params", [None, {"attributeName": None}, {"attributeName": 5, "valuesToAdd": "all"},
                                    {"attributeName": "restore", "valuesToAdd": {"a": 1}},
                                    {"attributeName": "restore", "valuesToAdd": [None, 123456789012]}])
def test_hostile_rds_shapes_never_crash(params):
    finding(record(RDS, requestParameters=Replace(params)), RULE)


def test_a_bare_all_string_as_the_items_is_still_public():
    f = finding(_ec2(SNAPSHOT, "createVolumePermission", {"add": {"items": "all"}}), RULE)
    assert f is not None and f.severity is Severity.CRITICAL


def test_a_record_without_user_identity_is_judged_without_a_crash():
    finding(record(SNAPSHOT, userIdentity=DROP), RULE)


def test_replay_gives_the_same_output_with_and_without_the_memo(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    shared = [json.loads((RECORDS / n).read_text()) for n in (SNAPSHOT, IMAGE, RDS)]
    inside = record(SNAPSHOT, requestParameters={"createVolumePermission": Replace(
        {"add": {"items": [{"userId": DECLARED_ACCOUNT}]}})})
    removed = record(RDS, requestParameters=Replace({"attributeName": "restore", "dBSnapshotIdentifier": "x",
                                                     "valuesToRemove": ["all"]}))
    added_after_removal = record(RDS, requestParameters=Replace({"attributeName": "restore",
                                                                 "dBSnapshotIdentifier": "x", "valuesToAdd": ["all"]}))
    other_attribute = record(RDS, requestParameters={"attributeName": "other"})
    # The memo learns between batches of 32 lines: the quiet ones first, then their look-alikes that add.
    trail = [inside, removed, other_attribute] * 11 + [*shared, inside, removed, added_after_removal, other_attribute]
    with_memo, without = replay_twice(trail, tmp_path, capsys)
    assert with_memo == without
    rules = [json.loads(line)["rule"] for line in with_memo.splitlines()]
    assert rules.count(RULE) == 4


# --- Redshift: AuthorizeSnapshotAccess, one account per call ---------------------------------------------------

REDSHIFT = "redshift-authorize-snapshot-access.json"


def test_a_redshift_snapshot_shared_with_an_outside_account_is_high():
    f = finding(record(REDSHIFT), RULE)
    assert f is not None and f.severity is Severity.HIGH and "analytics-final" in f.reason
    assert f.target_arn == f"arn:aws:redshift:us-east-1:{DECLARED_ACCOUNT}:snapshot:analytics/analytics-final"


@pytest.mark.parametrize("account", [DECLARED_ACCOUNT, "amazon-redshift-support"])
def test_a_redshift_snapshot_shared_with_a_declared_account_or_aws_support_is_quiet(account):
    assert finding(record(REDSHIFT, requestParameters={"accountWithRestoreAccess": account}), RULE) is None


@pytest.mark.parametrize("account", [None, 5, [UNDECLARED_ACCOUNT], {"a": 1}])
def test_hostile_redshift_shapes_never_crash(account):
    finding(record(REDSHIFT, requestParameters={"accountWithRestoreAccess": account}), RULE)
