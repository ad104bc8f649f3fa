"""sts-assume-role-unexpected: a role was assumed by someone the model does not expect to assume it.

A refused AssumeRole is only an attempt; a successful one hands the caller the role's powers,
and every later call of that session shows only the role. So the successful call is judged:
the caller against ``may_assume``, an undeclared or outside caller against the model, and a
federated (OIDC / SAML) entry into a role the model does not declare. (A declared OIDC role
entered with the wrong token subject is ``identity-auth-mismatch``.)
"""

from __future__ import annotations

from chalicelib.events import as_dict, as_str
from chalicelib.findings import Severity
from chalicelib.rules.base import Context, Rule, Verdict, breaks_of
from chalicelib.rules.identity_undeclared_principal import is_service_role
from chalicelib.rules.registry import register
from chalicelib.rules.sts_assume_role_failed import ASSUME_EVENTS, role_arn_of

SERVICE_LINKED_PREFIX = "AWSServiceRoleFor"  # every service-linked role's name


@register
class StsAssumeRoleUnexpected(Rule):
    id = "sts-assume-role-unexpected"
    severity = Severity.HIGH
    title = "Role assumed outside the model"
    event_names = ASSUME_EVENTS
    # The actor (an AWS service's own AssumeRole is never judged), the outcome and the role. A
    # non-service AssumeRole* teaches who holds the new session (chalicelib/history.py), so the
    # engine never lets replay skip one of those as "already judged quiet".
    memo_fields = (("errorCode",), ("requestParameters", "roleArn"))
    # A role requested under the service-linked path is quiet only when the issued session names one: such
    # events are remembered with the issued session's ARN too (every other event's key stays narrow).
    volatile_fields = (("responseElements", "assumedRoleUser", "arn"),)

    @staticmethod
    def volatile(ctx: Context) -> bool:
        ev = ctx.event
        return ev.event_name in ASSUME_EVENTS and is_service_role(ev.param("roleArn"))
    reads_assumer = True  # a chained assumption names the first assumer
    reference = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html"
    runbook = (
        "Someone obtained a role's credentials in a way the model does not declare. Identify the caller "
        "(ARN, source IP); if it is not expected, revoke the role's active sessions (IAM console: Roles → "
        "Revoke active sessions, which attaches an AWSRevokeOlderSessions deny), tighten the role's trust "
        "policy, and rotate the caller's credentials. If it is expected, add the role to the caller's "
        "may_assume (or declare the role) in the model."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev, actor = ctx.event, ctx.actor
        if ev.failed or ev.error_code or actor.is_service or actor.is_root:
            return None  # refusals are sts-assume-role-failed; root use is root-api-use
        role_arn = role_arn_of(ctx)
        role = role_arn.rsplit("/", 1)[-1] if role_arn else None
        if is_service_role(role_arn) and _service_linked_session(ctx):
            return None
        role_account = role_arn.split(":")[4] if role_arn and role_arn.count(":") >= 5 else ev.account
        target = ctx.model.role(role, role_account)
        label = f"role '{role or 'unknown'}'" + (f" (declared '{target.id}')" if target else "")
        caller = actor.principal
        if actor.kind in ("web-identity", "saml"):
            if target is not None:
                return None  # the entry is judged against the declared role by identity-auth-mismatch
            how = "an OIDC token" if actor.kind == "web-identity" else "a SAML assertion"
            return self._verdict(ctx, Severity.MEDIUM, role_arn, target,
                                 f"{label}, which the model does not declare, was entered with {how} "
                                 f"(subject '{actor.session or 'unknown'}').")
        if caller is None:
            outside = actor.kind == "account" or (actor.account not in ctx.model.accounts and bool(ctx.model.accounts))
            who = actor.describe() + (", from an account outside the model," if outside and actor.kind != "account"
                                      else "")
            return self._verdict(ctx, Severity.HIGH if outside or target else Severity.MEDIUM, role_arn, target,
                                 f"{who} assumed {label}; the model declares no such caller.")
        if caller.may_assume and not ctx.model.may_assume(caller, role):
            return self._verdict(ctx, Severity.HIGH, role_arn, target,
                                 f"{actor.describe()} assumed {label}; the model allows it only "
                                 f"{', '.join(caller.may_assume)}.")
        if caller.may_assume and ctx.model.accounts and role_account not in ctx.model.accounts:
            # may_assume names roles, and a role's name is its owner's to pick: the same name in an
            # account outside the model is not the declared role.
            return self._verdict(ctx, Severity.HIGH, role_arn, target,
                                 f"{actor.describe()} assumed {label} in account {role_account or 'unknown'}, "
                                 "which the model does not declare; its may_assume means the roles of the "
                                 "declared accounts.")
        return None

    @staticmethod
    def _verdict(ctx: Context, severity: Severity, role_arn: str | None, target: object, reason: str) -> Verdict:
        via = f" Its session was obtained by {ctx.assumer.describe()}." if ctx.assumer else ""
        return Verdict(
            severity=severity,
            reason=reason + via,
            target_arn=role_arn,
            breaks=breaks_of(target),
            group_key=f"assume-unexpected:{ctx.actor.arn}:{role_arn}",
            details={"role_arn": role_arn, "caller": ctx.actor.arn,
                     "assumed_by": ctx.assumer.principal_id if ctx.assumer else None},
        )


def _service_linked_session(ctx: Context) -> bool:
    """The requested ARN's path is the caller's text; the session AWS issued names the role it really is.
    A service-linked role's name starts with ``AWSServiceRoleFor``: a session of another role is judged
    whatever path the request gave. A record without the issued session is judged on the name the requested
    ARN ends with: STS finds the role by that name, whatever path is written before it."""
    issued = as_str(as_dict(ctx.event.response_elements.get("assumedRoleUser")).get("arn"))
    if issued is None or ":assumed-role/" not in issued:
        return (role_arn_of(ctx) or "").rsplit("/", 1)[-1].startswith(SERVICE_LINKED_PREFIX)
    return issued.split(":assumed-role/", 1)[1].startswith(SERVICE_LINKED_PREFIX)
