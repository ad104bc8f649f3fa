"""iam-permissions-boundary-removed: the permissions boundary of an IAM user or role was deleted, so
its policies apply in full (Rhino Security Labs' iam:Delete*PermissionsBoundary escalation: a
principal allowed to remove its own boundary lifts its own ceiling).

Judged against the model: removing one's own boundary is critical; anyone else but an IAM manager
is high; an IAM manager is low. Replacing a boundary lifts it as surely: setting one's own boundary
(``Put…PermissionsBoundary``) is critical, and an admin-equivalent AWS managed policy as anyone's boundary
is graded as a removal; another replacement (a narrower boundary, a customer policy) is quiet.
"""

from __future__ import annotations

from types import MappingProxyType

from chalicelib.findings import Severity
from chalicelib.identity import policy
from chalicelib.identity.model import fold
from chalicelib.rules._aws_acting import AWS_APPLIED, aws_applied
from chalicelib.rules.base import Context, Rule, Verdict, breaks_of, failed_suffix
from chalicelib.rules.registry import register

TARGETS = {"DeleteUserPermissionsBoundary": ("user", "userName"), "DeleteRolePermissionsBoundary": ("role", "roleName"),
           "PutUserPermissionsBoundary": ("user", "userName"), "PutRolePermissionsBoundary": ("role", "roleName")}
REPLACE = frozenset({"PutUserPermissionsBoundary", "PutRolePermissionsBoundary"})


@register
class IamPermissionsBoundaryRemoved(Rule):
    id = "iam-permissions-boundary-removed"
    severity = Severity.HIGH
    title = "Permissions boundary removed or lifted"
    event_names = frozenset(TARGETS)
    memo_fields = (("eventSource",),)  # every removal is a finding; a replacement reads its target and policy
    memo_fields_by_name = MappingProxyType({name: tuple(("requestParameters", k) for k in (
        "userName", "roleName", "permissionsBoundary")) for name in REPLACE})
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
        replaced = ev.event_name in REPLACE
        boundary = ev.param("permissionsBoundary")
        if replaced and not own and not policy.admin_managed_policy(boundary):
            return None  # a narrower boundary, or a customer policy whose text the record does not show
        lifted = f"set its own boundary to {boundary or '?'}" if replaced else "removed its own boundary"
        if aws_applied(ctx):
            severity, why = Severity.LOW, AWS_APPLIED
        elif own:
            severity, why = Severity.CRITICAL, f"the actor {lifted}: it lifted its own ceiling."
        elif actor.manages_iam:
            severity, why = Severity.LOW, "the actor may manage IAM."
        else:
            severity, why = Severity.HIGH, "the actor is not declared as allowed to manage IAM."
        if ev.failed:
            severity = min(severity, Severity.MEDIUM)
        return Verdict(
            reason=f"{actor.describe()} {'replaced' if replaced else 'removed'} the permissions boundary of {kind} "
                   f"'{name or '?'}'{f' with {boundary}' if replaced else ''}: {why}"
                   f"{failed_suffix(ctx)}",
            severity=severity,
            target_arn=f"arn:{ev.partition}:iam::{ev.account}:{kind}/{name}" if name and ev.account else None,
            breaks=breaks_of(target),
            details={"target_kind": kind, "target_name": name, "target_principal": target.id if target else None,
                     "own_boundary": own, "actor_manages_iam": actor.manages_iam},
        )
