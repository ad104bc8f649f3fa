"""A typed, read-only view of one CloudTrail record, whatever shape it arrived in.

CloudTrail records come bare, inside an EventBridge envelope (``detail``) or inside an S3
log file (``{"Records": [...]}``). Real records lack fields, carry odd types and scrubbed
values, so every accessor here is defensive: a wrong type reads as "absent", never raises.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson

from chalicelib.errors import InputError

READ_PREFIXES = ("Get", "List", "Describe", "Head", "Lookup", "Check", "Search", "BatchGet")
T = TypeVar("T")


def frozen_builder(cls: type[T]) -> Callable[..., Any] | None:
    """A fast constructor for a frozen, slotted dataclass: use as ``o = B(...); o.__class__ = cls``.

    A frozen dataclass sets each field with ``object.__setattr__``, which costs about 20 times a
    plain slot store; on the per-event path (an event, its actor, the rule context, each finding)
    that was a third of the judging time. The builder is the same dataclass, unfrozen, with the
    same slots in the same order, so an instance can take on ``cls`` as its class: the result is
    an ordinary ``cls`` instance with the same field values, frozen from then on. If ``cls`` is
    not a plain slotted dataclass (no ``slots=True``, a ``__post_init__``, an ``InitVar``) there
    is no builder (None) and callers use ``cls(...)``.
    """
    if not (dataclasses.is_dataclass(cls) and "__slots__" in cls.__dict__) or hasattr(cls, "__post_init__"):
        return None
    fields = dataclasses.fields(cls)
    if len(fields) != len(cls.__dataclass_fields__) or not all(f.init for f in fields):  # type: ignore[attr-defined]
        return None  # InitVar or init=False fields: the builder would not match the real __init__
    specs: list[Any] = []
    for f in fields:
        if f.default is not dataclasses.MISSING:
            specs.append((f.name, f.type, dataclasses.field(default=f.default)))
        elif f.default_factory is not dataclasses.MISSING:
            specs.append((f.name, f.type, dataclasses.field(default_factory=f.default_factory)))
        else:
            specs.append((f.name, f.type))
    builder = dataclasses.make_dataclass(f"_{cls.__name__}Builder", specs, slots=True, repr=False, eq=False,
                                         match_args=False)
    try:
        probe = builder.__new__(builder)
        probe.__class__ = cls
    except TypeError:  # layouts differ (e.g. a __weakref__ slot): no fast path
        return None
    return builder


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
            if isinstance(record, BadHistoryRecord):
                raise InputError(str(record))
            raise InputError(f"expected a JSON object for a CloudTrail record, got {json_kind(record)}")
        # The hot path of every replay: each field is read inline, a non-empty str taken as is
        # and anything else handed to as_str/as_dict/as_bool, so the result is exactly theirs.
        get = record.get
        v = get("eventName")
        name = v if v.__class__ is str and v else as_str(v)
        v = get("eventSource")
        source = v if v.__class__ is str and v else as_str(v)
        if name is None and source is None:
            raise InputError("not a CloudTrail record: no eventName or eventSource")
        v = get("userIdentity")
        ui = v if v.__class__ is dict else as_dict(v)
        name = name or "?"
        v = get("readOnly")
        read_only = v if v.__class__ is bool else as_bool(v)
        if read_only is None:
            read_only = name.startswith(READ_PREFIXES)
        v = get("awsRegion")
        region = v if v.__class__ is str and v else as_str(v)
        if region is None or region == "global":
            region = envelope_region or region
        v = get("recipientAccountId")
        account = v if v.__class__ is str and v else as_str(v)
        if not account:
            account = as_str(ui.get("accountId")) or envelope_account
        v = get("eventID")
        event_id = v if v.__class__ is str and v else as_str(v)
        v = get("eventTime")
        event_time = v if v.__class__ is str and v else as_str(v)
        v = get("eventType")
        event_type = v if v.__class__ is str and v else as_str(v)
        v = get("sourceIPAddress")
        source_ip = v if v.__class__ is str and v else as_str(v)
        v = get("userAgent")
        user_agent = v if v.__class__ is str and v else as_str(v)
        v = get("errorCode")
        error_code = None if v is None else v if v.__class__ is str and v else as_str(v)
        v = get("errorMessage")
        error_message = None if v is None else v if v.__class__ is str and v else as_str(v)
        v = get("requestParameters")
        request_parameters = v if v.__class__ is dict else {} if v is None else as_dict(v)
        v = get("responseElements")
        response_elements = v if v.__class__ is dict else {} if v is None else as_dict(v)
        v = get("additionalEventData")
        additional_event_data = v if v.__class__ is dict else {} if v is None else as_dict(v)
        args = (record, event_id, name, source or "?", event_time, event_type, region, account, source_ip,
                user_agent, error_code, error_message, read_only, ui, request_parameters, response_elements,
                additional_event_data, envelope_id, detail_type)
        if _EventBuilder is None or cls is not CloudTrailEvent:
            return cls(*args)
        event = _EventBuilder(*args)
        event.__class__ = CloudTrailEvent
        return event  # type: ignore[return-value]

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

    @property
    def partition(self) -> str:
        """The ARN partition of the event's region (``awsRegion``, set by AWS), so an ARN a rule
        builds for GovCloud or China names the partition its resource lives in."""
        return partition_of(self.region)

    def param(self, name: str) -> str | None:
        return as_str(self.request_parameters.get(name))

    def to_envelope(self) -> dict[str, Any]:
        """The EventBridge envelope this record would arrive in (used by ``simulate``)."""
        from chalicelib.eventbridge import envelope_for

        return envelope_for(self.raw)


_EventBuilder = frozen_builder(CloudTrailEvent)

# Region prefix → ARN partition (AWS's partitions.json); every other region is in "aws".
_PARTITIONS = (("cn-", "aws-cn"), ("us-gov-", "aws-us-gov"), ("us-isob-", "aws-iso-b"), ("us-isof-", "aws-iso-f"),
               ("eu-isoe-", "aws-iso-e"), ("us-iso-", "aws-iso"))


def partition_of(region: str | None) -> str:
    """The ARN partition a region belongs to ("aws" when unknown)."""
    if region:
        for prefix, partition in _PARTITIONS:
            if region.startswith(prefix):
                return partition
    return "aws"


def is_envelope(doc: dict[str, Any]) -> bool:
    return "detail" in doc and ("detail-type" in doc or "source" in doc)


def records_in(doc: Any) -> Iterator[tuple[str, Any, dict[str, Any]]]:
    """Split one parsed JSON document into (sub-location, record, envelope metadata).

    Accepts a bare record, an EventBridge envelope, a ``{"Records": [...]}`` log file, a saved
    event-history or CloudWatch Logs answer (``WRAPPERS``) or one of its entries, or a JSON
    array of any of those. Shapes it does not know are yielded as ``(loc, doc, {})`` so that
    ``from_record`` reports them with their location rather than dropping them.
    """
    if isinstance(doc, list):
        # One level only: an array of records/envelopes/log files. A list inside it is not a
        # record (reported as such), so a hostile nesting depth cannot exhaust the stack.
        for i, item in enumerate(doc):
            if isinstance(item, list):
                yield f"[{i}]", item, {}
                continue
            for loc, rec, meta in records_in(item):
                yield f"[{i}]{loc}", rec, meta
        return
    if isinstance(doc, dict):
        if is_history(doc):
            listed = next((w for w in WRAPPER_LISTS if w in doc), None)
            if listed is None:  # one entry (`jq -c '.Events[]'`)
                yield from records_in_entry(doc)
                return
            entries = doc[listed]
            if not isinstance(entries, list):
                yield f".{listed}", entries, {}
                return
            for i, entry in enumerate(entries):
                yield from ((f".{listed}[{i}]{loc}", rec, meta) for loc, rec, meta in records_in_entry(entry))
            return
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


# Records saved inside another service's answer, each as a JSON string: (the answer's list, the
# entry's string, a key only such an entry has). Responders save these when there is no trail
# bucket to read: event history (`aws cloudtrail lookup-events`: ``{"Events": [{"EventId": ...,
# "CloudTrailEvent": "<record>"}]}``) and a trail's CloudWatch Logs group (`aws logs
# filter-log-events` / `get-log-events`: ``{"events": [{"timestamp": ..., "message": "<record>"}]}``).
WRAPPERS: tuple[tuple[str, str, str], ...] = (("Events", "CloudTrailEvent", "EventId"),
                                              ("events", "message", "ingestionTime"))
WRAPPER_LISTS = frozenset(w[0] for w in WRAPPERS)
_WRAPPER_KEYS = frozenset(k for w in WRAPPERS for k in w)


def is_history(doc: dict[str, Any]) -> bool:
    """A saved answer (``WRAPPERS``) or one of its entries, not a record (which has none of their keys)."""
    return not _WRAPPER_KEYS.isdisjoint(doc) and not ("eventName" in doc or "eventSource" in doc or "Records" in doc)


def records_in_entry(entry: Any) -> Iterator[tuple[str, Any, dict[str, Any]]]:
    """The record of one saved entry (its string, parsed); anything else as it is, for
    ``from_record`` to say what is wrong with it."""
    field = next((f for _, f, marker in WRAPPERS if f in entry or marker in entry), None) \
        if isinstance(entry, dict) and is_history(entry) else None
    if field is None:
        yield "", entry, {}
        return
    text = entry.get(field)
    if not isinstance(text, str):
        got = "none" if text is None else json_kind(text)
        yield "", BadHistoryRecord(f"a saved entry without its {field} string (got {got})"), {}
        return
    try:
        yield f".{field}", orjson.loads(text), {}
    except orjson.JSONDecodeError as err:
        yield f".{field}", BadHistoryRecord(f"{field} is not JSON ({err})"), {}


def json_kind(value: Any) -> str:
    """A parsed JSON value's kind in JSON's words: a Python type name (NoneType, dict) means nothing
    to whoever wrote the file."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    for kinds, words in (((int, float), "a number"), (str, "a string"), ((list, tuple), "an array"),
                         (dict, "an object")):
        if isinstance(value, kinds):
            return words
    return type(value).__name__


class BadHistoryRecord(str):
    """A ``CloudTrailEvent`` string that does not parse: ``from_record`` reports its message."""


def locate(location: str, sub: str, meta: dict[str, Any]) -> str | None:
    """Where a record was: its document's location, the path inside it, and its envelope's id."""
    where = f"{location}{sub}" if (location or sub) else None
    if meta.get("envelope_id"):
        where = f"{where} (envelope id {meta['envelope_id']})"
    return where


def events_in(doc: Any, location: str = "") -> Iterator[CloudTrailEvent | InputError]:
    """Every event in a document; a bad record becomes an InputError naming where it was."""
    for sub, record, meta in records_in(doc):
        try:
            yield CloudTrailEvent.from_record(record, **meta)
        except InputError as err:
            yield InputError(err.message, locate(location, sub, meta))


DIGEST_KEYS = ("digestStartTime", "digestEndTime")


def not_an_event(record: Any) -> str | None:
    """``"digest"`` or ``"insight"`` for what CloudTrail writes beside its events, else None.

    A trail's bucket also holds digest files (hashes of the log files, for integrity checks)
    and, with Insights on, Insights events (``eventType: AwsCloudTrailInsight``, with no
    ``eventName`` of their own). Neither is an API call to judge, nor bad input.
    """
    if record.__class__ is not dict:
        return None
    if record.get("eventType") == "AwsCloudTrailInsight" or "insightDetails" in record:
        return "insight"
    if all(k in record for k in DIGEST_KEYS):
        return "digest"
    return None
