"""``POST /incidents/{id}/triage``: triage through the API, as the IAM identity that signed the request.

API Gateway checks the SigV4 signature (IAM auth) and IAM decides who may invoke the route:
only the responder role the template creates (the auditor role is read-only). The handler
checks again that the signer is a session of that role, so a policy mistake elsewhere does
not turn a reader into a responder, and records the signer's ARN from the request context
(``identity.userArn``), never a name taken from the body.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.incidents.keys import role_arn
from chalicelib.incidents.store import IncidentStore
from chalicelib.incidents.triage import RESOLUTIONS, IncidentNotFound, TriageError

ALLOWED_KEYS = frozenset({"action", "resolution", "note"})


@dataclass(frozen=True)
class ApiAnswer:
    status: int
    body: dict[str, Any]


def signer_arn(context: Mapping[str, Any] | None) -> str | None:
    """The ARN API Gateway verified for an IAM-authorised request (``requestContext.identity.userArn``)."""
    identity = (context or {}).get("identity")
    arn = identity.get("userArn") if isinstance(identity, Mapping) else None
    return arn if isinstance(arn, str) and arn.startswith("arn:") else None


def is_responder(arn: str, responder_role: str) -> bool:
    """A session of (or the) role named ``responder_role``."""
    role = role_arn(arn)
    return bool(responder_role) and role is not None and role.rsplit("/", 1)[-1] == responder_role


def _body(raw: Any) -> dict[str, Any] | str:
    """The JSON object body, or a message saying what is wrong with it."""
    if isinstance(raw, bytes | str):
        try:
            raw = json.loads(raw or b"{}")
        except ValueError:
            return "the body is not JSON"
    if not isinstance(raw, dict):
        return 'the body must be a JSON object like {"action": "ack"}'
    unknown = sorted(set(raw) - ALLOWED_KEYS)
    if unknown:
        return f"unknown field {', '.join(unknown)} (known: {', '.join(sorted(ALLOWED_KEYS))})"
    if raw.get("action") not in ("ack", "resolve"):
        return "action must be 'ack' or 'resolve'"
    if raw["action"] == "resolve" and raw.get("resolution") not in RESOLUTIONS:
        return f"resolving needs a resolution: one of {', '.join(RESOLUTIONS)}"
    for key in ("resolution", "note"):
        if raw.get(key) is not None and not isinstance(raw[key], str):
            return f"{key} must be a string"
    return raw


def triage_request(
    store: IncidentStore,
    incident_id: str,
    body: Any,
    context: Mapping[str, Any] | None,
    *,
    responder_role: str,
    now: datetime | None = None,
) -> ApiAnswer:
    """403 unless a responder signed it; 400 bad body; 404 unknown incident; 409 not allowed now; 200."""
    arn = signer_arn(context)
    if arn is None or not is_responder(arn, responder_role):
        return ApiAnswer(403, {"error": "forbidden", "message": "only the responder role may triage incidents"})
    parsed = _body(body)
    if isinstance(parsed, str):
        return ApiAnswer(400, {"error": "bad_request", "message": parsed})
    try:
        record = store.triage(incident_id, parsed["action"], arn, now=now, resolution=parsed.get("resolution"),
                              note=parsed.get("note"), via="api")  # fmt: skip
    except IncidentNotFound:
        return ApiAnswer(404, {"error": "not_found", "message": f"no incident with id {incident_id!r}"})
    except TriageError as err:
        return ApiAnswer(409, {"error": "conflict", "message": err.message})
    return ApiAnswer(200, {"triage": record.to_dict()})
