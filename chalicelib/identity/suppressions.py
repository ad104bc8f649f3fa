"""Suppressions: a known, accepted pattern that must not page anyone — with an owner and an end date.

A model's ``suppressions:`` entry names a rule and a principal and/or an account (optionally
one event name), says why (``reason``), who answers for it (``owner``) and when it ends
(``expires``, required, at most a year ahead when the model is loaded). A matching finding
is still stored, marked with the entry that matched (``details.suppressed``), and never
alerted. From 00:00 UTC on ``expires`` the entry stops matching; ``model check`` lists the
entries that end within 30 days so the owner renews or drops them in time.
"""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictStr, field_validator, model_validator

from chalicelib.findings import Finding

MAX_AHEAD_DAYS = 366  # "at most a year ahead", leap day included
EXPIRING_WITHIN = timedelta(days=30)


def _date(value: Any) -> date:
    """A YAML date (``2027-01-31``) or the same written as a string; nothing else (no timestamps)."""
    if isinstance(value, datetime):
        raise ValueError("expires is a date (YYYY-MM-DD), not a time")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"expires {value!r} is not a date (YYYY-MM-DD)")


@lru_cache(maxsize=1)
def known_rule_ids() -> frozenset[str]:
    """Every id a finding can carry: the registered detections and the audit's checks."""
    from chalicelib.audit.catalog import AUDIT_CHECKS  # lazily: the model loads before any rule
    from chalicelib.rules import load_rules
    from chalicelib.rules.registry import REGISTRY

    load_rules()
    return frozenset(REGISTRY.ids()) | frozenset(AUDIT_CHECKS)


def today() -> date:
    return datetime.now(UTC).date()


class SuppressionSpec(BaseModel):
    """One ``suppressions:`` entry (validated strictly, like the rest of the model)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)

    rule: StrictStr = Field(pattern=r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
    # A model principal id, or an ARN (``*`` globs allowed: a vendor's scanner role's sessions).
    principal: Annotated[StrictStr, Field(min_length=1)] | None = None
    account: StrictStr | None = Field(default=None, pattern=r"^\d{12}$")
    event_name: Annotated[StrictStr, Field(pattern=r"^[A-Za-z0-9]+$")] | None = None
    reason: Annotated[StrictStr, Field(min_length=1)]
    owner: Annotated[StrictStr, Field(min_length=1)]
    expires: Annotated[date, BeforeValidator(_date)]

    @field_validator("rule")
    @classmethod
    def _known_rule(cls, value: str) -> str:
        known = known_rule_ids()
        if value not in known:
            close = difflib.get_close_matches(value, sorted(known), n=1, cutoff=0.6)
            raise ValueError(f"unknown rule {value!r} " + (f"(did you mean {close[0]!r}?)" if close else
                             f"(a detection or audit check id, e.g. {', '.join(sorted(known)[:3])})"))
        return value

    @field_validator("expires")
    @classmethod
    def _within_a_year(cls, value: date) -> date:
        latest = today() + timedelta(days=MAX_AHEAD_DAYS)
        if value > latest:
            raise ValueError(f"expires {value.isoformat()} is more than a year ahead (at most {latest.isoformat()}): "
                             "a suppression must be reviewed at least yearly")
        return value

    @model_validator(mode="after")
    def _narrow(self) -> SuppressionSpec:
        if self.principal is None and self.account is None:
            raise ValueError("a suppression needs 'principal' and/or 'account' (a rule alone would silence it "
                             "everywhere)")
        return self

    @property
    def ends_at(self) -> datetime:
        """The first moment it no longer matches: 00:00 UTC on ``expires``."""
        return datetime.combine(self.expires, time(0), tzinfo=UTC)

    def matches(self, finding: Finding, now: datetime) -> bool:
        if finding.rule != self.rule or now >= self.ends_at:
            return False
        if self.account is not None and finding.account != self.account:
            return False
        if self.event_name is not None and finding.event_name != self.event_name:
            return False
        if self.principal is None:
            return True
        if self.principal.startswith("arn:"):
            return bool(finding.principal_arn) and fnmatch.fnmatchcase(str(finding.principal_arn), self.principal)
        return finding.principal == self.principal

    def marker(self, index: int) -> dict[str, Any]:
        """What a suppressed incident carries: the entry that matched, by position and content."""
        data = self.model_dump(exclude_none=True)
        data["expires"] = self.expires.isoformat()
        return {"index": index, **data}


@dataclass(frozen=True)
class Suppressions:
    """The model's entries, applied to findings at a given moment (the monitor's clock)."""

    entries: tuple[SuppressionSpec, ...] = ()

    def match(self, finding: Finding, now: datetime) -> tuple[int, SuppressionSpec] | None:
        for index, entry in enumerate(self.entries):
            if entry.matches(finding, now):
                return index, entry
        return None

    def apply(self, finding: Finding, now: datetime) -> Finding:
        """The finding marked suppressed (``details.suppressed``), or unchanged.

        A suppressed finding groups apart from unsuppressed ones (its ``group_key`` says so),
        so an incident that pages is never swallowed by one that does not, or the reverse.
        """
        found = self.match(finding, now)
        if found is None:
            return finding
        index, entry = found
        group_key = f"{finding.group_key}#suppressed" if finding.group_key else None
        return replace(finding, details={**finding.details, "suppressed": entry.marker(index)}, group_key=group_key)


def is_suppressed(finding: Finding) -> bool:
    return isinstance(finding.details.get("suppressed"), dict)


def expiring(entries: Iterable[SuppressionSpec], now: datetime, within: timedelta = EXPIRING_WITHIN
             ) -> list[tuple[int, SuppressionSpec]]:
    """Entries still matching that stop within ``within`` (and those already ended), by end date."""
    out = [(i, e) for i, e in enumerate(entries) if e.ends_at <= now + within]
    return sorted(out, key=lambda pair: pair[1].expires)
