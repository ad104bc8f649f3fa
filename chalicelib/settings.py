"""Settings read from the environment once per process (Lambda env vars or the shell).

Built once and frozen: handlers read ``settings()`` instead of scattering ``os.environ``
lookups, and tests build a ``Settings`` directly with the values they need.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

from chalicelib.errors import ConfigError


@dataclass(frozen=True)
class Settings:
    model_path: str | None = None  # None → the model bundled in chalicelib/
    table_name: str = "trailwarden-incidents"
    topic_arn: str | None = None
    slack_webhook_parameter: str = "/trailwarden/slack-webhook-url"
    slack_enabled: bool = True
    # severity → channels, e.g. "critical=slack,sns;high=slack,sns;medium=slack;low=;info="
    routing: str = "critical=slack,sns;high=slack,sns;medium=slack;low=;info="
    group_window_seconds: int = 3600
    # rule → events a group must reach before it alerts, e.g. "sts-assume-role-failed=5"
    alert_thresholds: str = ""
    retention_days: int = 400
    stage: str = "local"
    region: str = "us-east-1"
    store_url: str | None = None  # overrides table_name when set (e.g. sqlite:///x.db)
    anchors: str | None = None  # s3://BUCKET/PREFIX: where the daily schedule publishes the chain head
    event_bus: str = "default"  # a custom bus: organization mode (issue 14), members forward to it

    @property
    def organization(self) -> bool:
        return self.event_bus != "default"
    # A Slack app posts button clicks to /slack/interactions, signed with this SecureString's secret;
    # alerts carry triage buttons only when slack_buttons is on (a webhook-only setup has no app).
    slack_signing_secret_parameter: str = "/trailwarden/slack-signing-secret"
    slack_buttons: bool = False
    responder_role: str = ""  # the IAM role allowed to POST /incidents/{id}/triage ("": trailwarden-STAGE-responder)
    # Security Hub channel (route it with "securityhub" in TRAILWARDEN_ROUTING); triage is mirrored when on
    securityhub_enabled: bool = False

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        d = cls()
        return cls(
            model_path=env.get("TRAILWARDEN_MODEL") or None,
            table_name=env.get("TRAILWARDEN_TABLE", d.table_name),
            topic_arn=env.get("TRAILWARDEN_TOPIC_ARN") or None,
            slack_webhook_parameter=env.get("TRAILWARDEN_SLACK_WEBHOOK_PARAM", d.slack_webhook_parameter),
            slack_enabled=env.get("TRAILWARDEN_SLACK_ENABLED", "true").lower() != "false",
            routing=env.get("TRAILWARDEN_ROUTING", d.routing),
            group_window_seconds=int(env.get("TRAILWARDEN_GROUP_WINDOW_SECONDS", d.group_window_seconds)),
            alert_thresholds=env.get("TRAILWARDEN_ALERT_THRESHOLDS", d.alert_thresholds),
            retention_days=int(env.get("TRAILWARDEN_RETENTION_DAYS", d.retention_days)),
            stage=env.get("TRAILWARDEN_STAGE", d.stage),
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or d.region,
            store_url=env.get("TRAILWARDEN_STORE") or None,
            anchors=env.get("TRAILWARDEN_ANCHORS") or None,
            event_bus=(env.get("TRAILWARDEN_EVENT_BUS") or "").strip() or "default",
            slack_signing_secret_parameter=env.get("TRAILWARDEN_SLACK_SIGNING_SECRET_PARAM",
                                                   d.slack_signing_secret_parameter),
            slack_buttons=env.get("TRAILWARDEN_SLACK_BUTTONS", "false").lower() == "true",
            responder_role=env.get("TRAILWARDEN_RESPONDER_ROLE", ""),
            securityhub_enabled=env.get("TRAILWARDEN_SECURITYHUB", "false").lower() == "true",
        )


def parse_thresholds(text: str) -> dict[str, int]:
    """``"sts-assume-role-failed=5;root-signin-failed=3"`` → ``{rule: count}``; bad entries are errors."""
    out: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.replace(",", ";").split(";"))):
        rule, _, count = part.partition("=")
        if not rule.strip() or not count.strip().isdigit() or int(count) < 1:
            raise ConfigError(f"TRAILWARDEN_ALERT_THRESHOLDS: {part!r} is not RULE=N with N >= 1")
        out[rule.strip()] = int(count)
    return out


def is_on(value: str) -> bool:
    """A stage switch such as ``TRAILWARDEN_WATCH_WRITES``: 1/true/yes/on in any case, spaces ignored.

    One reading for ``app.py`` (which decides at import whether a handler exists) and anyone who
    must agree with it about the same variable."""
    return value.strip().lower() in {"1", "true", "yes", "on"}


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings.from_env()
