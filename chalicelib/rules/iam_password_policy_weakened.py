"""iam-password-policy-weakened: the account's IAM password policy removed
(``DeleteAccountPasswordPolicy``) or replaced (``UpdateAccountPasswordPolicy``) by one below the
CIS AWS Foundations baseline (1.8: at least 14 characters; 1.9: no reuse of the last 24). Weak
passwords are how a console backdoor stays guessable, and an attacker weakens the policy before
setting one (``iam-login-profile-created``).

The update sets the whole policy: AWS resets every parameter the call leaves out to its default
(8 characters, no reuse prevention), so the request alone says what the new policy is. An IAM
manager (``manages_iam``) changing it is low (still stored, with what falls short); anyone else
high when it removes or weakens the policy, medium when the new one meets the baseline; a refusal
at most medium, grouped per caller. AWS acting is not judged.
"""

from __future__ import annotations

from typing import Any

from chalicelib.findings import Severity
from chalicelib.rules._aws_acting import aws_acting
from chalicelib.rules.base import Context, Rule, Verdict, failed_suffix, fingerprint
from chalicelib.rules.registry import register

SOURCE = "iam.amazonaws.com"
MIN_LENGTH, REUSE = 14, 24  # CIS AWS Foundations 1.8 and 1.9
DEFAULT_LENGTH = 8  # what AWS sets when minimumPasswordLength is left out


@register
class IamPasswordPolicyWeakened(Rule):
    id = "iam-password-policy-weakened"
    severity = Severity.HIGH
    title = "Account password policy removed or weakened"
    event_names = frozenset({"UpdateAccountPasswordPolicy", "DeleteAccountPasswordPolicy"})
    memo_fields = (("eventSource",),)  # every call from IAM is a finding unless AWS acted (userIdentity)
    reference = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_account-policy.html"
    runbook = (
        "Restore the policy (`aws iam update-account-password-policy --minimum-password-length 14 "
        "--password-reuse-prevention 24 …`) and ask the actor why it changed. Passwords set while it was weak "
        "stay weak: look for CreateLoginProfile/UpdateLoginProfile since and reset those. If nobody knows, "
        "treat the actor's credentials as compromised."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev, actor = ctx.event, ctx.actor
        if ev.event_source != SOURCE or aws_acting(ctx):
            return None
        deleted = ev.event_name == "DeleteAccountPasswordPolicy"
        short = ["no password policy at all (any password of 8+ characters)"] if deleted else shortfalls(
            ev.request_parameters)
        if actor.manages_iam:
            severity, why = Severity.LOW, "the actor may manage IAM."
        elif short:
            severity, why = Severity.HIGH, "the actor is not declared to manage IAM."
        else:
            severity, why = Severity.MEDIUM, ("the new policy meets the baseline, but the actor is not declared "
                                              "to manage IAM.")
        if ev.failed:
            severity = min(severity, Severity.MEDIUM)
        what = "removed the account's password policy" if deleted else "replaced the account's password policy"
        falls = f" It leaves {'; '.join(short)}." if short else ""
        group = (f"password-policy-failed:{fingerprint(actor.arn or actor.name or '?')}" if ev.failed
                 else f"password-policy:{ev.account}")
        return Verdict(
            reason=f"{actor.describe()} {what}: {why}{falls}{failed_suffix(ctx)}",
            severity=severity,
            group_key=group,
            details={"deleted": deleted, "shortfalls": short, "actor_manages_iam": actor.manages_iam},
        )


def shortfalls(params: dict[str, Any]) -> list[str]:
    """Where the policy an update sets falls below the baseline (left-out values are AWS's defaults)."""
    out = []
    length = _int(params.get("minimumPasswordLength"), DEFAULT_LENGTH)
    if length < MIN_LENGTH:
        out.append(f"a minimum length of {length} (baseline {MIN_LENGTH})")
    reuse = _int(params.get("passwordReusePrevention"), 0)
    if reuse < REUSE:
        out.append(f"reuse prevention of {reuse} passwords (baseline {REUSE})" if reuse
                   else f"no reuse prevention (baseline {REUSE})")
    return out


def _int(value: Any, default: int) -> int:
    """An integer parameter; a missing one is AWS's default, anything unreadable counts as the default."""
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return default
