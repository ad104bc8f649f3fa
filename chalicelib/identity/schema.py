"""The identity model's schema (DESIGN §4), validated strictly with pydantic.

Unknown keys, unknown enum values and an account id given as a YAML number are all errors:
a typo in a security model must never silently widen what is allowed.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, model_validator

AccountId = Field(pattern=r"^\d{12}$")
Kind = Literal["human", "ci", "workload", "agent"]
Auth = Literal["sso", "access-key", "instance-profile", "role", "oidc"]
RootPolicy = Literal["never", "break-glass"]

AUTH_NEEDS = {
    "sso": "sso_users",
    "access-key": "iam_user",
    "instance-profile": "roles",
    "role": "roles",
    "oidc": "roles",
}


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


class KeySpec(_Strict):
    lives_in: StrictStr | None = None
    rotate_every_days: StrictInt | None = Field(default=None, gt=0)
    max_active_keys: StrictInt = Field(default=1, ge=1, le=2)


class PrincipalSpec(_Strict):
    id: StrictStr = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$")
    kind: Kind
    auth: Auth
    sso_users: list[StrictStr] = []
    permission_sets: list[StrictStr] = []
    manages_iam: StrictBool = False
    accounts: list[StrictStr] = []
    iam_user: StrictStr | None = None
    key: KeySpec | None = None
    breaks: StrictStr | None = None
    may_assume: list[StrictStr] = []
    expect_activity_every_days: StrictInt | None = Field(default=None, gt=0)
    roles: list[StrictStr] = []
    oidc_subjects: list[StrictStr] = []

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
        return self


class SecretSpec(_Strict):
    name: StrictStr = Field(pattern=r"^/")
    store: Literal["ssm"] = "ssm"
    readers: list[StrictStr] = []
    rotate_every_days: StrictInt | None = Field(default=None, gt=0)
    breaks: StrictStr | None = None


class ModelSpec(_Strict):
    version: Literal[1]
    accounts: list[AccountSpec] = []
    principals: list[PrincipalSpec] = []
    secrets: list[SecretSpec] = []
