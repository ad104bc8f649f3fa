"""iam-privilege-granted: an admin-equivalent policy given to a user, role or group; critical when
the receiver is a static-key principal (a leaked key becomes an admin key) or one the model does
not declare. Grants that are not admin-equivalent are quiet; documents that cannot be read are not.

A customer managed policy is judged when it is created (``CreatePolicy``): its attachment names only
its ARN, so an admin-equivalent document created first and attached later would otherwise pass unseen."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.events import as_bool, as_str
from chalicelib.findings import Severity
from chalicelib.identity import policy
from chalicelib.identity.schema import PrincipalSpec
from chalicelib.rules._aws_acting import AWS_APPLIED, aws_applied
from chalicelib.rules.base import Context, Rule, Verdict, breaks_of, failed_suffix
from chalicelib.rules.registry import register

ATTACH = frozenset({"AttachUserPolicy", "AttachRolePolicy", "AttachGroupPolicy"})
INLINE = frozenset({"PutUserPolicy", "PutRolePolicy", "PutGroupPolicy"})
VERSIONS = frozenset({"CreatePolicyVersion", "SetDefaultPolicyVersion"})
CREATE = "CreatePolicy"
IAM = "iam.amazonaws.com"



@dataclass(frozen=True, slots=True)
class Grant:
    """What the call grants: admin-equivalent capabilities, or why the record cannot tell."""

    grants: tuple[str, ...]
    unknown: str | None = None  # the policy text is missing or unreadable


@dataclass(frozen=True, slots=True)
class Target:
    kind: str  # user | role | group | policy
    name: str | None
    arn: str | None
    principal: PrincipalSpec | None

    def label(self) -> str:
        declared = f" (principal '{self.principal.id}', {self.principal.auth})" if self.principal else ""
        return f"{self.kind} '{self.name or '?'}'{declared}"


@register
class IamPrivilegeGranted(Rule):
    id = "iam-privilege-granted"
    severity = Severity.HIGH
    title = "Admin-equivalent permissions granted"
    event_names = ATTACH | INLINE | VERSIONS | {"AddUserToGroup", CREATE}
    # Quiet only for another service's call of the same name, or a grant that is readable and not
    # admin-equivalent: that is the source, the policy ARN, the document and (for a new version) whether
    # it becomes the default.
    memo_fields = (("eventSource",), ("requestParameters", "policyArn"), ("requestParameters", "policyDocument"),
                   ("requestParameters", "setAsDefault"))
    reference = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html"
    runbook = (
        "Find who received the permissions (target) and whether anyone asked for it. If not: detach or "
        "delete the policy (`aws iam detach-user-policy` / `delete-user-policy`, or `set-default-policy-version` "
        "back), deactivate the target's keys if it is a static-key user, and review what the target did since."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev = ctx.event
        if ev.event_source not in (IAM, "?"):
            return None  # Organizations' CreatePolicy (an SCP), IoT's CreatePolicy(Version): not IAM permissions
        if ev.event_name == "CreatePolicyVersion" and as_bool(ev.request_parameters.get("setAsDefault")) is not True:
            return None  # a non-default version grants nothing until made default
        grant = _grant(ctx)
        if grant is None:
            return None
        target = _target(ctx)
        severity, why = _grade(ctx, grant, target)
        if aws_applied(ctx):
            severity, why = Severity.LOW, AWS_APPLIED
        if ev.failed:
            severity = min(severity, Severity.MEDIUM)
        what = "; ".join(grant.grants) if grant.grants else grant.unknown
        return Verdict(
            reason=f"{ctx.actor.describe()} granted {target.label()} {what}. {why}{failed_suffix(ctx)}",
            severity=severity,
            target_arn=target.arn,
            breaks=breaks_of(target.principal),
            group_key=f"privilege:{target.arn or target.name}",
            details={"target_kind": target.kind, "target_name": target.name,
                     "target_principal": target.principal.id if target.principal else None,
                     "can_now": list(grant.grants), "unknown": grant.unknown,
                     "policy_arn": ev.param("policyArn"), "policy_name": ev.param("policyName")},
        )


def _grant(ctx: Context) -> Grant | None:
    """What the call grants, or None when it is readable and not admin-equivalent."""
    ev = ctx.event
    name = ev.event_name
    if name == "AddUserToGroup":
        group = ev.param("groupName")
        return Grant((), f"membership of group '{group or '?'}', whose policies the record does not show")
    if name == "SetDefaultPolicyVersion":
        return Grant((), f"version {ev.param('versionId') or '?'} of {ev.param('policyArn') or 'a policy'} as the "
                         "default, whose text the record does not show")
    if name in ATTACH:
        arn = ev.param("policyArn")
        if policy.admin_managed_policy(arn):
            return Grant((f"the AWS managed policy {policy.managed_policy_name(arn)} (admin-equivalent)",))
        return None  # another AWS or customer managed policy: its text is not in the record
    doc = policy.parse_policy(ev.request_parameters.get("policyDocument"))
    grants = tuple(policy.admin_grants(doc))
    if grants:
        return Grant(grants, None if doc.readable else doc.problem)
    if not doc.readable:
        return Grant((), f"a policy whose document could not be read ({doc.problem})")
    return None


def _target(ctx: Context) -> Target:
    ev = ctx.event
    account, model = ev.account, ctx.model
    if ev.event_name in VERSIONS:
        arn = ev.param("policyArn")
        return Target("policy", arn.rsplit("/", 1)[-1] if arn else None, arn, None)
    if ev.event_name == CREATE:
        created = ev.response_elements.get("policy")
        arn = as_str(created.get("arn")) if isinstance(created, dict) else None
        return Target("new managed policy", ev.param("policyName"), arn, None)
    for kind, param in (("user", "userName"), ("role", "roleName"), ("group", "groupName")):
        name = ev.param(param)
        if name:  # AddUserToGroup names a user first: the member is the target
            lookup = {"user": model.iam_user, "role": model.role}.get(kind)
            arn = f"arn:{ev.partition}:iam::{account}:{kind}/{name}" if account else None
            return Target(kind, name, arn, lookup(name, account) if lookup else None)
    return Target("user", None, None, None)


def _grade(ctx: Context, grant: Grant, target: Target) -> tuple[Severity, str]:
    manager = ctx.actor.manages_iam
    if not grant.grants:
        if ctx.event.event_name == "AddUserToGroup":
            risky = target.principal is None or target.principal.auth == "access-key"
            who = "an undeclared user" if target.principal is None else "a static-key user"
            if risky:
                return Severity.MEDIUM, f"Check the group's policies: the new member is {who}."
            return Severity.LOW, "Check the group's policies."
        if ctx.event.event_name == "SetDefaultPolicyVersion":
            return (Severity.LOW if manager else Severity.MEDIUM), "Check what that version allows."
        return Severity.HIGH, "Treated as possibly admin-equivalent, since it could not be read."
    if target.kind in ("user", "role") and target.principal is None:
        return Severity.CRITICAL, f"The model does not declare this {target.kind}: a new admin outside the model."
    if target.principal is not None and target.principal.auth == "access-key":
        return Severity.CRITICAL, "It is a static-key principal: whoever holds its key is now an admin."
    if target.kind == "group":
        return Severity.HIGH, "Every member of the group gets it (groups are not in the model)."
    if ctx.event.event_name == CREATE:
        attach = ("whoever it is attached to gets it, and the attachment's record names only the policy's ARN, "
                  "not what it grants")
        return (Severity.MEDIUM, f"Not attached yet, but {attach}; the actor may manage IAM.") if manager else (
            Severity.HIGH, f"Not attached yet, but {attach}; the actor is not declared as allowed to manage IAM.")
    return Severity.HIGH, ("The actor may manage IAM; confirm it was asked for." if manager
                           else "The actor is not declared as allowed to manage IAM.")
