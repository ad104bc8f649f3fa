"""How CloudTrail records are wrapped by EventBridge (source and detail-type per record)."""

from __future__ import annotations

import uuid
from typing import Any

from chalicelib.events import as_dict, as_str

SIGNIN_DETAIL_TYPE = "AWS Console Sign In via CloudTrail"
API_DETAIL_TYPE = "AWS API Call via CloudTrail"
SERVICE_DETAIL_TYPE = "AWS Service Event via CloudTrail"


def source_for(event_source: str | None) -> str:
    """``iam.amazonaws.com`` → ``aws.iam`` (the EventBridge ``source`` of a CloudTrail event)."""
    if not event_source:
        return "aws.unknown"
    return "aws." + event_source.split(".amazonaws.com")[0].split(".")[0]


def detail_type_for(record: dict[str, Any]) -> str:
    event_type = as_str(record.get("eventType")) or ""
    if as_str(record.get("eventSource")) == "signin.amazonaws.com" or event_type.lower() == "awsconsolesignin":
        return SIGNIN_DETAIL_TYPE
    if event_type == "AwsServiceEvent":
        return SERVICE_DETAIL_TYPE
    return API_DETAIL_TYPE


def envelope_for(record: dict[str, Any], *, region: str | None = None) -> dict[str, Any]:
    """Wrap a bare record the way EventBridge delivers it (a fresh envelope id each time)."""
    ui = as_dict(record.get("userIdentity"))
    rec_region = as_str(record.get("awsRegion"))
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type_for(record),
        "source": source_for(as_str(record.get("eventSource"))),
        "account": as_str(record.get("recipientAccountId")) or as_str(ui.get("accountId")) or "000000000000",
        "time": as_str(record.get("eventTime")) or "1970-01-01T00:00:00Z",
        "region": region or (rec_region if rec_region not in (None, "global") else "us-east-1"),
        "resources": [],
        "detail": record,
    }
