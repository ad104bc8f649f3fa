"""Turn a finding into what on-call reads: a Slack Block Kit message and an SNS subject/body.

Every outgoing string passes through :func:`redact`, so an access key id that a rule copied
into a reason, a title or ``details`` never leaves the Lambda (DESIGN §1: secrets are never
sent or logged). Builders are pure functions so they can be tested without any network.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from chalicelib.findings import Finding, Severity, mask_key
from chalicelib.notify.actions import triage_block

# AWS access key ids: long-lived (AKIA) and temporary (ASIA). No word boundaries on
# purpose: a key glued to other text must still be masked.
ACCESS_KEY_RE = re.compile(r"(?:AKIA|ASIA)[A-Z0-9]{16}")
# A Slack incoming-webhook URL is a bearer secret; mask it wherever it shows up.
SLACK_WEBHOOK_RE = re.compile(r"https://hooks\.slack(?:-gov)?\.com/[^\s\"'<>|]+")
WEBHOOK_PLACEHOLDER = "<slack-webhook-url>"

# SNS: "Subjects must be ... no line breaks or control characters, and less than 100
# characters long"; email endpoints also need ASCII. 99 keeps us inside both readings.
SNS_SUBJECT_MAX = 99
SNS_MESSAGE_MAX_BYTES = 250_000  # SNS caps a message at 256 KiB; leave room for the envelope.

# Block Kit limits (https://docs.slack.dev/reference/block-kit/blocks).
_HEADER_MAX = 150
_SECTION_TEXT_MAX = 3000
_FIELD_TEXT_MAX = 2000

# Commercial-partition region names; GovCloud and China consoles live on other domains.
_REGION_RE = re.compile(r"^(?!us-gov-|cn-)[a-z]{2}(?:-[a-z]+)+-\d{1,2}$")

_SEVERITY_EMOJI: dict[Severity, str] = {
    Severity.CRITICAL: ":rotating_light:",
    Severity.HIGH: ":red_circle:",
    Severity.MEDIUM: ":large_orange_circle:",
    Severity.LOW: ":large_blue_circle:",
    Severity.INFO: ":white_circle:",
}
_ASCII_PUNCTUATION = str.maketrans(
    {"—": "-", "–": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "...", "→": "->", "·": "-"}
)
NOT_SET = "n/a"


@dataclass(frozen=True, slots=True)
class AlertContext:
    """What the incident log knows beyond the finding: grouping and a friendly account name."""

    count: int = 1
    first_seen: str | datetime | None = None
    last_seen: str | datetime | None = None
    incident_id: str | None = None
    account_name: str | None = None
    reopened: bool = False  # the incident grew after it was resolved
    buttons: bool = False  # a Slack app receives clicks: offer the triage buttons

    @property
    def grouped(self) -> bool:
        return self.count > 1 or self.incident_id is not None


def redact(text: str) -> str:
    """Mask access key ids to their last 4 characters and hide Slack webhook URLs."""
    if not text:
        return text
    masked = ACCESS_KEY_RE.sub(lambda m: mask_key(m.group(0)) or "", text)
    return SLACK_WEBHOOK_RE.sub(WEBHOOK_PLACEHOLDER, masked)


def redact_value(value: Any) -> Any:
    """:func:`redact` applied to every string inside a JSON-like structure."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(v) for v in value]
    return value


def console_url(finding: Finding) -> str | None:
    """CloudTrail console link for the event, or None when it cannot point anywhere real."""
    region = (finding.region or "").strip()
    event_id = (finding.event_id or "").strip()
    if not event_id or not _REGION_RE.match(region):
        return None
    return (
        f"https://{region}.console.aws.amazon.com/cloudtrailv2/home?region={region}#/events/{quote(event_id, safe='')}"
    )


def _iso(value: str | datetime | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _account_label(finding: Finding, context: AlertContext) -> str:
    if context.account_name and finding.account:
        return f"{context.account_name} ({finding.account})"
    return context.account_name or finding.account or NOT_SET


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _mrkdwn(text: str | None) -> str:
    """Escape the three characters Slack treats as control sequences in mrkdwn."""
    if not text:
        return NOT_SET
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _code(text: str | None) -> str:
    """Inline code keeps ARNs and user agents from being mangled by mrkdwn formatting."""
    if not text:
        return NOT_SET
    return "`" + _mrkdwn(text).replace("`", "'") + "`"


def _field(label: str, value: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": _truncate(f"*{label}*\n{value}", _FIELD_TEXT_MAX)}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _truncate(text, _SECTION_TEXT_MAX)}}


def _grouping_line(context: AlertContext) -> str | None:
    if not context.grouped:
        return None
    parts = []
    if context.incident_id:
        parts.append(f"incident {context.incident_id}")
    parts.append(f"seen {context.count} time{'s' if context.count != 1 else ''}")
    if context.reopened:
        parts.append("REOPENED: it grew after it was resolved")
    if context.first_seen:
        parts.append(f"first {_iso(context.first_seen)}")
    if context.last_seen:
        parts.append(f"last {_iso(context.last_seen)}")
    return ", ".join(parts)


def _breaks_text(finding: Finding) -> str:
    return finding.breaks or "nothing declared in the identity model"


def fallback_text(finding: Finding, context: AlertContext | None = None) -> str:
    """Plain text for notifications and clients that do not render blocks."""
    context = context or AlertContext()
    lines = [
        f"[{finding.severity.label.upper()}] {finding.rule}: {finding.title}",
        f"Who: {finding.principal_arn or NOT_SET} (principal: {finding.principal or 'undeclared'})",
        f"Target: {finding.target_arn or NOT_SET}",
        f"Account: {_account_label(finding, context)} {finding.region or NOT_SET}",  # "prod (5029…) eu-west-1"
        f"From: {finding.source_ip or NOT_SET}  User agent: {finding.user_agent or NOT_SET}",
        f"Event: {finding.event_name or NOT_SET} at {finding.event_time or NOT_SET}",
        f"Why: {finding.reason or NOT_SET}",
        f"Breaks: {_breaks_text(finding)}",
        f"Runbook: {finding.runbook or NOT_SET}",
    ]
    grouping = _grouping_line(context)
    if grouping:
        lines.append(f"Incident: {grouping}")
    link = console_url(finding)
    if link:
        lines.append(f"CloudTrail: {link}")
    return redact("\n".join(lines))


def slack_payload(finding: Finding, context: AlertContext | None = None) -> dict[str, Any]:
    """Block Kit message an on-call engineer can act on without opening anything else."""
    context = context or AlertContext()
    sev = finding.severity
    header = f"{'REOPENED ' if context.reopened else ''}{sev.label.upper()}: {finding.title or finding.rule}"
    event = finding.event_name or NOT_SET
    if finding.event_source:
        event = f"{event} ({finding.event_source})"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _truncate(header, _HEADER_MAX), "emoji": True}},
        _section(f"{_SEVERITY_EMOJI.get(sev, '')} *Why:* {_mrkdwn(finding.reason)}".strip()),
        {
            "type": "section",
            "fields": [
                _field("Severity", sev.label),
                _field("Rule", _code(finding.rule)),
                _field("Principal", _mrkdwn(finding.principal or "undeclared")),
                _field("Account", _mrkdwn(_account_label(finding, context))),
                _field("Region", _mrkdwn(finding.region)),
                _field("Source IP", _code(finding.source_ip)),
                _field("Event", _mrkdwn(event)),
                _field("Event time", _mrkdwn(finding.event_time)),
            ],
        },
        _section(f"*Offending ARN*\n{_code(finding.principal_arn)}\n*Target ARN*\n{_code(finding.target_arn)}"),
        _section(f"*User agent*\n{_code(finding.user_agent)}"),
        _section(f"*What breaks*\n{_mrkdwn(_breaks_text(finding))}"),
        _section(f"*Runbook*\n{_mrkdwn(finding.runbook)}"),
    ]
    link = console_url(finding)
    if link:
        blocks.append(_section(f"<{link}|Open this event in the CloudTrail console>"))
    grouping = _grouping_line(context)
    context_bits = [f"event id {_code(finding.event_id)}"]
    if grouping:
        context_bits.insert(0, _mrkdwn(grouping))
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(context_bits)}]})
    if context.buttons and context.incident_id:
        blocks.append(triage_block(context.incident_id))
    return redact_value({"text": fallback_text(finding, context), "blocks": blocks})


def _ascii_line(text: str) -> str:
    """One line of printable ASCII: SNS rejects control characters and email needs ASCII."""
    text = unicodedata.normalize("NFKD", text.translate(_ASCII_PUNCTUATION))
    text = text.encode("ascii", "ignore").decode("ascii")
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(text.split())


def sns_subject(finding: Finding, context: AlertContext | None = None) -> str:
    """Short, ASCII-only e-mail subject: severity, rule and title, cut to fit SNS."""
    context = context or AlertContext()
    suffix = f" (x{context.count})" if context.count > 1 else ""
    subject = _ascii_line(redact(f"[{finding.severity.label.upper()}] {finding.rule}: {finding.title}"))
    subject = subject.lstrip(" ") or "Trailwarden finding"
    room = SNS_SUBJECT_MAX - len(suffix)
    if len(subject) > room:
        subject = subject[: room - 3].rstrip() + "..."
    return subject + suffix


def sns_body(finding: Finding, context: AlertContext | None = None) -> dict[str, Any]:
    """The finding's §6 dict plus grouping fields, redacted: what subscribers parse."""
    context = context or AlertContext()
    body = finding.to_dict()
    body.update(
        {
            "count": context.count,
            "first_seen": _iso(context.first_seen),
            "last_seen": _iso(context.last_seen),
            "incident_id": context.incident_id,
            "account_name": context.account_name,
            "console_url": console_url(finding),
        }
    )
    return redact_value(body)


def sns_message(finding: Finding, context: AlertContext | None = None) -> str:
    """JSON text of :func:`sns_body`, dropping ``details`` if it would exceed the SNS limit."""
    body = sns_body(finding, context)
    text = json.dumps(body, default=str)
    if len(text.encode("utf-8")) > SNS_MESSAGE_MAX_BYTES:
        body["details"] = {"truncated": True}
        text = json.dumps(body, default=str)
    return text


def sns_attributes(finding: Finding) -> dict[str, str]:
    """Values subscribers filter on; SNS rejects empty attribute values, so those are left out."""
    candidates = {"severity": finding.severity.label, "rule": finding.rule, "account": finding.account}
    return {name: redact(value) for name, value in candidates.items() if value}
