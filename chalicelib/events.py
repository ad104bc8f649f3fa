"""A typed, read-only view of one CloudTrail record, whatever shape it arrived in.

CloudTrail records come bare, inside an EventBridge envelope (``detail``) or inside an S3
log file (``{"Records": [...]}``). Real records lack fields, carry odd types and scrubbed
values, so every accessor here is defensive: a wrong type reads as "absent", never raises.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from chalicelib.errors import InputError

READ_PREFIXES = ("Get", "List", "Describe", "Head", "Lookup", "Check", "Search", "BatchGet")


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_str(value: Any) -> str | None:
    """A non-empty string, or None (numbers are accepted: scrubbed ids are sometimes ints)."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


@dataclass(frozen=True, slots=True)
class CloudTrailEvent:
    """Fields read once from a record; ``raw`` keeps the record for rules that need more."""

    raw: dict[str, Any]
    event_id: str | None
    event_name: str
    event_source: str
    event_time: str | None
    event_type: str | None
    region: str | None
    account: str | None
    source_ip: str | None
    user_agent: str | None
    error_code: str | None
    error_message: str | None
    read_only: bool
    user_identity: dict[str, Any]
    request_parameters: dict[str, Any]
    response_elements: dict[str, Any]
    additional_event_data: dict[str, Any]
    envelope_id: str | None = None
    detail_type: str | None = None

    @classmethod
    def from_record(
        cls,
        record: Any,
        *,
        envelope_id: str | None = None,
        detail_type: str | None = None,
        envelope_account: str | None = None,
        envelope_region: str | None = None,
    ) -> CloudTrailEvent:
        """Build the view, or raise InputError when the record is not a CloudTrail record."""
        if not isinstance(record, dict):
            raise InputError(f"expected a JSON object for a CloudTrail record, got {type(record).__name__}")
        name = as_str(record.get("eventName"))
        source = as_str(record.get("eventSource"))
        if name is None and source is None:
            raise InputError("not a CloudTrail record: no eventName or eventSource")
        ui = as_dict(record.get("userIdentity"))
        name = name or "?"
        read_only = as_bool(record.get("readOnly"))
        if read_only is None:
            read_only = name.startswith(READ_PREFIXES)
        region = as_str(record.get("awsRegion"))
        if region in (None, "global"):
            region = envelope_region or region
        return cls(
            raw=record,
            event_id=as_str(record.get("eventID")),
            event_name=name,
            event_source=source or "?",
            event_time=as_str(record.get("eventTime")),
            event_type=as_str(record.get("eventType")),
            region=region,
            account=as_str(record.get("recipientAccountId")) or as_str(ui.get("accountId")) or envelope_account,
            source_ip=as_str(record.get("sourceIPAddress")),
            user_agent=as_str(record.get("userAgent")),
            error_code=as_str(record.get("errorCode")),
            error_message=as_str(record.get("errorMessage")),
            read_only=read_only,
            user_identity=ui,
            request_parameters=as_dict(record.get("requestParameters")),
            response_elements=as_dict(record.get("responseElements")),
            additional_event_data=as_dict(record.get("additionalEventData")),
            envelope_id=envelope_id,
            detail_type=detail_type,
        )

    @property
    def identity_type(self) -> str | None:
        return as_str(self.user_identity.get("type"))

    @property
    def invoked_by(self) -> str | None:
        return as_str(self.user_identity.get("invokedBy"))

    @property
    def failed(self) -> bool:
        """An error code, or a sign-in whose response says Failure (sign-ins have no errorCode)."""
        if self.error_code:
            return True
        outcome = as_str(self.response_elements.get(self.event_name))
        return outcome is not None and outcome.lower() == "failure"

    @property
    def is_service_event(self) -> bool:
        return self.event_type == "AwsServiceEvent"

    def param(self, name: str) -> str | None:
        return as_str(self.request_parameters.get(name))

    def to_envelope(self) -> dict[str, Any]:
        """The EventBridge envelope this record would arrive in (used by ``simulate``)."""
        from chalicelib.eventbridge import envelope_for

        return envelope_for(self.raw)


def is_envelope(doc: dict[str, Any]) -> bool:
    return "detail" in doc and ("detail-type" in doc or "source" in doc)


def records_in(doc: Any) -> Iterator[tuple[str, Any, dict[str, Any]]]:
    """Split one parsed JSON document into (sub-location, record, envelope metadata).

    Accepts a bare record, an EventBridge envelope, a ``{"Records": [...]}`` log file or a
    JSON array of any of those. Shapes it does not know are yielded as ``(loc, doc, {})``
    so that ``from_record`` reports them with their location rather than dropping them.
    """
    if isinstance(doc, list):
        for i, item in enumerate(doc):
            for loc, rec, meta in records_in(item):
                yield f"[{i}]{loc}", rec, meta
        return
    if isinstance(doc, dict):
        records = doc.get("Records")
        if "Records" in doc and not ("eventName" in doc or "eventSource" in doc):
            if not isinstance(records, list):
                yield ".Records", records, {}
                return
            for i, rec in enumerate(records):
                yield f".Records[{i}]", rec, {}
            return
        if is_envelope(doc):
            meta = {
                "envelope_id": as_str(doc.get("id")),
                "detail_type": as_str(doc.get("detail-type")),
                "envelope_account": as_str(doc.get("account")),
                "envelope_region": as_str(doc.get("region")),
            }
            yield ".detail", doc.get("detail"), meta
            return
    yield "", doc, {}


def events_in(doc: Any, location: str = "") -> Iterator[CloudTrailEvent | InputError]:
    """Every event in a document; a bad record becomes an InputError naming where it was."""
    for sub, record, meta in records_in(doc):
        try:
            yield CloudTrailEvent.from_record(record, **meta)
        except InputError as err:
            where = f"{location}{sub}" if (location or sub) else None
            if meta.get("envelope_id"):
                where = f"{where} (envelope id {meta['envelope_id']})"
            yield InputError(err.message, where)
