"""iam-permissions-boundary-removed: the permissions boundary of an IAM user or role was deleted, so
its policies apply in full (Rhino Security Labs' iam:Delete*PermissionsBoundary escalation: a
principal allowed to remove its own boundary lifts its own ceiling).

Judged against the model: removing one's own boundary is critical; anyone else but an IAM manager
is high; an IAM manager is low.
"""

from __future__ import annotations

from chalicelib.findings import Severity
from chalicelib.identity.model import fold
from chalicelib.rules.base import Context, Rule, Verdict, breaks_of, failed_suffix
from chalicelib.rules.registry import register

TARGETS = {"DeleteUserPermissionsBoundary": ("user", "userName"), "DeleteRolePermissionsBoundary": ("role", "roleName")}


@register
class IamPermissionsBoundaryRemoved(Rule):
    id = "iam-permissions-boundary-removed"
    severity = Severity.HIGH
    title = "Permissions boundary removed"
    event_names = frozenset(TARGETS)
    memo_fields = (("eventSource",),)  # every such IAM call is a finding
    reference = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html"
    runbook = (
        "Put the boundary back (`aws iam put-user-permissions-boundary` / `put-role-permissions-boundary`), "
        "then review what the user or role did without it. If the actor removed its own boundary, treat its "
        "credentials as compromised and take iam:Delete*PermissionsBoundary away from it."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev, actor = ctx.event, ctx.actor
        if ev.event_source != "iam.amazonaws.com":
            return None
        kind, param = TARGETS[ev.event_name]
        name = ev.param(param)
        target = ctx.model.iam_user(name, ev.account) if kind == "user" else ctx.model.role(name, ev.account)
        own = bool(name and actor.name and fold(name) == fold(actor.name)
                   and actor.kind == ("iam-user" if kind == "user" else "assumed-role"))
        if own:
            severity, why = Severity.CRITICAL, "the actor removed its own boundary: it lifted its own ceiling."
        elif actor.manages_iam:
            severity, why = Severity.LOW, "the actor may manage IAM."
        else:
            severity, why = Severity.HIGH, "the actor is not declared as allowed to manage IAM."
        if ev.failed:
            severity = min(severity, Severity.MEDIUM)
        return Verdict(
            reason=f"{actor.describe()} removed the permissions boundary of {kind} '{name or '?'}': {why}"
                   f"{failed_suffix(ctx)}",
            severity=severity,
            target_arn=f"arn:aws:iam::{ev.account}:{kind}/{name}" if name and ev.account else None,
            breaks=breaks_of(target),
            details={"target_kind": kind, "target_name": name, "target_principal": target.id if target else None,
                     "own_boundary": own, "actor_manages_iam": actor.manages_iam},
        )
