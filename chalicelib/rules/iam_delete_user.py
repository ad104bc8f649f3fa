"""iam-delete-user: an IAM user was deleted; loud when it is a declared principal or the actor may not."""

from __future__ import annotations

from chalicelib.findings import Severity
from chalicelib.rules.base import Context, Rule, Verdict, breaks_of, failed_suffix
from chalicelib.rules.registry import register


@register
class IamDeleteUser(Rule):
    id = "iam-delete-user"
    severity = Severity.HIGH
    title = "IAM user deleted"
    event_names = frozenset({"DeleteUser"})
    reference = "https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteUser.html"
    runbook = (
        "If the user was declared, whatever used its key is now failing (see 'breaks'): recreate the "
        "user with `aws iam create-user --user-name NAME`, issue a key, update where the key lives, "
        "then update the model. If the actor may not manage IAM, treat the session as compromised."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev, actor = ctx.event, ctx.actor
        name = ev.param("userName")
        target = ctx.model.iam_user(name, ev.account)
        target_arn = f"arn:{ev.partition}:iam::{ev.account}:user/{name}" if name and ev.account else None
        admin = actor.manages_iam
        who = actor.describe()
        if target is not None:
            reason = f"{who} deleted IAM user '{name}', declared as principal '{target.id}'."
            severity = Severity.HIGH
        elif not admin:
            reason = f"{who} deleted IAM user '{name}' but is not declared as allowed to manage IAM."
            severity = Severity.HIGH
        else:
            reason = f"{who} deleted IAM user '{name}', which the model does not declare (an orphan)."
            severity = Severity.LOW
        if not name:
            reason += " The user name is missing from the record."
        if ev.failed:
            severity = min(severity, Severity.MEDIUM)
        return Verdict(
            reason=reason + failed_suffix(ctx),
            severity=severity,
            target_arn=target_arn,
            breaks=breaks_of(target),
            details={"target_user": name, "target_principal": target.id if target else None,
                     "actor_manages_iam": admin},
        )
