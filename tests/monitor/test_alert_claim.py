"""Two concurrent deliveries of one event (it matches several handler families) send one alert."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from chalicelib.engine import Engine
from chalicelib.errors import DeliveryError
from chalicelib.identity import load_model
from chalicelib.incidents import open_store
from chalicelib.incidents.state import SQLiteStateStore
from chalicelib.monitor import Monitor
from chalicelib.notify import Notifier, Routing

SIGNIN = Path(__file__).resolve().parents[2] / "examples" / "story" / "01-root-console-signin.eventbridge.json"


class HeldSlack:
    """Records payloads; the first send waits until the test lets it finish."""

    def __init__(self) -> None:
        self.payloads: list[dict[str, Any]] = []
        self.sending = threading.Event()
        self.release = threading.Event()

    def send(self, payload: dict[str, Any]) -> None:
        self.sending.set()
        self.release.wait(timeout=10)
        self.payloads.append(payload)


def monitor(db: Path, slack: HeldSlack) -> Monitor:
    return Monitor(Engine(load_model()), open_store(f"sqlite:///{db}"), Notifier(Routing.parse(None), slack, None),
                   state=SQLiteStateStore(str(db)))


def test_second_delivery_while_the_first_is_sending_does_not_alert_again(tmp_path: Path) -> None:
    db, slack = tmp_path / "log.db", HeldSlack()
    envelope = json.loads(SIGNIN.read_text())
    first = threading.Thread(target=monitor(db, slack).process_envelope, args=(envelope,))
    first.start()
    assert slack.sending.wait(timeout=10)
    monitor(db, slack).process_envelope(envelope)  # the "signin" family while "root" is still sending
    slack.release.set()
    first.join(timeout=10)
    assert len(slack.payloads) == 1


def test_delivery_after_a_failed_alert_sends_it(tmp_path: Path) -> None:
    db, envelope = tmp_path / "log.db", json.loads(SIGNIN.read_text())

    class DownSlack:
        def send(self, payload: dict[str, Any]) -> None:
            raise RuntimeError("connection reset")

    failing = Monitor(Engine(load_model()), open_store(f"sqlite:///{db}"),
                      Notifier(Routing.parse("critical=slack"), DownSlack(), None), state=SQLiteStateStore(str(db)))
    with pytest.raises(DeliveryError):  # the first invocation fails, as Lambda's would
        failing.process_envelope(envelope)
    slack = HeldSlack()
    slack.release.set()
    monitor(db, slack).process_envelope(envelope)
    assert len(slack.payloads) == 1
