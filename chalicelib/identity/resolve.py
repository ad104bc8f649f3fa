"""Resolve an event's ``userIdentity`` to a declared principal and an observed auth method.

This runs once per event, before any rule, so rules share one answer (DESIGN §4). It reads
only what is present and never guesses: a field that is missing leaves the answer ``None``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chalicelib.events import CloudTrailEvent, as_bool, as_dict, as_str
from chalicelib.identity.model import IdentityModel
from chalicelib.identity.schema import PrincipalSpec

HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"
SSO_ROLE_PREFIX = "AWSReservedSSO_"
INSTANCE_ID = re.compile(r"^i-[0-9a-f]{8,17}$")
SERVICE_TYPES = frozenset({"AWSService", "AWSAccount"})

# Observed auth methods.
ROOT, ACCESS_KEY, CONSOLE, SSO, INSTANCE_PROFILE, ROLE, OIDC = (
    "root", "access-key", "console-password", "sso", "instance-profile", "role", "oidc",
)
FEDERATED, SERVICE, UNKNOWN = "federated", "service", "unknown"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acted. ``arn`` is the offending ARN a finding names (DESIGN §5)."""

    kind: str  # root | iam-user | assumed-role | web-identity | federated | service | unknown
    auth: str
    arn: str | None
    account: str | None
    name: str | None = None  # IAM user name or role name
    session: str | None = None  # role session name, or the web identity token subject
    role_arn: str | None = None  # the role behind an assumed-role session
    access_key_id: str | None = None
    permission_set: str | None = None
    principal: PrincipalSpec | None = None

    @property
    def is_service(self) -> bool:
        return self.kind == "service"

    @property
    def is_root(self) -> bool:
        return self.kind == "root"

    @property
    def principal_id(self) -> str | None:
        return self.principal.id if self.principal else None

    @property
    def manages_iam(self) -> bool:
        return bool(self.principal and self.principal.manages_iam)

    def describe(self) -> str:
        """A short human phrase for reasons: who acted, by declared id when there is one."""
        if self.principal:
            return f"principal '{self.principal.id}' ({self.arn or self.name})"
        if self.kind == "root":
            return f"the root user of {self.account or 'an unknown account'}"
        if self.kind == "iam-user" and self.name:
            return f"undeclared IAM user '{self.name}'"
        if self.kind == "assumed-role" and self.name:
            who = f"SSO user '{self.session}'" if self.auth == SSO else f"role '{self.name}'"
            return f"undeclared {who}"
        return self.arn or self.name or f"an unidentified {self.kind} caller"


def root_arn(account: str | None) -> str | None:
    return f"arn:aws:iam::{account}:root" if account else None


def _is_console(event: CloudTrailEvent) -> bool:
    return (
        event.event_name == "ConsoleLogin"
        or event.invoked_by == "signin.amazonaws.com"
        or as_bool(event.raw.get("sessionCredentialFromConsole")) is True
    )


def _split_assumed(arn: str | None) -> tuple[str | None, str | None]:
    """``arn:aws:sts::1:assumed-role/Role/session`` → (Role, session)."""
    if not arn or ":assumed-role/" not in arn:
        return None, None
    parts = arn.split(":assumed-role/", 1)[1].split("/")
    return (parts[0] or None), ("/".join(parts[1:]) or None)


def _assumed_role(event: CloudTrailEvent, model: IdentityModel, account: str | None) -> Actor:
    ui = event.user_identity
    ctx = as_dict(ui.get("sessionContext"))
    issuer = as_dict(ctx.get("sessionIssuer"))
    arn = as_str(ui.get("arn"))
    role_from_arn, session = _split_assumed(arn)
    role = as_str(issuer.get("userName")) or role_from_arn
    if session is None:
        pid = as_str(ui.get("principalId")) or ""
        session = pid.split(":", 1)[1] if ":" in pid else None
    role_arn = as_str(issuer.get("arn"))
    if role_arn is None and role and account:
        role_arn = f"arn:aws:iam::{account}:role/{role}"
    common = dict(kind="assumed-role", arn=arn or role_arn, account=account, name=role, session=session,
                  role_arn=role_arn, access_key_id=as_str(ui.get("accessKeyId")))
    if role and role.startswith(SSO_ROLE_PREFIX):
        pset = role[len(SSO_ROLE_PREFIX):].rsplit("_", 1)[0] or None
        return Actor(auth=SSO, permission_set=pset, principal=model.sso_user(session, pset, account), **common)
    if session and INSTANCE_ID.match(session) and ctx.get("ec2RoleDelivery") is not None:
        return Actor(auth=INSTANCE_PROFILE, principal=model.role(role, account), **common)
    return Actor(auth=ROLE, principal=model.role(role, account), **common)


def resolve_actor(event: CloudTrailEvent, model: IdentityModel) -> Actor:
    ui = event.user_identity
    kind = as_str(ui.get("type"))
    account = as_str(ui.get("accountId")) or event.account
    if event.is_service_event or kind in SERVICE_TYPES or (kind is None and ui.get("invokedBy")) \
            or event.invoked_by == "AWS Internal":
        return Actor(kind="service", auth=SERVICE, arn=as_str(ui.get("arn")), account=account,
                     name=as_str(ui.get("invokedBy")) or as_str(ui.get("principalId")))
    if kind == "Root":
        arn = as_str(ui.get("arn")) or root_arn(account)
        return Actor(kind="root", auth=ROOT, arn=arn, account=account, name="root",
                     access_key_id=as_str(ui.get("accessKeyId")))
    if kind == "IAMUser":
        name = as_str(ui.get("userName"))
        if name == HIDDEN:
            name = None
        arn = as_str(ui.get("arn")) or (f"arn:aws:iam::{account}:user/{name}" if name and account else None)
        auth = CONSOLE if _is_console(event) else ACCESS_KEY
        return Actor(kind="iam-user", auth=auth, arn=arn, account=account, name=name,
                     access_key_id=as_str(ui.get("accessKeyId")), principal=model.iam_user(name, account))
    if kind == "AssumedRole":
        return _assumed_role(event, model, account)
    if kind == "WebIdentityUser":
        role_arn = event.param("roleArn")
        role = role_arn.rsplit("/", 1)[-1] if role_arn else None
        subject = as_str(ui.get("userName")) or as_str(event.response_elements.get("subjectFromWebIdentityToken"))
        acct = account or (role_arn.split(":")[4] if role_arn and role_arn.count(":") >= 5 else None)
        return Actor(kind="web-identity", auth=OIDC, arn=role_arn or as_str(ui.get("arn")), account=acct,
                     name=role, session=subject, role_arn=role_arn, principal=model.role(role, acct))
    if kind == "FederatedUser":
        issuer = as_dict(as_dict(ui.get("sessionContext")).get("sessionIssuer"))
        user = as_str(issuer.get("userName"))
        return Actor(kind="federated", auth=FEDERATED, arn=as_str(ui.get("arn")), account=account, name=user,
                     access_key_id=as_str(ui.get("accessKeyId")), principal=model.iam_user(user, account))
    return Actor(kind="unknown", auth=UNKNOWN, arn=as_str(ui.get("arn")), account=account,
                 name=as_str(ui.get("userName")))
