"""Ways into role sessions or Identity Center that are not IAM's own identity providers, read by
federation-provider-changed: a Cognito identity pool (it trades a login, or no login at all, for
credentials of the roles it names), an IAM Identity Center trusted token issuer (an outside OIDC
issuer whose tokens Identity Center exchanges for its own), and Identity Center's identity source
(the external SAML IdP and its signing certificate, or the directory, that decide who signs in).

Only fields AWS sets or the call's own switches are read (``allowUnauthenticatedIdentities``, the
``unauthenticated`` role slot), never a pool, issuer or directory name the caller picks.
"""

from __future__ import annotations

from types import MappingProxyType

from chalicelib.events import CloudTrailEvent, as_dict, as_str

COGNITO = "cognito-identity.amazonaws.com"
SSO, SSO_DIRECTORY = "sso.amazonaws.com", "sso-directory.amazonaws.com"
# eventName → the eventSources it is judged from (AssociateDirectory is recorded under either).
SOURCES = MappingProxyType({
    "CreateIdentityPool": frozenset({COGNITO}),
    "UpdateIdentityPool": frozenset({COGNITO}),
    "SetIdentityPoolRoles": frozenset({COGNITO}),
    "CreateTrustedTokenIssuer": frozenset({SSO}),
    "UpdateTrustedTokenIssuer": frozenset({SSO}),
    "EnableExternalIdPConfigurationForDirectory": frozenset({SSO_DIRECTORY}),
    "DisableExternalIdPConfigurationForDirectory": frozenset({SSO_DIRECTORY}),
    "UpdateExternalIdPConfigurationForDirectory": frozenset({SSO_DIRECTORY}),
    "ImportExternalIdPCertificate": frozenset({SSO_DIRECTORY}),
    "AssociateDirectory": frozenset({SSO, SSO_DIRECTORY}),
    "DisassociateDirectory": frozenset({SSO, SSO_DIRECTORY}),
})
SERVICE = MappingProxyType({COGNITO: "Cognito identity pools", SSO: "IAM Identity Center",
                            SSO_DIRECTORY: "IAM Identity Center"})


def judged(ev: CloudTrailEvent) -> bool:
    """Whether this is one of these calls, from its own service."""
    return (ev.event_source or "") in SOURCES.get(ev.event_name or "", frozenset())


def opens_to_anyone(ev: CloudTrailEvent) -> bool:
    """A Cognito pool handing credentials to unauthenticated callers: its switch turned on, or a role put in
    its ``unauthenticated`` slot (anyone on the internet calls GetId and GetCredentialsForIdentity)."""
    if ev.event_source != COGNITO:
        return False
    params = ev.request_parameters
    if params.get("allowUnauthenticatedIdentities") is True:
        return True
    return as_str(as_dict(params.get("roles")).get("unauthenticated")) is not None


def name_of(ev: CloudTrailEvent) -> str | None:
    """What was changed, for the reader: the pool, the issuer's URL, the directory."""
    params, resp = ev.request_parameters, ev.response_elements
    config = as_dict(as_dict(params.get("trustedTokenIssuerConfiguration")).get("oidcJwtConfiguration"))
    issuer = as_str(config.get("issuerUrl"))
    if issuer:
        return issuer.split("://", 1)[-1].rstrip("/")
    for source, key in ((params, "identityPoolName"), (params, "identityPoolId"), (resp, "identityPoolId"),
                        (params, "name"), (params, "trustedTokenIssuerArn"), (resp, "trustedTokenIssuerArn"),
                        (params, "directoryId")):
        value = as_str(source.get(key))
        if value:
            return value
    return None


def arn_of(ev: CloudTrailEvent) -> str | None:
    """The changed resource's ARN where the record holds or implies one."""
    issuer = as_str(ev.request_parameters.get("trustedTokenIssuerArn")) \
        or as_str(ev.response_elements.get("trustedTokenIssuerArn"))
    if issuer:
        return issuer
    pool = as_str(ev.request_parameters.get("identityPoolId")) or as_str(ev.response_elements.get("identityPoolId"))
    if ev.event_source == COGNITO and pool and ev.region and ev.account:
        return f"arn:{ev.partition}:cognito-identity:{ev.region}:{ev.account}:identitypool/{pool}"
    return None
