"""iam-mfa-device-enrolled: an MFA device enabled (``EnableMFADevice``) or resynchronised
(``ResyncMFADevice``) on an IAM user by someone else. An attacker holding a credential that may
manage a user enrols its own device on it (MFA hijack): with the password, the attacker now
passes the user's MFA, while the owner (a user may hold up to eight devices) notices nothing.

Judged by who acts, from the caller's ARN and account and the call's ``userName`` (AWS records
both): a user enrolling or resyncing its own device, and root its own (``userName`` "AWS ROOT
USER", which no IAM user can be called), are routine and quiet; an IAM manager (``manages_iam``)
doing it for a user is low (helpdesk work, still stored); anyone else high, medium when refused
(grouped per caller, as probing is). AWS acting is not judged.

``CreateVirtualMFADevice`` is not judged: its record names only a device name the caller chooses
and no user, so it cannot say whose MFA it is; the ``EnableMFADevice`` that binds it to a user does.
"""

from __future__ import annotations

from chalicelib.findings import Severity
from chalicelib.identity.model import fold
from chalicelib.rules._aws_acting import aws_acting
from chalicelib.rules.base import Context, Rule, Verdict, breaks_of, failed_suffix, fingerprint
from chalicelib.rules.registry import register

SOURCE = "iam.amazonaws.com"
ROOT_USER = "AWS ROOT USER"  # requestParameters.userName of root's own MFA calls (AWS's example record)


@register
class IamMfaDeviceEnrolled(Rule):
    id = "iam-mfa-device-enrolled"
    severity = Severity.HIGH
    title = "MFA device enrolled on another IAM user"
    event_names = frozenset({"EnableMFADevice", "ResyncMFADevice"})
    # Quiet for a user's own device (its userIdentity and requestParameters.userName), AWS acting, another source.
    memo_fields = (("eventSource",), ("requestParameters", "userName"))
    reference = "https://docs.aws.amazon.com/IAM/latest/APIReference/API_EnableMFADevice.html"
    runbook = (
        "Ask the user whether they enrolled this device. If not, the actor holds credentials that manage the "
        "user: deactivate the device (`aws iam deactivate-mfa-device --user-name NAME --serial-number SERIAL`), "
        "reset the user's password and keys, review its sign-ins since, and treat the actor's credentials as "
        "compromised."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev, actor = ctx.event, ctx.actor
        if ev.event_source != SOURCE or aws_acting(ctx) or _own(ctx):
            return None
        user, serial = ev.param("userName"), ev.param("serialNumber")
        target = ctx.model.iam_user(user, ev.account)
        whose = f"IAM user '{user or '?'}'" + (f" (principal '{target.id}')" if target else "")
        if actor.manages_iam:
            severity, why = Severity.LOW, "the actor may manage IAM (an administrator enrolling a user's device)."
        else:
            severity, why = Severity.HIGH, ("the actor is not the user and is not declared to manage IAM: an "
                                            "attacker's device on the user is a hijack of its sign-in.")
        if ev.failed:
            severity = min(severity, Severity.MEDIUM)
            group = f"mfa-enrol-failed:{fingerprint(actor.arn or actor.name or '?')}"
        else:
            group = f"mfa-enrol:{ev.account}:{(user or '?').casefold()}"
        verb = "enabled an MFA device on" if ev.event_name == "EnableMFADevice" else "resynchronised the MFA device of"
        return Verdict(
            reason=f"{actor.describe()} {verb} {whose}: {why}{failed_suffix(ctx)}",
            severity=severity,
            target_arn=f"arn:{ev.partition}:iam::{ev.account}:user/{user}" if user and ev.account else None,
            breaks=breaks_of(target),
            group_key=group,
            details={"target_user": user, "serial_number": serial, "target_principal": target.id if target else None,
                     "actor_manages_iam": actor.manages_iam},
        )


def _own(ctx: Context) -> bool:
    """The caller's own device: root (its MFA has no IAM user), or an IAM user naming itself in its account."""
    actor, ev = ctx.actor, ctx.event
    user = ev.param("userName")
    if actor.is_root:  # AWS records root's own as this name, which no IAM user can have (no spaces)
        return user is None or user == ROOT_USER
    return (actor.kind == "iam-user" and user is not None and actor.name is not None
            and fold(actor.name) == fold(user) and actor.account == ev.account)
