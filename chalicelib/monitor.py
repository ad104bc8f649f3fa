"""The monitor: one CloudTrail event in, findings judged, stored once, alerted once.

Dependencies (engine, incident store, state, notifier, clock) are injected, so the Lambda
runtime, the local ``simulate`` command and the tests run the same code path.

Alerting rules, given at-least-once delivery:
* a ``new`` incident is alerted; a ``grouped`` one is not (one Slack message per group),
  unless the rule has a threshold N: then the group alerts when its count reaches N;
* a ``duplicate`` is alerted only if no alert is marked as delivered for its incident,
  so an invocation that stored the incident but failed to alert is completed on retry;
* an alert whose routed channels all failed or were skipped falls back to SNS (the notifier's
  policy, README "Reliability"); one delivered that way counts as delivered;
* if any alert was delivered nowhere, fallback included, ``process`` raises ``DeliveryError``
  after handling all findings, so Lambda/EventBridge retry and the DLQ keep the event.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from chalicelib.engine import Engine
from chalicelib.errors import DeliveryError, InputError, StoreError
from chalicelib.events import CloudTrailEvent, events_in
from chalicelib.findings import Finding
from chalicelib.identity.suppressions import Suppressions, is_suppressed
from chalicelib.identity.version import VERSION_KEY, model_version
from chalicelib.incidents.chain import json_digest
from chalicelib.incidents.keys import parse_ts
from chalicelib.incidents.state import ALERT_CLAIM, ALERTED, GROUP_CLOSED, LAST_SEEN, StateStore
from chalicelib.incidents.store import Incident, IncidentQuery, IncidentStore, RecordOutcome
from chalicelib.notify import Notifier
from chalicelib.notify.notifier import DeliveryReport
from chalicelib.rotation import RotationLinker
from chalicelib.watch.heartbeat import is_heartbeat
from chalicelib.watch.liveness import heartbeat_seen

log = logging.getLogger(__name__)
SEEN_INTERVAL = timedelta(hours=1)
# Shorter than Lambda's first async retry (about a minute) and longer than one delivery attempt.
CLAIM_TTL = timedelta(seconds=45)
LEDGER_ATTEMPTS = 3  # marking a delivered alert: worth a second try, it is what stops a second message


@dataclass(frozen=True)
class Handled:
    """What happened to one finding: how it was stored and whether an alert went out."""

    finding: Finding
    outcome: RecordOutcome
    delivery: DeliveryReport | None = None


@dataclass(frozen=True)
class ProcessResult:
    event_id: str | None
    handled: tuple[Handled, ...] = ()
    skipped: str | None = None  # why a malformed envelope was skipped

    @property
    def alert_fallbacks(self) -> int:
        """Alerts that reached SNS only because every channel of their route failed or was skipped."""
        return sum(1 for h in self.handled if h.delivery and h.delivery.fallback in h.delivery.delivered)

    def summary(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "skipped": self.skipped,
            "alert_fallbacks": self.alert_fallbacks,
            "findings": [
                {"rule": h.finding.rule, "severity": h.finding.severity.label, "status": h.outcome.status,
                 "incident_id": h.outcome.incident.incident_id if h.outcome.incident else None,
                 "alerted": list(h.delivery.delivered) if h.delivery else [],
                 "fallback": h.delivery.fallback if h.delivery else None}
                for h in self.handled
            ],
        }


class Monitor:
    def __init__(
        self,
        engine: Engine,
        store: IncidentStore,
        notifier: Notifier | None,
        state: StateStore | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        thresholds: dict[str, int] | None = None,
    ) -> None:
        self.engine = engine
        self.store = store
        self.notifier = notifier
        self.state = state
        self.clock = clock
        self.thresholds = dict(thresholds or {})  # rule → events in a group before it alerts
        self.account_names = {a.id: a.name for a in engine.model.spec.accounts}
        self.rotation = RotationLinker(state) if state is not None else None
        self.suppressions = Suppressions(tuple(getattr(engine.model.spec, "suppressions", ())))
        self.model_version = model_version(engine.model)  # stamped on each finding: which model judged it

    def process_envelope(self, envelope: Any) -> ProcessResult:
        """Judge one EventBridge delivery; a malformed one is logged with its id and skipped."""
        envelope = valid_text(envelope)
        envelope_id = envelope.get("id") if isinstance(envelope, dict) else None
        items = list(events_in(envelope, "envelope"))
        events = [i for i in items if isinstance(i, CloudTrailEvent)]
        if not events:
            reason = "; ".join(str(i) for i in items if isinstance(i, InputError)) or "no CloudTrail record"
            log.error("skipping malformed envelope %s: %s", envelope_id, reason)
            return ProcessResult(event_id=None, skipped=reason)
        results = [self.process_event(e) for e in events]
        if len(results) == 1:
            return results[0]
        return ProcessResult(event_id=results[0].event_id, handled=tuple(h for r in results for h in r.handled))

    def process_event(self, event: CloudTrailEvent, *, alert: bool = True) -> ProcessResult:
        now = self.clock()
        self._note_activity(event, now)
        if event.event_name == "PutParameter" and is_heartbeat(event):
            heartbeat_seen(self, event, now)  # noted in the state, and a blind episode closed: never an incident
        return self.record(self.engine.judge(event), event.raw, event_id=event.event_id, alert=alert, now=now)

    def record(self, findings: list[Finding], raw_event: dict[str, Any] | None = None, *, event_id: str | None = None,
               alert: bool = True, now: datetime | None = None) -> ProcessResult:
        """Store findings (from an event or the audit) and alert the new ones."""
        now = now or self.clock()
        handled: list[Handled] = []
        failures: list[str] = []
        for finding in findings:
            when = parse_ts(finding.event_time) or now
            if self.rotation is not None:
                finding = self.rotation.link(finding, when)
            finding = self.suppressions.apply(finding, now)  # stored, marked, never alerted
            if VERSION_KEY not in finding.details:
                finding = replace(finding, details={**finding.details, VERSION_KEY: self.model_version})
            outcome = self.store.record(finding, raw_event=raw_event, now=now, dedup_key=_dedup_key(finding, raw_event))
            if self.rotation is not None and outcome.status == "new":
                self.rotation.remember(finding, outcome.incident.incident_id if outcome.incident else None, when)
            delivery = None
            if alert and not is_suppressed(finding) and self._should_alert(outcome):
                try:
                    delivery = self._alert(outcome.incident, reopened=outcome.reopened)  # type: ignore[arg-type]
                except DeliveryError as err:
                    failures.append(f"{finding.rule}: {err}")
                    delivery = getattr(err, "report", None)
            handled.append(Handled(finding, outcome, delivery))
        if failures:
            raise DeliveryError(f"alerts failed for event {event_id}: {'; '.join(failures)}")
        return ProcessResult(event_id=event_id, handled=tuple(handled))

    def close_groups(self, window: timedelta, lookback: timedelta = timedelta(days=2)) -> list[str]:
        """Send one closing update (final count, first/last seen) per group whose window has ended.

        A group alerts once when it opens; this runs on a schedule so the channel also learns how
        big it got, without one message per event. Returns the incident ids updated.
        """
        if self.state is None or self.notifier is None:
            return []
        now = self.clock()
        closed = []
        for incident in self.store.iter_all(IncidentQuery(since=now - lookback, limit=1000)):
            if incident.count < max(2, self.thresholds.get(incident.rule, 1)) or now - incident.last_seen < window:
                continue
            if self.state.get(GROUP_CLOSED, incident.incident_id) is not None or incident.details.get("suppressed"):
                continue  # closed already, or suppressed: it never pages
            self._notify(incident)
            self.state.touch(GROUP_CLOSED, incident.incident_id, now)
            closed.append(incident.incident_id)
        return closed

    def _should_alert(self, outcome: RecordOutcome) -> bool:
        """Alert once per incident and severity, once its count reaches the rule's threshold (default 1).

        With a state store the alert ledger decides (so a retry completes a failed alert, and a
        group whose severity rose alerts again); without one, only the opening record alerts.
        """
        incident = outcome.incident
        if incident is None:
            return False
        threshold = self.thresholds.get(incident.rule, 1)
        if outcome.reopened:
            return True  # it grew after it was resolved: say so, whatever was alerted before
        if incident.count < threshold:
            return False
        if self.state is None:
            return (outcome.status == "new" or outcome.escalated
                    or (outcome.status == "grouped" and incident.count == threshold))
        return self.state.get(ALERTED, alert_key(incident)) is None

    def _alert(self, incident: Incident, *, reopened: bool = False) -> DeliveryReport | None:
        """Deliver under a claim, so concurrent deliveries of one event send one alert.

        The claim is a conditional write that expires after ``CLAIM_TTL`` (shorter than Lambda's
        first retry, in case the claimer dies); a failed delivery releases it so the retry can send.
        Once a channel took the alert, failing to mark it sent is retried, then logged, never
        raised (``_mark_alerted``).
        """
        if self.notifier is None:
            return None
        key = alert_key(incident) + (f"#reopened#{incident.seq}" if reopened else "")
        if self.state is not None and not self.state.touch(ALERT_CLAIM, key, self.clock(), CLAIM_TTL):
            log.info("alert for %s is being sent by another delivery", key)
            return None
        try:
            report = self._notify(incident, reopened=reopened)
        except Exception:
            if self.state is not None:
                self.state.release(ALERT_CLAIM, key)
            raise
        if self.state is not None:
            self._mark_alerted(key)
        return report

    def _mark_alerted(self, key: str) -> None:
        """Record a delivered alert in the ledger, trying ``LEDGER_ATTEMPTS`` times; then log, never raise.

        The alert went out: raising would fail the invocation and its retry would send it again.
        If every attempt fails, a later redelivery of the event (after the claim expired) can send it
        again — the one duplicate left (README, Reliability).
        """
        assert self.state is not None
        for attempt in range(1, LEDGER_ATTEMPTS + 1):
            try:
                self.state.touch(ALERTED, key, self.clock())
                return
            except StoreError as err:
                if attempt == LEDGER_ATTEMPTS:
                    log.error("alert for %s was sent but could not be marked as sent: %s", key, err)
                else:
                    time.sleep(0.05 * attempt)

    def _notify(self, incident: Incident, *, reopened: bool = False) -> DeliveryReport:
        """One message for ``incident`` as it stands (count, first/last seen), on every routed channel."""
        assert self.notifier is not None
        return self.notifier.notify(
            incident.finding, count=incident.count, first_seen=incident.first_seen,
            last_seen=incident.last_seen, incident_id=incident.incident_id,
            account_name=self.account_names.get(incident.account or ""), reopened=reopened,
        )

    def _note_activity(self, event: CloudTrailEvent, now: datetime) -> None:
        """Last-seen per declared principal, for the silence check (at most one write an hour)."""
        if self.state is None or event.failed:
            return
        actor = self.engine.actor(event)  # memoised: judge() resolves the same actor
        if actor.principal is None:
            return
        seen = parse_ts(event.event_time) or now
        self.state.touch(LAST_SEEN, actor.principal.id, seen, SEEN_INTERVAL)


def alert_key(incident: Incident) -> str:
    """One alert per incident and severity: a group whose severity rises alerts again."""
    return f"{incident.incident_id}#{incident.severity.label}"


def _dedup_key(finding: Finding, raw_event: dict[str, Any] | None) -> str | None:
    """``rule#eventID`` as usual (None: the store's default); a record without an eventID is keyed on its
    content, so a redelivery is still a duplicate but two different such events are not merged."""
    if finding.event_id or raw_event is None:
        return None
    return f"{finding.dedup_key}#record:{json_digest(raw_event)[:24]}"


def valid_text(doc: Any) -> Any:
    """``doc`` with each lone UTF-16 surrogate replaced by U+FFFD; ``doc`` itself when it has none.

    ``"\\udcff"`` is valid JSON and Lambda's runtime parses it into a Python str, but no store,
    hash or channel can encode that str as UTF-8: an event holding one failed on every retry.
    """
    try:
        orjson.dumps(doc)
        return doc
    except (orjson.JSONEncodeError, TypeError):
        pass  # a surrogate, or something orjson refuses that the check below lets through
    try:
        text = json.dumps(doc, ensure_ascii=False)
        text.encode("utf-8")
        return doc
    except UnicodeEncodeError:
        return json.loads(text.encode("utf-8", "surrogatepass").decode("utf-8", "replace"))
    except (TypeError, ValueError, RecursionError):
        return doc  # not JSON-shaped: events_in says why
