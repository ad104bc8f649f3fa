"""(eventSource, eventName, requestParameters) of the calls red-team round 3 made the rules read, as
CloudTrail records them; delivered by test_redteam_round3_routing.py and listed in test_patterns.py."""

from __future__ import annotations

from typing import Any

ACCOUNT = "630287363158"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/terraform-deploy"
CLUSTER_ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
# (eventSource, eventName, requestParameters) as CloudTrail records each call.
CASES: list[tuple[str, str, dict[str, Any]]] = [
    # EKS access entries (eks-access-granted)
    ("eks.amazonaws.com", "CreateAccessEntry", {"name": "eks-cluster", "principalArn": ROLE}),
    ("eks.amazonaws.com", "UpdateAccessEntry", {"name": "eks-cluster", "principalArn": ROLE,
                                                "kubernetesGroups": ["ops"]}),
    ("eks.amazonaws.com", "AssociateAccessPolicy", {"name": "eks-cluster", "principalArn": ROLE,
                                                    "policyArn": CLUSTER_ADMIN, "accessScope": {"type": "cluster"}}),
    # A SageMaker notebook's start script (ec2-user-data-modified)
    ("sagemaker.amazonaws.com", "UpdateNotebookInstance", {"notebookInstanceName": "nb",
                                                           "lifecycleConfigName": "priv-esc-config"}),
    ("sagemaker.amazonaws.com", "UpdateNotebookInstanceLifecycleConfig", {
        "notebookInstanceLifecycleConfigName": "c", "onStart": [{"content": "HIDDEN_DUE_TO_SECURITY_REASONS"}]}),
]
