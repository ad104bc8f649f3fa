"""iam-user-created: a new IAM user, a long-lived identity; low only when it is a user the model
declares, re-created by an IAM manager (the CI user coming back after a deletion)."""

from __future__ import annotations

from chalicelib.findings import Severity
from chalicelib.rules.base import Context, Rule, Verdict, breaks_of, failed_suffix
from chalicelib.rules.registry import register


@register
class IamUserCreated(Rule):
    id = "iam-user-created"
    severity = Severity.HIGH
    title = "IAM user created"
    event_names = frozenset({"CreateUser"})
    memo_fields = ()  # every call is a finding
    reference = "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html"
    runbook = (
        "A new IAM user can hold keys and a password that outlive any session. If the model should declare "
        "it, add it (with its auth and where its key lives); if nobody asked for it, delete its keys and login "
        "profile and the user (`aws iam delete-user`), and treat the actor's credentials as compromised."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev, actor = ctx.event, ctx.actor
        name = ev.param("userName")
        target = ctx.model.iam_user(name, ev.account)
        who = actor.describe()
        if target is not None and actor.manages_iam:
            severity = Severity.LOW
            why = f"it is declared as principal '{target.id}' and the actor may manage IAM (a re-creation)."
        elif target is not None:
            severity = Severity.HIGH
            why = f"it is declared as principal '{target.id}', but the actor is not declared as allowed to manage IAM."
        else:
            severity = Severity.HIGH
            why = "the model does not declare it: a new long-lived identity outside the model."
        if ev.failed:
            severity = min(severity, Severity.MEDIUM)
        return Verdict(
            reason=f"{who} created IAM user '{name or '?'}': {why}{failed_suffix(ctx)}",
            severity=severity,
            target_arn=f"arn:{ev.partition}:iam::{ev.account}:user/{name}" if name and ev.account else None,
            breaks=breaks_of(target),
            details={"target_user": name, "target_principal": target.id if target else None,
                     "actor_manages_iam": actor.manages_iam},
        )
