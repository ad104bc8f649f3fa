"""identity-undeclared-principal: a write by an IAM user or role the model does not declare."""

from __future__ import annotations

import re

from chalicelib.findings import Severity
from chalicelib.identity.resolve import ACCESS_KEY, SSO_ROLE_PREFIX, Actor
from chalicelib.rules.base import Context, Rule, Verdict
from chalicelib.rules.registry import register

# Roles AWS creates and uses on its own behalf, never declared by a user: service-linked roles,
# which live only at the start of this IAM path (a customer may still put "aws-service-role"
# deeper in a path of its own, e.g. role/ops/aws-service-role/x, or in a role's name).
# A reserved path decides, not the account field (which published records redact: "xxx").
SERVICE_ROLE = re.compile(r"^arn:aws[a-z-]*:iam::[^:/]*:role/aws-service-role/[^/]+/[^/]+$")
SELF_REPORTED = frozenset({"ConsoleLogin"})  # sign-ins are judged by the sign-in rules
# Reads that matter from anyone the model does not know: identity, credentials, secrets, keys.
SENSITIVE_SOURCES = frozenset({"iam.amazonaws.com", "sts.amazonaws.com", "ssm.amazonaws.com",
                               "secretsmanager.amazonaws.com", "kms.amazonaws.com"})


@register
class IdentityUndeclaredPrincipal(Rule):
    id = "identity-undeclared-principal"
    severity = Severity.MEDIUM
    title = "Undeclared principal made a change or read a sensitive service"
    event_names = None
    # The actor, read_only and whether the event is a ConsoleLogin are in every key. The service
    # a read goes to matters only for an undeclared caller's reads, which are volatile below:
    # keying every event on its source would cost replay far more.
    memo_fields = ()
    volatile_fields = (("eventSource",),)
    reference = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"
    runbook = (
        "Something the identity model does not know acted in this account. If it is legitimate, declare "
        "it (a principal with its auth) and redeploy the model; if not, disable it: for an IAM user "
        "`aws iam update-access-key --user-name USER --access-key-id KEY --status Inactive`, for a role remove "
        "its trust or attach a deny, "
        "for an outside account remove it from every trust and resource policy."
    )

    @staticmethod
    def volatile(ctx: Context) -> bool:
        """A quiet read by an undeclared caller was quiet because of the service it read."""
        actor = ctx.actor
        return ctx.event.read_only and actor.principal is None and not actor.is_service and not actor.is_root

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev, actor = ctx.event, ctx.actor
        if ev.event_name in SELF_REPORTED or actor.principal is not None or actor.is_service or actor.is_root:
            return None
        # An unlisted static key (or a federation token made from one) is judged on every call.
        # A federation token whose issuer the record does not name was still made from some IAM user's key.
        static_key = actor.kind == "federated" or (bool(actor.name) and actor.kind == "iam-user"
                                                   and actor.auth == ACCESS_KEY)
        if ev.read_only and not static_key and ev.event_source not in SENSITIVE_SOURCES:
            return None
        what = "read" if ev.read_only else "called"
        if static_key:
            via = "a federation token of" if actor.kind == "federated" else "the credentials of"
            return Verdict(
                severity=Severity.HIGH,
                reason=f"IAM user '{actor.name or 'unknown'}' is not in the model but {what} {ev.event_name} "
                f"with {via} it ({actor.auth}): an unlisted static credential.",
                group_key=f"undeclared:user:{ev.account}:{(actor.name or actor.arn or '').casefold()}",
            )
        if actor.kind in ("assumed-role", "web-identity", "saml") and actor.name:
            if actor.kind == "assumed-role" and is_service_role(actor.role_arn):
                return None  # the issuer's ARN (AWS's); a web identity's or SAML role ARN is the request's text
            what_actor = (f"SSO user '{actor.session}' ({actor.permission_set})" if actor.auth == "sso"
                          else f"role '{actor.name}'")
            return Verdict(
                severity=Severity.MEDIUM,
                reason=f"{what_actor} is not in the model but {what} {ev.event_name}.{_impostor_note(actor)}",
                principal_arn=actor.arn,
                group_key=f"undeclared:{actor.role_arn if actor.auth != 'sso' else actor.arn}",
                details={"role_arn": actor.role_arn, "session": actor.session},
            )
        if actor.kind == "account":
            declared = actor.account in ctx.model.accounts
            return Verdict(
                severity=Severity.MEDIUM if declared else Severity.HIGH,
                reason=f"A caller from {'declared' if declared else 'outside'} account {actor.account or 'unknown'} "
                f"({actor.name or 'no principal id'}) {what} {ev.event_name} in account {ev.account}; the model "
                "declares no such principal.",
                group_key=f"undeclared:account:{actor.account}:{ev.account}",
                details={"caller_account": actor.account},
            )
        if actor.kind == "unknown" and not ev.read_only:
            return Verdict(
                severity=Severity.MEDIUM,
                reason=f"A caller of identity type '{actor.identity_type or 'none'}' "
                f"({actor.arn or actor.name or 'no ARN'}) {what} {ev.event_name}; the model cannot place it.",
                group_key=f"undeclared:unknown:{actor.identity_type}:{actor.arn or actor.name}",
            )
        return None


def is_service_role(role_arn: str | None) -> bool:
    """A service-linked role: AWS creates and uses it on its own behalf."""
    return bool(role_arn) and SERVICE_ROLE.match(role_arn) is not None


def _impostor_note(actor: Actor) -> str:
    """Say so when a role only *looks* like an IAM Identity Center role."""
    if actor.auth != "sso" and (actor.name or "").startswith(SSO_ROLE_PREFIX):
        return (f" Its name looks like an IAM Identity Center role, but its issuer ({actor.role_arn}) is not "
                "under /aws-reserved/sso.amazonaws.com/, so it is a customer-made role, not SSO.")
    return ""
