"""What every audit check shares: the model, the snapshot, the date, and one way to build a finding.

Findings are built only through ``AuditContext.finding`` so that title, runbook and reference
always come from the catalog, event fields are always None, and every group key has the
``inventory:<rule>:<arn>:<suffix>`` shape (no date: a daily re-run is the same incident).
Helpers format dates and keys the same way in every reason; keys only ever appear masked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.audit.catalog import AUDIT_CHECKS
from chalicelib.audit.snapshot import AccessKey, InventorySnapshot
from chalicelib.findings import Finding, Severity
from chalicelib.identity.model import IdentityModel
from chalicelib.identity.schema import PrincipalSpec


@dataclass(frozen=True, slots=True)
class AuditContext:
    """What every check needs: the model, the snapshot and the date it is judged as of."""

    model: IdentityModel
    snap: InventorySnapshot
    as_of: datetime

    @property
    def account_declared(self) -> bool:
        return self.snap.account in self.model.accounts

    def finding(
        self,
        rule: str,
        *,
        principal_arn: str,
        reason: str,
        suffix: str,
        principal: str | None = None,
        severity: Severity | None = None,
        breaks: str | None = None,
        runbook_args: dict[str, Any] | None = None,
        details: dict[str, Any] | None = None,
    ) -> Finding:
        check = AUDIT_CHECKS[rule]
        return Finding(
            rule=rule,
            severity=severity if severity is not None else check.severity,
            title=check.title,
            principal_arn=principal_arn,
            principal=principal,
            target_arn=None,
            event_id=None,
            event_name=None,
            event_source=None,
            event_time=None,
            account=self.snap.account,
            region=self.snap.region,
            source_ip=None,
            user_agent=None,
            breaks=breaks,
            runbook=check.runbook.format(**(runbook_args or {})),
            reason=reason,
            reference=check.reference,
            group_key=f"inventory:{rule}:{principal_arn}:{suffix}",
            details={"as_of": iso(self.as_of), **(details or {})},
        )


def day(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d")


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def days(delta: timedelta) -> int:
    return max(delta.days, 0)


def key_facts(key: AccessKey, as_of: datetime) -> dict[str, Any]:
    """A key as it may appear in a finding: masked, with dates and ages."""
    return {
        "key": key.masked,
        "status": key.status,
        "created": iso(key.created),
        "age_days": days(as_of - key.created),
        "last_used": iso(key.last_used),
        "last_used_service": key.last_used_service,
    }


def key_phrase(key: AccessKey) -> str:
    used = f"last used {day(key.last_used)}" if key.last_used else "never used"
    return f"{key.masked} ({key.status.lower()}, created {day(key.created)}, {used})"


def lives_in(p: PrincipalSpec) -> str:
    return p.key.lives_in if p.key and p.key.lives_in else "wherever its consumer reads it (the model does not say)"


def no_breaks(what: str) -> str:
    return f" The model does not say what breaks without it (add `breaks:` to {what})."
