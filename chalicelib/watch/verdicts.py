"""What the blinding detections share: who may change the monitor, and how severity drops.

A principal declared with ``manages_monitoring: true`` may change logging and the monitor;
its changes are low (still stored: auditors want them). A failed call is an attempt, reported
one step lower. Each finding names the control weakened, the offending ARN and what the
monitor can no longer see (``breaks``).
"""

from __future__ import annotations

from typing import Any

from chalicelib.findings import Severity
from chalicelib.identity.resolve import Actor
from chalicelib.rules.base import Context, Verdict, failed_suffix


def manages_monitoring(actor: Actor) -> bool:
    return bool(actor.principal is not None and actor.principal.manages_monitoring)


def severity_for(ctx: Context, base: Severity, *, allowed: bool = True) -> Severity:
    """``base``; low for a principal allowed to manage monitoring (when ``allowed``); one step lower on failure."""
    severity = Severity.LOW if allowed and manages_monitoring(ctx.actor) else base
    if ctx.event.failed and severity > Severity.LOW:
        severity = Severity(severity - 10)
    return severity


def offender(actor: Actor) -> str:
    """Who, with the ARN spelled out (a reason must name it even when the actor is undeclared)."""
    who = actor.describe()
    return who if not actor.arn or actor.arn in who else f"{who} ({actor.arn})"


# How each kind of resource a blinding call names by name becomes an ARN in the caller's account and region
# (a finding's target ARN: Security Hub and OCSF resources, and the runbook's --name filled in from it).
_ARN_FORMS = {
    "trail": "arn:{p}:cloudtrail:{r}:{a}:trail/{n}",
    "rule": "arn:{p}:events:{r}:{a}:rule/{n}",
    "function": "arn:{p}:lambda:{r}:{a}:function:{n}",
    "table": "arn:{p}:dynamodb:{r}:{a}:table/{n}",
    "role": "arn:{p}:iam::{a}:role/{n}",
}


def arn_in(ctx: Context, kind: str, name: str | None) -> str | None:
    """``name`` as it is if an ARN; else the ARN of a ``kind`` resource so named where the call was made."""
    if not name or name.startswith("arn:"):
        return name or None
    ev = ctx.event
    form = _ARN_FORMS.get(kind)
    if form is None or not ev.account or not (ev.region or kind == "role") or "/" in name or ":" in name:
        return None
    parts = (ctx.actor.arn or "").split(":")
    partition = parts[1] if len(parts) > 1 and parts[0] == "arn" and parts[1] else "aws"
    return form.format(p=partition, r=ev.region, a=ev.account, n=name)


def blinding_verdict(ctx: Context, *, base: Severity, control: str, action: str, blind_to: str,
                     target_arn: str | None = None, allowed: bool = True, **details: Any) -> Verdict:
    """The shared shape: "<who> <action>: <control> weakened. The monitor no longer sees <blind_to>."""
    actor = ctx.actor
    note = ""
    if allowed and manages_monitoring(actor):
        note = f" Principal '{actor.principal_id}' is declared as allowed to manage monitoring (low, kept for audit)."
    return Verdict(
        reason=f"{offender(actor)} {action}. Control weakened: {control}. What the monitor can no longer see: "
               f"{blind_to}.{note}{failed_suffix(ctx)}",
        severity=severity_for(ctx, base, allowed=allowed),
        target_arn=target_arn,
        breaks=blind_to,
        details={"control": control, "blind_to": blind_to, "actor_manages_monitoring": manages_monitoring(actor),
                 "succeeded": not ctx.event.failed, **details},
    )
