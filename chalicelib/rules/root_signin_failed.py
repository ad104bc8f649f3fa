"""root-signin-failed: a failed console sign-in that is attributable to the root user."""

from __future__ import annotations

from chalicelib.findings import Severity
from chalicelib.rules.base import Context, Rule, Verdict
from chalicelib.rules.registry import register

# Root can also fail to sign in through an external IdP directory (same signin source).
SIGNIN_EVENTS = frozenset({"ConsoleLogin", "ExternalIdPDirectoryLogin"})


@register
class RootSigninFailed(Rule):
    id = "root-signin-failed"
    severity = Severity.HIGH
    title = "Failed root console sign-in"
    event_names = SIGNIN_EVENTS
    memo_fields = ()  # a non-root actor returns None before anything else is read
    reference = "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-aws-console-sign-in-events.html"
    runbook = (
        "Someone has the root e-mail address and tried a password. Check the source IP; if it is not "
        "one of yours, make sure root MFA is on, rotate the root password, and watch for a following "
        "root-signin. Repeated failures from one IP are password guessing."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        # Unknown user names arrive as HIDDEN_DUE_TO_SECURITY_REASONS with type IAMUser: not root.
        if not ctx.actor.is_root or not ctx.event.failed:
            return None
        ev = ctx.event
        return Verdict(
            reason=f"A sign-in as the root user of account {ev.account} failed from "
            f"{ev.source_ip or 'an unrecorded address'} "
            f"({ev.error_message or 'Failed authentication'}).",
            group_key=f"root-signin-failed:{ev.account}:{ev.source_ip}",
        )
