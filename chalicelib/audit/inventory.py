"""The credential inventory audit: declared identity model versus one live snapshot.

Pure (no I/O, the date is a parameter) so that every verdict can be tested with a
hand-built snapshot. Two kinds of claim are made, and they are treated differently:

- *presence* claims ("this user / key / root key exists and should not") are judged in any
  account, declared or not — an unlisted static key is risky wherever it lives;
- *absence* claims ("this declared user / role / secret is missing") are only made in an
  account the model lists, and only for principals that exist there (``accounts``), because
  the model says nothing about what an undeclared account should contain. Such an account
  gets one ``identity-undeclared-account`` finding instead.

Group keys are ``inventory:<rule>:<arn>:<suffix>`` with no date in them, so a daily re-run of
the same drift is recognised by the incident log as the same incident.
"""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.audit.context import AuditContext, day, key_facts, key_phrase, lives_in, no_breaks
from chalicelib.audit.keys import user_checks
from chalicelib.audit.secrets import secret_checks
from chalicelib.audit.snapshot import IamUser, InventorySnapshot
from chalicelib.findings import Finding, Severity
from chalicelib.identity.model import IdentityModel
from chalicelib.identity.schema import PrincipalSpec

# -- root and the account ---------------------------------------------------------------


def _account_checks(a: AuditContext) -> list[Finding]:
    if a.account_declared:
        return []
    listed = ", ".join(sorted(a.model.accounts)) or "none"
    return [a.finding(
        "identity-undeclared-account",
        principal_arn=a.snap.root_arn,
        suffix="account",
        reason=(
            f"The audit ran in account {a.snap.account}, which the identity model ({a.model.source}) does not "
            f"list (it lists: {listed}). Unlisted IAM users and root credentials are still reported; missing "
            f"principals and secrets are not, because the model does not say what this account should contain."
        ),
        runbook_args={"account": a.snap.account},
        details={"declared_accounts": sorted(a.model.accounts)},
    )]


def _root_checks(a: AuditContext) -> list[Finding]:
    spec = a.model.accounts.get(a.snap.account)
    policy = f" The model says root use here is '{spec.root}'." if spec else ""
    out = []
    if a.snap.root.access_keys_present:
        out.append(a.finding(
            "inventory-root-credentials",
            severity=Severity.CRITICAL,
            principal_arn=a.snap.root_arn,
            suffix="access-keys",
            reason=(
                f"The root user of account {a.snap.account} has access keys (GetAccountSummary "
                f"AccountAccessKeysPresent=1 as of {day(a.as_of)}): a static key with unlimited power that no "
                f"policy can restrict.{policy}"
            ),
            details={"account_access_keys_present": True},
        ))
    if not a.snap.root.mfa_enabled:
        out.append(a.finding(
            "inventory-root-credentials",
            severity=Severity.HIGH,
            principal_arn=a.snap.root_arn,
            suffix="mfa",
            reason=(
                f"The root user of account {a.snap.account} has no MFA device (GetAccountSummary "
                f"AccountMFAEnabled=0 as of {day(a.as_of)}): its password alone signs in as root.{policy}"
            ),
            details={"account_mfa_enabled": False},
        ))
    return out

# -- declared principals that are gone --------------------------------------------------


def _missing(a: AuditContext, p: PrincipalSpec, kind: str, name: str) -> Finding:
    arn = a.snap.user_arn(name) if kind == "user" else a.snap.role_arn(name)
    noun = "IAM user" if kind == "user" else "IAM role"
    consequence = f" Without it, {p.breaks} will break." if p.breaks else no_breaks(f"principal {p.id!r}")
    scope = (
        " The principal has no `accounts:`, so the model expects it in every listed account; list the accounts "
        "it really lives in if that is not so."
        if not p.accounts and len(a.model.accounts) > 1 else ""
    )
    return a.finding(
        "inventory-missing-principal",
        principal_arn=arn,
        principal=p.id,
        suffix="missing",
        breaks=p.breaks,
        reason=(
            f"The identity model declares {noun} {name} for principal {p.id!r} ({p.kind}, auth {p.auth}), but it "
            f"does not exist in account {a.snap.account} as of {day(a.as_of)}.{consequence}{scope}"
        ),
        runbook_args={
            "kind": kind,
            "name": name,
            "create_extra": "" if kind == "user" else " --assume-role-policy-document file://trust.json",
            "lives_in": lives_in(p) if kind == "user" else "for a role: its trust policy and instance profile",
        },
        details={"kind": kind, "name": name, "auth": p.auth},
    )


def _no_active_key(a: AuditContext, p: PrincipalSpec, user: IamUser) -> Finding:
    """The user exists but the credential it is declared to authenticate with does not: same outage."""
    consequence = f" {p.breaks} cannot authenticate." if p.breaks else no_breaks(f"principal {p.id!r}")
    inactive = f" Its keys are all inactive: {'; '.join(key_phrase(k) for k in user.access_keys)}." \
        if user.access_keys else ""
    return a.finding(
        "inventory-missing-principal",
        principal_arn=user.arn,
        principal=p.id,
        suffix="no-active-key",
        breaks=p.breaks,
        reason=(
            f"Principal {p.id!r} authenticates with an access key of IAM user {user.name}, but that user has no "
            f"active access key in account {a.snap.account} as of {day(a.as_of)}.{inactive}{consequence}"
        ),
        runbook_args={"kind": "user", "name": user.name, "create_extra": "", "lives_in": lives_in(p)},
        details={"kind": "access-key", "name": user.name, "auth": p.auth,
                 "keys": [key_facts(k, a.as_of) for k in user.access_keys]},
    )


def _principal_checks(a: AuditContext) -> list[Finding]:
    if not a.account_declared:
        return []
    out = []
    for p in a.model.principals.values():
        if not a.model.exists_in(p, a.snap.account):
            continue
        if p.iam_user:
            user = a.snap.user(p.iam_user)
            if user is None:
                out.append(_missing(a, p, "user", p.iam_user))
            elif p.auth == "access-key" and not user.active_keys:
                out.append(_no_active_key(a, p, user))
        out += [_missing(a, p, "role", r) for r in p.roles if a.snap.role(r) is None]
    return out


def audit(model: IdentityModel, snapshot: InventorySnapshot, as_of: datetime) -> list[Finding]:
    """Every drift between ``model`` and ``snapshot`` as of ``as_of`` (naive → UTC), most severe first."""
    when = as_of.replace(tzinfo=UTC) if as_of.tzinfo is None else as_of.astimezone(UTC)
    a = AuditContext(model=model, snap=snapshot, as_of=when)
    findings = [
        *_account_checks(a),
        *_root_checks(a),
        *user_checks(a),
        *_principal_checks(a),
        *secret_checks(a),
    ]
    return sorted(findings, key=lambda f: (-f.severity, f.rule, f.principal_arn or "", f.group_key or ""))
