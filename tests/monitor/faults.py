"""Faults injected at the seams the monitor already has: its store's boto3 client, its SNS
publisher's client, its Slack sender. Nothing of ours is patched.

``FaultyClient`` wraps a real (moto) boto3 client and, per operation, runs a script of faults
before, instead of, or after the real call: a ``ClientError`` with any code (as botocore
raises it once its own retries are spent), the client's own ``TransactionCanceledException``
with cancellation reasons, a hook that lets a concurrent writer act first, or a read timeout
raised after the write went through. ``ProcessKilled`` is what a Lambda timeout or an
out-of-memory kill looks like to the code that was running: nothing after it runs, not even
``except Exception`` clean-up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError, ReadTimeoutError

from chalicelib.errors import DeliveryError


class ProcessKilled(BaseException):
    """The runtime killed the process: escapes every ``except Exception``."""


def client_error(code: str, operation: str, message: str = "injected fault", status: int = 400) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, operation)


@dataclass
class Fault:
    """One scripted fault: ``before`` runs first (may raise), then the real call unless ``skip``,
    then ``after`` (may raise, e.g. a timeout once the write landed)."""

    before: Callable[[], None] | None = None
    skip: bool = False
    after: Callable[[], None] | None = None


def fail_with(error: BaseException) -> Fault:
    def raise_it() -> None:
        raise error
    return Fault(before=raise_it, skip=True)


def timeout_after_success() -> Fault:
    def raise_it() -> None:
        raise ReadTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com/")
    return Fault(after=raise_it)


@dataclass
class FaultyClient:
    """A boto3 client whose listed operations take their faults in turn, then behave."""

    real: Any
    script: dict[str, list[Fault]] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)

    def add(self, operation: str, *faults: Fault) -> FaultyClient:
        self.script.setdefault(operation, []).extend(faults)
        return self

    def canceled(self, *reasons: str | None) -> BaseException:
        """The client's own TransactionCanceledException, with one reason per transaction item."""
        response = {"Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
                    "CancellationReasons": [{"Code": r or "None"} for r in reasons]}
        return self.real.exceptions.TransactionCanceledException(response, "TransactWriteItems")

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.real, name)
        if not callable(attr) or name.startswith("_") or name in ("exceptions", "meta", "get_paginator"):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] = self.calls.get(name, 0) + 1
            queue = self.script.get(name)
            fault = queue.pop(0) if queue else Fault()
            if fault.before:
                fault.before()
            result = None if fault.skip else attr(*args, **kwargs)
            if fault.after:
                fault.after()
            return result

        return call


@dataclass
class CountingSlack:
    """A Slack sender that delivers, fails for its first ``fail_first`` sends (``error`` each time),
    and counts what it delivered."""

    fail_first: int = 0
    error: Callable[[], BaseException] = lambda: DeliveryError("Slack webhook answered HTTP 500: internal_error")
    delivered: list[dict[str, Any]] = field(default_factory=list)
    attempts: int = 0

    def send(self, payload: dict[str, Any]) -> None:
        self.attempts += 1
        if self.attempts <= self.fail_first:
            raise self.error()
        self.delivered.append(payload)
