"""iam-trust-policy-changed: who may assume a role changed; critical when the new trust lets in
someone the model does not know (another account, anyone, an undeclared identity provider)."""

from __future__ import annotations

import re
from types import MappingProxyType

from chalicelib.findings import Severity
from chalicelib.identity import oidc_trust, policy
from chalicelib.identity.policy import PolicyDocument, PrincipalRef
from chalicelib.rules.base import Context, Rule, Verdict, breaks_of, failed_suffix
from chalicelib.rules.federation_provider_changed import IDENTITY_CENTER_ROLE
from chalicelib.rules.registry import register

DOCUMENT = {"UpdateAssumeRolePolicy": "policyDocument", "CreateRole": "assumeRolePolicyDocument"}
# The SAML provider IAM Identity Center keeps in each account it manages; the AWSReservedSSO_* roles
# it provisions for permission sets trust only this one.
IDENTITY_CENTER_PROVIDER = re.compile(r"^AWSSSO_[0-9A-Za-z]+_DO_NOT_DELETE$")


@register
class IamTrustPolicyChanged(Rule):
    id = "iam-trust-policy-changed"
    severity = Severity.HIGH
    title = "Role trust policy changed"
    event_names = frozenset(DOCUMENT)
    memo_fields = ()  # UpdateAssumeRolePolicy is always a finding
    # A new role is quiet when its trust lets in only AWS services: that is read from the document.
    memo_fields_by_name = MappingProxyType({"CreateRole": (("requestParameters", "assumeRolePolicyDocument"),)})
    reference = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_update-role-trust-policy.html"
    runbook = (
        "Read the new trust policy (`aws iam get-role --role-name NAME`). If it trusts an account, provider "
        "or \"*\" that nobody expects, restore the previous trust (`aws iam update-assume-role-policy`), "
        "revoke sessions already issued (the console's 'Revoke active sessions', or an AWSRevokeOlderSessions "
        "deny) and look for AssumeRole calls on the role from outside since the change."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev = ctx.event
        doc = policy.parse_policy(ev.request_parameters.get(DOCUMENT.get(ev.event_name, "policyDocument")))
        refs = policy.trusted(doc)
        callers = [r for r in refs if r.kind != "Service"]
        if ev.event_name == "CreateRole" and doc.readable and not callers:
            return None  # a service role: no principal can assume it
        outside = [r for r in callers if not _inside(ctx, r)]
        role = ev.param("roleName")
        target = ctx.model.role(role, ev.account)
        severity, why = self._grade(ctx, doc, outside)
        declared = target.oidc_subjects if target is not None and target.oidc_subjects else [
            g for p in ctx.model.spec.principals for g in p.oidc_subjects]
        loose = oidc_trust.loose_subjects(ev.request_parameters.get(DOCUMENT.get(ev.event_name, "policyDocument")),
                                          declared)
        if loose:
            severity = Severity.CRITICAL
            why = (f"{why} GitHub's OIDC provider is trusted for {', '.join(loose)}, beyond the subjects the model "
                   "declares: any repository that matches can obtain this role's session.")
        if ev.failed:
            severity = min(severity, Severity.MEDIUM)
        verb = "created role" if ev.event_name == "CreateRole" else "changed the trust policy of role"
        trusts = policy.describe(refs) or "no principal"
        return Verdict(
            reason=f"{ctx.actor.describe()} {verb} '{role or '?'}', which now trusts {trusts}. {why}"
                   f"{failed_suffix(ctx)}",
            severity=severity,
            target_arn=f"arn:{ev.partition}:iam::{ev.account}:role/{role}" if role and ev.account else None,
            breaks=breaks_of(target),
            group_key=f"trust:{ev.account}:{(role or '?').casefold()}",
            details={"role": role, "role_principal": target.id if target else None,
                     "trusted": [f"{r.kind}:{r.value}" for r in refs],
                     "outside_model": [f"{r.kind}:{r.value}" for r in outside],
                     "document_problem": doc.problem, "actor_manages_iam": ctx.actor.manages_iam,
                     "github_subjects_outside_model": loose},
        )

    @staticmethod
    def _grade(ctx: Context, doc: PolicyDocument, outside: list[PrincipalRef]) -> tuple[Severity, str]:
        if outside and _identity_center_provisioning(ctx, outside):
            return Severity.LOW, ("IAM Identity Center provisioning a permission set's role, trusted to its own SAML "
                                  "provider in this account (the assignment that asked for it is judged).")
        if outside:
            narrowed = (" A Condition applies, which may narrow who gets in (external id, organization): "
                        "check it." if policy.conditional_trust(doc) else "")
            return Severity.CRITICAL, f"Outside the model: {policy.describe(outside)}.{narrowed}"
        if not doc.readable:
            return Severity.HIGH, (f"The trust policy could not be read ({doc.problem}), so who it lets in is "
                                   "unknown.")
        if ctx.actor.manages_iam:
            return Severity.LOW, "Every trusted principal is inside the model, and the actor may manage IAM."
        return Severity.MEDIUM, ("Every trusted principal is inside the model, but the actor is not declared as "
                                 "allowed to manage IAM.")


def _identity_center_provisioning(ctx: Context, outside: list[PrincipalRef]) -> bool:
    """IAM Identity Center's service-linked role (only AWS acts as it) trusting only its own SAML provider
    of this account: what every permission-set provisioning writes."""
    return bool(IDENTITY_CENTER_ROLE.match(ctx.actor.role_arn or "")) and all(
        r.kind == "Federated" and ":saml-provider/" in r.value and policy.principal_account(r) == ctx.event.account
        and IDENTITY_CENTER_PROVIDER.match(policy.provider_name(r)) for r in outside)


def _inside(ctx: Context, ref: PrincipalRef) -> bool:
    """A principal the model accounts for: one of its accounts, or a provider an account declares."""
    home = ctx.event.account
    if ref.kind == "AWS":
        return ctx.model.declares_account(policy.principal_account(ref), home)
    if ref.kind == "Federated":
        account = policy.principal_account(ref) or home
        return ctx.model.declares_account(account, home) and ctx.model.federated_provider(
            account, policy.provider_name(ref))
    return False  # "*", NotPrincipal, CanonicalUser or an unknown key
