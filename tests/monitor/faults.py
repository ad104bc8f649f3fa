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

import socket
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


@contextmanager
def broken_slack(mode: str, status: int = 500, headers: dict[str, str] | None = None,
                 hold: float = 5.0) -> Iterator[tuple[str, list[int]]]:
    """A local webhook that fails every request: ``status`` (that HTTP answer, with ``headers``),
    ``reset`` (the connection reset after the request is read) or ``hang`` (no answer for ``hold`` s).
    Yields the URL and the list of connections taken."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.05)
    taken: list[int] = []
    stop = threading.Event()
    head = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    answer = f"HTTP/1.1 {status} Failed\r\n{head}Content-Length: 5\r\nConnection: close\r\n\r\nerror".encode()

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            taken.append(1)
            conn.recv(65536)
            if mode == "reset":
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            elif mode == "hang":
                stop.wait(hold)
            else:
                conn.sendall(answer)
            conn.close()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/services/T0/B0/SeCrEt", taken
    finally:
        stop.set()
        thread.join(timeout=10)
        listener.close()
