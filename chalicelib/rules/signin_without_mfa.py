"""signin-without-mfa: an IAM user signed in to the console with a password alone."""

from __future__ import annotations

from chalicelib.events import as_str
from chalicelib.findings import Severity
from chalicelib.identity.resolve import SSO
from chalicelib.rules.base import Context, Rule, Verdict
from chalicelib.rules.registry import register


@register
class SigninWithoutMfa(Rule):
    id = "signin-without-mfa"
    severity = Severity.HIGH
    title = "IAM user signed in to the console without MFA"
    event_names = frozenset({"ConsoleLogin"})
    # Whether the sign-in succeeded (errorCode, the response) and whether MFA was used; who signed
    # in is the actor. Nothing else is read.
    memo_fields = (("errorCode",), ("responseElements", "ConsoleLogin"), ("additionalEventData", "MFAUsed"))
    reference = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_enable_virtual.html"
    runbook = (
        "A password alone opened a console session. Ask the user whether it was them; if not, or if "
        "unsure, reset the password (`aws iam update-login-profile --user-name NAME --password-reset-required`), "
        "revoke its active sessions, and review what the session did. Then enrol MFA for the user "
        "(`aws iam enable-mfa-device`) and deny console actions without MFA (`aws:MultiFactorAuthPresent`). "
        "Humans belong in IAM Identity Center, where MFA is enforced centrally."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev, actor = ctx.event, ctx.actor
        # Only an IAM user's password sign-in: SSO (an AssumedRole whose issuer is under the
        # reserved SSO path), federated and root sign-ins are other identities and other rules.
        if actor.kind != "iam-user" or actor.auth == SSO or ev.failed:
            return None
        outcome = as_str(ev.response_elements.get("ConsoleLogin"))
        if outcome not in ("Success", None):
            return None
        mfa = as_str(ev.additional_event_data.get("MFAUsed"))
        if mfa is not None and mfa.casefold() == "yes":
            return None
        shown = mfa or "absent"
        declared = (f" The model declares this user as principal '{actor.principal.id}' ({actor.principal.auth})."
                    if actor.principal else " The model does not declare this user.")
        return Verdict(
            reason=f"{actor.describe()} signed in to the console from {ev.source_ip or 'an unrecorded address'} "
                   f"without MFA (MFAUsed: {shown}).{declared}",
            group_key=f"signin-without-mfa:{actor.arn or actor.name}",
            details={"mfa_used": shown, "user": actor.name,
                     "login_to": as_str(ev.additional_event_data.get("LoginTo"))},
        )
