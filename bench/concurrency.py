"""Concurrent writers: N workers deliver the same event stream into one incident store.

EventBridge delivers at least once and Lambda runs many containers at once, so one event can
reach several handlers at the same moment, and redeliveries overlap first deliveries. This
module reproduces that on one machine: ``workers`` threads each build their own monitor the
way a Lambda container does (own store connection / boto3 client, own state store, own engine)
over the *same* store URL, and each delivers every event of the stream, in its own shuffled
order, through ``Monitor.process_envelope`` — the path the Lambda handlers take. Slack and SNS
are injected senders that count what they were asked to send.

Afterwards the store is checked against a reference: the same unique events processed once,
in order, by one monitor on an in-memory SQLite store. The promise being measured:

* ``verify`` is clean (so the chain has no fork: a fork is a seq gap or a broken link);
* every (event, rule) pair is stored exactly once (``duplicates`` / ``lost`` count those that
  are not), and every incident's grouped count equals the reference's;
* every alert the reference sends is sent exactly once (the alert claim held).

``run_concurrent_delivery`` is imported by the chaos table (``make chaos``) and by the CI test
(``tests/monitor/test_concurrent_writers.py``), with a fresh store from ``sqlite_store()`` or
``dynamodb_store()`` and a stream from ``event_stream()``; ``python bench/concurrency.py`` runs it alone:

    .venv/bin/python bench/concurrency.py --workers 8 --events 1000 --backend sqlite
    .venv/bin/python bench/concurrency.py --workers 8 --events 1000 --backend dynamodb   # moto server
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import re
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from chalicelib.errors import TrailwardenError  # noqa: E402
from chalicelib.events import records_in  # noqa: E402
from chalicelib.findings import Finding  # noqa: E402
from chalicelib.incidents.keys import format_ts  # noqa: E402
from chalicelib.notify.message import AlertContext  # noqa: E402

STORY = ROOT / "examples" / "story"
START = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
SPREAD_SECONDS = 1200  # every event within 20 minutes: one group window, so grouping does not depend on order
DUPLICATE_SHARE = 0.1  # of the stream: redeliveries of an earlier event in a new envelope
LAMBDA_ATTEMPTS = 3  # Lambda's async invoke: the first attempt and two retries
_INCIDENT_RE = re.compile(r"\binc-[0-9a-f]{24}\b")


# -- the event stream ---------------------------------------------------------------------------
def story_records() -> list[dict[str, Any]]:
    """Every CloudTrail record of ``examples/story`` (bare, envelope, Records file or JSON lines)."""
    out: list[dict[str, Any]] = []
    for path in sorted(STORY.iterdir()):
        text = path.read_text(encoding="utf-8")
        docs = [json.loads(line) for line in text.splitlines() if line.strip()] if path.suffix == ".jsonl" else [
            json.loads(text)]
        for doc in docs:
            out += [rec for _, rec, _ in records_in(doc) if isinstance(rec, dict)]
    return out


def envelope(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` as EventBridge delivers it, in a new envelope (every delivery has its own id)."""
    source = str(record.get("eventSource", "")).split(".amazonaws.com")[0]
    signin = record.get("eventSource") == "signin.amazonaws.com"
    return {"version": "0", "id": str(uuid.uuid4()),
            "detail-type": "AWS Console Sign In via CloudTrail" if signin else "AWS API Call via CloudTrail",
            "source": f"aws.{source}", "account": record.get("recipientAccountId", "630287363158"),
            "time": record.get("eventTime"), "region": record.get("awsRegion", "us-east-1"), "resources": [],
            "detail": record}


def event_stream(count: int = 1000, seed: int = 11) -> list[dict[str, Any]]:
    """``count`` envelopes: story records with fresh eventIDs and times, ~10% of them redeliveries.

    Deterministic for a given ``count`` and ``seed``. Times fall within ``SPREAD_SECONDS`` so a
    group (the CI user's denied AssumeRoles, root's calls) is one incident whatever the order.
    """
    rng = random.Random(seed)
    templates = story_records()
    stream: list[dict[str, Any]] = []
    firsts: list[dict[str, Any]] = []
    for i in range(count):
        if firsts and rng.random() < DUPLICATE_SHARE:
            stream.append(envelope(copy.deepcopy(rng.choice(firsts))))
            continue
        record = copy.deepcopy(rng.choice(templates))
        record["eventID"] = str(uuid.UUID(int=rng.getrandbits(128)))
        record["eventTime"] = format_ts(START + timedelta(seconds=rng.randrange(SPREAD_SECONDS)))
        record["requestID"] = f"req-{seed}-{i}"
        firsts.append(record)
        stream.append(envelope(record))
    return stream


# -- counting channels --------------------------------------------------------------------------
class AlertCounter:
    """Every alert asked of the injected Slack sender and SNS publisher, by channel, incident and severity."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.sent: Counter[tuple[str, str, str]] = Counter()  # (channel, incident id, severity) → times sent

    def add(self, channel: str, incident_id: str, severity: str) -> None:
        with self._lock:
            self.sent[(channel, incident_id, severity)] += 1

    def by_alert(self, store: Any) -> Counter[tuple[Any, ...]]:
        """Times sent per (channel, alert), an alert named so that it does not depend on delivery order.

        A grouped incident's id comes from whichever finding opened it, so it is named by
        (rule, group key, severity); an ungrouped one by its id (derived from rule and event id).
        """
        out: Counter[tuple[Any, ...]] = Counter()
        for (channel, incident_id, severity), times in self.sent.items():
            incident = store.get(incident_id) if incident_id.startswith("inc-") else None
            name = (incident.rule, incident.group_key) if incident is not None and incident.group_key else incident_id
            out[(channel, name, severity)] += times
        return out

    def slack(self) -> CountingSlack:
        return CountingSlack(self)

    def sns(self) -> CountingSns:
        return CountingSns(self)


class CountingSlack:
    """A Slack sender that counts each message by the incident id and severity it names."""

    def __init__(self, counter: AlertCounter) -> None:
        self.counter = counter

    def send(self, payload: dict[str, Any]) -> None:
        found = _INCIDENT_RE.search(json.dumps(payload))
        header = str(payload.get("blocks", [{}])[0].get("text", {}).get("text", ""))  # "HIGH: title"
        self.counter.add("slack", found.group(0) if found else "?", header.split(":", 1)[0].lower())


class CountingSns:
    """An SNS publisher (``FindingPublisher``) that counts each alert by incident and severity."""

    def __init__(self, counter: AlertCounter) -> None:
        self.counter = counter

    def publish_finding(self, finding: Finding, context: AlertContext | None = None) -> str:
        self.counter.add("sns", (context.incident_id if context else None) or "?", finding.severity.label)
        return str(uuid.uuid4())


# -- monitors -----------------------------------------------------------------------------------
_BUILD_LOCK = threading.Lock()  # boto3's default session is not safe to create clients from many threads


def build_monitor(store_url: str, counter: AlertCounter, model: Any) -> Any:
    """A monitor as one Lambda container holds it: its own store, state and engine over ``store_url``."""
    from chalicelib.engine import Engine
    from chalicelib.history import StateHistory
    from chalicelib.incidents import open_store
    from chalicelib.incidents.state import open_state
    from chalicelib.monitor import Monitor
    from chalicelib.notify import Notifier, Routing
    from chalicelib.runtime import store_options
    from chalicelib.settings import Settings

    with _BUILD_LOCK:
        store = open_store(store_url, **store_options(Settings(store_url=store_url)))
        state = open_state(store_url)
        if store_url.startswith("dynamodb://"):  # create the clients now, under the lock
            _ = store.client, state.client  # type: ignore[attr-defined]
    notifier = Notifier(Routing.parse(None), counter.slack(), counter.sns())
    return Monitor(Engine(model, history=StateHistory(state)), store, notifier, state=state)


Pair = tuple[str, str]  # (rule, event id): what is stored exactly once


def _stored_pairs(store: Any) -> tuple[Counter[Pair], set[Pair], dict[tuple[str, str | None], list[int]]]:
    """(rule, event id) → times stored; the pairs of incidents too large to list every member
    (``MAX_MEMBERS``: their count is checked instead); (rule, group key) → counts of its incidents."""
    from chalicelib.incidents import IncidentQuery
    from chalicelib.incidents.store import MAX_MEMBERS

    pairs: Counter[Pair] = Counter()
    capped: set[Pair] = set()
    groups: dict[tuple[str, str | None], list[int]] = {}
    for incident in store.iter_all(IncidentQuery(limit=1000)):
        for event_id in incident.member_event_ids:
            pairs[(incident.rule, event_id)] += 1
        if incident.count > MAX_MEMBERS:
            capped.add((incident.rule, str(incident.group_key)))
        groups.setdefault((incident.rule, incident.group_key), []).append(incident.count)
    return pairs, capped, {k: sorted(v) for k, v in groups.items()}


def reference(events: list[dict[str, Any]], model: Any) -> tuple[dict[Pair, str], dict, set[tuple[Any, ...]]]:
    """The truth: each unique event once, in order, one monitor, a fresh in-memory store.

    Returns every (rule, event id) judged → its group key, the group counts, and the alerts.
    """
    counter = AlertCounter()
    mon = build_monitor("sqlite:///:memory:", counter, model)
    seen: set[str] = set()
    judged: dict[Pair, str] = {}
    for env in events:
        event_id = str(env.get("detail", {}).get("eventID"))
        if event_id not in seen:
            seen.add(event_id)
            for handled in mon.process_envelope(copy.deepcopy(env)).handled:
                judged[(handled.finding.rule, str(handled.finding.event_id))] = str(handled.finding.group_key)
    _, _, groups = _stored_pairs(mon.store)
    return judged, groups, set(counter.by_alert(mon.store))


def _deliver(mon: Any, env: dict[str, Any], failures: list[str]) -> bool:
    """One event as Lambda would: up to ``LAMBDA_ATTEMPTS`` invocations; False if all failed (→ DLQ)."""
    for attempt in range(1, LAMBDA_ATTEMPTS + 1):
        try:
            mon.process_envelope(copy.deepcopy(env))
            return True
        except TrailwardenError as err:
            failures.append(f"attempt {attempt} for {env.get('detail', {}).get('eventID')}: {err}")
    return False


def run_concurrent_delivery(store_url: str, workers: int, events: list[dict[str, Any]], *, seed: int = 0,
                            model: Any = None) -> dict[str, Any]:
    """Deliver ``events`` (EventBridge envelopes) once per worker, concurrently, into ``store_url``.

    The store (and, for DynamoDB, its table) must exist and be empty. Returns events_in,
    deliveries, incidents_stored, alerts_sent, duplicates (pairs stored or alerts sent more
    than once), lost (pairs never stored, alerts never sent, events dead-lettered), count_mismatches
    (groups whose counts differ from the reference), failed_attempts, dead_lettered, chain_conflicts,
    verify_ok, verify_problem, head_seq, wall_seconds.
    """
    from chalicelib.identity import load_model

    model = model if model is not None else load_model()
    counter = AlertCounter()
    monitors = [build_monitor(store_url, counter, model) for _ in range(workers)]
    failures: list[str] = []
    orders = []
    for w in range(workers):
        order = list(events)
        random.Random(seed * 1000 + w).shuffle(order)
        orders.append(order)
    barrier = threading.Barrier(workers)

    def work(w: int) -> int:
        barrier.wait()  # every worker starts at once
        return sum(0 if _deliver(monitors[w], env, failures) else 1 for env in orders[w])

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        dead = sum(pool.map(work, range(workers)))
    wall = time.perf_counter() - started

    store = monitors[0].store
    report = store.verify()
    pairs, capped, groups = _stored_pairs(store)
    want_pairs, want_groups, want_alerts = reference(events, model)
    sent = counter.by_alert(store)
    dup_pairs = sum(n - 1 for n in pairs.values() if n > 1)
    dup_alerts = sum(n - 1 for n in sent.values() if n > 1)
    lost_pairs = sum(1 for p, group in want_pairs.items() if p not in pairs and (p[0], group) not in capped)
    lost_alerts = sum(1 for k in want_alerts if k not in sent)
    mismatches = sum(1 for k in set(groups) | set(want_groups) if groups.get(k) != want_groups.get(k))
    return {
        "store": store_url.split("://", 1)[0], "workers": workers, "events_in": len(events),
        "deliveries": len(events) * workers, "incidents_stored": sum(len(v) for v in groups.values()),
        "alerts_sent": sum(counter.sent.values()), "alerts_expected": len(want_alerts),
        "duplicates": dup_pairs + dup_alerts, "lost": lost_pairs + lost_alerts + dead,
        "extra_pairs": sum(1 for p in pairs if p not in want_pairs),
        "extra_alerts": sum(1 for k in sent if k not in want_alerts), "count_mismatches": mismatches,
        "failed_attempts": len(failures), "dead_lettered": dead,
        "chain_conflicts": sum(m.store.conflicts for m in monitors),
        "verify_ok": report.ok, "verify_problem": report.problem, "head_seq": report.head_seq,
        "wall_seconds": round(wall, 2),
    }


# -- stores to run against ----------------------------------------------------------------------
@contextmanager
def sqlite_store() -> Iterator[str]:
    """A fresh SQLite file in a temporary directory."""
    with tempfile.TemporaryDirectory(prefix="trailwarden-concurrency-") as folder:
        yield f"sqlite:///{folder}/incidents.db"


@contextmanager
def dynamodb_store(table: str = "trailwarden-concurrency") -> Iterator[str]:
    """A fresh table on a local moto server (``ThreadedMotoServer``: real HTTP, so requests really
    overlap), with boto3 pointed at it. The store serialises its own calls within a process
    (``chalicelib.incidents.serial``: moto is not safe under concurrent calls); writers still
    race for the chain head between their calls."""
    import boto3

    from chalicelib.cli.simulate import moto_server
    from chalicelib.incidents.dynamodb_schema import table_definition

    with moto_server():
        boto3.client("dynamodb").create_table(**table_definition(table))
        yield f"dynamodb://{table}"


STORES: dict[str, Callable[[], Any]] = {"sqlite": sqlite_store, "dynamodb": dynamodb_store}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--backend", choices=sorted(STORES), action="append")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    events = event_stream(args.events, args.seed)
    ok = True
    for backend in args.backend or sorted(STORES):
        with STORES[backend]() as url:
            result = run_concurrent_delivery(url, args.workers, events, seed=args.seed)
        print(json.dumps(result))
        ok = ok and result["verify_ok"] and result["lost"] == 0 and result["duplicates"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
