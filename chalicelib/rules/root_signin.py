"""root-signin: a successful console sign-in as the account root user."""

from __future__ import annotations

from chalicelib.events import as_str
from chalicelib.findings import Severity
from chalicelib.rules.base import Context, Rule, Verdict
from chalicelib.rules.registry import register


@register
class RootSignin(Rule):
    id = "root-signin"
    severity = Severity.CRITICAL
    title = "Root user signed in to the console"
    event_names = frozenset({"ConsoleLogin"})
    memo_fields = ()  # a non-root actor returns None before anything else is read
    reference = "https://docs.aws.amazon.com/IAM/latest/UserGuide/root-user-best-practices.html"
    runbook = (
        "Confirm with the account's break-glass contacts that this sign-in was planned. If not: "
        "reset the root password, re-enrol root MFA, remove any root access keys "
        "(`aws iam list-access-keys` as root shows none when clean), and review every root call "
        "in this session (root-api-use incidents share its session)."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev = ctx.event
        if not ctx.actor.is_root or ev.failed:
            return None
        if as_str(ev.response_elements.get("ConsoleLogin")) not in ("Success", None):
            return None
        mfa = as_str(ev.additional_event_data.get("MFAUsed")) or "unknown"
        acct = ctx.model.accounts.get(ev.account or "")
        policy = f" The model says root is '{acct.root}' in {acct.name}." if acct else ""
        return Verdict(
            reason=f"The root user of account {ev.account} signed in from "
            f"{ev.source_ip or 'an unrecorded address'} (MFAUsed: {mfa}).{policy}",
            details={"mfa_used": mfa, "login_to": as_str(ev.additional_event_data.get("LoginTo"))},
        )
