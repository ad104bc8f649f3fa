"""Link the two halves of a key rotation, so a planned rotation is one story, not two alarms.

A declared credential revoked (``credential-revoked``: DeleteAccessKey, UpdateAccessKey
Inactive) and a new key created for the same user (``iam-create-access-key``) within an hour
of each other, in either order, are a rotation: the second finding names the first's key
and incident ("rotated: old key …LFKH replaced by …9Q2A"). When the actor was allowed to do
it (an IAM admin, or the principal itself) it drops to low severity, so it is stored and
logged but pages nobody a second time; a key swapped by anyone else stays loud.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from chalicelib.findings import Finding, Severity
from chalicelib.incidents.state import KEY_CREATED, REVOKED, StateStore

WINDOW = timedelta(hours=1)
KEY_ACTIONS = frozenset({"DeleteAccessKey", "UpdateAccessKey"})


def _role(finding: Finding) -> tuple[str, str, str] | None:
    """(this half's state kind, the other half's kind, this half's masked key) or None."""
    if not finding.target_arn:
        return None
    if finding.rule == "credential-revoked" and finding.details.get("action") in KEY_ACTIONS:
        return REVOKED, KEY_CREATED, finding.details.get("key") or "?"
    if finding.rule == "iam-create-access-key":
        return KEY_CREATED, REVOKED, finding.details.get("new_key") or "?"
    return None


class RotationLinker:
    def __init__(self, state: StateStore, window: timedelta = WINDOW) -> None:
        self.state = state
        self.window = window

    def link(self, finding: Finding, when: datetime) -> Finding:
        """Rewrite the second half of a rotation; anything else passes through unchanged."""
        role = _role(finding)
        if role is None:
            return finding
        _, other_kind, key = role
        other = self.state.entry(other_kind, finding.target_arn or "")
        if other is None or not timedelta(0) <= when - other[0] <= self.window:
            return finding
        other_key, _, other_incident = (other[1] or "?|").partition("|")
        old, new = (other_key, key) if other_kind == REVOKED else (key, other_key)
        # Only a rotation done by someone allowed to (an IAM admin or the principal itself) is quiet;
        # a key swapped by anyone else stays as loud as its rule made it, with the link added.
        trusted = bool(finding.details.get("actor_trusted"))
        return replace(
            finding,
            severity=min(finding.severity, Severity.LOW) if trusted else finding.severity,
            reason=f"rotated: old key {old} replaced by {new} (incident {other_incident or 'unknown'}). "
            + finding.reason,
            details={**finding.details,
                     "rotation": {"old_key": old, "new_key": new, "linked_incident": other_incident}},
        )

    def remember(self, finding: Finding, incident_id: str | None, when: datetime) -> None:
        role = _role(finding)
        if role is not None:
            kind, _, key = role
            self.state.touch(kind, finding.target_arn or "", when, timedelta(0), note=f"{key}|{incident_id or ''}")
