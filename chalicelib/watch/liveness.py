"""monitor-blind: no heartbeat from an account and region for longer than the threshold.

The scheduled check (``app.liveness``, every 15 minutes) reads the heartbeats the handlers
noted (``chalicelib/watch/heartbeat.py``) and raises one critical finding per account and
region that has gone quiet. Each blind *episode* is one incident: its group key holds the last
heartbeat before the silence, so every check while it stays blind joins that incident (the
first alerts, the rest only count) and a later, separate silence opens a new one. When a
heartbeat arrives again, the handler that receives it sends a closing message on the same
channels and marks the episode closed (the check does the same, should that message have failed).
Nothing is ever deleted: the handlers' roles may not delete from the table.

Which places must beat: every account/region a heartbeat ever came from, plus the ones the
deployment names (its own account and region, ``TRAILWARDEN_HEARTBEAT_REGIONS``). One that
never beat is blind once the check itself has run longer than the threshold.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from chalicelib.errors import ConfigError
from chalicelib.events import CloudTrailEvent
from chalicelib.findings import Finding, Severity
from chalicelib.incidents.keys import format_ts, utc
from chalicelib.watch.heartbeat import HEARTBEAT_KIND, place, seen_at

log = logging.getLogger(__name__)
RULE = "monitor-blind"
TITLE = "Monitor blind: no heartbeat"
# State, written once and never deleted (the handlers' roles may not delete items: the log is append-only):
BLIND_KIND = "blind"  # incident id of a blind episode → when it was first seen blind; note = ACCOUNT/REGION
CLOSED_KIND = "blind-closed"  # incident id → when its closing message went out
SINCE = ("tracking", "liveness-since")  # state: when the check first ran ("never beat" counts from then)
DEFAULT_THRESHOLD = timedelta(minutes=45)
RUNBOOK = (
    "Trailwarden has not received its own heartbeat from this account and region, so it may be "
    "receiving nothing else either. Check, in order: the trail is logging management events "
    "(`aws cloudtrail get-trail-status`), its S3 bucket policy still lets CloudTrail write, the "
    "EventBridge rules `trailwarden-<stage>-*` (and the forwarding rule in other regions) are ENABLED, "
    "the handlers are not throttled (reserved concurrency 0) or failing (DLQ, HandlerErrors), and the "
    "heartbeat schedule and its role exist. Until a heartbeat arrives, assume nothing from here is seen."
)
REFERENCE = "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-aws-service-specific-topics.html#cloudtrail-aws-service-specific-topics-eventbridge"


@dataclass(frozen=True)
class LivenessConfig:
    """How long a place may stay silent, and which places must beat before their first heartbeat."""

    threshold: timedelta = DEFAULT_THRESHOLD
    expected: frozenset[str] = frozenset()  # ACCOUNT/REGION

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> LivenessConfig:
        raw = (env.get("TRAILWARDEN_BLIND_AFTER_MINUTES") or "").strip()
        if raw and not (raw.isdigit() and int(raw) >= 1):
            raise ConfigError(f"TRAILWARDEN_BLIND_AFTER_MINUTES: {raw!r} is not a whole number of minutes >= 1")
        threshold = timedelta(minutes=int(raw)) if raw else DEFAULT_THRESHOLD
        account = env.get("TRAILWARDEN_ACCOUNT_ID")
        home = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
        regions = {r.strip() for r in (env.get("TRAILWARDEN_HEARTBEAT_REGIONS") or "").split(",") if r.strip()}
        regions |= {home} if home else set()
        return cls(threshold, frozenset(f"{account}/{r}" for r in regions) if account else frozenset())


def blind_findings(beats: Mapping[str, datetime], config: LivenessConfig, now: datetime,
                   since: datetime) -> list[Finding]:
    """One ``monitor-blind`` finding per place silent for longer than the threshold."""
    out = []
    for where in sorted(set(beats) | config.expected):
        last = beats.get(where)
        quiet_since = last or since
        if now - quiet_since <= config.threshold:
            continue
        account, _, region = where.partition("/")
        minutes = int((now - quiet_since).total_seconds() // 60)
        heard = f"the last heartbeat was at {format_ts(last)}" if last else \
            f"no heartbeat has arrived since the check began at {format_ts(since)}"
        out.append(Finding(
            rule=RULE, severity=Severity.CRITICAL, title=TITLE, principal_arn=None, principal=None,
            target_arn=None, event_id=None, event_name=None, event_source=None, event_time=format_ts(now),
            account=account, region=region, source_ip=None, user_agent=None,
            breaks=f"every event from account {account} in {region} may be missing: the monitor cannot show "
                   "it is receiving anything from there",
            runbook=RUNBOOK, reference=REFERENCE,
            reason=f"No heartbeat from account {account}, region {region} for {minutes} minutes (threshold "
                   f"{int(config.threshold.total_seconds() // 60)}): {heard}.",
            group_key=f"{RULE}:{where}:{format_ts(last) if last else 'never'}",
            details={"place": where, "last_heartbeat": format_ts(last) if last else None,
                     "threshold_minutes": int(config.threshold.total_seconds() // 60)},
        ))
    return out


def open_episodes(state: Any) -> dict[str, str]:
    """Blind episodes without a closing message: incident id → ACCOUNT/REGION."""
    closed = state.all(CLOSED_KIND)
    return {incident: note for incident, (_, note) in state.entries(BLIND_KIND).items()
            if incident not in closed and note}


def run_check(monitor: Any, config: LivenessConfig, now: datetime) -> dict[str, Any]:
    """The scheduled check: record (and alert) every blind place; close episodes whose heartbeats resumed."""
    state = monitor.state
    if state is None:
        return {"blind": [], "closed": []}
    now = utc(now)
    state.touch(*SINCE, now)  # once only: the first check starts the clock for places that never beat
    since = state.get(*SINCE) or now
    beats = state.all(HEARTBEAT_KIND)
    findings = blind_findings(beats, config, now, since)
    blind = {f.details["place"] for f in findings}
    closed = sorted({where for incident, where in open_episodes(state).items()
                     if where not in blind and close_episode(monitor, where, incident, beats.get(where), now)})
    if findings:
        result = monitor.record(findings, {"liveness_check": format_ts(now)}, now=now)
        for handled in result.handled:
            incident = handled.outcome.incident
            if incident is not None:  # once per episode: later checks join the same incident
                state.touch(BLIND_KIND, incident.incident_id, now, None, note=handled.finding.details["place"])
    return {"blind": sorted(blind), "closed": closed}


def heartbeat_seen(monitor: Any, event: CloudTrailEvent, now: datetime) -> bool:
    """Note a heartbeat (never an incident) and close its place's blind episode, if one is open."""
    state = monitor.state
    if state is None:
        return False
    where, at = place(event), seen_at(event, now)
    state.touch(HEARTBEAT_KIND, where, at, timedelta(0))  # keeps the newest: an older redelivery writes nothing
    episodes = [incident for incident, place_ in open_episodes(state).items() if place_ == where]
    return any([close_episode(monitor, where, incident, at, now) for incident in episodes])


def close_episode(monitor: Any, where: str, incident_id: str, beat: datetime | None, now: datetime) -> bool:
    """Send the closing message of a blind episode (same channels as its alert), then mark it closed."""
    incident = monitor.store.get(incident_id)
    if incident is not None and monitor.notifier is not None:
        resumed = format_ts(beat) if beat else format_ts(now)
        finding = replace(
            incident.finding, title="Monitor sees again: heartbeat resumed",
            reason=f"Heartbeats from account {incident.account}, region {incident.region} resumed at {resumed}; "
                   f"the place was blind from {format_ts(incident.first_seen)} to at least "
                   f"{format_ts(incident.last_seen)} ({incident.count} checks). Events from that window may be "
                   "missing: replay the trail's S3 files for it (`python -m chalicelib replay`).",
            details={**incident.finding.details, "closed": True, "resumed_at": resumed})
        monitor.notifier.notify(finding, count=incident.count, first_seen=incident.first_seen,
                                last_seen=incident.last_seen, incident_id=incident.incident_id,
                                account_name=monitor.account_names.get(incident.account or ""))
    else:
        log.warning("blind episode %s of %s has no stored incident: closed without a message", incident_id, where)
    monitor.state.touch(CLOSED_KIND, incident_id, now)
    return True
