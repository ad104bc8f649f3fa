"""sts-assume-role-failed: an AssumeRole* call was refused."""

from __future__ import annotations

import re

from chalicelib.findings import Severity
from chalicelib.rules.base import Context, Rule, Verdict, breaks_of
from chalicelib.rules.registry import register

# Failed calls have requestParameters null: the role is only named in the error message.
ROLE_IN_MESSAGE = re.compile(r"(arn:aws[a-z-]*:iam::[^:\s]*:role/[^\s,]+)")
ASSUME_EVENTS = frozenset({"AssumeRole", "AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"})


def role_arn_of(ctx: Context) -> str | None:
    arn = ctx.event.param("roleArn")
    if arn:
        return arn
    match = ROLE_IN_MESSAGE.search(ctx.event.error_message or "")
    return match.group(1).rstrip(".") if match else None


@register
class StsAssumeRoleFailed(Rule):
    id = "sts-assume-role-failed"
    severity = Severity.MEDIUM
    title = "AssumeRole refused"
    event_names = ASSUME_EVENTS
    memo_fields = (("errorCode",),)  # no error code: None, before anything else is read
    reference = "https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html"
    runbook = (
        "A caller tried to take on a role and was refused. If the caller is declared and the role is "
        "in its may_assume, fix the role's trust policy (`aws iam get-role --role-name ROLE`). If not, "
        "someone is probing roles with these credentials: find the key owner and rotate it."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev, actor = ctx.event, ctx.actor
        if not ev.error_code:
            return None
        role_arn = role_arn_of(ctx)
        role = role_arn.rsplit("/", 1)[-1] if role_arn else None
        who = actor.describe()
        target_role = ctx.model.role(role, ev.account)
        what = _role_text(role, role_arn, ev.account, ctx)
        allowed = actor.principal is not None and ctx.model.may_assume(actor.principal, role)
        if actor.principal is None and not actor.is_service:
            # An unknown outside account probing roles is reconnaissance, not a misconfiguration.
            severity = Severity.HIGH
            reason = f"{who}, not declared in the model, was refused {what} ({ev.error_code})."
        elif actor.principal is not None and actor.principal.may_assume and not allowed:
            severity = Severity.HIGH
            reason = (f"{who} was refused {what} ({ev.error_code}); the model allows it only "
                      f"{', '.join(actor.principal.may_assume)}.")
        else:
            severity = Severity.MEDIUM
            reason = f"{who} was refused {what} ({ev.error_code})."
        if role_arn is None:
            reason += " The record does not name the role."
        return Verdict(
            reason=reason,
            severity=severity,
            target_arn=role_arn,
            breaks=breaks_of(actor.principal) if allowed else breaks_of(target_role),
            group_key=f"assume-denied:{actor.arn}:{role_arn}",
            details={"role": role, "error_code": ev.error_code},
        )


def _role_text(role: str | None, role_arn: str | None, account: str | None, ctx: Context) -> str:
    """``role 'deploy'``, or ``role 'deploy' in account 402918375610 (staging)`` when it is another account's."""
    text = f"role '{role or 'unknown'}'"
    parts = (role_arn or "").split(":")
    target = parts[4] if len(parts) > 5 and parts[4] else None
    if target and target != account:
        spec = ctx.model.accounts.get(target)
        text += f" in account {target}" + (f" ({spec.name})" if spec is not None else "")
    return text
