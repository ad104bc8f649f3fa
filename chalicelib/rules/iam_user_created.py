"""iam-user-created: a new IAM user, a long-lived identity; low only when it is a user the model
declares, re-created by an IAM manager (the CI user coming back after a deletion).

A user renamed (IAM ``UpdateUser`` with ``newUserName``) is a new identity in the model's eyes, with the
old one's keys, password and policies: an undeclared user renamed to a declared name is taken for that
principal from then on, and a declared user renamed away escapes its declaration (and breaks what uses
it). Judged like a creation of the new name; a declared old name is high (medium by an IAM manager)."""

from __future__ import annotations

from types import MappingProxyType

from chalicelib.findings import Severity
from chalicelib.rules.base import Context, Rule, Verdict, breaks_of, failed_suffix
from chalicelib.rules.registry import register


@register
class IamUserCreated(Rule):
    id = "iam-user-created"
    severity = Severity.HIGH
    title = "IAM user created"
    event_names = frozenset({"CreateUser", "UpdateUser"})
    memo_fields = ()  # every creation is a finding
    # A rename only from IAM (Identity Center's identitystore has an UpdateUser of its own).
    memo_fields_by_name = MappingProxyType({"UpdateUser": (("eventSource",), ("requestParameters", "newUserName"))})
    reference = "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html"
    runbook = (
        "A new IAM user can hold keys and a password that outlive any session. If the model should declare "
        "it, add it (with its auth and where its key lives); if nobody asked for it, delete its keys and login "
        "profile and the user (`aws iam delete-user`), and treat the actor's credentials as compromised."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev, actor = ctx.event, ctx.actor
        if ev.event_name == "UpdateUser":
            return _renamed(ctx)
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


def _renamed(ctx: Context) -> Verdict | None:
    """An IAM user given a new name: graded by what the model declares under the old and the new name."""
    ev, actor = ctx.event, ctx.actor
    new = ev.param("newUserName")
    if ev.event_source != "iam.amazonaws.com" or not new:
        return None  # a path change, or Identity Center's directory
    old = ev.param("userName")
    was, becomes = ctx.model.iam_user(old, ev.account), ctx.model.iam_user(new, ev.account)
    if becomes is not None and (was is None or was.id != becomes.id):
        severity = Severity.LOW if actor.manages_iam else Severity.HIGH
        why = (f"the new name is declared as principal '{becomes.id}': the renamed user, its keys and password are "
               "taken for that principal from now on.")
    elif was is not None and becomes is None:
        severity = Severity.MEDIUM if actor.manages_iam else Severity.HIGH
        why = (f"it was declared as principal '{was.id}': under its new name the model no longer knows it, and "
               "whatever uses the old name breaks.")
    else:
        severity = Severity.LOW if actor.manages_iam else Severity.HIGH
        why = "neither name is declared." if was is None else "both names are the same declared principal."
    if not actor.manages_iam:
        why += " The actor is not declared as allowed to manage IAM."
    if ev.failed:
        severity = min(severity, Severity.MEDIUM)
    return Verdict(
        reason=f"{actor.describe()} renamed IAM user '{old or '?'}' to '{new}': {why}{failed_suffix(ctx)}",
        severity=severity,
        target_arn=f"arn:{ev.partition}:iam::{ev.account}:user/{new}" if ev.account else None,
        breaks=breaks_of(was, becomes),
        details={"target_user": new, "previous_user": old, "target_principal": becomes.id if becomes else None,
                 "previous_principal": was.id if was else None, "actor_manages_iam": actor.manages_iam},
    )
