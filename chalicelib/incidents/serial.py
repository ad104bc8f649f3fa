"""One DynamoDB call at a time per process, for the incident log and its state.

A Lambda container runs one invocation at a time, so this lock is never contended there and
costs nothing. It matters to a process that runs several writers on threads (``simulate``, a
load test, the concurrency benchmark) against an emulator that is not safe under concurrent
calls: moto applies a ``TransactWriteItems`` item by item and rolls a failed one back by
restoring a deep copy of the whole table (so a write that lands meanwhile is silently undone),
and while other requests run that copy can fail with HTTP 500 ("dictionary changed size during
iteration"). With writes
alone serialised, 8 writers × 150 events on a moto server still ended with one event stored
twice and one group count off; with every call serialised, none (``bench/concurrency.py``).
Writers still race for the chain head between their calls: a decision taken on a stale read
fails its conditional write and is retried (``chain_conflicts`` counts them).
"""

from __future__ import annotations

import threading
from typing import Any

# Not calls to the service (a paginator's pages are calls of its own, made outside the lock).
UNSERIALISED = frozenset({"get_paginator", "get_waiter", "can_paginate", "close"})
# Re-entrant: a write may run another write on the same thread (an injected fault playing a
# second writer inside the first one's call); only writers on other threads wait.
_LOCK = threading.RLock()


class SerialWrites:
    """A boto3 DynamoDB client whose calls from this process go one at a time."""

    def __init__(self, client: Any) -> None:
        self.wrapped = client

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.wrapped, name)
        if not callable(attr) or name in UNSERIALISED:
            return attr

        def serial(*args: Any, **kwargs: Any) -> Any:
            with _LOCK:
                return attr(*args, **kwargs)

        return serial


def serial_writes(client: Any) -> Any:
    """``client`` with serialised writes (None stays None; an already wrapped client is kept)."""
    if client is None or isinstance(client, SerialWrites):
        return client
    return SerialWrites(client)


__all__: list[str] = ["SerialWrites", "serial_writes"]
