"""A frozen picture of one account's live credentials: IAM users and keys, roles, root, SSM.

The audit is split in two on purpose: this module does all the I/O once (read-only calls,
paginated, retried), and ``inventory.audit`` judges the result without touching AWS, so
tests feed it hand-built snapshots and a fixed date.

Clients are built here from a boto3 session, so ``AWS_ENDPOINT_URL`` (and the per-service
``AWS_ENDPOINT_URL_IAM`` / ``_SSM`` / ``_STS``) are honoured by botocore itself (boto3 ≥ 1.28,
botocore ≥ 1.31 read them in ``configprovider``) — which is how moto and LocalStack are used.
SSM is read with ``DescribeParameters`` and Secrets Manager with ``ListSecrets`` and
``ListSecretVersionIds`` (metadata only): the audit never fetches, decrypts or logs a secret
value, and its reads do not show up as ``GetParameter`` / ``GetSecretValue`` in CloudTrail.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError

from chalicelib.awserrors import aws_error
from chalicelib.errors import TrailwardenError
from chalicelib.findings import mask_key
from chalicelib.identity.model import IdentityModel
from chalicelib.identity.secrets import literal_prefix

DEFAULT_REGION = "us-east-1"

# Everything collect_snapshot calls, as IAM actions: the policy the auditor needs.
REQUIRED_PERMISSIONS: tuple[str, ...] = (
    "iam:GetAccessKeyLastUsed",
    "iam:GetAccountSummary",
    "iam:GetLoginProfile",
    "iam:ListAccessKeys",
    "iam:ListRoles",
    "iam:ListUsers",
    "ssm:DescribeParameters",
    "secretsmanager:ListSecrets",
    "secretsmanager:ListSecretVersionIds",
)

# A standard-mode retry covers throttling and transient 5xx; the audit is not latency bound.
_CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 6},
    connect_timeout=10,
    read_timeout=30,
    user_agent_extra="trailwarden-audit",
)
# DescribeParameters accepts at most 50 values in one ParameterStringFilter.
_SSM_NAMES_PER_CALL = 50


class AuditError(TrailwardenError):
    """The audit was wired wrongly (missing clients); AWS failures are ``AwsError``s instead."""


@dataclass(frozen=True, slots=True)
class AccessKey:
    """One access key's metadata; the full id is kept for API calls but never shown in reprs."""

    access_key_id: str = field(repr=False)
    status: str
    created: datetime
    last_used: datetime | None = None
    last_used_service: str | None = None

    @property
    def active(self) -> bool:
        return self.status == "Active"

    @property
    def masked(self) -> str:
        return mask_key(self.access_key_id) or "…"

    @property
    def suffix(self) -> str:
        """The last four characters: enough to find the key, not enough to use it."""
        return self.access_key_id[-4:]


@dataclass(frozen=True, slots=True)
class IamUser:
    name: str
    arn: str
    created: datetime | None = None
    has_console_password: bool = False
    access_keys: tuple[AccessKey, ...] = ()

    @property
    def active_keys(self) -> tuple[AccessKey, ...]:
        return tuple(k for k in self.access_keys if k.active)


@dataclass(frozen=True, slots=True)
class IamRole:
    name: str
    arn: str


@dataclass(frozen=True, slots=True)
class RootSummary:
    """From ``GetAccountSummary``: the only root facts readable without the credential report."""

    access_keys_present: bool
    mfa_enabled: bool


@dataclass(frozen=True, slots=True)
class SsmParameter:
    name: str
    arn: str
    type: str
    last_modified: datetime


@dataclass(frozen=True, slots=True)
class ManagedSecret:
    """A Secrets Manager secret's metadata; ``current_since`` is when its current value was stored
    (the AWSCURRENT version's creation), which a description or tag change does not move."""

    name: str
    arn: str
    last_changed: datetime | None
    current_since: datetime | None = None

    @property
    def value_date(self) -> datetime | None:
        return self.current_since or self.last_changed


@dataclass(frozen=True, slots=True)
class InventorySnapshot:
    """What exists in one account (IAM is global) and one region (SSM is regional)."""

    account: str
    region: str
    root: RootSummary
    partition: str = "aws"
    users: tuple[IamUser, ...] = ()
    roles: tuple[IamRole, ...] = ()
    parameters: tuple[SsmParameter, ...] = ()
    collected_at: datetime | None = None
    managed_secrets: tuple[ManagedSecret, ...] = ()

    def user(self, name: str) -> IamUser | None:
        """IAM names are case-insensitive, as in ``IdentityModel``."""
        wanted = name.casefold()
        return next((u for u in self.users if u.name.casefold() == wanted), None)

    def role(self, name: str) -> IamRole | None:
        wanted = name.casefold()
        return next((r for r in self.roles if r.name.casefold() == wanted), None)

    def parameter(self, name: str) -> SsmParameter | None:
        return next((p for p in self.parameters if p.name == name), None)

    @property
    def root_arn(self) -> str:
        return f"arn:{self.partition}:iam::{self.account}:root"

    def user_arn(self, name: str) -> str:
        return f"arn:{self.partition}:iam::{self.account}:user/{name}"

    def role_arn(self, name: str) -> str:
        return f"arn:{self.partition}:iam::{self.account}:role/{name}"

    def parameter_arn(self, name: str) -> str:
        return parameter_arn(self.partition, self.region, self.account, name)


def parameter_arn(partition: str, region: str, account: str, name: str) -> str:
    """``/a/b`` → ``arn:aws:ssm:<region>:<acct>:parameter/a/b`` (one slash, as AWS writes it)."""
    return f"arn:{partition}:ssm:{region}:{account}:parameter/{name.lstrip('/')}"


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@contextmanager
def _calling(api: str) -> Iterator[None]:
    """Turn botocore failures into one ``AwsError`` naming the API (and, if denied, the permission)."""
    try:
        yield
    except Exception as err:
        # Every API the audit calls is authorised by the IAM action of the same name.
        needs = f"the audit needs the permission {api} (all it needs: {', '.join(REQUIRED_PERMISSIONS)})"
        translated = aws_error(err, action=api, needs=needs)
        if translated is None:
            raise
        raise translated from None


def _clients(source: Any, region: str | None, managed: bool) -> tuple[Any, Any, Any, Any, str]:
    """(sts, iam, ssm, secretsmanager or None, region) from a boto3 Session, a mapping of clients,
    or None; a Secrets Manager client only when the model declares a Secrets Manager secret."""
    if isinstance(source, Mapping):
        try:
            sts, iam, ssm = source["sts"], source["iam"], source["ssm"]
            sm = source["secretsmanager"] if managed else None
        except KeyError as err:
            needs = "sts, iam, ssm" + (" and secretsmanager" if managed else "")
            raise AuditError(f"collect_snapshot needs clients for {needs}; missing {err}") from None
        return sts, iam, ssm, sm, region or ssm.meta.region_name or DEFAULT_REGION
    session = source if source is not None else boto3.session.Session()
    region = region or session.region_name or DEFAULT_REGION
    try:
        sts = session.client("sts", region_name=region, config=_CLIENT_CONFIG)
        iam = session.client("iam", region_name=region, config=_CLIENT_CONFIG)
        ssm = session.client("ssm", region_name=region, config=_CLIENT_CONFIG)
        sm = session.client("secretsmanager", region_name=region, config=_CLIENT_CONFIG) if managed else None
    except BotoCoreError as err:
        raise aws_error(err, action="creating the AWS clients") or AuditError(str(err)) from None
    return sts, iam, ssm, sm, region


def _paginate(client: Any, operation: str, result_key: str, **kwargs: Any) -> list[dict[str, Any]]:
    api = f"{client.meta.service_model.signing_name}:{client.meta.method_to_api_mapping[operation]}"
    with _calling(api):
        return [item for page in client.get_paginator(operation).paginate(**kwargs) for item in page[result_key]]


def _has_console_password(iam: Any, user: str) -> bool:
    with _calling("iam:GetLoginProfile"):
        try:
            iam.get_login_profile(UserName=user)
        except iam.exceptions.NoSuchEntityException:
            return False
    return True


def _key_last_used(iam: Any, key_id: str) -> tuple[datetime | None, str | None]:
    with _calling("iam:GetAccessKeyLastUsed"):
        try:
            info = iam.get_access_key_last_used(AccessKeyId=key_id).get("AccessKeyLastUsed") or {}
        except iam.exceptions.NoSuchEntityException:  # deleted between list and lookup
            return None, None
    when = info.get("LastUsedDate")
    service = info.get("ServiceName")
    return (_utc(when) if isinstance(when, datetime) else None), (service if service not in (None, "N/A") else None)


def _access_keys(iam: Any, user: str) -> tuple[AccessKey, ...]:
    keys = []
    for meta in _paginate(iam, "list_access_keys", "AccessKeyMetadata", UserName=user):
        key_id = meta["AccessKeyId"]
        last_used, service = _key_last_used(iam, key_id)
        keys.append(AccessKey(
            access_key_id=key_id,
            status=meta.get("Status", "Active"),
            created=_utc(meta["CreateDate"]),
            last_used=last_used,
            last_used_service=service,
        ))
    return tuple(sorted(keys, key=lambda k: k.created))


def _users(iam: Any) -> tuple[IamUser, ...]:
    users = []
    for raw in _paginate(iam, "list_users", "Users"):
        name = raw["UserName"]
        created = raw.get("CreateDate")
        users.append(IamUser(
            name=name,
            arn=raw["Arn"],
            created=_utc(created) if isinstance(created, datetime) else None,
            has_console_password=_has_console_password(iam, name),
            access_keys=_access_keys(iam, name),
        ))
    return tuple(sorted(users, key=lambda u: u.name.casefold()))


def _roles(iam: Any) -> tuple[IamRole, ...]:
    roles = [IamRole(name=r["RoleName"], arn=r["Arn"]) for r in _paginate(iam, "list_roles", "Roles")]
    return tuple(sorted(roles, key=lambda r: r.name.casefold()))


def _root(iam: Any) -> RootSummary:
    with _calling("iam:GetAccountSummary"):
        summary = iam.get_account_summary()["SummaryMap"]
    return RootSummary(
        access_keys_present=bool(summary.get("AccountAccessKeysPresent", 0)),
        mfa_enabled=bool(summary.get("AccountMFAEnabled", 0)),
    )


def _parameters(ssm: Any, names: list[str], *, region: str, account: str, partition: str) -> tuple[SsmParameter, ...]:
    """The declared parameters that exist; a missing one is simply absent (the audit reports it)."""
    found: dict[str, SsmParameter] = {}
    for start in range(0, len(names), _SSM_NAMES_PER_CALL):
        chunk = names[start:start + _SSM_NAMES_PER_CALL]
        filters = [{"Key": "Name", "Option": "Equals", "Values": chunk}]
        for raw in _paginate(ssm, "describe_parameters", "Parameters", ParameterFilters=filters):
            name = raw["Name"]
            found[name] = SsmParameter(
                name=name,
                arn=raw.get("ARN") or parameter_arn(partition, region, account, name),
                type=raw.get("Type", "String"),
                last_modified=_utc(raw["LastModifiedDate"]),
            )
    return tuple(found[n] for n in names if n in found)


def _globbed_parameters(ssm: Any, patterns: list[str], *, region: str, account: str,
                        partition: str) -> tuple[SsmParameter, ...]:
    """Parameters matching a declared glob: listed by the glob's literal prefix, then matched."""
    found: dict[str, SsmParameter] = {}
    for pattern in patterns:
        prefix = literal_prefix(pattern)
        filters = [{"Key": "Name", "Option": "BeginsWith", "Values": [prefix]}] if prefix else []
        for raw in _paginate(ssm, "describe_parameters", "Parameters", ParameterFilters=filters):
            name = raw["Name"]
            if fnmatch.fnmatchcase(name, pattern):
                found[name] = SsmParameter(name=name, arn=raw.get("ARN") or parameter_arn(partition, region, account,
                                                                                          name),
                                           type=raw.get("Type", "String"), last_modified=_utc(raw["LastModifiedDate"]))
    return tuple(found[n] for n in sorted(found))


def _current_since(sm: Any, arn: str) -> datetime | None:
    """When the secret's AWSCURRENT value was stored (None when the secret has no such version)."""
    kwargs: dict[str, Any] = {"SecretId": arn}
    while True:  # botocore has no paginator for this operation
        with _calling("secretsmanager:ListSecretVersionIds"):
            page = sm.list_secret_version_ids(**kwargs)
        for version in page.get("Versions", []):
            created = version.get("CreatedDate")
            if "AWSCURRENT" in (version.get("VersionStages") or []) and isinstance(created, datetime):
                return _utc(created)
        if not page.get("NextToken"):
            return None
        kwargs["NextToken"] = page["NextToken"]


def _managed_secrets(sm: Any, model: IdentityModel) -> tuple[ManagedSecret, ...]:
    """The Secrets Manager secrets the model declares (by name, ARN or glob) that exist."""
    out = []
    for raw in _paginate(sm, "list_secrets", "SecretList"):
        name, arn = raw["Name"], raw["ARN"]
        if model.secretsmanager_secret(name) is None and model.secretsmanager_secret(arn) is None:
            continue
        changed = raw.get("LastChangedDate") or raw.get("CreatedDate")
        out.append(ManagedSecret(name=name, arn=arn, last_changed=_utc(changed) if isinstance(changed, datetime)
                                 else None, current_since=_current_since(sm, arn)))
    return tuple(sorted(out, key=lambda s: s.name))


def collect_snapshot(
    session_or_clients: boto3.session.Session | Mapping[str, Any] | None,
    model: IdentityModel,
    *,
    region: str | None = None,
) -> InventorySnapshot:
    """Read the account the credentials belong to; SSM in ``region`` (default: session's, else us-east-1).

    ``session_or_clients`` is a boto3 Session (None → the default credential chain) or a
    mapping with ready ``sts``, ``iam`` and ``ssm`` clients (and ``secretsmanager`` when the
    model declares a Secrets Manager secret). Only the secret names (and globs) the model declares
    are looked up. Raises ``AwsError`` naming the failed API (and, when denied,
    the permission it needs).
    """
    managed = bool(model.sm_secrets)
    sts, iam, ssm, sm, region = _clients(session_or_clients, region, managed)
    with _calling("sts:GetCallerIdentity"):
        identity = sts.get_caller_identity()
    account = identity["Account"]
    arn_parts = str(identity.get("Arn", "")).split(":")
    partition = arn_parts[1] if len(arn_parts) > 1 and arn_parts[1] else "aws"
    users = _users(iam)
    roles = _roles(iam)
    root = _root(iam)
    parameters = _parameters(ssm, sorted(model.secrets), region=region, account=account, partition=partition)
    parameters += _globbed_parameters(ssm, sorted(s.name for s in model.ssm_globs), region=region, account=account,
                                      partition=partition)
    managed_secrets = _managed_secrets(sm, model) if sm is not None else ()
    return InventorySnapshot(
        account=account,
        region=region,
        root=root,
        partition=partition,
        users=users,
        roles=roles,
        parameters=parameters,
        collected_at=datetime.now(UTC),
        managed_secrets=managed_secrets,
    )
