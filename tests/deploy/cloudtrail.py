"""Real-shaped CloudTrail records and EventBridge envelopes for the pattern tests.

Written for this project (not copied from the shared samples), following the field set of
current CloudTrail records (eventVersion 1.09/1.10): the pattern tests only prove something
if the events look like what AWS delivers, including nulls where AWS sends nulls.
The cases built from them, with the families each must reach, are ``routing_cases.py``.
"""

from __future__ import annotations

import uuid
from typing import Any

ACCOUNT = "630287363158"
API_CALL = "AWS API Call via CloudTrail"
SIGNIN = "AWS Console Sign In via CloudTrail"
SIGNIN_ALT = "AWS Console Sign-In via CloudTrail"  # the other spelling found in AWS material
TLS = {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": None}


def root() -> dict[str, Any]:
    return {"type": "Root", "principalId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:root",
            "accountId": ACCOUNT, "accessKeyId": "ASIAZ4EXAMPLEROOT001"}


def root_console() -> dict[str, Any]:
    return {**root(), "sessionContext": {"attributes": {"creationDate": "2026-11-20T09:58:11Z",
                                                        "mfaAuthenticated": "false"}}}


def iam_user(name: str, key: str = "AKIAZ4EXAMPLEKEY0001") -> dict[str, Any]:
    return {"type": "IAMUser", "principalId": "AIDAZ4EXAMPLEUSER0001", "arn": f"arn:aws:iam::{ACCOUNT}:user/{name}",
            "accountId": ACCOUNT, "accessKeyId": key, "userName": name}


def assumed_role(role: str, session: str) -> dict[str, Any]:
    return {
        "type": "AssumedRole", "principalId": f"AROAZ4EXAMPLEROLE001:{session}",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}", "accountId": ACCOUNT,
        "accessKeyId": "ASIAZ4EXAMPLESESS001",
        "sessionContext": {
            "sessionIssuer": {"type": "Role", "principalId": "AROAZ4EXAMPLEROLE001",
                              "arn": f"arn:aws:iam::{ACCOUNT}:role/{role}", "accountId": ACCOUNT, "userName": role},
            "attributes": {"creationDate": "2026-11-20T09:00:00Z", "mfaAuthenticated": "false"},
        },
    }


def sso_user(user: str) -> dict[str, Any]:
    return assumed_role("AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b", user)


def reserved_sso_user(user: str) -> dict[str, Any]:
    """An Identity Center session as AWS records it: its role under the reserved IAM path."""
    identity = sso_user(user)
    issuer = identity["sessionContext"]["sessionIssuer"]
    issuer["arn"] = f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/us-west-2/{issuer['userName']}"
    return identity


def api_call(event_source: str, event_name: str, identity: dict[str, Any], *, read_only: bool | None,
             request: dict[str, Any] | None = None, response: dict[str, Any] | None = None,
             error: tuple[str, str] | None = None, region: str = "us-east-1", **extra: Any) -> dict[str, Any]:
    """One management API call record; ``read_only=None`` leaves the field out (old records)."""
    record: dict[str, Any] = {
        "eventVersion": "1.10",
        "userIdentity": identity,
        "eventTime": "2026-11-20T10:01:02Z",
        "eventSource": event_source,
        "eventName": event_name,
        "awsRegion": region,
        "sourceIPAddress": "203.0.113.24",
        "userAgent": "aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.0 os/linux#6.8.0 md/arch#x86_64 lang/python#3.12.6",
        "requestParameters": request,
        "responseElements": response,
        "requestID": str(uuid.uuid4()),
        "eventID": str(uuid.uuid4()),
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
        "tlsDetails": {**TLS, "clientProvidedHostHeader": event_source},
    }
    if read_only is not None:
        record["readOnly"] = read_only
    if error:
        record["errorCode"], record["errorMessage"] = error
    record.update(extra)
    return record


def console_login(identity: dict[str, Any], *, success: bool, mfa: bool = False) -> dict[str, Any]:
    """A ConsoleLogin record; failures carry no errorCode, only errorMessage (DESIGN §8)."""
    record = api_call("signin.amazonaws.com", "ConsoleLogin", identity, read_only=False,
                      response={"ConsoleLogin": "Success" if success else "Failure"},
                      userAgent="Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
                      eventType="AwsConsoleSignIn",
                      additionalEventData={"LoginTo": "https://console.aws.amazon.com/console/home",
                                           "MobileVersion": "No", "MFAUsed": "Yes" if mfa else "No"})
    record["tlsDetails"]["clientProvidedHostHeader"] = "signin.aws.amazon.com"
    record["userIdentity"] = {k: v for k, v in identity.items() if k != "sessionContext"}
    if not success:
        record["errorMessage"] = "Failed authentication"
    return record


def hidden_user_login_failure() -> dict[str, Any]:
    """A failed sign-in with a user name AWS does not know: no arn, name hidden."""
    identity = {"type": "IAMUser", "principalId": "", "accountId": ACCOUNT, "accessKeyId": "",
                "userName": "HIDDEN_DUE_TO_SECURITY_REASONS"}
    return console_login(identity, success=False)


def source_of(record: dict[str, Any]) -> str:
    return "aws." + str(record["eventSource"]).split(".")[0]


def detail_type_of(record: dict[str, Any]) -> str:
    return SIGNIN if record.get("eventType") == "AwsConsoleSignIn" else API_CALL


def envelope(record: dict[str, Any], *, detail_type: str | None = None, source: str | None = None) -> dict[str, Any]:
    """The EventBridge envelope AWS wraps a CloudTrail record in."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type or detail_type_of(record),
        "source": source or source_of(record),
        "account": ACCOUNT,
        "time": record["eventTime"],
        "region": record["awsRegion"],
        "resources": [],
        "detail": record,
    }
