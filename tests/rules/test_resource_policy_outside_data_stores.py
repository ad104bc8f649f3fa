"""resource-policy-outside on the data stores beside buckets and keys: EFS file system, Backup vault, Glue Data
Catalog, OpenSearch domain and S3 access point policies (the request members as the APIs name them, first
letter lower-cased as CloudTrail records JSON requests; S3 Control's XML body under its request element)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.findings import Severity

from .conftest import DECLARED_ACCOUNT, Replace, finding, identity_of, record, replay_twice

RULE = "resource-policy-outside"
EFS = "efs-put-file-system-policy.json"
DOMAIN = "opensearch-update-domain-config-access-policy.json"
VAULT = "backup-put-backup-vault-access-policy.json"
ACCESS_POINT = "s3-put-access-point-policy.json"
OUTSIDER = "193672423079"


def policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(principal: object, **extra: object) -> dict:
    return {"Effect": "Allow", "Principal": principal, "Action": "*", "Resource": "*", **extra}


def test_an_efs_policy_letting_an_outside_account_mount_is_high():
    f = finding(record(EFS), RULE)
    assert f is not None and f.severity is Severity.HIGH
    assert f.details["outside_model"] == [OUTSIDER] and f.details["resource_kind"] == "EFS file system"


def test_the_efs_consoles_mount_target_policy_for_everyone_is_quiet():
    """Principal "*" through a mount target is what no policy already allows (clients in the account's VPCs)."""
    doc = policy(allow({"AWS": "*"}, Condition={"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}}),
                 {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "*", "Resource": "*",
                  "Condition": {"Bool": {"aws:SecureTransport": "false"}}})
    assert finding(record(EFS, requestParameters={"policy": doc}), RULE) is None


def test_a_backup_vault_letting_an_outside_account_copy_recovery_points_out_is_high():
    f = finding(record(VAULT), RULE)
    assert f is not None and f.severity is Severity.HIGH and "prod-vault" in f.reason


def test_a_backup_vault_open_to_a_declared_account_only_is_quiet():
    doc = policy(allow({"AWS": f"arn:aws:iam::{DECLARED_ACCOUNT}:root"}))
    assert finding(record(VAULT, requestParameters={"policy": doc}), RULE) is None


def test_a_glue_catalog_policy_for_everyone_is_critical():
    rec = record(VAULT, eventSource="glue.amazonaws.com", eventName="PutResourcePolicy",
                 requestParameters=Replace({"policyInJson": policy(allow("*")), "enableHybrid": "TRUE"}))
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.CRITICAL and f.details["resource_kind"] == "Glue Data Catalog"


def test_a_glue_catalog_policy_for_an_organization_the_caller_names_is_medium():
    doc = policy(allow("*", Condition={"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}))
    rec = record(VAULT, eventSource="glue.amazonaws.com", eventName="PutResourcePolicy",
                 requestParameters=Replace({"policyInJson": doc}))
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.MEDIUM


def test_an_opensearch_domain_open_to_anyone_on_an_update_is_high_as_its_endpoint_may_be_public():
    f = finding(record(DOMAIN), RULE)
    assert f is not None and f.severity is Severity.HIGH and "endpoint" in f.reason


def test_an_opensearch_domain_created_without_a_vpc_and_open_to_anyone_is_critical_as_its_endpoint_is_public():
    f = finding(record(DOMAIN, eventName="CreateDomain"), RULE)
    assert f is not None and f.severity is Severity.CRITICAL


def test_an_opensearch_domain_created_in_a_vpc_with_principal_star_is_quiet():
    rec = record(DOMAIN, eventName="CreateDomain", requestParameters={
        "vPCOptions": {"subnetIds": ["subnet-0f1e2d3c4b5a69788"], "securityGroupIds": ["sg-0a1b2c3d4e5f60718"]}})
    assert finding(rec, RULE) is None


def test_an_opensearch_domain_letting_in_an_outside_account_is_high_even_in_a_vpc():
    doc = policy(allow({"AWS": f"arn:aws:iam::{OUTSIDER}:role/reader"}))
    rec = record(DOMAIN, eventName="CreateDomain", requestParameters={
        "accessPolicies": doc, "vPCOptions": {"subnetIds": ["subnet-0f1e2d3c4b5a69788"]}})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.HIGH and f.details["outside_model"] == [OUTSIDER]


def test_an_opensearch_update_without_an_access_policy_changes_no_access():
    rec = record(DOMAIN, requestParameters=Replace({"domainName": "customer-search",
                                                    "clusterConfig": {"instanceCount": 3}}))
    assert finding(rec, RULE) is None


def test_an_s3_access_point_policy_letting_in_an_outside_account_is_high():
    f = finding(record(ACCESS_POINT), RULE)
    assert f is not None and f.severity is Severity.HIGH and f.details["resource"] == "exports-ap"


def test_an_s3_access_point_policy_recorded_flat_is_read_too():
    rec = record(ACCESS_POINT, requestParameters=Replace({"name": "exports-ap", "policy": policy(allow("*"))}))
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.CRITICAL


def test_an_s3_access_point_policy_for_a_declared_account_is_quiet():
    doc = policy(allow({"AWS": f"arn:aws:iam::{DECLARED_ACCOUNT}:role/ops-automation"}))
    rec = record(ACCESS_POINT, requestParameters={"PutAccessPointPolicyRequest": {"Policy": doc}})
    assert finding(rec, RULE) is None


def test_a_multi_region_access_point_policy_for_everyone_is_critical():
    rec = record(ACCESS_POINT, eventName="PutMultiRegionAccessPointPolicy", requestParameters=Replace({
        "PutMultiRegionAccessPointPolicyRequest": {"Details": {"Name": "global-exports",
                                                               "Policy": policy(allow("*"))}}}))
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.CRITICAL and f.details["resource"] == "global-exports"


@pytest.mark.parametrize("params", [{}, {"policy": None}, {"policy": 7}, {"policy": "not json"},
                                    {"fileSystemId": ["fs-1"], "policy": {"Statement": "x"}}])
def test_hostile_efs_shapes_never_crash(params):
    finding(record(EFS, requestParameters=Replace(params)), RULE)


QUIET = {EFS: {"policy": policy(allow({"AWS": DECLARED_ACCOUNT}))},
         VAULT: {"policy": policy(allow({"AWS": DECLARED_ACCOUNT}))},
         DOMAIN: {"accessPolicies": policy(allow({"AWS": DECLARED_ACCOUNT}))},
         ACCESS_POINT: {"PutAccessPointPolicyRequest": {"Policy": policy(allow({"AWS": DECLARED_ACCOUNT}))}}}


@pytest.mark.parametrize("fixture", list(QUIET))
def test_replay_judges_every_data_store_policy_with_and_without_the_memo(
        fixture: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    """The policies sit under no memo key: a quiet one by a declared role must not make replay skip an
    outsider's after it (past the first batch of 32 lines, where the memo starts to skip)."""
    declared = identity_of("role-session-call.json")
    quiet = record(fixture, userIdentity=declared, requestParameters=QUIET[fixture])
    with_memo, without = replay_twice([quiet] * 33 + [record(fixture, userIdentity=declared)], tmp_path, capsys)
    assert with_memo == without
    assert [json.loads(line)["rule"] for line in with_memo.splitlines()].count(RULE) == 1
