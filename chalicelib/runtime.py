"""Process-wide wiring for the Lambda handlers: built lazily on first use, reused after.

Nothing here runs at import: the model, boto3 clients and the store are created by the
first event, so ``import app`` stays cheap (cold start). ``use()`` lets the local simulator
and tests install their own ``Monitor`` (injected store, Slack sender, clock).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.settings import Settings, parse_thresholds, settings

log = logging.getLogger(__name__)
_monitor: Any = None
TRACKING = "tracking"


def store_url(cfg: Settings) -> str:
    return cfg.store_url or f"dynamodb://{cfg.table_name}"


# Per-rule grouping windows: one undeclared account stays one incident while it keeps acting.
RULE_WINDOWS = {"identity-undeclared-account": 30 * 24 * 3600,
                # One blind episode (its group key holds the last heartbeat) stays one incident however long.
                "monitor-blind": 30 * 24 * 3600}


def store_options(cfg: Settings) -> dict[str, Any]:
    """Grouping and retention for ``open_store``: the Lambda, simulate and replay use the same."""
    return {
        "group_window": timedelta(seconds=cfg.group_window_seconds),
        "group_windows": {rule: timedelta(seconds=s) for rule, s in RULE_WINDOWS.items()},
        "retention_days": cfg.retention_days,
    }


def build_monitor(cfg: Settings, *, metrics: Any = None, slack: Any = None, sns: Any = None) -> Any:
    """The deployed wiring from settings; ``slack`` / ``sns`` override the SSM webhook sender / the topic."""

    from chalicelib.engine import Engine
    from chalicelib.history import StateHistory
    from chalicelib.identity import load_model, remote
    from chalicelib.incidents import open_store
    from chalicelib.incidents.state import open_state
    from chalicelib.monitor import Monitor
    from chalicelib.notify import Notifier

    url = store_url(cfg)
    store = open_store(url, **store_options(cfg))
    notifier = Notifier.from_settings(cfg, metrics=metrics)  # builds no client: nothing touches AWS yet
    if slack is not None or sns is not None:
        notifier = Notifier(notifier.routing, slack or notifier.slack, sns or notifier.sns, metrics=metrics,
                            buttons=notifier.buttons, securityhub=notifier.securityhub)
    mirror = getattr(notifier.securityhub, "mirror", None)
    if mirror is not None:  # triage (API, Slack buttons, reopen) → the Security Hub finding's workflow status
        store.observe_triage(mirror)
    state = open_state(url)
    # History (sources, role sessions, key counts) lives in the state: each event is its own invocation.
    source = None
    if remote.is_remote(cfg.model_path):  # the model as configuration: polled from S3 (issue 14)
        source = remote.S3Model(str(cfg.model_path))
        model = source.model()
    else:
        model = load_model(cfg.model_path)
    mon = Monitor(Engine(model, history=StateHistory(state)), store, notifier, state=state,
                  thresholds=parse_thresholds(cfg.alert_thresholds))
    mon.model_source = source
    if cfg.organization:  # alerts name every organization account, not only the model's (read once a day)
        mon.account_names = org_account_names(mon.account_names)
    return mon


def org_account_names(model_names: dict[str, str]) -> Any:
    """The model's names, then the organization's (ListAccounts, refreshed daily; no call until a name is missing)."""
    from chalicelib.org.accounts import AccountNames
    from chalicelib.org.scheduled import org_accounts

    def fetch() -> Any:
        import boto3

        return org_accounts(boto3.session.Session())

    return AccountNames(model_names, fetch)


def monitor() -> Any:
    global _monitor
    if _monitor is None:
        _monitor = build_monitor(settings(), metrics=_metrics())
    return _monitor


def use(custom: Any) -> None:
    """Install a monitor (``simulate``, tests); ``None`` goes back to lazy default wiring."""
    global _monitor
    _monitor = custom


def _metrics() -> Any:
    try:
        from app import metrics  # the Powertools Metrics instance flushed by app's middleware
    except ImportError:
        return None
    return metrics


def handle_cloudtrail(envelope: dict[str, Any], family: str) -> dict[str, Any]:
    """Judge, store and alert on one EventBridge envelope delivered to handler ``family``."""
    mon = monitor()
    refresh_model(mon)
    result = mon.process_envelope(envelope)
    summary = result.summary()
    summary["family"] = family
    return summary


def refresh_model(mon: Any, now: datetime | None = None) -> None:
    """With an S3 model: judge with its newest valid version; report each refused version once (model-invalid)."""
    source = getattr(mon, "model_source", None)
    if source is None:
        return
    from chalicelib.engine import Engine
    from chalicelib.identity.remote import invalid_finding

    model = source.model()
    if model is not mon.engine.model:
        swap_model(mon, Engine(model, history=mon.engine.history))
    while source.rejected:
        when = now or mon.clock()
        kept = source.current.version if source.current else None
        mon.record([invalid_finding(source.url, source.rejected.pop(0), kept, when)], now=when)


def swap_model(mon: Any, engine: Any) -> None:
    """Everything the monitor derives from the model follows the new engine."""
    from chalicelib.identity.suppressions import Suppressions
    from chalicelib.identity.version import model_version

    mon.engine = engine
    spec = engine.model.spec
    names = {a.id: a.name for a in spec.accounts}
    with_model = getattr(mon.account_names, "with_model", None)  # organization names: keep the fetched list
    mon.account_names = with_model(names) if with_model is not None else names
    mon.suppressions = Suppressions(tuple(getattr(spec, "suppressions", ())))
    mon.model_version = model_version(engine.model)


def run_scheduled_audit(now: datetime | None = None) -> dict[str, Any]:
    """The daily audit: live drift plus silence, stored and alerted like any other finding."""
    from chalicelib.audit import drift_findings
    from chalicelib.audit.silence import silent_principals
    from chalicelib.incidents.state import LAST_SEEN

    mon = monitor()
    now = now or mon.clock()
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    findings = []
    if mon.state is not None:  # silence first: it needs no IAM access, so an IAM outage cannot hide it
        mon.state.touch(TRACKING, "since", now)  # the first run starts the clock for "never seen"
        findings += silent_principals(mon.engine.model, mon.state.all(LAST_SEEN), now,
                                      mon.state.get(TRACKING, "since"))
    try:
        if settings().organization:  # every account of the organization, through its read-only role
            from chalicelib.org.scheduled import organization_findings

            findings += organization_findings(mon.engine.model, now, history=mon.engine.history)
        else:
            findings += drift_findings(mon.engine.model, now, history=mon.engine.history)
    finally:  # store the silence findings even when the IAM read fails (the error still propagates)
        summary = mon.record(findings, now=now).summary()
        summary["anchor"] = publish_head(mon.store, settings(), now)  # after the audit: its findings are in it
    return summary


def publish_head(store: Any, cfg: Settings, now: datetime, client: Any = None) -> str | None:
    """Write the chain head (seq, hash, time) to the Object Lock bucket, if one is configured.

    A rewrite of the whole chain by someone who can write the table no longer matches these
    published heads (``incidents verify --anchors``). Returns the object's ``s3://`` URL.
    """
    if not cfg.anchors:
        return None
    from chalicelib.incidents.anchor import Anchor, S3Anchors, store_head

    target = S3Anchors.from_url(cfg.anchors, client=client)
    key = target.put(Anchor.of_head(store_head(store), now, store_url(cfg)))
    log.info("published chain head to s3://%s/%s", target.bucket, key)
    return f"s3://{target.bucket}/{key}"


def run_liveness_check(now: datetime | None = None, config: Any = None) -> dict[str, Any]:
    """Every 15 minutes: ``monitor-blind`` for each account/region whose heartbeat is overdue (chalicelib/watch)."""
    import os

    from chalicelib.watch.liveness import LivenessConfig, run_check

    mon = monitor()
    return run_check(mon, config or LivenessConfig.from_env(os.environ), now or mon.clock())


def run_coverage_check(now: datetime | None = None, session: Any = None) -> dict[str, Any]:
    """Daily in organization mode: ``coverage-gap`` for each account and region not fully watched."""
    import os

    from chalicelib.org.scheduled import run_coverage

    mon = monitor()
    return run_coverage(mon, os.environ, now or mon.clock(), session=session)


def close_groups() -> dict[str, Any]:
    """Hourly: one closing Slack/SNS update per grouped incident whose window has ended."""
    closed = monitor().close_groups(timedelta(seconds=settings().group_window_seconds))
    return {"closed": closed}


_signing_secret: Any = None


def slack_interaction(headers: dict[str, str], body: bytes | str) -> Any:
    """``POST /slack/interactions``: a signed button click → a triage record (``slack_interactions``)."""
    global _signing_secret
    from chalicelib.notify.slack_interactions import InteractionHandler, ssm_signing_secret

    if _signing_secret is None:
        _signing_secret = ssm_signing_secret(settings().slack_signing_secret_parameter)
    current = monitor()
    if current.state is None:  # nowhere to remember signatures: replays could not be refused
        from chalicelib.notify.slack_interactions import Answer

        return Answer(503, {"error": "not_configured", "message": "no state store for replay protection"})
    return InteractionHandler(current.store, current.state, _signing_secret, current.clock).handle(headers, body)


def triage_incident(incident_id: str, body: Any, context: dict[str, Any] | None) -> Any:
    """``POST /incidents/{id}/triage``: recorded as the IAM identity that signed the request."""
    from chalicelib.incidents.triage_api import triage_request

    cfg, current = settings(), monitor()
    role = cfg.responder_role or f"trailwarden-{cfg.stage}-responder"  # the template's name for the stage
    return triage_request(current.store, incident_id, body, context, responder_role=role, now=current.clock())


def list_incidents(params: dict[str, str]) -> dict[str, Any]:
    """Auditor API: ``GET /incidents`` with filters; raises ``ConfigError`` on a bad filter."""
    from chalicelib.incidents.filters import parse_query

    mon = monitor()
    page = mon.store.query(parse_query(params))
    return {"incidents": [named(public(i.to_dict()), mon.account_names) for i in page.items],
            "next_token": page.next_token}


def named(row: dict[str, Any], names: Any) -> dict[str, Any]:
    """The row with its account's name (model, then organization), so no query answers with a bare id."""
    return {**row, "account_name": names.get(row.get("account") or "")}


def get_incident(incident_id: str) -> dict[str, Any] | None:
    """Auditor API: ``GET /incidents/{id}`` including the original CloudTrail record."""
    from chalicelib.notify.message import redact_value

    mon = monitor()
    incident = mon.store.get(incident_id)
    return named(redact_value(incident.to_dict()), mon.account_names) if incident else None


def public(row: dict[str, Any]) -> dict[str, Any]:
    """A listing row: everything but the (large) raw record, access key ids masked."""
    from chalicelib.notify.message import redact_value

    return redact_value({k: v for k, v in row.items() if k != "raw_event"})
