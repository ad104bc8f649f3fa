"""iam-mfa-removed: an MFA device was deactivated or deleted; loudest for root's, then a declared
human's (an attacker holding a password removes MFA before signing in, or to keep access)."""

from __future__ import annotations

from chalicelib.findings import Severity
from chalicelib.identity.schema import PrincipalSpec
from chalicelib.rules.base import Context, Rule, Verdict, breaks_of, failed_suffix
from chalicelib.rules.registry import register

ROOT_DEVICE = "root-account-mfa-device"  # the name AWS gives root's virtual MFA device


@register
class IamMfaRemoved(Rule):
    id = "iam-mfa-removed"
    severity = Severity.HIGH
    title = "MFA device removed"
    event_names = frozenset({"DeactivateMFADevice", "DeleteVirtualMFADevice"})
    memo_fields = ()  # every call is a finding
    reference = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_disable.html"
    runbook = (
        "Ask the owner whether they removed the device (a lost phone is the usual reason). If not, the "
        "actor holds their credentials: reset the password, re-enrol MFA, deactivate the actor's keys and "
        "review sign-ins since. For root, follow the break-glass procedure and re-enable MFA at once."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev, actor = ctx.event, ctx.actor
        serial = ev.param("serialNumber")
        device = serial.rsplit("/", 1)[-1] if serial else None
        user = ev.param("userName")
        root = _is_root_device(ctx, user, serial, device)
        target: PrincipalSpec | None = None
        if root:
            severity, whose = Severity.CRITICAL, "the root user's MFA"
        else:
            # DeleteVirtualMFADevice names only the device; the console names it after the user.
            name = user or (actor.name if actor.kind == "iam-user" and ev.event_name == "DeactivateMFADevice"
                            else device)
            target = ctx.model.iam_user(name, ev.account)
            human = target is not None and target.kind == "human"
            severity = Severity.HIGH if human else Severity.MEDIUM
            whose = f"the MFA of {'declared human' if human else 'IAM user'} '{name or '?'}'"
            if target is not None:
                whose += f" (principal '{target.id}')"
        if ev.failed:
            severity = min(severity, Severity.MEDIUM)
        verb = "deactivated" if ev.event_name == "DeactivateMFADevice" else "deleted the virtual device of"
        return Verdict(
            reason=f"{actor.describe()} {verb} {whose}; that sign-in now needs only a password or key."
                   f"{failed_suffix(ctx)}",
            severity=severity,
            target_arn=serial,
            breaks=breaks_of(target),
            group_key=f"mfa:{ev.account}:{'root' if root else (user or device or '?').casefold()}",
            details={"serial_number": serial, "target_user": user, "root": root,
                     "target_principal": target.id if target else None},
        )


def _is_root_device(ctx: Context, user: str | None, serial: str | None, device: str | None) -> bool:
    """Root's device: root acting on a device without naming a user, or the device AWS names for root."""
    if device == ROOT_DEVICE or (serial is not None and serial.endswith(":root")):
        return True
    return ctx.actor.is_root and not user
