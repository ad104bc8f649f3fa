"""Dead letters: the events the monitor could not handle, read back from the SQS dead-letter queue.

Two things put an event in the stack's queue (``DeadLetterQueue`` in the template), and both
keep the CloudTrail event as the message body, unmodified:

* **EventBridge** could not invoke the handler (throttled, permission removed): the rule's
  dead-letter config sends the event with the attributes ``RULE_ARN``, ``TARGET_ARN``,
  ``ERROR_CODE``, ``ERROR_MESSAGE`` (and ``EXHAUSTED_RETRY_CONDITION``, ``RETRY_ATTEMPTS``);
* **Lambda** ran the handler and it raised on every attempt (a poison event: the store, or
  every alert channel, down): the function's dead-letter queue sends the event with the
  attributes ``RequestID``, ``ErrorCode``, ``ErrorMessage``.

A queue that was wired as a Lambda *on-failure destination* (older stacks) holds invocation
records instead — ``{"requestContext": …, "requestPayload": <event>, "responsePayload": …}`` —
and those are read too. Anything else is reported as unreadable and left in the queue.

``DeadLetterQueue.redrive`` re-judges each event through the monitor (the Lambda handlers'
path: store, then alert) and deletes a message only after its event was handled: stored and,
where an alert was due, alerted. A message whose event still fails stays for the next run.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from chalicelib.errors import InputError

Source = Literal["eventbridge-rule", "lambda-dlq", "lambda-destination", "unreadable"]
Outcome = Literal["listed", "would-redrive", "redriven", "failed", "kept-unreadable"]
_EVENTBRIDGE_ATTRIBUTES = ("RULE_ARN", "TARGET_ARN", "ERROR_CODE", "ERROR_MESSAGE")
_LAMBDA_ATTRIBUTES = ("RequestID", "ErrorCode", "ErrorMessage")
ERROR_TEXT_MAX = 300


def _attribute(message: dict[str, Any], name: str) -> str | None:
    value = (message.get("MessageAttributes") or {}).get(name) or {}
    text = value.get("StringValue")
    return str(text) if text is not None else None


@dataclass(frozen=True)
class DeadLetter:
    """One message of the dead-letter queue, read: where it came from, why, and its event."""

    message_id: str
    receipt_handle: str
    source: Source
    event: dict[str, Any] | None  # the original EventBridge envelope (or CloudTrail record)
    error_code: str | None = None
    error_message: str | None = None
    rule_arn: str | None = None
    target_arn: str | None = None
    receive_count: int = 0
    problem: str | None = None  # why the message could not be read

    @classmethod
    def parse(cls, message: dict[str, Any]) -> DeadLetter:
        """Read any shape; never raises (an unreadable message says why in ``problem``)."""
        ids = {"message_id": str(message.get("MessageId", "")), "receipt_handle": str(message.get("ReceiptHandle", "")),
               "receive_count": int((message.get("Attributes") or {}).get("ApproximateReceiveCount", 0) or 0)}
        try:
            body = json.loads(message.get("Body") or "")
        except ValueError as err:
            return cls(source="unreadable", event=None, problem=f"body is not JSON ({err.msg})", **ids)
        if not isinstance(body, dict):
            return cls(source="unreadable", event=None, problem="body is not a JSON object", **ids)
        if isinstance(body.get("requestContext"), dict) and "requestPayload" in body:
            payload, response = body.get("requestPayload"), body.get("responsePayload")
            error = response if isinstance(response, dict) else {}
            context = body["requestContext"]
            if not isinstance(payload, dict):
                return cls(source="unreadable", event=None, problem="invocation record without its event", **ids)
            return cls(source="lambda-destination", event=payload, error_code=_text(error.get("errorType")),
                       error_message=_text(error.get("errorMessage")), target_arn=_text(context.get("functionArn")),
                       **ids)
        if any(_attribute(message, a) is not None for a in _EVENTBRIDGE_ATTRIBUTES):
            return cls(source="eventbridge-rule", event=body, error_code=_attribute(message, "ERROR_CODE"),
                       error_message=_attribute(message, "ERROR_MESSAGE"), rule_arn=_attribute(message, "RULE_ARN"),
                       target_arn=_attribute(message, "TARGET_ARN"), **ids)
        if any(_attribute(message, a) is not None for a in _LAMBDA_ATTRIBUTES):
            return cls(source="lambda-dlq", event=body, error_code=_attribute(message, "ErrorCode"),
                       error_message=_attribute(message, "ErrorMessage"), **ids)
        if "detail" in body or "eventName" in body:  # an event sent by hand, without attributes
            return cls(source="eventbridge-rule", event=body, **ids)
        return cls(source="unreadable", event=None, problem="neither an event nor an invocation record", **ids)

    def summary(self) -> dict[str, Any]:
        """What may be shown: the event's identity and the error, access key ids masked, no request data."""
        from chalicelib.notify.message import redact

        record = self.event.get("detail") if isinstance(self.event, dict) and "detail" in self.event else self.event
        record = record if isinstance(record, dict) else {}
        identity = record.get("userIdentity") if isinstance(record.get("userIdentity"), dict) else {}
        fields = {
            "message_id": self.message_id, "source": self.source, "event_id": record.get("eventID"),
            "event_name": record.get("eventName"), "event_source": record.get("eventSource"),
            "event_time": record.get("eventTime"), "account": record.get("recipientAccountId"),
            "principal_arn": identity.get("arn"), "access_key_id": identity.get("accessKeyId"),
            "error_code": self.error_code, "error_message": _clip(self.error_message), "rule_arn": self.rule_arn,
            "target_arn": self.target_arn, "receive_count": self.receive_count, "problem": self.problem,
        }
        return {k: redact(v) if isinstance(v, str) else v for k, v in fields.items()}


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _clip(text: str | None) -> str | None:
    if text is None:
        return None
    flat = " ".join(text.split())
    return flat if len(flat) <= ERROR_TEXT_MAX else flat[: ERROR_TEXT_MAX - 1] + "…"


@dataclass(frozen=True)
class Handled:
    """What was done with one dead letter."""

    letter: DeadLetter
    outcome: Outcome
    detail: str | None = None
    findings: tuple[str, ...] = ()  # "rule:status" of each finding the redrive stored

    def row(self) -> dict[str, Any]:
        return {**self.letter.summary(), "outcome": self.outcome, "detail": self.detail,
                "findings": list(self.findings)}


class DeadLetterQueue:
    """The SQS queue, read in batches; a message is hidden while it is handled, then shown again or deleted."""

    NEEDS = "sqs:ReceiveMessage, sqs:ChangeMessageVisibility and sqs:DeleteMessage on the queue"

    def __init__(self, url: str, client: Any = None, visibility_seconds: int = 300) -> None:
        if not url.strip():
            raise InputError("no dead-letter queue: give --queue URL (the stack output DeadLetterQueueUrl) or set "
                             "TRAILWARDEN_DLQ_URL")
        self.url = url.strip()
        self.visibility_seconds = visibility_seconds  # longer than judging a batch of 10: no message read twice
        self.received = 0
        if client is None:
            import boto3

            client = boto3.client("sqs")
        self.client = client

    def _call(self, operation: str, **kwargs: Any) -> Any:
        """One SQS call; an AWS failure becomes one line naming the queue (``awserrors``)."""
        from chalicelib.awserrors import aws_error

        try:
            return getattr(self.client, operation)(QueueUrl=self.url, **kwargs)
        except Exception as err:
            aws = aws_error(err, resource=f"SQS queue {self.url}", needs=self.NEEDS)
            if aws is None:
                raise
            raise aws from None

    def letters(self, limit: int | None = None) -> Iterator[DeadLetter]:
        """Every message once: each batch stays hidden (``visibility_seconds``) until handled or released.

        Long polling (``WaitTimeSeconds``) asks every SQS server, so an empty answer means no
        visible message is left, unlike a short poll's sample.
        """
        while limit is None or self.received < limit:
            batch = self._call(
                "receive_message", MaxNumberOfMessages=min(10, limit - self.received) if limit else 10,
                WaitTimeSeconds=1, VisibilityTimeout=self.visibility_seconds,
                MessageAttributeNames=["All"], AttributeNames=["ApproximateReceiveCount"],
            ).get("Messages", [])
            if not batch:
                return
            for message in batch:
                self.received += 1
                yield DeadLetter.parse(message)

    def release(self, letter: DeadLetter) -> None:
        """Show the message again at once (listed, dry run, or still failing)."""
        self._call("change_message_visibility", ReceiptHandle=letter.receipt_handle, VisibilityTimeout=0)

    def delete(self, letter: DeadLetter) -> None:
        self._call("delete_message", ReceiptHandle=letter.receipt_handle)

    def list(self, limit: int | None = None) -> list[Handled]:
        out = [Handled(letter, "listed") for letter in self.letters(limit)]
        for handled in out:
            self.release(handled.letter)
        return out

    def redrive(self, judge: Callable[[dict[str, Any]], Any], *, dry_run: bool = False,
                limit: int | None = None) -> list[Handled]:
        """Re-judge each event with ``judge`` (``Monitor.process_envelope``); delete only what it handled."""
        out: list[Handled] = []
        held: list[DeadLetter] = []
        for letter in self.letters(limit):
            if letter.event is None:
                out.append(Handled(letter, "kept-unreadable", letter.problem))
                held.append(letter)
            elif dry_run:
                out.append(Handled(letter, "would-redrive"))
                held.append(letter)
            else:
                out.append(self._redrive_one(letter, judge, held))
        for letter in held:  # released at the end, so one run never reads a message twice
            self.release(letter)
        return out

    def _redrive_one(self, letter: DeadLetter, judge: Callable[[dict[str, Any]], Any],
                     held: list[DeadLetter]) -> Handled:
        from chalicelib.errors import TrailwardenError
        from chalicelib.notify.message import redact

        try:
            result = judge(letter.event)  # type: ignore[arg-type]
        except TrailwardenError as err:  # the store or every alert channel still failing: keep it
            held.append(letter)
            return Handled(letter, "failed", _clip(redact(str(err))))
        skipped = getattr(result, "skipped", None)
        if skipped:  # not a CloudTrail event the monitor can judge: dropping it is the operator's call
            held.append(letter)
            return Handled(letter, "failed", _clip(redact(f"the monitor cannot judge it: {skipped}")))
        findings = tuple(f"{h.finding.rule}:{h.outcome.status}" for h in getattr(result, "handled", ()))
        self.delete(letter)  # stored (and alerted where due): only now is it safe to drop
        return Handled(letter, "redriven", None, findings)
