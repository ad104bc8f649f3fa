"""identity-undeclared-principal: a write by an IAM user or role the model does not declare."""

from __future__ import annotations

from chalicelib.findings import Severity
from chalicelib.rules.base import Context, Rule, Verdict
from chalicelib.rules.registry import register

# Roles AWS creates and uses on its own behalf, never declared by a user.
SERVICE_ROLE_MARKERS = (":role/aws-service-role/", "/aws-service-role/")
SELF_REPORTED = frozenset({"ConsoleLogin"})  # sign-ins are judged by the sign-in rules


@register
class IdentityUndeclaredPrincipal(Rule):
    id = "identity-undeclared-principal"
    severity = Severity.MEDIUM
    title = "Undeclared principal made a change"
    event_names = None
    memo_fields = ()  # the actor, read_only, and whether the event is a ConsoleLogin (all in the key)
    reference = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"
    runbook = (
        "Something the identity model does not know changed this account. If it is legitimate, declare "
        "it (a principal with its auth) and redeploy the model; if not, disable it: for an IAM user "
        "`aws iam update-access-key --status Inactive`, for a role remove its trust or attach a deny."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev, actor = ctx.event, ctx.actor
        if ev.read_only or ev.event_name in SELF_REPORTED or actor.principal is not None:
            return None
        if actor.kind == "iam-user" and actor.name:
            return Verdict(
                severity=Severity.HIGH,
                reason=f"IAM user '{actor.name}' is not in the model but called {ev.event_name} with "
                f"{actor.auth} credentials: an unlisted static credential.",
                group_key=f"undeclared:{actor.arn}",
            )
        if actor.kind == "assumed-role" and actor.name:
            if any(m in (actor.role_arn or "") for m in SERVICE_ROLE_MARKERS):
                return None
            what = (f"SSO user '{actor.session}' ({actor.permission_set})" if actor.auth == "sso"
                    else f"role '{actor.name}'")
            return Verdict(
                severity=Severity.MEDIUM,
                reason=f"{what} is not in the model but called {ev.event_name}.",
                principal_arn=actor.arn,
                group_key=f"undeclared:{actor.role_arn if actor.auth != 'sso' else actor.arn}",
                details={"role_arn": actor.role_arn, "session": actor.session},
            )
        return None
