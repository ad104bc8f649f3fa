"""role-session-console-signin: a role session taken to the console through the federation endpoint.

``signin.aws.amazon.com/federation?Action=getSigninToken`` turns any temporary credentials into a
console sign-in token (``GetSigninToken``, then a ``ConsoleLogin``, both recorded by
``signin.amazonaws.com`` under the session's own ``AssumedRole`` identity). That is how NetSPI's
aws_consoler and Pacu open a browser on stolen credentials: an instance's, a CI job's or an agent's role,
with no MFA and no password. People do it too (aws-vault login, Granted), so a declared ``human``
principal's role is quiet; any other declared principal (ci, workload, agent) never uses the console,
and a role the model does not declare has nothing vouching for it. IAM Identity Center's own console
sign-ins (its reserved roles, by IAM path) are judged by the SSO rules; a federation token's console
session by sts-session-from-static-key; a refused token opens nothing and is not judged. A SAML
sign-in (an identity provider posting to signin.aws.amazon.com/saml: AWS records the provider as
``additionalEventData.SamlProviderArn``) is the company's IdP, not the federation endpoint, and is left
to the identity rules, as is any SAML role session.
"""

from __future__ import annotations

from types import MappingProxyType

from chalicelib.events import as_str
from chalicelib.findings import Severity
from chalicelib.identity.resolve import INSTANCE_PROFILE, SSO
from chalicelib.rules.base import Context, Rule, Verdict, breaks_of
from chalicelib.rules.registry import register

SOURCE = "signin.amazonaws.com"
NAMES = ("GetSigninToken", "ConsoleLogin")
SAML_PROVIDER = ("additionalEventData", "SamlProviderArn")  # set by AWS on a SAML console sign-in


@register
class RoleSessionConsole(Rule):
    id = "role-session-console-signin"
    severity = Severity.HIGH
    title = "Role session turned into a console sign-in"
    event_names = frozenset(NAMES)
    # Beyond the actor: the source, and the outcome (errorCode, or Failure under responseElements.<name>).
    memo_fields = (("eventSource",), ("errorCode",))
    memo_fields_by_name = MappingProxyType({"GetSigninToken": (("responseElements", "GetSigninToken"),),
                                            "ConsoleLogin": (("responseElements", "ConsoleLogin"), SAML_PROVIDER)})
    reference = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_enable-console-custom-url.html"
    runbook = (
        "A role's temporary credentials were exchanged for a console session. Ask the role's owner; if nobody "
        "expected a browser on this role, its credentials are stolen: revoke the role's sessions (IAM console, "
        "'Revoke active sessions', an AWSRevokeOlderSessions deny), find where the session came from (the "
        "AssumeRole or instance that issued it: the session name), rotate what the role can read, and review "
        "the console session's calls (sessionCredentialFromConsole, the same session name)."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev, actor = ctx.event, ctx.actor
        if ev.event_source != SOURCE or actor.kind != "assumed-role" or actor.auth == SSO or ev.failed \
                or as_str(ev.additional_event_data.get(SAML_PROVIDER[1])):
            return None
        p = actor.principal
        if p is not None and p.kind == "human" and actor.auth != INSTANCE_PROFILE:
            return None  # a person's console broker (aws-vault login, Granted)
        if actor.auth == INSTANCE_PROFILE:
            why = f"These are instance credentials (session {actor.session}): an instance never uses the console."
        elif p is not None:
            why = (f"Principal '{p.id}' ({p.kind}) is declared to authenticate with {p.auth}; it never uses the "
                   "console.")
        else:
            why = "The role is not declared in the model, so nothing vouches for a browser on it."
        step = "got a console sign-in token" if ev.event_name == "GetSigninToken" else "signed in to the console"
        return Verdict(
            reason=f"{actor.describe()} {step} through the federation endpoint from "
                   f"{ev.source_ip or 'an unrecorded address'} ({ev.user_agent or 'no user agent'}): its temporary "
                   f"credentials became a browser session with no MFA (aws_consoler, Pacu). {why}",
            breaks=breaks_of(p),
            group_key=f"role-console:{actor.role_arn or actor.name}:{actor.session}",
            details={"role": actor.name, "session": actor.session, "auth": actor.auth,
                     "principal": p.id if p else None, "principal_kind": p.kind if p else None},
        )
