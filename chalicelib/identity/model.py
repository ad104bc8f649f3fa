"""The compiled identity model: frozen specs plus the lookup tables the resolver needs.

Lookups are precomputed once per model (IAM and role names are case-insensitive in AWS, so
keys are folded, see ``fold``) so that resolving an event's actor is a handful of dict reads.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field

from chalicelib.identity import secrets as naming
from chalicelib.identity.network import Network, parse_cidr
from chalicelib.identity.schema import AccountSpec, ModelSpec, PrincipalSpec, SecretSpec


def fold(name: str) -> str:
    """A name as IAM compares it: ASCII letters without case. Only ASCII is folded: IAM names are
    ASCII, and Unicode case folding maps look-alikes onto them (``ſ`` → ``s``, the Kelvin sign → ``k``),
    so a non-ASCII name must never equal a declared one."""
    return name.lower() if name.isascii() else name


@dataclass(frozen=True)
class IdentityModel:
    spec: ModelSpec
    source: str = "<model>"
    accounts: dict[str, AccountSpec] = field(default_factory=dict)
    principals: dict[str, PrincipalSpec] = field(default_factory=dict)
    secrets: dict[str, SecretSpec] = field(default_factory=dict)
    by_iam_user: dict[str, PrincipalSpec] = field(default_factory=dict)
    by_role: dict[str, PrincipalSpec] = field(default_factory=dict)
    by_sso_user: dict[str, tuple[PrincipalSpec, ...]] = field(default_factory=dict)
    by_sso_user_id: dict[str, tuple[PrincipalSpec, ...]] = field(default_factory=dict)  # Identity Center user ids
    # ``secrets`` holds the SSM parameters named exactly; globbed SSM names and every Secrets
    # Manager secret (with the names each stands for) are matched in order.
    ssm_globs: tuple[SecretSpec, ...] = ()
    sm_secrets: tuple[tuple[tuple[str, ...], SecretSpec], ...] = ()
    networks: dict[str, tuple[Network, ...]] = field(default_factory=dict)  # principal id → its ranges

    @classmethod
    def compile(cls, spec: ModelSpec, source: str = "<model>") -> IdentityModel:
        sso: dict[str, list[PrincipalSpec]] = {}
        sso_ids: dict[str, list[PrincipalSpec]] = {}
        for p in spec.principals:
            for user in p.sso_users:
                sso.setdefault(fold(user), []).append(p)
            for user_id in p.sso_user_ids:
                sso_ids.setdefault(user_id.lower(), []).append(p)
        return cls(
            spec=spec,
            source=source,
            accounts={a.id: a for a in spec.accounts},
            principals={p.id: p for p in spec.principals},
            secrets={s.name: s for s in spec.secrets if s.store == "ssm" and not naming.is_glob(s.name)},
            ssm_globs=tuple(s for s in spec.secrets if s.store == "ssm" and naming.is_glob(s.name)),
            sm_secrets=tuple((naming.sm_patterns(s), s) for s in spec.secrets if s.store == "secretsmanager"),
            networks={p.id: tuple(parse_cidr(c) for c in p.network.cidrs) for p in spec.principals if p.network},
            by_iam_user={fold(p.iam_user): p for p in spec.principals if p.iam_user},
            by_role={fold(r): p for p in spec.principals for r in p.roles},
            by_sso_user={k: tuple(v) for k, v in sso.items()},
            by_sso_user_id={k: tuple(v) for k, v in sso_ids.items()},
        )

    def exists_in(self, principal: PrincipalSpec, account: str | None) -> bool:
        """A principal without ``accounts`` exists in every account the model declares (not elsewhere)."""
        if account is None:
            return True
        if principal.accounts:
            return account in principal.accounts
        return not self.accounts or account in self.accounts

    def iam_user(self, name: str | None, account: str | None) -> PrincipalSpec | None:
        p = self.by_iam_user.get(fold(name)) if name else None
        return p if p is not None and self.exists_in(p, account) else None

    def role(self, name: str | None, account: str | None) -> PrincipalSpec | None:
        p = self.by_role.get(fold(name)) if name else None
        return p if p is not None and self.exists_in(p, account) else None

    def sso_region_allows(self, account: str | None, region: str | None) -> bool:
        """An SSO issuer path's region fits the account's declared Identity Center region (if any)."""
        spec = self.accounts.get(account or "")
        return spec is None or spec.sso_region is None or region is None or region == spec.sso_region

    @staticmethod
    def may_assume(principal: PrincipalSpec, role: str | None) -> bool:
        """Whether ``role`` is in the principal's ``may_assume`` (IAM role names ignore case)."""
        return role is not None and fold(role) in {fold(r) for r in principal.may_assume}

    def sso_user(self, user: str | None, permission_set: str | None, account: str | None) -> PrincipalSpec | None:
        """The declared human behind an SSO session (any candidate in this account)."""
        for p in self.by_sso_user.get(fold(user), ()) if user else ():
            if self.exists_in(p, account):
                return p
        return None

    def secret(self, name: str | None) -> SecretSpec | None:
        """Match by name or by parameter ARN (``arn:aws:ssm:…:parameter/x`` → ``/x``)."""
        if not name:
            return None
        if name.startswith("arn:") and ":parameter" in name:
            name = name.split(":parameter", 1)[1]
        if not name.startswith("/"):
            name = "/" + name
        found = self.secrets.get(name)
        if found is None and self.ssm_globs:
            found = next((s for s in self.ssm_globs if fnmatch.fnmatchcase(name, s.name)), None)
        return found

    def secrets_under(self, path: str | None, recursive: bool) -> list[SecretSpec]:
        """Declared secrets a ``GetParametersByPath`` on ``path`` would return."""
        if not path:
            return []
        base = path.rstrip("/") + "/"
        out = []
        for name, s in self.secrets.items():
            if not name.startswith(base):
                continue
            if recursive or "/" not in name[len(base):]:
                out.append(s)
        for s in self.ssm_globs:  # a glob is under the path when a name it matches may be
            lit = naming.literal_prefix(s.name)
            if lit.startswith(base):
                if recursive or "/" not in lit[len(base):]:
                    out.append(s)
            elif base.startswith(lit):
                out.append(s)
        return out

    def secretsmanager_secret(self, secret_id: str | None) -> SecretSpec | None:
        """The declared Secrets Manager secret a ``SecretId`` (name, partial or full ARN) names."""
        if not secret_id:
            return None
        for name in naming.sm_names(secret_id):  # the whole ARN tail first, then without the suffix
            for patterns, spec in self.sm_secrets:
                if naming.matches((name,), patterns):
                    return spec
        return None

    def secretsmanager_filtered(self, filters: object) -> list[SecretSpec]:
        """Declared Secrets Manager secrets a filter list may return (see secrets.filtered)."""
        return naming.filtered(self.sm_secrets, filters)

    def permission_set(self, arn: str | None) -> str | None:
        """The declared name of the permission set with this ARN, if declared and listed by a principal."""
        if not arn:
            return None
        for ps in self.spec.permission_sets:
            if ps.arn.casefold() == arn.casefold():
                name = ps.name.casefold()
                listed = any(name == n.casefold() for p in self.spec.principals for n in p.permission_sets)
                return ps.name if listed else None
        return None

    def declares_account(self, account: str | None, home: str | None) -> bool:
        """Whether ``account`` is inside the model: declared, or (a model declaring none) ``home``."""
        if account is None:
            return False
        return account in self.accounts if self.accounts else account == home

    def federated_provider(self, account: str | None, provider: str) -> bool:
        """Whether ``account`` declares this identity provider (names compare without ASCII case,
        as ``fold``: Unicode case folding would let a look-alike provider pass as a declared one)."""
        spec = self.accounts.get(account or "")
        return spec is not None and fold(provider) in {fold(p) for p in spec.federated_providers}

    def subject_allowed(self, principal: PrincipalSpec, subject: str | None) -> bool:
        return subject is not None and any(fnmatch.fnmatchcase(subject, g) for g in principal.oidc_subjects)

    @property
    def principal_ids(self) -> frozenset[str]:
        return frozenset(self.principals)
