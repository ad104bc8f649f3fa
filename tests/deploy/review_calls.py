"""(eventSource, eventName, requestParameters) of the calls the review round made the rules read, as CloudTrail
records them; delivered by test_review_routing.py and listed in test_patterns.py's delivery table (names another
service already holds there, Glue's CreateSession and SageMaker's CreateDomain, are delivered here)."""

from __future__ import annotations

from typing import Any

ROLE = "arn:aws:iam::630287363158:role/terraform-deploy"
CASES: list[tuple[str, str, dict[str, Any]]] = [
    # Roles handed over (iam-role-passed): a Glue interactive session, SageMaker Studio's execution roles
    ("glue.amazonaws.com", "CreateSession", {"id": "s", "role": ROLE, "command": {"name": "glueetl"}}),
    ("sagemaker.amazonaws.com", "CreateDomain", {"domainName": "ml", "authMode": "IAM",
                                                 "defaultUserSettings": {"executionRole": ROLE}}),
    ("sagemaker.amazonaws.com", "UpdateDomain", {"domainId": "d-1", "defaultUserSettings": {"executionRole": ROLE}}),
    ("sagemaker.amazonaws.com", "CreateUserProfile", {"domainId": "d-1", "userProfileName": "u",
                                                      "userSettings": {"executionRole": ROLE}}),
    ("sagemaker.amazonaws.com", "UpdateUserProfile", {"domainId": "d-1", "userProfileName": "u",
                                                      "userSettings": {"executionRole": ROLE}}),
    # A Control Tower control disabled on an OU (organization-guardrail-removed)
    ("controltower.amazonaws.com", "DisableControl", {
        "controlIdentifier": "arn:aws:controltower:us-east-1::control/AWS-GR_CLOUDTRAIL_CHANGE_PROHIBITED",
        "targetIdentifier": "arn:aws:organizations::630287363158:ou/o-7k2m9q4x1z/ou-ab12-cd34ef56"}),
]
