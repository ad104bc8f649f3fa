"""Is a key change the declared way of rotating? The evidence, and what is missing from it.

A stolen CI key that creates a new key and deletes the old one looks, record by record, just
like the CI user rotating its own key. What tells them apart is where the call came from and
how many keys the user ends up with, so a rotation is routine only when:

* an IAM manager made it, or the principal itself did from a source it is known to use (a
  source IP seen for it before and the same user-agent family, from ``History``); and
* the user does not end up with more active keys than the model's ``max_active_keys``
  (counted from key events and the inventory audit, where known).
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.history import AGENT, IP, MIN_SOURCE_AGE, agent_family, event_time, key_owner
from chalicelib.identity.schema import PrincipalSpec
from chalicelib.rules.base import Context, fingerprint

MIN_AGE_TEXT = f"{int(MIN_SOURCE_AGE.total_seconds() // 60)} minutes"


@dataclass(frozen=True)
class RotationEvidence:
    routine: bool
    missing: tuple[str, ...]
    active_after: int | None

    def explain(self) -> str:
        return "; ".join(self.missing)


def rotation_evidence(ctx: Context, target: PrincipalSpec, user: str | None, key: str | None,
                      adds_key: bool) -> RotationEvidence:
    """Judge a key created (``adds_key``) or revoked for declared ``target`` by the event's actor."""
    actor, ev, history = ctx.actor, ctx.event, ctx.history
    missing: list[str] = []
    if not actor.manages_iam:
        if actor.principal is not target:
            missing.append(f"{actor.describe()} is neither '{target.id}' itself nor declared to manage IAM")
        else:
            ip, family, at = ev.source_ip, agent_family(ev.user_agent), event_time(ev.event_time)
            if not ip or not history.source_seen(target.id, IP, ip, at):
                seen = bool(ip) and history.source_seen(target.id, IP, ip)
                missing.append(f"source IP {ip or 'unknown'} was never seen for '{target.id}' before" if not seen else
                               f"source IP {ip} was first seen for '{target.id}' less than {MIN_AGE_TEXT} before")
            if not family or not history.source_seen(target.id, AGENT, family):
                missing.append(f"user agent '{family or 'none'}' is not one '{target.id}' was seen using")
    active_after = None
    owner = key_owner(ev.account, user)
    known = history.active_keys(owner) if owner else None
    if adds_key and known is not None:
        active_after = len(known | {fingerprint(key)}) if key else len(known) + 1
        allowed = target.max_active_keys
        if active_after > allowed:
            missing.append(f"'{user}' would have {active_after} active keys; the model allows {allowed} "
                           "(max_active_keys)")
    return RotationEvidence(not missing, tuple(missing), active_after)
