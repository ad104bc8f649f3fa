"""Derived keys shared by both backends: timestamps, principal keys, ids, month partitions.

Both backends sort and filter on strings, so every timestamp is stored in one fixed-width
UTC form (``2026-11-20T10:01:02Z``, CloudTrail's own style) whose string order is time
order. Deriving these keys in one place keeps SQLite columns and DynamoDB index attributes
identical, and lets ``verify`` recompute them to detect an index attribute edited by hand.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime

TS_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

# arn:<partition>:sts::<account>:assumed-role/<RoleName>/<session>
_SESSION_ARN = re.compile(r"^arn:(?P<part>[^:]+):sts::(?P<acct>[^:]*):assumed-role/(?P<name>[^/]+)/.+$")
# arn:<partition>:iam::<account>:role/<optional/path/>RoleName
_ROLE_ARN = re.compile(r"^arn:(?P<part>[^:]+):iam::(?P<acct>[^:]*):role/(?:.*/)?(?P<name>[^/]+)$")


def utc(value: datetime) -> datetime:
    """Naive datetimes are taken as UTC; everything is compared in UTC, to the second."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0)


def format_ts(value: datetime) -> str:
    return utc(value).strftime(TS_FORMAT)


def parse_ts(value: str | None) -> datetime | None:
    """Parse a CloudTrail/ISO timestamp defensively: ``None`` when absent or unreadable."""
    if not value or not isinstance(value, str):
        return None
    try:
        return utc(datetime.fromisoformat(value.strip().replace("Z", "+00:00")))
    except ValueError:
        return None


def now_utc() -> datetime:
    return utc(datetime.now(UTC))


def epoch(value: datetime) -> int:
    return int(utc(value).timestamp())


def role_arn(arn: str | None) -> str | None:
    """The IAM role an ARN acts as: the role itself (path dropped) or an assumed-role session's role.

    Assumed-role session ARNs never carry the role's path, so the role key drops it too;
    role names are unique per account, so nothing else can collide.
    """
    if not arn:
        return None
    match = _SESSION_ARN.match(arn) or _ROLE_ARN.match(arn)
    if match is None:
        return None
    return f"arn:{match['part']}:iam::{match['acct']}:role/{match['name']}"


def is_role_arn(arn: str | None) -> bool:
    """An IAM role ARN (not a session): as a query it also matches the role's sessions."""
    return bool(arn and _ROLE_ARN.match(arn))


def principal_key(arn: str | None) -> str | None:
    """Index key for principal queries: the role for roles and their sessions, else the ARN."""
    return role_arn(arn) or arn or None


def incident_id_for(dedup_key: str) -> str:
    """Deterministic id: a redelivered first finding can never mint a second incident."""
    return "inc-" + hashlib.sha256(dedup_key.encode("utf-8")).hexdigest()[:24]


def sort_key(first_seen: str, incident_id: str) -> str:
    """Newest-first order key (and pagination cursor): ``first_seen#incident_id``."""
    return f"{first_seen}#{incident_id}"


def split_sort_key(value: str) -> tuple[str, str]:
    first_seen, _, incident_id = value.partition("#")
    return first_seen, incident_id


def month_of(ts: str) -> str:
    """``2026-11-20T…`` → ``2026-11`` (the time index partitions by month)."""
    return ts[:7]


def months_descending(newest: str, oldest: str) -> Iterator[str]:
    """Every ``YYYY-MM`` from ``newest`` back to ``oldest`` inclusive."""
    year, month = int(newest[:4]), int(newest[5:7])
    stop = (int(oldest[:4]), int(oldest[5:7]))
    while (year, month) >= stop:
        yield f"{year:04d}-{month:02d}"
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
