"""Resolve an event's ``userIdentity`` to a declared principal and an observed auth method.

This runs once per event, before any rule, so rules share one answer (DESIGN §4). It reads
only what is present and never guesses: a field that is missing leaves the answer ``None``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from chalicelib.events import CloudTrailEvent, as_bool, as_dict, as_str, frozen_builder
from chalicelib.identity.model import IdentityModel
from chalicelib.identity.schema import PrincipalSpec

HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"
SSO_ROLE_PREFIX = "AWSReservedSSO_"
INSTANCE_ID = re.compile(r"^i-[0-9a-f]{8,17}$")
# IAM Identity Center's roles live under this IAM path, which customers cannot create roles in
# (the name prefix is free for anyone to use). A region segment follows for instances outside
# us-east-1 created since 2022, so it is optional.
# The reserved path is what AWS vouches for (no customer can create a role under it); the account
# field is not, and published records often redact it ("xxx"), so it may be anything but a separator.
SSO_ISSUER = re.compile(r"^arn:aws[a-z-]*:iam::[^:/]*:role/aws-reserved/sso\.amazonaws\.com/"
                        r"(?:([a-z]{2}(?:-[a-z]+)+-\d)/)?([^/]+)$")
# Every userIdentity.type CloudTrail documents, and what each one is. Anything else is unknown.
SERVICE_TYPES = frozenset({"AWSService"})
PRINCIPAL_TYPES = frozenset({"Root", "IAMUser", "AssumedRole", "FederatedUser", "WebIdentityUser", "SAMLUser"})
OUTSIDER_TYPES = frozenset({"AWSAccount"})  # a caller from another account, seen by the resource owner
ANONYMOUS = "ANONYMOUS_PRINCIPAL"

# Observed auth methods.
ROOT, ACCESS_KEY, CONSOLE, SSO, INSTANCE_PROFILE, ROLE, OIDC = (
    "root", "access-key", "console-password", "sso", "instance-profile", "role", "oidc",
)
FEDERATED, SAML, CROSS_ACCOUNT, SERVICE, UNKNOWN = "federated", "saml", "cross-account", "service", "unknown"
MEMO_SIZE = 4096  # actors remembered per engine (see resolve_actor's memo)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acted. ``arn`` is the offending ARN a finding names (DESIGN §5)."""

    kind: str  # root | iam-user | assumed-role | web-identity | saml | federated | account | service | unknown
    auth: str
    arn: str | None
    account: str | None
    name: str | None = None  # IAM user name or role name
    session: str | None = None  # role session name, or the web identity token subject
    role_arn: str | None = None  # the role behind an assumed-role session
    access_key_id: str | None = None
    permission_set: str | None = None
    principal: PrincipalSpec | None = None
    identity_type: str | None = None  # userIdentity.type as recorded (for reasons about unknown callers)

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
        if self.kind == "federated" and self.name:
            return f"a federated session of undeclared IAM user '{self.name}'"
        if self.kind == "account":
            return f"a caller from outside account {self.account or 'unknown'}"
        return self.arn or self.name or f"an unidentified {self.kind} caller"


def root_arn(account: str | None, partition: str = "aws") -> str | None:
    return f"arn:{partition}:iam::{account}:root" if account else None


def _arn_partition(arn: str | None) -> str:
    """The partition an ARN AWS recorded names (``arn:aws-us-gov:sts::…``), "aws" if none."""
    return arn.split(":", 2)[1] or "aws" if arn and arn.startswith("arn:") and arn.count(":") >= 2 else "aws"


def _split_assumed(arn: str | None) -> tuple[str | None, str | None]:
    """``arn:aws:sts::1:assumed-role/Role/session`` → (Role, session)."""
    if not arn or ":assumed-role/" not in arn:
        return None, None
    parts = arn.split(":assumed-role/", 1)[1].split("/")
    return (parts[0] or None), ("/".join(parts[1:]) or None)


# Actors are built once per event; the builder skips the frozen dataclass's per-field
# object.__setattr__ (see events.frozen_builder). Arguments are positional, in field order.
_ActorBuilder = frozen_builder(Actor)


def _actor(kind: str, auth: str, arn: str | None, account: str | None, name: str | None = None,
           session: str | None = None, role_arn: str | None = None, access_key_id: str | None = None,
           permission_set: str | None = None, principal: PrincipalSpec | None = None,
           identity_type: str | None = None) -> Actor:
    args = (kind, auth, arn, account, name, session, role_arn, access_key_id, permission_set, principal, identity_type)
    if _ActorBuilder is None:
        return Actor(*args)
    actor = _ActorBuilder(*args)
    actor.__class__ = Actor
    return actor  # type: ignore[no-any-return]


def sso_issuer(issuer_arn: str | None) -> tuple[str | None, str] | None:
    """(region or None, role name) when ``issuer_arn`` is an IAM Identity Center role, else None."""
    match = SSO_ISSUER.match(issuer_arn) if issuer_arn else None
    return (match.group(1), match.group(2)) if match else None


def _assumed_role(event: CloudTrailEvent, model: IdentityModel, account: str | None,
                  memo: dict[tuple[object, ...], Actor] | None = None) -> Actor:
    ui = event.user_identity
    v = ui.get("sessionContext")
    ctx = v if v.__class__ is dict else as_dict(v)
    v = ctx.get("sessionIssuer")
    issuer = v if v.__class__ is dict else as_dict(v)
    v = ui.get("arn")
    arn = v if v.__class__ is str and v else as_str(v)
    v = ui.get("principalId")
    pid = v if v.__class__ is str and v else as_str(v)
    v = issuer.get("userName")
    issuer_role = v if v.__class__ is str and v else as_str(v)
    v = issuer.get("arn")
    issuer_arn = v if v.__class__ is str and v else as_str(v)
    v = ui.get("accessKeyId")
    key = v if v.__class__ is str and v else as_str(v)
    ec2 = ctx.get("ec2RoleDelivery") is not None
    inputs = ("assumed-role", account, arn, pid, issuer_role, issuer_arn, key, ec2)
    actor = memo.get(inputs) if memo is not None else None
    if actor is None:
        actor = _remember(memo, inputs, _session_actor(model, account, arn, pid, issuer_role, issuer_arn, key, ec2))
    return actor


def _session_actor(model: IdentityModel, account: str | None, arn: str | None, pid: str | None,
                   issuer_role: str | None, issuer_arn: str | None, key: str | None, ec2: bool) -> Actor:
    """An assumed-role session's actor, from the (normalized) userIdentity fields it depends on.

    Only fields AWS sets decide the auth method: SSO from the issuer role's reserved IAM path,
    an instance from ``ec2RoleDelivery``. Role and session *names* are the caller's choice.
    """
    role_from_arn, session = _split_assumed(arn)
    role = issuer_role or role_from_arn
    if session is None:
        pid = pid or ""
        session = pid.split(":", 1)[1] if ":" in pid else None
    role_arn = issuer_arn
    if role_arn is None and role and account:
        role_arn = f"arn:{_arn_partition(arn)}:iam::{account}:role/{role}"
    sso = sso_issuer(issuer_arn)
    if sso is not None and model.sso_region_allows(account, sso[0]):
        role = sso[1]
        pset = role[len(SSO_ROLE_PREFIX):].rsplit("_", 1)[0] or None if role.startswith(SSO_ROLE_PREFIX) else None
        return _actor("assumed-role", SSO, arn or role_arn, account, role, session, role_arn, key, pset,
                      model.sso_user(session, pset, account))
    if ec2 and session and INSTANCE_ID.match(session):  # IMDS delivers sessions named after the instance
        return _actor("assumed-role", INSTANCE_PROFILE, arn or role_arn, account, role, session, role_arn, key,
                      None, model.role(role, account))
    return _actor("assumed-role", ROLE, arn or role_arn, account, role, session, role_arn, key, None,
                  model.role(role, account))


def _service(account: str | None, arn: str | None, name: str | None,
             memo: dict[tuple[object, ...], Actor] | None) -> Actor:
    inputs: tuple[object, ...] = ("service", account, arn, name)
    actor = memo.get(inputs) if memo is not None else None
    if actor is None:
        actor = _remember(memo, inputs, _actor("service", SERVICE, arn, account, name))
    return actor


def resolve_actor(event: CloudTrailEvent, model: IdentityModel,
                  memo: dict[tuple[object, ...], Actor] | None = None) -> Actor:
    """The event's actor; every ``userIdentity.type`` has one explicit resolution.

    Service: ``AWSService``, an ``AwsServiceEvent``, an untyped (old) record that AWS marked
    ``invokedBy`` with a service, and an ``AWSAccount`` caller that a service acted for. Outsider account: any
    other ``AWSAccount``. Principals: ``Root``, ``IAMUser``, ``AssumedRole``, ``FederatedUser``,
    ``WebIdentityUser``, ``SAMLUser``. Anything else (``Unknown``, ``IdentityCenterUser``,
    ``Directory``, a new type) is unknown, never a service.

    ``memo`` is a dict the caller keeps for one model (the engine does): a trail repeats each
    session, IAM user and service many times, so their actors are remembered, keyed on every
    input they are computed from. With or without it, the answer is the same.
    """
    ui = event.user_identity
    get = ui.get
    v = get("type")
    kind = v if v.__class__ is str and v else as_str(v)
    v = get("accountId")
    account = (v if v.__class__ is str and v else as_str(v)) or arn_account(as_str(get("arn"))) or event.account
    v = get("invokedBy")
    invoked_by = v if v.__class__ is str and v else as_str(v)
    if event.event_type == "AwsServiceEvent" or kind in SERVICE_TYPES or (kind is None and aws_invoker(invoked_by)):
        return _service(account, as_str(get("arn")), invoked_by or as_str(get("principalId")), memo)
    if kind == "AssumedRole":
        return _assumed_role(event, model, account, memo)
    if kind == "IAMUser":
        v = get("userName")
        name = v if v.__class__ is str and v else as_str(v)
        if name == HIDDEN:
            name = None
        v = get("arn")
        arn = v if v.__class__ is str and v else as_str(v)
        if v is not None and get("userName") is None:  # the ARN is AWS's too: no userName is still that user
            name = user_of_arn(arn)
        v = get("accessKeyId")
        key = v if v.__class__ is str and v else as_str(v)
        console = (event.event_name == "ConsoleLogin" or invoked_by == "signin.amazonaws.com"
                   or as_bool(event.raw.get("sessionCredentialFromConsole")) is True)
        inputs = ("iam-user", account, name, arn, key, console)
        actor = memo.get(inputs) if memo is not None else None
        if actor is None:
            arn = arn or (f"arn:{event.partition}:iam::{account}:user/{name}" if name and account else None)
            actor = _remember(memo, inputs, _actor("iam-user", CONSOLE if console else ACCESS_KEY, arn, account, name,
                                                   None, None, key, None, model.iam_user(name, account)))
        return actor
    if kind == "Root":
        arn = as_str(get("arn")) or root_arn(account, event.partition)
        return _actor("root", ROOT, arn, account, "root", None, None, as_str(get("accessKeyId")))
    if kind in ("WebIdentityUser", "SAMLUser"):
        role_arn = event.param("roleArn")
        role = role_arn.rsplit("/", 1)[-1] if role_arn else None
        subject = as_str(get("userName")) or as_str(
            event.response_elements.get("subjectFromWebIdentityToken" if kind == "WebIdentityUser" else "subject"))
        acct = account or (role_arn.split(":")[4] if role_arn and role_arn.count(":") >= 5 else None)
        web = kind == "WebIdentityUser"
        return _actor("web-identity" if web else "saml", OIDC if web else SAML, role_arn or as_str(get("arn")), acct,
                      role, subject, role_arn, None, None, model.role(role, acct))
    if kind == "FederatedUser":
        return _federated(ui, model, account, event.partition)
    if kind in OUTSIDER_TYPES:
        if aws_invoker(invoked_by):
            return _service(account, as_str(get("arn")), invoked_by, memo)  # a service acting for that account
        outsider = None if account == ANONYMOUS else account
        return _actor("account", CROSS_ACCOUNT, as_str(get("arn")) or root_arn(outsider, event.partition), outsider,
                      as_str(get("principalId")) or account, None, None, as_str(get("accessKeyId")),
                      identity_type=kind)
    return _actor("unknown", UNKNOWN, as_str(get("arn")), account, as_str(get("userName")), identity_type=kind)


def _federated(ui: dict[str, Any], model: IdentityModel, account: str | None, partition: str) -> Actor:
    """A ``GetFederationToken`` session, judged as whoever's keys made it: AWS sets the issuer's type and ARN.

    An issuer of type ``Root`` is root (its ``userName`` is the account alias, which whoever may call
    iam:CreateAccountAlias picks, never an IAM user's name); an ``IAMUser`` issuer is that user, named by
    ``userName`` or else by its ARN; without an issuer the session's user is unknown (and undeclared)."""
    issuer = as_dict(as_dict(ui.get("sessionContext")).get("sessionIssuer"))
    issuer_type, issuer_arn = as_str(issuer.get("type")), as_str(issuer.get("arn"))
    arn, key = as_str(ui.get("arn")), as_str(ui.get("accessKeyId"))
    if issuer_type == "Root" or (issuer_arn or "").endswith(":root"):
        return _actor("root", FEDERATED, arn or root_arn(account, partition), account, "root", None, None, key)
    user = None
    if issuer_type in ("IAMUser", None):
        user = as_str(issuer.get("userName")) if issuer.get("userName") is not None else user_of_arn(issuer_arn)
    return _actor("federated", FEDERATED, arn, account, user, None, None, key, None, model.iam_user(user, account))


def arn_account(arn: str | None) -> str | None:
    """The account field of an ARN AWS recorded (``arn:aws:sts::123456789012:…``), if it is one."""
    parts = arn.split(":", 5) if arn and arn.startswith("arn:") else ()
    return parts[4] if len(parts) == 6 and len(parts[4]) == 12 and parts[4].isdigit() else None


def user_of_arn(arn: str | None) -> str | None:
    """The user name at the end of an IAM user ARN (``…:user/path/name``), else None."""
    if not arn or ":user/" not in arn or not arn.startswith("arn:"):
        return None
    return arn.rsplit("/", 1)[-1] or None


def aws_invoker(invoked_by: str | None) -> bool:
    """Whether ``invokedBy`` names an AWS service (``ssm.amazonaws.com``, ``AWS Internal``): any
    other value is not one, so it never makes a caller a service."""
    return bool(invoked_by) and (invoked_by.endswith(".amazonaws.com") or invoked_by == "AWS Internal")


def _remember(memo: dict[tuple[object, ...], Actor] | None, inputs: tuple[object, ...], actor: Actor) -> Actor:
    if memo is not None:
        if len(memo) >= MEMO_SIZE:
            memo.clear()
        memo[inputs] = actor
    return actor
