"""The identity model's schema (DESIGN §4), validated strictly with pydantic.

Unknown keys, unknown enum values and an account id given as a YAML number are all errors:
a typo in a security model must never silently widen what is allowed.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, model_validator

from chalicelib.identity.network import parse_cidr
from chalicelib.identity.suppressions import SuppressionSpec

AccountId = Field(pattern=r"^\d{12}$")
Kind = Literal["human", "ci", "workload", "agent"]
# "console": an IAM user who signs in to the console with a password (no SSO); a console password
# on any other declared principal contradicts the model (iam-login-profile-created).
# "roles-anywhere": a workload outside AWS entering its roles with an X.509 certificate through
# IAM Roles Anywhere (rolesanywhere:CreateSession), from the trust anchors it lists.
Auth = Literal["sso", "access-key", "instance-profile", "role", "oidc", "console", "roles-anywhere"]
RootPolicy = Literal["never", "break-glass"]

AUTH_NEEDS = {
    "sso": "sso_users",
    "access-key": "iam_user",
    "instance-profile": "roles",
    "role": "roles",
    "oidc": "roles",
    "console": "iam_user",
    "roles-anywhere": "roles",
}
# An Identity Center user id: a UUID, with the identity store's 10-hex prefix for directories made since 2020.
SSO_USER_ID = r"^([0-9a-f]{10}-)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
# A Roles Anywhere trust anchor as CreateSession records it: its id, or its ARN.
TRUST_ANCHOR = (r"^(arn:aws[a-z-]*:rolesanywhere:[a-z0-9-]+:\d{12}:trust-anchor/)?"
                r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)


class AccountSpec(_Strict):
    id: StrictStr = AccountId
    name: StrictStr
    root: RootPolicy = "never"
    break_glass_contacts: list[StrictStr] = []
    # Where the account's IAM Identity Center instance lives; when given, an SSO session's issuer
    # path must name this region (or none, for instances that predate region paths).
    sso_region: StrictStr | None = Field(default=None, pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")
    # Identity providers this account's roles may trust (SAML provider names, OIDC issuer host/path
    # as in the provider ARN, or a bare web identity such as cognito-identity.amazonaws.com): a trust
    # policy naming any other federated provider lets in a way of signing in the model does not know.
    federated_providers: list[Annotated[StrictStr, Field(pattern=r"^[^\s*]+$")]] = []


class KeySpec(_Strict):
    lives_in: StrictStr | None = None
    rotate_every_days: StrictInt | None = Field(default=None, gt=0)
    max_active_keys: StrictInt = Field(default=1, ge=1, le=2)


def _cidr(text: str) -> str:
    parse_cidr(text)  # ValueError names what is wrong; the loader adds file:line
    return text


class NetworkSpec(_Strict):
    """The address ranges a principal's calls come from (VPC CIDRs, NAT and Elastic IPs, office egress)."""

    cidrs: list[Annotated[StrictStr, AfterValidator(_cidr)]] = Field(min_length=1)


class PrincipalSpec(_Strict):
    id: StrictStr = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$")
    kind: Kind
    auth: Auth
    sso_users: list[StrictStr] = []
    # The same users' IAM Identity Center user ids: the portal's records (GetRoleCredentials) name only
    # the id (``userIdentity.onBehalfOf.userId``), never the user name a role session carries.
    sso_user_ids: list[Annotated[StrictStr, Field(pattern=SSO_USER_ID)]] = []
    permission_sets: list[StrictStr] = []
    manages_iam: StrictBool = False
    # May change logging and the monitor (trails, detectors, Trailwarden's own resources): such changes are low.
    manages_monitoring: StrictBool = False
    # May run code on instances (SSM SendCommand/StartSession, EC2 Instance Connect keys, user data):
    # on-call engineers, an SSM-driven deploy. Such access is low; anyone else's is high.
    operates_instances: StrictBool = False
    accounts: list[StrictStr] = []
    iam_user: StrictStr | None = None
    key: KeySpec | None = None
    breaks: StrictStr | None = None
    may_assume: list[StrictStr] = []
    # Roles (names or `*` globs) it may hand to AWS services (iam:PassRole): a deploy role giving
    # Lambda functions and instances their roles. Such a pass is low (iam-role-passed).
    passes_roles: list[Annotated[StrictStr, Field(pattern=r"^[\w+=,.@*?-]{1,64}$")]] = []
    expect_activity_every_days: StrictInt | None = Field(default=None, gt=0)
    roles: list[StrictStr] = []
    oidc_subjects: list[StrictStr] = []
    # auth roles-anywhere: the trust anchors (ids or ARNs) whose certificates may enter its roles, and
    # globs on the certificate's subject as AWS records it (``CN=build-01``, the session's sourceIdentity).
    trust_anchors: list[Annotated[StrictStr, Field(pattern=TRUST_ANCHOR)]] = []
    x509_subjects: list[Annotated[StrictStr, Field(min_length=1)]] = []
    # Where the principal runs (credential-used-outside-home): a call from elsewhere is high.
    network: NetworkSpec | None = None
    user_agents: list[Annotated[StrictStr, Field(min_length=1)]] = []

    @property
    def declares_home(self) -> bool:
        """Whether the model says where this principal runs (``network`` or ``user_agents``)."""
        return self.network is not None or bool(self.user_agents)

    @property
    def max_active_keys(self) -> int:
        """Active keys the principal may hold (``key.max_active_keys``, 1 when undeclared)."""
        return self.key.max_active_keys if self.key else 1

    @model_validator(mode="after")
    def _auth_has_its_identity(self) -> PrincipalSpec:
        needed = AUTH_NEEDS[self.auth]
        if not getattr(self, needed):
            raise ValueError(f"auth '{self.auth}' needs '{needed}' to say which identity it uses")
        if self.auth == "oidc" and not self.oidc_subjects:
            raise ValueError("auth 'oidc' needs 'oidc_subjects' (globs on the token subject)")
        if self.auth == "roles-anywhere" and not (self.trust_anchors and self.x509_subjects):
            raise ValueError("auth 'roles-anywhere' needs 'trust_anchors' (ids or ARNs) and 'x509_subjects' "
                             "(globs on the certificate subject, e.g. 'CN=build-*')")
        return self


SECRETSMANAGER_ARN = r"^arn:aws[a-z-]*:secretsmanager:[^:]*:[^:]*:secret:(.+)$"


class SecretSpec(_Strict):
    """A secret: an SSM parameter (``/name``) or a Secrets Manager secret (a name, or an ARN, with
    or without the random suffix). A name may be a glob (``/credentials/ci/*``, ``prod/db-*``)."""

    name: StrictStr = Field(pattern=r"^[A-Za-z0-9/_+=.@:*?\[\]!-]+$")
    store: Literal["ssm", "secretsmanager"] = "ssm"
    readers: list[StrictStr] = []
    rotate_every_days: StrictInt | None = Field(default=None, gt=0)
    breaks: StrictStr | None = None

    @model_validator(mode="after")
    def _name_fits_store(self) -> SecretSpec:
        if self.store == "ssm" and not self.name.startswith("/"):
            raise ValueError(f"name {self.name!r}: an SSM parameter name starts with '/' "
                             "(for a Secrets Manager secret, add store: secretsmanager)")
        if self.store == "secretsmanager" and self.name.startswith("arn:") and not re.match(SECRETSMANAGER_ARN,
                                                                                         self.name):
            raise ValueError(f"name {self.name!r} is not a Secrets Manager secret ARN "
                             "(arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)")
        return self


class PermissionSetSpec(_Strict):
    """An IAM Identity Center permission set, so an assignment (which names only the ARN) can be
    told from one the model declares. ``name`` is what principals list in ``permission_sets``."""

    name: StrictStr = Field(pattern=r"^[\w+=,.@-]{1,32}$")
    arn: StrictStr = Field(pattern=r"^arn:aws[a-z-]*:sso:::permissionSet/ssoins-[0-9a-f]+/ps-[0-9a-f]+$")


class ModelSpec(_Strict):
    version: Literal[1]
    accounts: list[AccountSpec] = []
    principals: list[PrincipalSpec] = []
    secrets: list[SecretSpec] = []
    permission_sets: list[PermissionSetSpec] = []
    suppressions: list[SuppressionSpec] = []  # accepted patterns with owner and end date (suppressions.py)
