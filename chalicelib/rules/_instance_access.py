"""Who may run code on an instance, shared by the instance-access detections (SSM commands and
sessions, EC2 Instance Connect keys, user data): each of them gets the caller onto a machine and
so into the instance's role, whatever the caller's own IAM permissions.

The model says who does this routinely with ``operates_instances: true`` (on-call engineers, an
SSM-driven deploy). Only fields AWS sets are read: the caller's ARN and issuer (the resolved
actor), ``invokedBy`` and the account; never a session name, document name or user agent.
"""

from __future__ import annotations

from chalicelib.findings import Severity
from chalicelib.identity.resolve import INSTANCE_PROFILE
from chalicelib.rules._aws_acting import aws_acting
from chalicelib.rules.base import Context, fingerprint


def grade(ctx: Context) -> tuple[Severity, str] | None:
    """The model's answer for a caller who reached into an instance, with the reason in words; None
    when AWS acted, or for a declared operator's refused attempt (nothing happened, and it may try)."""
    if aws_acting(ctx):
        return None  # Patch Manager, maintenance windows, Automation: the call that asked is judged
    actor = ctx.actor
    p = actor.principal
    if p is not None and p.operates_instances:
        if ctx.event.failed:
            return None
        severity, why = Severity.LOW, f"principal '{p.id}' is declared to operate instances."
    elif actor.auth == INSTANCE_PROFILE:
        severity, why = Severity.HIGH, ("an instance's own credentials reaching into instances: "
                                        "lateral movement from a compromised machine.")
    elif actor.manages_iam:
        severity, why = Severity.MEDIUM, (f"principal '{p.id if p else '?'}' may manage IAM but is not "
                                          "declared to operate instances (operates_instances).")
    elif actor.is_root:
        severity, why = Severity.HIGH, "root is never the declared way to operate instances."
    elif p is not None:
        severity, why = Severity.HIGH, (f"principal '{p.id}' is not declared to operate instances: "
                                        "its credentials are being used to get onto a machine.")
    else:
        severity, why = Severity.HIGH, "the model does not declare this caller at all."
    if ctx.event.failed:
        severity = min(severity, Severity.MEDIUM)
    return severity, why


def operator_details(ctx: Context) -> dict[str, bool]:
    """What the model says of the caller, for a finding's details."""
    p = ctx.actor.principal
    return {"actor_operates_instances": bool(p and p.operates_instances), "actor_manages_iam": ctx.actor.manages_iam}


def caller_group(prefix: str, ctx: Context) -> str:
    """One group per caller (many instances touched by one caller is one story, as Stratus detonates)."""
    actor = ctx.actor
    return f"{prefix}:{fingerprint(actor.arn or actor.name or '?')}"


def instance_arn(ctx: Context, instance_id: str | None) -> str | None:
    """The instance's ARN from the event's region and account (both set by AWS)."""
    ev = ctx.event
    if not instance_id or not instance_id.startswith(("i-", "mi-")) or not ev.account or not ev.region:
        return None
    kind = "instance" if instance_id.startswith("i-") else "managed-instance"
    service = "ec2" if kind == "instance" else "ssm"
    return f"arn:{ev.partition}:{service}:{ev.region}:{ev.account}:{kind}/{instance_id}"
