"""sts-session-from-static-key: an IAM user's long-lived key turned into temporary sessions."""

from __future__ import annotations

from chalicelib.events import as_str
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
    event_names = frozenset({"GetSessionToken", "GetFederationToken"})
    memo_fields = (("errorCode",),)  # beyond the actor, only whether the call failed is read
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
