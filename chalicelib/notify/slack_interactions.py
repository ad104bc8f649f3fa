"""Slack button clicks → triage records: authenticated, fresh, once, and shown back in the message.

Slack posts a click (``block_actions``) to ``POST /slack/interactions`` as a form body
``payload=<json>``, signed with the app's signing secret (``X-Slack-Signature``,
``X-Slack-Request-Timestamp``). The request is trusted only when slack_sdk's
``SignatureVerifier`` accepts it (HMAC over ``v0:timestamp:body``, timestamp within 5
minutes of the injected clock) and its signature was never seen before (a once-only marker
in the state store): a replayed request is refused even inside the 5 minutes. Anything
else gets 401 and changes nothing. The signing secret is a SecureString read from SSM at
run time (cached), like the webhook URL, and never logged.

An accepted click appends a triage record as ``slack:<user name> (<user id>)`` and replaces
the original message through the payload's ``response_url`` (which must be a Slack https
URL) with the status line added and the buttons that no longer apply removed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from slack_sdk.signature import Clock, SignatureVerifier

from chalicelib.errors import ChannelNotConfigured
from chalicelib.incidents.keys import format_ts
from chalicelib.incidents.state import StateStore
from chalicelib.incidents.store import IncidentStore
from chalicelib.incidents.triage import TriageError, TriageRecord
from chalicelib.notify.actions import BLOCK_ID, BUTTONS

log = logging.getLogger(__name__)
SEEN = "slack-request"  # state kind: signatures already accepted (replay protection)
MAX_BODY = 64 * 1024


@dataclass(frozen=True)
class Answer:
    """The HTTP answer to Slack: status and a small JSON body (never the secret or the payload)."""

    status: int
    body: dict[str, Any]


class _InjectedClock(Clock):
    """slack_sdk's clock interface over our injected ``datetime`` clock."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock

    def now(self) -> float:
        return self._clock().timestamp()


def slack_response_url(url: Any) -> str | None:
    """The response_url if it is an https URL on a Slack host; else None (never post elsewhere)."""
    if not isinstance(url, str):
        return None
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme == "https" and (host == "slack.com" or host.endswith(".slack.com")):
        return url
    return None


def post_response(url: str, message: dict[str, Any]) -> None:
    """POST to a response_url with slack_sdk's WebhookClient (the URL is never logged)."""
    from slack_sdk.webhook import WebhookClient

    from chalicelib.notify.slack import _quiet_logger

    response = WebhookClient(url, timeout=5, logger=_quiet_logger()).send_dict(message)
    if not 200 <= response.status_code < 300:
        log.warning("Slack response_url answered HTTP %s", response.status_code)


class InteractionHandler:
    """Everything injected: the store, the state (seen signatures), the secret, the clock, the poster."""

    def __init__(
        self,
        store: IncidentStore,
        state: StateStore,
        signing_secret: Callable[[], str],
        clock: Callable[[], datetime],
        respond: Callable[[str, dict[str, Any]], None] = post_response,
    ) -> None:
        self.store = store
        self.state = state
        self.signing_secret = signing_secret
        self.clock = clock
        self.respond = respond

    def handle(self, headers: Mapping[str, str], body: bytes | str) -> Answer:
        raw = body.encode("utf-8") if isinstance(body, str) else (body or b"")
        lowered = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
        signature = lowered.get("x-slack-signature")
        if not signature:  # unsigned: refused without even reading the secret
            return Answer(401, {"error": "unauthorized", "message": "bad, missing or stale Slack signature"})
        try:
            secret = self.signing_secret()
        except ChannelNotConfigured as err:
            log.warning("Slack interaction refused: %s", err)
            return Answer(503, {"error": "not_configured", "message": "Slack interactions are not set up"})
        except Exception as err:  # noqa: BLE001 - SSM down, no permission: say so without the details
            log.error("Slack interaction refused: cannot read the signing secret (%s)", type(err).__name__)
            return Answer(503, {"error": "unavailable", "message": "cannot read the Slack signing secret"})
        if len(raw) > MAX_BODY or not self._authentic(secret, raw, lowered.get("x-slack-request-timestamp"),
                                                      signature):
            return Answer(401, {"error": "unauthorized", "message": "bad, missing or stale Slack signature"})
        assert signature is not None
        if not self.state.touch(SEEN, signature, self.clock()):
            log.warning("Slack interaction refused: replayed request")
            return Answer(401, {"error": "unauthorized", "message": "this request was already received"})
        return self._act(raw)

    def _authentic(self, secret: str, body: bytes, timestamp: str | None, signature: str | None) -> bool:
        if not timestamp or not signature or not timestamp.strip().isdigit():
            return False
        try:
            verifier = SignatureVerifier(secret, clock=_InjectedClock(self.clock))
            return verifier.is_valid(body=body, timestamp=timestamp, signature=signature)
        except (ValueError, TypeError):
            return False

    def _act(self, raw: bytes) -> Answer:
        payload = _payload(raw)
        actions = payload.get("actions") if isinstance(payload, dict) else None
        action = actions[0] if isinstance(actions, list) and actions and isinstance(actions[0], dict) else {}
        meaning = BUTTONS.get(str(action.get("action_id")))
        incident_id = action.get("value")
        if payload.get("type") != "block_actions" or meaning is None or not isinstance(incident_id, str):
            return Answer(400, {"error": "unsupported", "message": "not a Trailwarden triage button"})
        _, verb, resolution, _ = meaning
        user = payload.get("user") if isinstance(payload.get("user"), dict) else {}
        actor = f"slack:{user.get('username') or user.get('name') or '?'} ({user.get('id') or '?'})"
        url = slack_response_url(payload.get("response_url"))
        try:
            record = self.store.triage(incident_id, verb, actor, now=self.clock(), resolution=resolution,
                                       note="from a Slack button", via="slack")  # fmt: skip
        except TriageError as err:
            if url:
                self.respond(url, {"response_type": "ephemeral", "replace_original": False,
                                   "text": f"Not changed: {err.message}"})  # fmt: skip
            return Answer(200, {"ok": False, "message": err.message})
        if url:
            self.respond(url, updated_message(payload.get("message"), record))
        return Answer(200, {"ok": True, "status": record.status, "seq": record.seq})


def _payload(raw: bytes) -> dict[str, Any]:
    try:
        form = parse_qs(raw.decode("utf-8"), strict_parsing=False)
        value = json.loads(form.get("payload", ["{}"])[0])
    except (UnicodeDecodeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def status_line(record: TriageRecord) -> str:
    what = "Acknowledged" if record.action == "ack" else f"Resolved as *{record.resolution}*"
    return f"{what} by {record.actor} at {format_ts(record.at)}"


def updated_message(message: Any, record: TriageRecord) -> dict[str, Any]:
    """The original message with a status line; buttons only while there is something left to do."""
    blocks = message.get("blocks") if isinstance(message, dict) else None
    blocks = [b for b in blocks if isinstance(b, dict)] if isinstance(blocks, list) else []
    kept = [b for b in blocks if b.get("block_id") != BLOCK_ID or record.status == "acknowledged"]
    if record.status == "acknowledged":  # only resolving is left
        kept = [_without_ack(b) for b in kept]
    kept.append({"type": "context", "elements": [{"type": "mrkdwn", "text": status_line(record)}]})
    text = (message.get("text") if isinstance(message, dict) else None) or status_line(record)
    return {"replace_original": True, "text": text, "blocks": kept}


def _without_ack(block: dict[str, Any]) -> dict[str, Any]:
    if block.get("block_id") != BLOCK_ID:
        return block
    elements = [e for e in block.get("elements", []) if isinstance(e, dict) and e.get("action_id") != "triage-ack"]
    return {**block, "elements": elements}


def ssm_signing_secret(parameter_name: str, *, max_age: int = 300) -> Callable[[], str]:
    """The signing secret from an SSM SecureString via Powertools (cached ``max_age`` seconds)."""

    def provider() -> str:
        from aws_lambda_powertools.utilities.parameters import get_parameter

        from chalicelib.awserrors import error_code

        try:
            value = get_parameter(parameter_name, decrypt=True, max_age=max_age)
        except Exception as err:
            if error_code(err) == "ParameterNotFound":
                raise ChannelNotConfigured(f"the Slack signing secret parameter {parameter_name} does not exist") \
                    from None
            raise
        if not isinstance(value, str) or not value.strip():
            raise ChannelNotConfigured(f"the Slack signing secret parameter {parameter_name} is empty")
        return value.strip()

    return provider
