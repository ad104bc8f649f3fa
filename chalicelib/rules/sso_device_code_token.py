"""sso-device-code-token: IAM Identity Center issued a token through the OAuth device-code grant.

The device-code grant hands the token to whichever device polls with the code, once a signed-in
user approves it in a browser: device-code phishing sends a user the approval link for the
attacker's code, and the attacker's device gets a token that ``sso:GetRoleCredentials`` turns into
role credentials in every account the user may enter. The AWS CLI used the grant for ``aws sso
login`` until 2.22 (it now uses the authorization-code grant with PKCE; ``--use-device-code``
brings the old flow back), so a declared user's device-code token is worth a question (medium);
a user the model does not declare getting one is high.

What is read is set by AWS: the record of a successful ``CreateToken`` (``sso-oauth`` today,
``sso`` in older records), its grant type (the token AWS issued is the grant it accepted) and
``userIdentity.userName``, the Identity Center user who approved the code. The polls that precede
approval fail (``AuthorizationPendingException``) and are not judged.
"""

from __future__ import annotations

from chalicelib.findings import Severity
from chalicelib.identity.model import fold
from chalicelib.rules.base import Context, Rule, Verdict, breaks_of
from chalicelib.rules.registry import register

SOURCES = frozenset({"sso-oauth.amazonaws.com", "sso.amazonaws.com"})
DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"


@register
class SsoDeviceCodeToken(Rule):
    id = "sso-device-code-token"
    severity = Severity.HIGH
    title = "IAM Identity Center token issued through the device-code grant"
    event_names = frozenset({"CreateToken"})
    # The source (other services have a CreateToken), the outcome, the grant and the approving user.
    memo_fields = (("eventSource",), ("errorCode",), ("requestParameters", "grantType"), ("userIdentity", "userName"))
    reference = "https://docs.aws.amazon.com/singlesignon/latest/OIDCAPIReference/API_CreateToken.html"
    runbook = (
        "Ask the user whether they ran `aws sso login --use-device-code` (or an old CLI) from the source IP "
        "and at the time shown. If not, the code was phished: in the IAM Identity Center console, Users → the "
        "user → Active sessions, delete every session (this revokes the token and stops new role credentials), "
        "then review the user's GetRoleCredentials and the AWSReservedSSO_* sessions in the member accounts "
        "since the token was issued. Prefer the authorization-code (PKCE) flow, the CLI's default since 2.22."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev = ctx.event
        if ev.event_source not in SOURCES or ev.failed or ev.error_code or ev.param("grantType") != DEVICE_CODE:
            return None
        user = ctx.actor.name if ctx.actor.kind == "unknown" else None
        declared = ctx.model.by_sso_user.get(fold(user), ()) if user else ()
        if declared:
            severity = Severity.MEDIUM
            why = (f"'{user}' is declared ({declared[0].id}); confirm they started this login: a device-code "
                   "approval is what device-code phishing asks of its victim.")
        else:
            severity = Severity.HIGH
            why = (f"the user '{user}' is not declared in the model" if user else
                   "the record names no approving user") + ", so nothing vouches for the device that got it."
        return Verdict(
            severity=severity,
            reason=f"IAM Identity Center issued a token through the device-code grant to a device at "
                   f"{ev.source_ip or 'an unknown address'}, approved by {user or 'an unnamed user'}: {why}",
            breaks=breaks_of(*declared[:1]),
            group_key=f"sso-device-code:{fold(user) if user else '?'}",
            details={"user": user, "client_id": ev.param("clientId"), "declared": bool(declared),
                     "event_source": ev.event_source},
        )
