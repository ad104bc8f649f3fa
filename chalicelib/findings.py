"""The finding: what a rule concluded about one event, in the DESIGN §6 shape.

Findings are frozen so that a rule, the engine, the store and the notifiers can pass one
around without anyone changing it behind the others' backs.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from chalicelib.errors import ConfigError


class Severity(IntEnum):
    """Ordered so that ``finding.severity >= Severity.HIGH`` reads naturally."""

    INFO = 10
    LOW = 20
    MEDIUM = 30
    HIGH = 40
    CRITICAL = 50

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: str | Severity) -> Severity:
        if isinstance(value, Severity):
            return value
        try:
            return cls[str(value).strip().upper()]
        except KeyError:
            choices = ", ".join(s.label for s in cls)
            raise ConfigError(f"unknown severity {value!r} (expected one of: {choices})") from None

    def __str__(self) -> str:
        return self.label


# The fields DESIGN §6 requires, in the order they are printed and exported.
FINDING_FIELDS: tuple[str, ...] = (
    "rule",
    "severity",
    "title",
    "principal_arn",
    "principal",
    "target_arn",
    "event_id",
    "event_name",
    "event_source",
    "event_time",
    "account",
    "region",
    "source_ip",
    "user_agent",
    "breaks",
    "runbook",
    "reason",
)


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule's verdict on one event (or one audit observation).

    ``group_key`` tells the incident log which findings are the same incident (a root
    console session, a burst of failed AssumeRole calls); ``None`` means one incident per
    event and rule.
    """

    rule: str
    severity: Severity
    title: str
    principal_arn: str | None
    principal: str | None
    target_arn: str | None
    event_id: str | None
    event_name: str | None
    event_source: str | None
    event_time: str | None
    account: str | None
    region: str | None
    source_ip: str | None
    user_agent: str | None
    breaks: str | None
    runbook: str
    reason: str
    reference: str | None = None
    observed_auth: str | None = None
    group_key: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: the §6 fields first, then the extras."""
        out: dict[str, Any] = {}
        for name in FINDING_FIELDS:
            value = getattr(self, name)
            out[name] = value.label if isinstance(value, Severity) else value
        out["reference"] = self.reference
        out["observed_auth"] = self.observed_auth
        out["group_key"] = self.group_key
        out["details"] = dict(self.details)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        """Inverse of :meth:`to_dict`; unknown keys are ignored (stored incidents add some)."""
        names = {f.name for f in dataclasses.fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in names}
        kwargs["severity"] = Severity.parse(kwargs["severity"])
        kwargs["details"] = dict(kwargs.get("details") or {})
        for name in FINDING_FIELDS:
            kwargs.setdefault(name, None)
        kwargs["runbook"] = kwargs["runbook"] or ""
        kwargs["reason"] = kwargs["reason"] or ""
        return cls(**kwargs)

    @property
    def dedup_key(self) -> str:
        """At-least-once delivery: the same CloudTrail event and rule is one finding."""
        return f"{self.rule}#{self.event_id or self.group_key or self.principal_arn}"


def mask_key(access_key_id: str | None) -> str | None:
    """Show only the last 4 characters of an access key id (``…LFKH``)."""
    if not access_key_id:
        return None
    return "…" + access_key_id[-4:]
