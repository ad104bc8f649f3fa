"""sso-assignment-changed: IAM Identity Center access changed (an assignment, a permission set's
policies, a new set), judged against the permission sets the model declares for its humans."""

from __future__ import annotations

from chalicelib.events import as_dict, as_str
from chalicelib.findings import Severity
from chalicelib.identity import policy
from chalicelib.rules.base import Context, Rule, Verdict, failed_suffix
from chalicelib.rules.registry import register

ASSIGNMENTS = frozenset({"CreateAccountAssignment", "DeleteAccountAssignment"})
POLICIES = frozenset({"PutInlinePolicyToPermissionSet", "AttachManagedPolicyToPermissionSet"})
# A customer managed policy attached by name: its text lives in each account the set reaches, never in the
# record (an admin document created there first is iam-privilege-granted's CreatePolicy).
REFERENCE = "AttachCustomerManagedPolicyReferenceToPermissionSet"
# A permission set's boundary (red-team round 3): removed, or set to an admin policy, the set's policies apply in
# full, as IAM's own boundary removal (iam-permissions-boundary-removed) does for a user or role.
BOUNDARY_OFF, BOUNDARY_PUT = "DeletePermissionsBoundaryFromPermissionSet", "PutPermissionsBoundaryToPermissionSet"


@register
class SsoAssignmentChanged(Rule):
    id = "sso-assignment-changed"
    severity = Severity.HIGH
    title = "IAM Identity Center access changed"
    event_names = ASSIGNMENTS | POLICIES | {"CreatePermissionSet", REFERENCE, BOUNDARY_OFF, BOUNDARY_PUT}
    memo_fields = ()  # every call is a finding
    reference = "https://docs.aws.amazon.com/singlesignon/latest/userguide/useraccess.html"
    runbook = (
        "Check who was given which permission set in which account (`aws sso-admin "
        "list-account-assignments`). If it was not requested, delete the assignment (`aws sso-admin "
        "delete-account-assignment`) or restore the set's policies, and review the SSO sessions it allowed. "
        "If it was, declare the permission set in the model."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev, actor = ctx.event, ctx.actor
        arn = ev.param("permissionSetArn") or as_str(
            as_dict(ev.response_elements.get("permissionSet")).get("permissionSetArn"))
        declared = ctx.model.permission_set(arn) or _declared_name(ctx)
        label = f"permission set '{declared}'" if declared else f"permission set {arn or ev.param('name') or '?'}"
        severity, what = self._grade(ctx, declared, label)
        if ev.failed:
            severity = min(severity, Severity.MEDIUM)
        return Verdict(
            reason=f"{actor.describe()} {what}{failed_suffix(ctx)}",
            severity=severity,
            target_arn=arn,
            group_key=f"sso:{arn or ev.param('name') or '?'}",
            details={"permission_set_arn": arn, "declared_permission_set": declared,
                     "account": ev.param("targetId"), "principal_type": ev.param("principalType"),
                     "principal_id": ev.param("principalId"), "actor_manages_iam": actor.manages_iam},
        )

    @staticmethod
    def _grade(ctx: Context, declared: str | None, label: str) -> tuple[Severity, str]:
        ev = ctx.event
        routine = Severity.LOW if ctx.actor.manages_iam and declared else Severity.MEDIUM
        who = f"{ev.param('principalType') or 'principal'} {ev.param('principalId') or '?'}"
        if ev.event_name == "CreateAccountAssignment":
            where = f"account {ev.param('targetId') or '?'}"
            if declared is None:
                return Severity.HIGH, (f"gave {who} {label} in {where}; the model declares that set for nobody.")
            return routine, f"gave {who} {label} in {where} (a declared set)."
        if ev.event_name == "DeleteAccountAssignment":
            return routine, f"removed {label} from {who} in account {ev.param('targetId') or '?'}."
        if ev.event_name == "CreatePermissionSet":
            return routine, f"created {label}; declare it in the model before assigning it."
        if ev.event_name == REFERENCE:
            ref = as_dict(ev.request_parameters.get("customerManagedPolicyReference"))
            name = f"{as_str(ref.get('path')) or '/'}{as_str(ref.get('name')) or '?'}"
            return routine, (f"attached the customer managed policy {name} to {label}: what it grants is that "
                             "policy's text in each account the set is assigned to, which the record does not show.")
        if ev.event_name in (BOUNDARY_OFF, BOUNDARY_PUT):
            return _boundary(ctx, label, routine)
        grants = _admin_policy(ctx)
        if grants:
            return Severity.HIGH, f"made {label} admin-equivalent: {'; '.join(grants)}."
        return routine, f"changed the policies of {label} ({ev.event_name}); nothing admin-equivalent."


def _boundary(ctx: Context, label: str, routine: Severity) -> tuple[Severity, str]:
    """A set's boundary removed, or replaced by one that bounds nothing (an admin-equivalent AWS managed policy)."""
    ev = ctx.event
    lifted = Severity.LOW if ctx.actor.manages_iam else Severity.HIGH
    if ev.event_name == BOUNDARY_OFF:
        return lifted, f"removed the permissions boundary of {label}: its policies now apply in full."
    bound = as_dict(ev.request_parameters.get("permissionsBoundary"))
    arn = as_str(bound.get("managedPolicyArn"))
    if arn and policy.admin_managed_policy(arn):
        return lifted, (f"set the permissions boundary of {label} to the AWS managed policy "
                        f"{policy.managed_policy_name(arn)}, which bounds nothing.")
    ref = as_dict(bound.get("customerManagedPolicyReference"))
    named = arn or (f"{as_str(ref.get('path')) or '/'}{as_str(ref.get('name')) or '?'}" if ref else "?")
    return routine, f"set the permissions boundary of {label} to {named}."


def _declared_name(ctx: Context) -> str | None:
    """For CreatePermissionSet (no ARN yet in the request): the new set's name, if a principal lists it."""
    name = ctx.event.param("name") if ctx.event.event_name == "CreatePermissionSet" else None
    if not name:
        return None
    listed = {n.casefold(): n for p in ctx.model.spec.principals for n in p.permission_sets}
    return listed.get(name.casefold())


def _admin_policy(ctx: Context) -> list[str]:
    """Admin-equivalent grants the call adds to the set; an unreadable inline policy counts as one."""
    ev = ctx.event
    if ev.event_name == "AttachManagedPolicyToPermissionSet":
        arn = ev.param("managedPolicyArn")
        return [f"the AWS managed policy {policy.managed_policy_name(arn)}"] if policy.admin_managed_policy(arn) else []
    doc = policy.parse_policy(ev.request_parameters.get("inlinePolicy"))
    grants = policy.admin_grants(doc)
    if not doc.readable and not grants:
        grants = [f"an inline policy that could not be read ({doc.problem}), treated as possibly admin"]
    return grants
