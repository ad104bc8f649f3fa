"""``serial_writes``: a process's DynamoDB calls go one at a time (reads too); re-entry is allowed."""

from __future__ import annotations

import threading
import time
from typing import Any

from chalicelib.incidents.serial import SerialWrites, serial_writes


class SlowClient:
    """Records how many calls of each kind were in flight at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.inflight = {"write": 0, "read": 0}
        self.most = {"write": 0, "read": 0}

    def _call(self, kind: str) -> str:
        with self.lock:
            self.inflight[kind] += 1
            self.most[kind] = max(self.most[kind], self.inflight[kind])
        time.sleep(0.02)
        with self.lock:
            self.inflight[kind] -= 1
        return kind

    def transact_write_items(self, **_: Any) -> str:
        return self._call("write")

    def put_item(self, **_: Any) -> str:
        return self._call("write")

    def get_paginator(self, name: str) -> str:  # not a call to the service
        return f"paginator:{name}"

    def get_item(self, **_: Any) -> str:
        return self._call("read")


def _in_threads(call: Any, n: int = 4) -> None:
    threads = [threading.Thread(target=call) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_writes_from_several_threads_never_overlap() -> None:
    raw = SlowClient()
    client = serial_writes(raw)
    _in_threads(lambda: (client.transact_write_items(), client.put_item()))
    assert raw.most["write"] == 1


def test_reads_from_several_threads_never_overlap_either() -> None:
    raw = SlowClient()
    client = serial_writes(raw)
    _in_threads(client.get_item)
    assert raw.most["read"] == 1


def test_a_paginator_is_handed_out_unwrapped() -> None:
    raw = SlowClient()
    assert serial_writes(raw).get_paginator == raw.get_paginator


def test_a_write_may_run_another_write_on_its_own_thread() -> None:
    class Nested(SlowClient):
        wrapper: Any = None

        def put_item(self, **_: Any) -> str:  # a fault playing a second writer inside this write
            return self.wrapper.transact_write_items()

    raw = Nested()
    raw.wrapper = client = serial_writes(raw)
    done: list[str] = []
    worker = threading.Thread(target=lambda: done.append(client.put_item()), daemon=True)
    worker.start()
    worker.join(timeout=5)
    assert done == ["write"]


def test_a_client_is_wrapped_once_and_none_stays_none() -> None:
    client = serial_writes(SlowClient())
    assert isinstance(client, SerialWrites) and serial_writes(client) is client
    assert serial_writes(None) is None
