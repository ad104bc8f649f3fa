"""root-api-use: any call made with root credentials, console sessions and reads included."""

from __future__ import annotations

from chalicelib.events import as_bool, as_dict, as_str
from chalicelib.findings import Severity, mask_key
from chalicelib.identity.resolve import FEDERATED
from chalicelib.rules.base import Context, Rule, Verdict, fingerprint
from chalicelib.rules.registry import register

SIGNIN_EVENTS = frozenset({"ConsoleLogin"})  # reported by root-signin / root-signin-failed
SIGNIN_SOURCE = "signin.amazonaws.com"


@register
class RootApiUse(Rule):
    id = "root-api-use"
    severity = Severity.CRITICAL
    title = "Root credentials used"
    event_names = None
    memo_fields = ()  # a non-root actor returns None before anything else is read
    reference = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html"
    runbook = (
        "Root is never for day-to-day work. Find who holds the session (source IP, user agent); if "
        "it is the CLI, delete the root access key (`aws iam delete-access-key` as root, or the "
        "console's Security credentials page) and move the work to an SSO role. Every call of one "
        "root session is grouped into this incident."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev = ctx.event
        if not ctx.actor.is_root or ev.is_service_event or ev.event_name in SIGNIN_EVENTS:
            return None
        if ev.event_source == SIGNIN_SOURCE and ev.failed:
            return None  # a failed sign-in step is root-signin-failed, not use of root
        session = _session_key(ctx)
        via = ctx.actor.access_key_id
        # Only what AWS sets says "console": the user agent is the caller's to write, and a root
        # access key presenting "signin.amazonaws.com" must still be named as the key it is.
        console = as_bool(ev.raw.get("sessionCredentialFromConsole")) is True
        if ev.invoked_by == SIGNIN_SOURCE or (console and not ev.invoked_by):
            how = "a console session"
        elif ev.invoked_by:
            how = f"{ev.invoked_by} acting for root"
        elif ctx.actor.auth == FEDERATED:  # GetFederationToken called with root's keys (AWS's issuer type Root)
            how = f"a federation token root made ({ctx.actor.arn or 'federated user'}, key {mask_key(via)})"
        else:
            how = f"access key {mask_key(via)}" if via else "root credentials"
        outcome = f" It failed ({ev.error_code})." if ev.error_code else ""
        return Verdict(
            reason=f"Root of account {ev.account} called {ev.event_source.split('.')[0]}:{ev.event_name} "
            f"through {how} from {ev.source_ip or 'an unrecorded address'}.{outcome}",
            group_key=f"root-session:{ev.account}:{session}",
            details={"session": session, "invoked_by": ev.invoked_by, "read_only": ev.read_only},
        )


def _session_key(ctx: Context) -> str:
    """One root session = its temporary key, else its creation time, else the event itself."""
    if ctx.actor.access_key_id:
        return "key:" + fingerprint(ctx.actor.access_key_id)
    attrs = as_dict(as_dict(ctx.event.user_identity.get("sessionContext")).get("attributes"))
    created = as_str(attrs.get("creationDate"))
    return f"created:{created}" if created else f"event:{ctx.event.event_id}"
