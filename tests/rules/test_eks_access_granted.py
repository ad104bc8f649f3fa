"""eks-access-granted: an IAM principal let into a Kubernetes cluster through EKS access entries
(Stratus Red Team's eks.lateral-movement.create-access-entry)."""

from __future__ import annotations

import json

from chalicelib.findings import Severity

from .conftest import UNDECLARED_ACCOUNT, Replace, finding, identity_of, record, replay_twice

RULE = "eks-access-granted"
ENTRY = "eks-create-access-entry.json"
POLICY = "eks-associate-access-policy.json"
OUTSIDE_ROLE = f"arn:aws:iam::{UNDECLARED_ACCOUNT}:role/ops"


def test_a_leaked_ci_key_creating_an_access_entry_is_high():
    f = finding(record(ENTRY), RULE)
    assert f is not None and f.severity is Severity.HIGH
    assert f.target_arn == "arn:aws:eks:us-east-1:630287363158:cluster/eks-cluster"
    assert "stratus-red-team-eks-create-access-entry-role" in f.reason


def test_the_cluster_admin_policy_is_high_and_the_url_encoded_grantee_is_read():
    f = finding(record(POLICY), RULE)
    assert f is not None and f.severity is Severity.HIGH
    assert f.details["access_policy"] == "AmazonEKSClusterAdminPolicy"
    assert f.details["grantee"] == "arn:aws:iam::630287363158:role/stratus-red-team-eks-create-access-entry-role"


def test_entry_and_policy_for_one_grantee_are_one_story():
    assert finding(record(ENTRY), RULE).group_key == finding(record(POLICY), RULE).group_key


def test_a_view_policy_is_medium():
    rec = record(POLICY, requestParameters={"policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.MEDIUM


def test_a_grantee_in_an_undeclared_account_is_critical_even_for_an_iam_manager():
    rec = record(ENTRY, userIdentity=identity_of("sso-session-call.json"),
                 requestParameters={"principalArn": OUTSIDE_ROLE}, responseElements=None)
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.CRITICAL and UNDECLARED_ACCOUNT in f.reason


def test_an_iam_manager_letting_a_local_role_in_is_low():
    f = finding(record(POLICY, userIdentity=identity_of("sso-session-call.json")), RULE)
    assert f is not None and f.severity is Severity.LOW


def test_a_refused_grant_is_medium():
    f = finding(record(POLICY, errorCode="AccessDeniedException", responseElements=None), RULE)
    assert f is not None and f.severity is Severity.MEDIUM and "attempt" in f.reason


def test_eks_acting_for_itself_is_not_judged():
    assert finding(record(ENTRY, userIdentity={"invokedBy": "eks.amazonaws.com"}), RULE) is None


def test_another_services_call_of_the_same_name_is_not_judged():
    assert finding(record(ENTRY, eventSource="example.amazonaws.com"), RULE) is None


def test_a_record_without_parameters_is_judged_without_crashing():
    f = finding(record(ENTRY, requestParameters=Replace(None), responseElements=Replace("x")), RULE)
    assert f is not None and "?" in f.reason


def test_replay_gives_the_same_output_with_and_without_the_memo(tmp_path, capsys):
    aws = record(ENTRY, userIdentity={"invokedBy": "eks.amazonaws.com"})
    with_memo, without = replay_twice([aws, record(ENTRY), aws, record(POLICY)], tmp_path, capsys)
    assert with_memo == without
    assert [json.loads(line)["rule"] for line in with_memo.splitlines()].count(RULE) == 2


NODE = "eks-create-access-entry-ec2-linux.json"


def test_a_node_roles_entry_is_medium_not_high():
    # An EC2_LINUX entry (Karpenter's, a self-managed node group's) puts the role in system:nodes only: EKS takes no
    # access policy or group for it.
    f = finding(record(NODE), RULE)
    assert f is not None and f.severity is Severity.MEDIUM and "node" in f.reason


def test_a_node_entry_for_a_role_of_an_undeclared_account_is_still_critical():
    rec = record(NODE, requestParameters={"principalArn": OUTSIDE_ROLE},
                 responseElements={"accessEntry": {"principalArn": OUTSIDE_ROLE}})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.CRITICAL


def test_a_standard_entry_named_in_the_request_alone_is_still_high():
    rec = record(ENTRY, requestParameters={"type": "STANDARD"}, responseElements=None)
    assert finding(rec, RULE).severity is Severity.HIGH
