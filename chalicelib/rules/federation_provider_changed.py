"""federation-provider-changed: a SAML or OIDC identity provider, or an IAM Roles Anywhere trust
anchor or profile, was created or changed: a new way to obtain role sessions without any IAM key.

Roles Anywhere: a trust anchor created, changed or re-enabled (a CA whose certificates get sessions), a
profile created, changed or re-enabled (the roles and policies those sessions get), the certificate
attributes mapped to session tags changed (what a role's trust conditions on ``x509Subject/CN`` see), and
a certificate revocation list replaced, disabled or deleted (revoked certificates work again).

Brokers beside IAM's providers (chalicelib/rules/_federation_brokers.py): a Cognito identity pool
created, changed or given roles (critical when it hands credentials to unauthenticated callers, high
otherwise), an Identity Center trusted token issuer, and Identity Center's identity source (external
IdP enabled, changed or disabled, its signing certificate imported, a directory (dis)associated)."""

from __future__ import annotations

import re

from chalicelib.events import as_dict, as_str
from chalicelib.findings import Severity
from chalicelib.rules import _federation_brokers as brokers
from chalicelib.rules.base import Context, Rule, Verdict, failed_suffix
from chalicelib.rules.registry import register

IAM_EVENTS = frozenset({"CreateSAMLProvider", "UpdateSAMLProvider", "DeleteSAMLProvider", "CreateOpenIDConnectProvider",
                        "AddClientIDToOpenIDConnectProvider", "UpdateOpenIDConnectProviderThumbprint"})
ROLES_ANYWHERE = frozenset({"CreateTrustAnchor", "UpdateTrustAnchor", "EnableTrustAnchor", "CreateProfile",
                            "UpdateProfile", "EnableProfile", "PutAttributeMapping", "UpdateCrl", "DisableCrl",
                            "DeleteCrl"})
IAM_SOURCE, ROLES_ANYWHERE_SOURCE = "iam.amazonaws.com", "rolesanywhere.amazonaws.com"
# IAM Identity Center keeps a SAML provider in every account it manages, through its service-linked
# role; only AWS can create roles under this path, so the ARN (not a session name) vouches for it.
IDENTITY_CENTER_ROLE = re.compile(r"^arn:aws[a-z-]*:iam::[^:/]*:role/aws-service-role/sso\.amazonaws\.com/")


@register
class FederationProviderChanged(Rule):
    id = "federation-provider-changed"
    severity = Severity.CRITICAL
    title = "Federated identity provider changed"
    event_names = IAM_EVENTS | ROLES_ANYWHERE | frozenset(brokers.SOURCES)
    memo_fields = (("eventSource",),)  # every call of IAM or Roles Anywhere is a finding
    # (Transfer Family and Route 53 Profiles have a CreateProfile/UpdateProfile of their own.)
    reference = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers.html"
    runbook = (
        "Whoever controls this provider (its SAML signing key, OIDC issuer or CA) can now obtain sessions for "
        "every role that trusts it. If nobody expected the change, delete or restore the provider "
        "(`aws iam delete-saml-provider` / `delete-open-id-connect-provider`, `aws rolesanywhere "
        "disable-trust-anchor`), list roles trusting it (`aws iam list-roles`), and review their sessions."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev, actor = ctx.event, ctx.actor
        broker = ev.event_name in brokers.SOURCES
        if broker and not brokers.judged(ev):
            return None
        if not broker and ev.event_source != (ROLES_ANYWHERE_SOURCE if ev.event_name in ROLES_ANYWHERE else IAM_SOURCE):
            return None
        provider = brokers.name_of(ev) if broker else _provider(ctx)
        declared = provider is not None and ctx.model.federated_provider(ev.account, provider)
        if ev.event_name in IAM_EVENTS and IDENTITY_CENTER_ROLE.match(actor.role_arn or ""):
            severity, why = Severity.LOW, "IAM Identity Center manages its own SAML provider in this account."
        elif actor.manages_iam:
            severity, why = Severity.MEDIUM, "The actor may manage IAM; still a new way in, worth a look."
        elif broker and ev.event_source == brokers.COGNITO and not brokers.opens_to_anyone(ev):
            severity, why = Severity.HIGH, "The actor is not declared as allowed to manage IAM."
        else:
            severity, why = Severity.CRITICAL, "The actor is not declared as allowed to manage IAM."
        if brokers.opens_to_anyone(ev):
            why = ("The pool now gives AWS credentials to unauthenticated callers (anyone on the internet). "
                   + why)
        if ev.failed:
            severity = min(severity, Severity.MEDIUM)
        service = brokers.SERVICE.get(ev.event_source or "", "?") if broker else \
            "IAM Roles Anywhere" if ev.event_name in ROLES_ANYWHERE else "IAM"
        known = " (a provider the model declares)" if declared else ""
        return Verdict(
            reason=f"{actor.describe()} called {service} {ev.event_name} on '{provider or '?'}'{known}. {why}"
                   f"{failed_suffix(ctx)}",
            severity=severity,
            target_arn=brokers.arn_of(ev) if broker else _arn(ctx),
            group_key=f"federation:{ev.account}:{provider or ev.event_name}",
            details={"provider": provider, "declared_provider": declared, "actor_manages_iam": actor.manages_iam},
        )


def _provider(ctx: Context) -> str | None:
    """A readable name: SAML name, OIDC issuer (from the URL or the provider ARN), anchor or profile name."""
    ev = ctx.event
    arn = _arn(ctx)
    for marker in (":saml-provider/", ":oidc-provider/"):
        if arn and marker in arn:
            return arn.split(marker, 1)[1]
    url = ev.param("url")
    if url:
        return url.split("://", 1)[-1].rstrip("/")
    return ev.param("name") or ev.param("trustAnchorId") or ev.param("profileId") or ev.param("crlId") or arn


def _arn(ctx: Context) -> str | None:
    ev = ctx.event
    req, resp = ev.request_parameters, ev.response_elements
    for source, key in ((req, "sAMLProviderArn"), (resp, "sAMLProviderArn"), (req, "openIDConnectProviderArn"),
                        (resp, "openIDConnectProviderArn")):
        value = as_str(source.get(key))
        if value:
            return value
    for key in ("trustAnchor", "profile", "crl"):
        value = as_str(as_dict(resp.get(key)).get(f"{key}Arn"))
        if value:
            return value
    return None
