"""The calls the coverage round's detections read, as CloudTrail records them: (eventSource, eventName,
readOnly, requestParameters, caller). Listed in test_patterns.py's delivery table and delivered, from the
real-shaped fixtures, by test_coverage_routing.py."""

from __future__ import annotations

from typing import Any

ACCOUNT = "630287363158"
ANCHOR = f"arn:aws:rolesanywhere:us-east-1:{ACCOUNT}:trust-anchor/3f1e2d4c-5b6a-4798-8a9b-0c1d2e3f4a5b"
PROFILE_ID = "7a1c2e3d-4b5f-4a6b-9c8d-0e1f2a3b4c5d"
CERTIFICATE = {"type": "AWSService", "invokedBy": "rolesanywhere.amazonaws.com"}
PORTAL_USER = {"type": "IdentityCenterUser", "accountId": ACCOUNT,
               "onBehalfOf": {"userId": "9067642ac7-4b1c2d3e-5f60-4718-9a2b-3c4d5e6f7081",
                              "identityStoreArn": f"arn:aws:identitystore::{ACCOUNT}:identitystore/d-9067642ac7"}}
AGENT = {"type": "AssumedRole", "principalId": "AROAZ7TW0PAPERCLIP001:paperclip-7f3a",
         "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/paperclip-agent/paperclip-7f3a", "accountId": ACCOUNT,
         "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAZ7TW0PAPERCLIP001",
                                              "arn": f"arn:aws:iam::{ACCOUNT}:role/paperclip-agent",
                                              "accountId": ACCOUNT, "userName": "paperclip-agent"}}}
# Roles Anywhere's changes (federation-provider-changed) beyond the iam family's three: writes, in prod.
ROLES_ANYWHERE_CHANGES: list[tuple[str, dict[str, Any]]] = [
    ("UpdateProfile", {"profileId": PROFILE_ID, "roleArns": [f"arn:aws:iam::{ACCOUNT}:role/admin"]}),
    ("EnableProfile", {"profileId": PROFILE_ID}),
    ("EnableTrustAnchor", {"trustAnchorId": ANCHOR.rsplit("/", 1)[1]}),
    ("PutAttributeMapping", {"profileId": PROFILE_ID, "certificateField": "x509Subject",
                             "mappingRules": [{"specifier": "CN"}]}),
    ("UpdateCrl", {"crlId": "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f", "crlData": "HIDDEN_DUE_TO_SECURITY_REASONS"}),
    ("DisableCrl", {"crlId": "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"}),
    ("DeleteCrl", {"crlId": "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"}),
]
CASES: list[tuple[str, str, bool | None, dict[str, Any], dict[str, Any]]] = [
    ("rolesanywhere.amazonaws.com", "CreateSession", True,
     {"roleArn": f"arn:aws:iam::{ACCOUNT}:role/admin", "trustAnchorArn": ANCHOR}, CERTIFICATE),
    ("sso.amazonaws.com", "GetRoleCredentials", True, {}, PORTAL_USER),
    ("signin.amazonaws.com", "GetSigninToken", None, {}, AGENT),
    *[("rolesanywhere.amazonaws.com", name, False, request, AGENT) for name, request in ROLES_ANYWHERE_CHANGES],
]
