"""``make chaos``: the fault and concurrency scenarios at a larger size than CI, as one table.

Each fault scenario delivers one event stream (``bench/concurrency.event_stream``: story records
with fresh ids, ~10% redeliveries) through ``Monitor.process_envelope`` — the handlers' path —
with one dependency failing as the scenario says, injected at the monitor's seams (Slack sender,
SNS publisher, the store's and the state's boto3 client; ``tests/monitor/faults.py``). Each
delivery is retried like a Lambda async invocation: up to ``ATTEMPTS`` times, the clock moved
61 s between attempts (so a dead claimer's 45 s alert claim has expired). The concurrency
scenarios are ``bench/concurrency.run_concurrent_delivery`` (N workers, one store).

Columns: events in; incidents stored; alerts sent (messages, all channels); duplicates
((rule, event) pairs stored twice, plus an alert sent twice on one channel); lost (pairs never
stored, alerts delivered on no channel, events dead-lettered) — must be 0; ``verify``; wall time.
The truth for each stream is one monitor judging each unique event once with nothing failing.

    .venv/bin/python bench/chaos.py [--events 1000] [--workers 8] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import copy
import random
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT, ROOT / "bench"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

import concurrency  # noqa: E402  (bench/concurrency.py)

from chalicelib.errors import DeliveryError, TrailwardenError  # noqa: E402
from tests.monitor.faults import (  # noqa: E402
    Fault,
    FaultyClient,
    ProcessKilled,
    broken_slack,
    client_error,
    fail_with,
    timeout_after_success,
)

ATTEMPTS = 50  # README: EventBridge and Lambda retry a failed event 50 times over 6 h before the DLQ
RETRY_GAP = timedelta(seconds=61)
START = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Row:
    scenario: str
    events_in: int
    incidents_stored: int
    alerts_sent: int
    duplicates: int
    lost: int
    verify: str
    wall_seconds: float


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Rig:
    """What a scenario changes: the Slack sender and SNS publisher to use, and faults on the clients."""

    counter: concurrency.AlertCounter
    rng: random.Random
    store_client: FaultyClient | None = None
    state_client: FaultyClient | None = None
    slack: Any = None
    sns: Any = None


class Flaky:
    """Wraps a counting channel: each call fails first with probability ``rate`` (``error()``)."""

    def __init__(self, inner: Any, rng: random.Random, rate: float, error: Callable[[], BaseException]) -> None:
        self.inner, self.rng, self.rate, self.error = inner, rng, rate, error

    def send(self, payload: dict[str, Any]) -> None:
        if self.rng.random() < self.rate:
            raise self.error()
        self.inner.send(payload)

    def publish_finding(self, finding: Any, context: Any = None) -> str:
        if self.rng.random() < self.rate:
            raise self.error()
        return str(self.inner.publish_finding(finding, context))


class KillFirstAlert:
    """The first alert attempt of every incident kills the process (after the store committed)."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.seen = inner, set()

    def send(self, payload: dict[str, Any]) -> None:
        key = concurrency._INCIDENT_RE.search(str(payload))
        name = key.group(0) if key else str(payload.get("text"))
        if name not in self.seen:
            self.seen.add(name)
            raise ProcessKilled("Task timed out")
        self.inner.send(payload)


def _every(rate: float, rng: random.Random, make: Callable[[], Fault], count: int = 20_000) -> list[Fault]:
    """A fault script: each call fails with probability ``rate``."""
    return [make() if rng.random() < rate else Fault() for _ in range(count)]


def _http_500() -> DeliveryError:
    return DeliveryError("Slack webhook answered HTTP 500: internal_error")


# -- scenarios: each sets up a Rig ---------------------------------------------------------------
def slack_down_500(rig: Rig, url: str | None) -> None:
    from chalicelib.notify import WebhookSlackSender
    rig.slack = WebhookSlackSender(lambda: str(url), timeout=2, time_left=lambda: 50.0)


def slack_429_storm(rig: Rig, url: str | None) -> None:
    from chalicelib.notify import WebhookSlackSender
    rig.slack = WebhookSlackSender(lambda: str(url), timeout=2, time_left=lambda: 12.0)  # Retry-After 30 > 12


def slack_flaky(rig: Rig, _: str | None) -> None:
    rig.slack = Flaky(rig.counter.slack(), rig.rng, 0.3, _http_500)


def sns_throttled(rig: Rig, _: str | None) -> None:
    throttled = "SNS publish failed: Throttling: Rate exceeded"
    rig.sns = Flaky(rig.counter.sns(), rig.rng, 0.3, lambda: DeliveryError(throttled))
    rig.slack = Flaky(rig.counter.slack(), rig.rng, 0.3, _http_500)


def sns_kms_denied(rig: Rig, _: str | None) -> None:
    rig.sns = Flaky(rig.counter.sns(), rig.rng, 1.0, lambda: DeliveryError("SNS publish failed: KMSAccessDenied"))


def crash_after_store(rig: Rig, _: str | None) -> None:
    rig.slack = KillFirstAlert(rig.counter.slack())


def ddb_throttled(rig: Rig, _: str | None) -> None:
    assert rig.store_client is not None
    err = client_error("ProvisionedThroughputExceededException", "TransactWriteItems")
    rig.store_client.add("transact_write_items", *_every(0.2, rig.rng, lambda: fail_with(err)))


def ddb_cancelled(rig: Rig, _: str | None) -> None:
    client = rig.store_client
    assert client is not None
    client.add("transact_write_items", *_every(0.3, rig.rng, lambda: fail_with(client.canceled(
        "None", "None", "None", "ThrottlingError"))))


def ddb_timeout_after_write(rig: Rig, _: str | None) -> None:
    assert rig.store_client is not None
    rig.store_client.add("transact_write_items", *_every(0.2, rig.rng, timeout_after_success))


def ddb_ledger_throttled(rig: Rig, _: str | None) -> None:
    assert rig.state_client is not None
    err = client_error("ProvisionedThroughputExceededException", "PutItem")
    rig.state_client.add("put_item", *_every(0.1, rig.rng, lambda: fail_with(err)))


SlackServer = tuple[str, int, dict[str, str]] | None  # (mode, status, headers) of a broken local webhook
FAULTS: dict[str, tuple[str, SlackServer, Callable[[Rig, str | None], None]]] = {
    "slack 500 on every call": ("sqlite", ("status", 500, {}), slack_down_500),
    "slack 429 storm, Retry-After > time left": ("sqlite", ("status", 429, {"Retry-After": "30"}), slack_429_storm),
    "slack fails 30% of calls": ("sqlite", None, slack_flaky),
    "sns throttled 30%, slack 30%": ("sqlite", None, sns_throttled),
    "sns KMS access denied": ("sqlite", None, sns_kms_denied),
    "process dies after store, before alert": ("sqlite", None, crash_after_store),
    "dynamodb throughput exceeded 20%": ("dynamodb", None, ddb_throttled),
    "dynamodb transaction cancelled 30%": ("dynamodb", None, ddb_cancelled),
    "dynamodb timeout after the write 20%": ("dynamodb", None, ddb_timeout_after_write),
    "dynamodb alert ledger throttled 10%": ("dynamodb", None, ddb_ledger_throttled),
}


@contextmanager
def dynamodb_in_process(table: str = "trailwarden-chaos") -> Iterator[str]:
    """A fresh table in moto's in-process mock (no HTTP: the fault scenarios are sequential)."""
    import os

    import boto3
    from moto import mock_aws

    from chalicelib.incidents.dynamodb_schema import table_definition

    fake = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    saved = {k: os.environ.get(k) for k in (*fake, "AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN")}
    os.environ.update(fake)
    for k in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(k, None)
    try:
        with mock_aws():
            boto3.client("dynamodb").create_table(**table_definition(table))
            yield f"dynamodb://{table}"
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextmanager
def _slack_server(spec: SlackServer) -> Iterator[str | None]:
    if spec is None:
        yield None
        return
    mode, status, headers = spec
    with broken_slack(mode, status=status, headers=headers) as (url, _):
        yield url


def _monitor(url: str, backend: str, rig: Rig, clock: Clock, model: Any) -> Any:
    from chalicelib.engine import Engine
    from chalicelib.history import StateHistory
    from chalicelib.incidents import open_store
    from chalicelib.incidents.dynamodb import DynamoDBIncidentStore
    from chalicelib.incidents.state import DynamoDBStateStore, open_state
    from chalicelib.monitor import Monitor
    from chalicelib.notify import Notifier, Routing
    from chalicelib.runtime import store_options
    from chalicelib.settings import Settings

    if backend == "dynamodb":
        table = url.split("://", 1)[1]
        store: Any = DynamoDBIncidentStore(table, client=rig.store_client, backoff_seconds=0.001,
                                           **store_options(Settings(store_url=url)))
        state: Any = DynamoDBStateStore(table, client=rig.state_client)
    else:
        store, state = open_store(url, **store_options(Settings(store_url=url))), open_state(url)
    slack = rig.slack if rig.slack is not None else rig.counter.slack()
    sns = rig.sns if rig.sns is not None else rig.counter.sns()
    return Monitor(Engine(model, history=StateHistory(state)), store, Notifier(Routing.parse(None), slack, sns),
                   state=state, clock=clock)


def run_fault(name: str, events: list[dict[str, Any]], model: Any, truth: tuple[Any, ...]) -> Row:
    backend, server, setup = FAULTS[name]
    opener = dynamodb_in_process if backend == "dynamodb" else concurrency.sqlite_store
    with opener() as url, _slack_server(server) as slack_url:
        rig = Rig(concurrency.AlertCounter(), random.Random(7))
        if backend == "dynamodb":
            import boto3
            rig.store_client = FaultyClient(boto3.client("dynamodb"))
            rig.state_client = FaultyClient(boto3.client("dynamodb"))
        setup(rig, slack_url)
        clock = Clock()
        mon = _monitor(url, backend, rig, clock, model)
        dead = 0
        started = time.perf_counter()
        for env in events:
            for _attempt in range(ATTEMPTS):
                clock.now += timedelta(seconds=1)
                try:
                    mon.process_envelope(copy.deepcopy(env))
                    break
                except (TrailwardenError, ProcessKilled):
                    clock.now += RETRY_GAP
                    if backend == "dynamodb" or isinstance(sys.exc_info()[1], ProcessKilled):
                        mon = _monitor(url, backend, rig, clock, model)  # a new container
            else:
                dead += 1
        wall = time.perf_counter() - started
        return _row(name, events, mon.store, rig.counter, truth, dead, wall)


def _row(name: str, events: list[dict[str, Any]], store: Any, counter: concurrency.AlertCounter,
         truth: tuple[Any, ...], dead: int, wall: float) -> Row:
    want_pairs, _, want_alerts = truth
    pairs, capped, groups = concurrency._stored_pairs(store)
    sent = counter.by_alert(store)
    delivered = {(alert, severity) for (_, alert, severity) in sent}
    wanted = {(alert, severity) for (_, alert, severity) in want_alerts}
    lost = (sum(1 for p, g in want_pairs.items() if p not in pairs and (p[0], g) not in capped)
            + len(wanted - delivered) + dead)
    duplicates = sum(n - 1 for n in pairs.values() if n > 1) + sum(n - 1 for n in sent.values() if n > 1)
    report = store.verify()
    return Row(name, len(events), sum(len(v) for v in groups.values()), sum(counter.sent.values()), duplicates,
               lost, "ok" if report.ok else f"FAIL: {report.problem}", round(wall, 1))


def run_concurrency(backend: str, workers: int, events: list[dict[str, Any]], model: Any) -> Row:
    opener = concurrency.STORES[backend]
    with opener() as url:
        r = concurrency.run_concurrent_delivery(url, workers, events, seed=11, model=model)
    verify = "ok" if r["verify_ok"] else f"FAIL: {r['verify_problem']}"
    return Row(f"{workers} concurrent writers, {backend}", r["events_in"], r["incidents_stored"], r["alerts_sent"],
               r["duplicates"], r["lost"], verify, r["wall_seconds"])


def table(rows: list[Row]) -> str:
    head = "| scenario | events in | incidents stored | alerts sent | duplicates | lost | verify | wall time |"
    lines = [head, "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r.scenario} | {r.events_in:,} | {r.incidents_stored:,} | {r.alerts_sent:,} | {r.duplicates} | "
              f"{r.lost} | {r.verify} | {r.wall_seconds:.1f} s |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000, help="events per scenario (default 1000)")
    parser.add_argument("--workers", type=int, default=8, help="concurrent writers (default 8)")
    parser.add_argument("--only", action="append", metavar="TEXT", help="run the scenarios whose name has TEXT")
    args = parser.parse_args(argv)
    from chalicelib.identity import load_model

    model = load_model()
    events = concurrency.event_stream(args.events, 11)
    truth = concurrency.reference(events, model)
    wanted = [n for n in FAULTS if not args.only or any(t in n for t in args.only)]
    rows: list[Row] = []
    for name in wanted:
        rows.append(run_fault(name, events, model, truth))
        print(f"  {name}: {rows[-1]}", file=sys.stderr)
    for backend in ("sqlite", "dynamodb"):
        name = f"{args.workers} concurrent writers, {backend}"
        if not args.only or any(t in name for t in args.only):
            rows.append(run_concurrency(backend, args.workers, events, model))
            print(f"  {name}: {rows[-1]}", file=sys.stderr)
    print(table(rows))
    return 0 if all(r.lost == 0 and r.duplicates == 0 and r.verify == "ok" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
