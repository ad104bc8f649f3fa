"""iam-login-profile-created: a console password was set on an IAM user, judged by how the model
says that user signs in (a CI user or agent with a password is a backdoor into the console)."""

from __future__ import annotations

from chalicelib.findings import Severity
from chalicelib.identity.schema import PrincipalSpec
from chalicelib.rules.base import Context, Rule, Verdict, breaks_of, failed_suffix
from chalicelib.rules.registry import register


@register
class IamLoginProfileCreated(Rule):
    id = "iam-login-profile-created"
    severity = Severity.HIGH
    title = "Console password set on an IAM user"
    event_names = frozenset({"CreateLoginProfile", "UpdateLoginProfile"})
    memo_fields = ()  # every call is a finding; nothing is learnt as quiet
    reference = "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateLoginProfile.html"
    runbook = (
        "A console password lets whoever set it sign in as this user. Unless the model declares the user "
        "with `auth: console` and an IAM manager set it, delete it now (`aws iam delete-login-profile "
        "--user-name NAME`), check the user's console sign-ins since (ConsoleLogin records for the user) and "
        "treat the actor's credentials as compromised. A declared human belongs on SSO, not an IAM password."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev, actor = ctx.event, ctx.actor
        name = ev.param("userName") or (actor.name if actor.kind == "iam-user" else None)
        target = ctx.model.iam_user(name, ev.account)
        verb = ("set a new console password on" if ev.event_name == "CreateLoginProfile"
                else "changed the console password of")
        who = actor.describe()
        severity, why = _grade(ctx, target, name)
        if ev.failed:
            severity = min(severity, Severity.MEDIUM)
        reset = ev.request_parameters.get("passwordResetRequired")
        return Verdict(
            reason=f"{who} {verb} IAM user '{name or '?'}': {why}{failed_suffix(ctx)}",
            severity=severity,
            target_arn=f"arn:{ev.partition}:iam::{ev.account}:user/{name}" if name and ev.account else None,
            breaks=breaks_of(target),
            group_key=f"login-profile:{ev.account}:{(name or '?').casefold()}",
            details={"target_user": name, "target_principal": target.id if target else None,
                     "target_auth": target.auth if target else None, "actor_manages_iam": actor.manages_iam,
                     "password_reset_required": reset if isinstance(reset, bool) else None},
        )


def _grade(ctx: Context, target: PrincipalSpec | None, name: str | None) -> tuple[Severity, str]:
    """The model's answer: console-declared user reset by an IAM manager is the only routine case."""
    if target is None:
        if name and _declared_sso_human(ctx, name):
            return Severity.HIGH, "the name is a human the model declares on SSO, who needs no IAM password."
        return Severity.HIGH, "the model does not declare this user, so the password opens an undeclared way in."
    if target.auth == "console":
        if ctx.actor.manages_iam:
            return Severity.LOW, f"principal '{target.id}' is declared to sign in with a password (a reset)."
        return Severity.MEDIUM, (f"principal '{target.id}' signs in with a password, but the actor is not declared "
                                 "as allowed to manage IAM.")
    if target.kind == "human":
        return Severity.HIGH, (f"principal '{target.id}' is a human declared to use {target.auth}, "
                               "not an IAM console password.")
    return Severity.CRITICAL, (f"principal '{target.id}' ({target.kind}) is declared to use {target.auth}; "
                               "a console password on it is a backdoor into the console.")


def _declared_sso_human(ctx: Context, name: str) -> bool:
    """An IAM user named like a declared SSO human (their id or SSO user name, or its local part)."""
    wanted = name.casefold()
    for p in ctx.model.spec.principals:
        if p.auth != "sso":
            continue
        names = {p.id.casefold()} | {n.casefold() for u in p.sso_users for n in (u, u.split("@")[0])}
        if wanted in names:
            return True
    return False
