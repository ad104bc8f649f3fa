"""identity-auth-mismatch: a declared principal authenticating in a way the model does not declare."""

from __future__ import annotations

from types import MappingProxyType

from chalicelib.events import CloudTrailEvent, as_str
from chalicelib.findings import Severity
from chalicelib.identity.resolve import INSTANCE_ID
from chalicelib.rules.base import Context, Rule, Verdict
from chalicelib.rules.registry import register

# Declared auth → the observed methods that honour it. An OIDC (or Roles Anywhere) role's later calls are plain
# role sessions (the web identity is only visible on AssumeRoleWithWebIdentity itself).
ACCEPTS: dict[str, frozenset[str]] = {
    "sso": frozenset({"sso"}),
    "access-key": frozenset({"access-key"}),
    "instance-profile": frozenset({"instance-profile"}),
    "role": frozenset({"role"}),
    "oidc": frozenset({"oidc", "role"}),
    "console": frozenset({"console-password"}),
    # A Roles Anywhere session's calls are plain role sessions too (rolesanywhere-session-unexpected
    # judges the certificate and trust anchor on CreateSession itself).
    "roles-anywhere": frozenset({"role"}),
}
NOT_JUDGED = frozenset({"service", "unknown", "root"})
# AWS adds ec2RoleDelivery to instance credentials in records of this event version on (IMDSv2
# arrived in late 2019; 1.08 records are from 2021 on). Only older records may lack it honestly.
EC2_DELIVERY_SINCE = (1, 8)


def event_version(text: str | None) -> tuple[int, int] | None:
    """``"1.09"`` → (1, 9); None when missing or not a version."""
    major, _, minor = (text or "").partition(".")
    return (int(major), int(minor)) if major.isdigit() and minor.isdigit() else None


@register
class IdentityAuthMismatch(Rule):
    id = "identity-auth-mismatch"
    severity = Severity.HIGH
    title = "Declared principal used an undeclared way to authenticate"
    event_names = None
    memo_fields = (("eventVersion",),)  # the actor, the model, and (instance sessions) the record's version
    # An OIDC entry's provider is in userIdentity (in every key) or, failing that, the response.
    memo_fields_by_name = MappingProxyType({"ConsoleLogin": (("errorCode",), ("responseElements", "ConsoleLogin")),
                                            "AssumeRoleWithWebIdentity": (("responseElements", "provider"),)})
    reference = "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#bp-users-federation-idp"
    runbook = (
        "The principal's credentials are being used in a way the model forbids (a CI user in the "
        "console, a human with a static key, an instance role outside EC2). Ask the owner; if nobody "
        "expects it, revoke the sessions (`aws iam put-role-policy` with an AWSRevokeOlderSessions "
        "deny, or deactivate the key) and rotate the credential."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev, actor = ctx.event, ctx.actor
        p = actor.principal
        if p is None or actor.auth in NOT_JUDGED:
            return None
        if ev.event_name == "ConsoleLogin" and ev.failed:
            return None  # a failed sign-in proves no credential works; not a mismatch
        problem = self._problem(ctx)
        if problem is None:
            return None
        problem, severity = problem
        return Verdict(
            severity=severity,
            reason=f"Principal '{p.id}' ({p.kind}) is declared to use {p.auth} but {problem}.",
            breaks=p.breaks,
            group_key=f"auth-mismatch:{p.id}:{actor.auth}:{actor.arn}",
            details={"declared_auth": p.auth, "observed_auth": actor.auth},
        )

    @staticmethod
    def _problem(ctx: Context) -> tuple[str, Severity | None] | None:
        actor, p = ctx.actor, ctx.actor.principal
        assert p is not None
        observed = actor.auth
        if observed not in ACCEPTS[p.auth]:
            if p.auth == "instance-profile" and observed == "role" and INSTANCE_ID.match(actor.session or ""):
                return _instance_named_session(ctx)
            via = f" via {ctx.event.event_name}" if ctx.event.event_name == "ConsoleLogin" else ""
            return f"authenticated with {observed}{via} ({actor.arn})", None
        if observed == "sso" and p.permission_sets and actor.permission_set not in p.permission_sets:
            return f"used permission set '{actor.permission_set}', not one of {', '.join(p.permission_sets)}", None
        if observed == "oidc" and not ctx.model.subject_allowed(p, actor.session):
            return (f"presented token subject '{actor.session}', which matches none of "
                    f"{', '.join(p.oidc_subjects)}", None)
        if observed == "oidc":
            return _undeclared_provider(ctx)
        return None


def _undeclared_provider(ctx: Context) -> tuple[str, Severity | None] | None:
    """A token subject is only as good as its issuer: whoever runs another OIDC provider that the
    role trusts can mint any subject, the declared one included. When the role's account declares
    its identity providers, the provider AWS recorded for the entry must be one of them."""
    ev, actor = ctx.event, ctx.actor
    spec = ctx.model.accounts.get(actor.account or "")
    if spec is None or not spec.federated_providers:
        return None  # the model says nothing about this account's providers
    provider = oidc_provider(ev)
    if provider is not None and ctx.model.federated_provider(actor.account, provider):
        return None
    named = f"'{provider}'" if provider else "a provider the record does not name"
    return (f"entered with a token from {named}, which account {actor.account} does not declare "
            f"(declared: {', '.join(spec.federated_providers)}); subject '{actor.session}'", None)


def oidc_provider(ev: CloudTrailEvent) -> str | None:
    """The OIDC provider AWS recorded for a web identity entry, as the model names providers: the
    issuer host/path of an ``oidc-provider/`` ARN, or a bare web identity (``accounts.google.com``)."""
    for value in (ev.user_identity.get("identityProvider"), ev.response_elements.get("provider")):
        text = as_str(value)
        if text:
            return text.split(":oidc-provider/", 1)[1] if ":oidc-provider/" in text else text
    return None


def _instance_named_session(ctx: Context) -> tuple[str, Severity | None] | None:
    """A session *named* like an instance but without the ec2RoleDelivery AWS sets on instance
    credentials: anyone who can assume the role picks the name. Only a record too old to carry
    the field is let off; one that does not say its version is reported, as thin evidence."""
    version = event_version(ctx.event.raw.get("eventVersion") if isinstance(ctx.event.raw, dict) else None)
    session = ctx.actor.session
    if version is not None and version < EC2_DELIVERY_SINCE:
        return None
    if version is None:
        return (f"session '{session}' has no ec2RoleDelivery and the record gives no eventVersion, so it may "
                "predate that field: thin evidence that the role was used outside EC2", Severity.MEDIUM)
    return (f"session '{session}' is named like an instance but has no ec2RoleDelivery, which AWS sets on "
            f"instance-profile credentials in records of eventVersion 1.08 on: the role was assumed outside EC2 "
            f"({ctx.actor.arn})", None)
