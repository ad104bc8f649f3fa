"""CloudTrail's key layout in a trail bucket, and which keys a date/account/region filter admits.

CloudTrail writes ``[PREFIX/]AWSLogs/[o-ORGID/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/
ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHmmZ_UNIQUE.json.gz`` (the organization id only for an
organization trail), digests under ``CloudTrail-Digest/`` and Insights under
``CloudTrail-Insight/`` beside it. Because every filter is a path segment, a listing can be
pruned folder by folder (``admits``) before anything deeper is listed; a key is then
classified (``classify``) as a log to read, or something to skip and count.

Dates select by the day in the key (the UTC day CloudTrail delivered the file), inclusive at
both ends, exactly as copying those folders to disk would: an event from 23:58 may sit in the
next day's folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from chalicelib.errors import ConfigError
from chalicelib.sources import SUFFIXES

MARKER = "AWSLogs/"
KINDS = {"CloudTrail": "log", "CloudTrail-Digest": "digest file", "CloudTrail-Insight": "insight file"}
OTHER = "non-CloudTrail object"
_ORG = re.compile(r"o-[a-z0-9]+")  # Organizations ids are o- and 10-32 characters; any o- folder is one
_ACCOUNT = re.compile(r"\d{12}")
_REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d{1,2}")
_AGO = re.compile(r"(\d{1,5})d")


def parse_day(text: str, today: date, what: str) -> date:
    """``2026-01-31`` or ``90d`` (that many days before ``today``, UTC); a timestamp counts as its UTC day."""
    if m := _AGO.fullmatch(text.strip()):
        return today - timedelta(days=int(m.group(1)))
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        pass
    try:
        stamp = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        return (stamp.astimezone(UTC) if stamp.tzinfo else stamp).date()
    except ValueError:
        raise ConfigError(f"expected a date (YYYY-MM-DD) or a number of days (90d), got {text!r}", what) from None


def parse_accounts(text: str) -> frozenset[str]:
    ids = frozenset(a.strip() for a in text.split(",") if a.strip())
    bad = sorted(a for a in ids if not _ACCOUNT.fullmatch(a))
    if bad or not ids:
        raise ConfigError(f"expected 12-digit account ids separated by commas, got {', '.join(bad) or text!r}",
                          "--accounts")
    return ids


def parse_regions(text: str) -> tuple[str, ...]:
    regions = tuple(dict.fromkeys(r.strip() for r in text.split(",") if r.strip()))
    bad = [r for r in regions if not _REGION.fullmatch(r)]
    if bad or not regions:
        raise ConfigError(f"expected region names separated by commas (us-east-1,eu-west-1), got "
                          f"{', '.join(bad) or text!r}", "--regions")
    from chalicelib.org.names import known_regions

    unknown = [r for r in regions if r not in known_regions()]  # a typo would read nothing and say so nowhere
    if unknown:
        raise ConfigError(f"{', '.join(map(repr, unknown))} is not an AWS region name (e.g. us-east-1, eu-west-1)",
                          "--regions")
    return regions


@dataclass(frozen=True)
class TrailFilter:
    """Which objects to read: days (inclusive, by key), accounts and regions; None admits all."""

    since: date | None = None
    until: date | None = None
    accounts: frozenset[str] | None = None
    regions: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise ConfigError(f"--since {self.since} is after --until {self.until}", "--since")

    def _day_range(self, parts: tuple[int, ...]) -> bool:
        """Whether a year, (year, month) or (year, month, day) overlaps [since, until]."""
        lo = (self.since.year, self.since.month, self.since.day)[: len(parts)] if self.since else None
        hi = (self.until.year, self.until.month, self.until.day)[: len(parts)] if self.until else None
        return (lo is None or parts >= lo) and (hi is None or parts <= hi)

    def admits(self, folders: list[str]) -> bool:
        """Whether the folders after ``AWSLogs/`` (complete segments) may hold a wanted log.

        Folders that are not CloudTrail's (another service's logs in the same bucket) are not
        listed at all; digest and Insights folders are, under the same filter, to count them.
        """
        path = folders[1:] if folders and _ORG.fullmatch(folders[0]) else folders
        if not path:
            return True
        if not _ACCOUNT.fullmatch(path[0]) or (self.accounts is not None and path[0] not in self.accounts):
            return False
        if len(path) > 1 and path[1] not in KINDS:
            return False
        if len(path) > 2 and (not _REGION.fullmatch(path[2]) or (self.regions is not None
                                                                  and path[2] not in self.regions)):
            return False
        numbers = path[3:6]
        if not all(n.isdigit() for n in numbers):
            return False
        return not numbers or self._day_range(tuple(int(n) for n in numbers))


@dataclass(frozen=True)
class TrailKey:
    """What a key is: ``kind`` is "log", "digest file", "insight file" or OTHER."""

    kind: str
    account: str | None = None
    region: str | None = None
    day: date | None = None


def folders_after_marker(key: str) -> list[str] | None:
    """The complete folders after the last ``AWSLogs/`` of a key or prefix; None when there is none."""
    at = key.rfind(MARKER)
    if at < 0 or (at and key[at - 1] != "/"):
        return None
    return key[at + len(MARKER):].split("/")[:-1]


def classify(key: str) -> TrailKey:
    """The kind of object at ``key`` by its path alone (objects are never opened to find out)."""
    folders = folders_after_marker(key)
    if folders is None:
        return TrailKey(OTHER)
    path = folders[1:] if folders and _ORG.fullmatch(folders[0]) else folders
    if len(path) != 6 or path[1] not in KINDS or not _ACCOUNT.fullmatch(path[0]):
        return TrailKey(OTHER)
    try:
        day = date(int(path[3]), int(path[4]), int(path[5]))
    except ValueError:
        return TrailKey(OTHER)
    kind = KINDS[path[1]]
    if kind == "log" and not key.endswith(SUFFIXES):  # what `replay DIR` reads of a synced bucket, no more
        return TrailKey(OTHER, path[0], path[2], day)
    return TrailKey(kind, path[0], path[2], day)


def wanted(key: TrailKey, filt: TrailFilter) -> bool:
    """Whether a classified key passes the filter (a non-CloudTrail object is never filtered out)."""
    if key.kind == OTHER and key.account is None:
        return True
    return ((filt.accounts is None or key.account in filt.accounts)
            and (filt.regions is None or key.region in filt.regions)
            and (key.day is None or ((filt.since is None or key.day >= filt.since)
                                     and (filt.until is None or key.day <= filt.until))))


def today_utc() -> date:
    return datetime.now(UTC).date()
