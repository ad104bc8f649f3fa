"""Auditor filters from text (CLI flags or API query strings) into an ``IncidentQuery``.

One parser serves ``incidents list`` and ``GET /incidents`` so both accept exactly the same
filters and reject bad ones with the same message naming the parameter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from chalicelib.errors import ConfigError
from chalicelib.findings import Severity
from chalicelib.incidents.keys import parse_ts
from chalicelib.incidents.paging import decode_token
from chalicelib.incidents.store import MAX_LIMIT, IncidentQuery

RELATIVE = re.compile(r"^(\d+)\s*([smhdw])$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
FILTERS = ("principal", "rule", "account", "severity_at_least", "since", "until", "limit", "next_token")


def parse_time(text: str, name: str, now: datetime | None = None) -> datetime:
    """``2026-11-20``, ``2026-11-20T10:00:00Z`` or a look-back like ``7d`` / ``24h``."""
    value = text.strip()
    match = RELATIVE.match(value)
    if match:
        return (now or datetime.now(UTC)) - timedelta(**{UNITS[match.group(2)]: int(match.group(1))})
    parsed = parse_ts(value)
    if parsed is None:
        raise ConfigError(f"{name}: {text!r} is neither an ISO time (2026-11-20T10:00:00Z) nor a look-back (7d, 24h)")
    return parsed


def parse_query(params: Mapping[str, str | None], now: datetime | None = None, *, flags: bool = False) -> IncidentQuery:
    """Build a query; unknown parameters and bad values raise ``ConfigError`` naming them, as the
    caller spells them: the API's ``severity_at_least``, or with ``flags`` the CLI's ``--severity-at-least``."""

    def name(key: str) -> str:
        return f"--{key.replace('_', '-')}" if flags else key

    unknown = sorted(k for k in params if k not in FILTERS and k.replace("-", "_") not in FILTERS)
    if unknown:
        raise ConfigError(f"unknown filter {', '.join(unknown)} (known: {', '.join(FILTERS)})")
    p = {k.replace("-", "_"): v for k, v in params.items() if v not in (None, "")}
    severity = None
    if "severity_at_least" in p:
        try:
            severity = Severity.parse(p["severity_at_least"])  # type: ignore[arg-type]
        except ConfigError as err:
            raise ConfigError(f"{name('severity_at_least')}: {err}") from None
    try:
        limit = int(p.get("limit") or 50)
    except ValueError:
        raise ConfigError(f"{name('limit')}: {p['limit']!r} is not a number") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise ConfigError(f"{name('limit')}: must be between 1 and {MAX_LIMIT}, got {limit}")
    since = parse_time(p["since"], name("since"), now) if "since" in p else None  # type: ignore[arg-type]
    until = parse_time(p["until"], name("until"), now) if "until" in p else None  # type: ignore[arg-type]
    if "next_token" in p:  # checked here so the error names the flag (--next-token) or the query parameter
        try:
            decode_token(p["next_token"])
        except ConfigError:
            raise ConfigError(f"{name('next_token')}: {p['next_token']!r} is not a token this log gave out "
                              "(copy it whole from the 'more incidents' line)") from None
    if since and until and since >= until:
        raise ConfigError(f"{name('since')} must be earlier than {name('until')}")
    return IncidentQuery(
        principal_arn=p.get("principal"), rule=p.get("rule"), account=p.get("account"), min_severity=severity,
        since=since, until=until, limit=limit, next_token=p.get("next_token"),
    )
