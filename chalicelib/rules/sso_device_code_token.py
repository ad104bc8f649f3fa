"""sso-device-code-token: IAM Identity Center issued a token through the OAuth device-code grant.

The device-code grant hands the token to whichever device polls with the code, once a signed-in
user approves it in a browser: device-code phishing sends a user the approval link for the
attacker's code, and the attacker's device gets a token that ``sso:GetRoleCredentials`` turns into
role credentials in every account the user may enter. The AWS CLI used the grant for ``aws sso
login`` until 2.22 (it now uses the authorization-code grant with PKCE; ``--use-device-code``
brings the old flow back), so the grant alone is routine for many teams: a declared user's token
is stored low, and is high when the user declares where they work (``network``) and the device that
polled (``sourceIPAddress`` is the poller's, not the approver's) is elsewhere. A user the model does
not declare getting one is medium; an Identity Center in an account outside the model is low.

What is read is set by AWS: the record of a successful ``CreateToken`` (``sso-oauth`` today,
``sso`` in older records), its grant type (the token AWS issued is the grant it accepted) and
``userIdentity.userName``, the Identity Center user who approved the code (records that name only
``onBehalfOf.userId`` are matched on the principals' ``sso_user_ids``). The polls that precede
approval fail (``AuthorizationPendingException``) and are not judged.
"""

from __future__ import annotations

from chalicelib.event_names import DEVICE_CODE_GRANT, SSO_TOKEN_SOURCES
from chalicelib.findings import Severity
from chalicelib.identity.model import fold
from chalicelib.identity.network import classify, inside
from chalicelib.rules.base import Context, Rule, Verdict, breaks_of
from chalicelib.rules.registry import register
from chalicelib.rules.sso_role_credentials import portal_user

SOURCES = frozenset(SSO_TOKEN_SOURCES)


@register
class SsoDeviceCodeToken(Rule):
    id = "sso-device-code-token"
    severity = Severity.HIGH
    title = "IAM Identity Center token issued through the device-code grant"
    event_names = frozenset({"CreateToken"})
    # The source (other services have a CreateToken), the outcome and the grant (userIdentity is always
    # in the key): every device-code token is a finding, every other call is quiet.
    memo_fields = (("eventSource",), ("errorCode",), ("requestParameters", "grantType"))
    reference = "https://docs.aws.amazon.com/singlesignon/latest/OIDCAPIReference/API_CreateToken.html"
    runbook = (
        "Ask the user whether they ran the CLI's SSO login with --use-device-code (or a CLI before 2.22) from the "
        "source IP "
        "and at the time shown. If not, the code was phished: in the IAM Identity Center console, Users → the "
        "user → Active sessions, delete every session (this revokes the token and stops new role credentials), "
        "then review the user's GetRoleCredentials and the AWSReservedSSO_* sessions in the member accounts "
        "since the token was issued. Prefer the authorization-code (PKCE) flow, the CLI's default since 2.22."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev = ctx.event
        if ev.event_source not in SOURCES or ev.failed or ev.error_code or ev.param("grantType") != DEVICE_CODE_GRANT:
            return None
        user = ctx.actor.name if ctx.actor.kind == "unknown" else None
        declared = ctx.model.by_sso_user.get(fold(user), ()) if user else ()
        user_id = portal_user(ev)[1] if user is None else None  # today's records name the user by id only
        if user_id and not declared:
            declared = ctx.model.by_sso_user_id.get(user_id, ())
            user = next(iter(declared[0].sso_users), None) if declared else None
        source = classify(ev.source_ip)
        networks = [n for p in declared if (n := ctx.model.networks.get(p.id)) is not None]
        if ctx.model.accounts and ev.account not in ctx.model.accounts:
            severity, why = Severity.LOW, f"the Identity Center is in account {ev.account or '?'}, outside the model."
        elif networks and not any(inside(source, n) for n in networks):
            severity = Severity.HIGH
            why = (f"'{user}' is declared ({declared[0].id}) to work from its declared ranges, and the device that "
                   f"polled for the token was at {source.describe()}: the signature of device-code phishing.")
        elif declared:
            severity = Severity.LOW
            why = (f"'{user}' is declared ({declared[0].id}); the grant was the CLI's default before 2.22, and "
                   "is what device-code phishing asks a victim to approve.")
        else:
            severity = Severity.MEDIUM
            why = (f"the user '{user}' is not declared in the model" if user else
                   f"the record names no approving user the model knows (id {user_id or '?'})") \
                + ", so nothing vouches for the device that got it."
        return Verdict(
            severity=severity,
            reason=f"IAM Identity Center issued a token through the device-code grant to a device at "
                   f"{ev.source_ip or 'an unknown address'}, approved by {user or 'an unnamed user'}: {why}",
            breaks=breaks_of(*declared[:1]),
            group_key=f"sso-device-code:{fold(user) if user else '?'}",
            details={"user": user, "client_id": ev.param("clientId"), "declared": bool(declared),
                     "event_source": ev.event_source},
        )
