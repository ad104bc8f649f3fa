"""One DynamoDB write at a time per process, for the incident log and its state.

A Lambda container runs one invocation at a time, so this lock is never contended there and
costs nothing. It matters to a process that runs several writers on threads (``simulate``, a
load test, the concurrency benchmark) against an emulator whose transactions are not isolated:
moto applies a ``TransactWriteItems`` item by item and rolls a failed one back by restoring a
copy of the whole table, so a write that lands meanwhile — another writer's transaction, an
alert claim — is silently undone, and two overlapping transactions can both pass their
conditions. Real DynamoDB isolates transactions; with writes serialised here, the emulator
behaves the same way. Reads are not serialised: the chain's conditional writes already make
a decision taken on a stale read fail and retry.
"""

from __future__ import annotations

import threading
from typing import Any

WRITES = frozenset({"put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item"})
# Re-entrant: a write may run another write on the same thread (an injected fault playing a
# second writer inside the first one's call); only writers on other threads wait.
_LOCK = threading.RLock()


class SerialWrites:
    """A boto3 DynamoDB client whose write calls from this process go one at a time."""

    def __init__(self, client: Any) -> None:
        self.wrapped = client

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.wrapped, name)
        if name not in WRITES:
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


__all__: list[str] = ["WRITES", "SerialWrites", "serial_writes"]
