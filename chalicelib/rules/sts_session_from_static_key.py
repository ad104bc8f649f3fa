"""sts-session-from-static-key: an IAM user's long-lived key turned into temporary sessions.

Also the next step of the same technique (NetSPI's aws_consoler): a federation token taken to the
federation endpoint (``GetSigninToken``) becomes a console session, recorded as a ``ConsoleLogin``
whose ``userIdentity`` is the ``FederatedUser`` (AWS sets its ``sessionIssuer``, the IAM user whose
key made the token). No MFA can be asked of such a session, and the key's holder now has a browser
session that outlives the key's deactivation.
"""

from __future__ import annotations

from types import MappingProxyType

from chalicelib.events import as_dict, as_str
from chalicelib.findings import Severity
from chalicelib.rules.base import Context, Rule, Verdict, breaks_of, failed_suffix
from chalicelib.rules.registry import register


@register
class StsSessionFromStaticKey(Rule):
    id = "sts-session-from-static-key"
    severity = Severity.HIGH
    title = "Temporary session made from a static IAM user key"
    # GetSessionToken and GetFederationToken, called with an IAM user's key, mint session
    # credentials that outlive the key's deactivation (up to 36 hours) and, for a federation
    # token, carry a name of the caller's choosing: the persistence step after a key leaks.
    event_names = frozenset({"GetSessionToken", "GetFederationToken", "ConsoleLogin"})
    memo_fields = (("errorCode",),)  # beyond the actor, only whether the call failed is read
    # A federated console session: whether the sign-in succeeded (the actor is the federated user).
    memo_fields_by_name = MappingProxyType({"ConsoleLogin": (("responseElements", "ConsoleLogin"),)})
    reference = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_request.html"
    runbook = (
        "A static key minted session credentials. Deactivating the key does not end those sessions: "
        "attach a deny-all policy conditioned on `aws:TokenIssueTime` before now to the user (what "
        "'Revoke active sessions' does for roles), then rotate the key (`aws iam create-access-key`, "
        "update where it lives, `aws iam delete-access-key`). Review every call made with the session "
        "key id in responseElements.credentials, and for GetFederationToken the federated user's calls."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev, actor = ctx.event, ctx.actor
        if ev.event_name == "ConsoleLogin":
            return _federated_console(ctx)
        if actor.kind != "iam-user":
            return None
        p = actor.principal
        if ev.failed:
            severity = Severity.LOW
        elif p is not None:
            severity = Severity.MEDIUM
        else:
            severity = Severity.HIGH
        what = "a federation token" if ev.event_name == "GetFederationToken" else "a session token"
        federated = ev.param("name")
        named = f" for federated user '{federated}'" if federated and ev.event_name == "GetFederationToken" else ""
        mfa = " with MFA" if ev.param("serialNumber") else ""
        if p is None:
            why = " The user is not declared in the model, so nothing vouches for this key."
        else:
            why = (f" Principal '{p.id}' is declared to authenticate with {p.auth}; turning its static key "
                   "into sessions is not its declared way of working.")
        return Verdict(
            severity=severity,
            reason=f"{actor.describe()} requested {what}{named}{mfa} with its long-lived key."
                   f"{why}{failed_suffix(ctx)}",
            breaks=breaks_of(p),
            group_key=f"sts-session:{actor.arn or actor.name}",
            details={"user": actor.name, "federated_name": federated if named else None,
                     "duration_seconds": as_str(ev.request_parameters.get("durationSeconds")),
                     "mfa": bool(mfa), "declared": p is not None},
        )


def _federated_console(ctx: Context) -> Verdict | None:
    """A console session opened with a federation token: the IAM user's key, now in a browser."""
    ev, actor = ctx.event, ctx.actor
    if actor.kind != "federated" or ev.failed or ev.error_code:
        return None
    if as_str(ev.response_elements.get("ConsoleLogin")) not in ("Success", None):
        return None
    p = actor.principal
    federated = actor.arn.rsplit("/", 1)[-1] if actor.arn and "/" in actor.arn else None
    if p is not None and p.auth == "console":
        severity = Severity.MEDIUM
        why = (f"Principal '{p.id}' is declared to use the console, but with its password and MFA, not "
               "through a federation token.")
    elif p is not None:
        severity = Severity.HIGH
        why = f"Principal '{p.id}' is declared to authenticate with {p.auth}, never the console."
    else:
        severity = Severity.HIGH
        why = "The user is not declared in the model, so nothing vouches for this key."
    return Verdict(
        severity=severity,
        reason=f"Federated user '{federated or 'unknown'}' of IAM user '{actor.name or 'unknown'}' signed in to "
               f"the console from {ev.source_ip or 'an unrecorded address'}: its long-lived key was turned into a "
               f"federation token and then a console session (the aws_consoler technique), with no MFA. {why}",
        breaks=breaks_of(p),
        group_key=f"sts-session:{_issuer_arn(ctx) or actor.name or actor.arn}",  # with its GetFederationToken
        details={"user": actor.name, "federated_name": federated, "console": True, "declared": p is not None},
    )


def _issuer_arn(ctx: Context) -> str | None:
    """The IAM user whose key made the federation token (AWS sets it in the session's issuer)."""
    issuer = as_dict(as_dict(ctx.event.user_identity.get("sessionContext")).get("sessionIssuer"))
    return as_str(issuer.get("arn"))
