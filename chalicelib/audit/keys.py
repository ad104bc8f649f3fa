"""The IAM user checks: undeclared users, and the hygiene of declared principals' access keys.

Only *active* keys count towards overdue, unused and too-many: AWS allows a second key so
that rotation can happen without downtime, and an inactive key is the old half of that.
A principal whose auth is not ``access-key`` (an SSO human, a role-based workload) may hold
no key at all, active or not, because an inactive key is one API call from active again.
"""

from __future__ import annotations

from datetime import timedelta

from chalicelib.audit.catalog import LONG_UNUSED_KEY_DAYS, UNUSED_KEY_DAYS
from chalicelib.audit.context import AuditContext, day, days, iso, key_facts, key_phrase, lives_in, no_breaks
from chalicelib.audit.snapshot import AccessKey, IamUser
from chalicelib.findings import Finding, Severity
from chalicelib.identity.model import fold
from chalicelib.identity.schema import PrincipalSpec


def _undeclared_user(a: AuditContext, user: IamUser) -> Finding:
    elsewhere = a.model.by_iam_user.get(fold(user.name))
    scope = (
        f" Principal {elsewhere.id!r} declares it only in account(s) {', '.join(elsewhere.accounts)}."
        if elsewhere is not None else ""
    )
    active = user.active_keys
    keys = "; ".join(key_phrase(k) for k in user.access_keys) if user.access_keys else "no access keys"
    password = " It also has a console password." if user.has_console_password else ""
    created = f", created {day(user.created)}," if user.created else ""
    return a.finding(
        "inventory-undeclared-user",
        severity=Severity.HIGH if active else Severity.MEDIUM,
        principal_arn=user.arn,
        suffix="user",
        reason=(
            f"IAM user {user.name}{created} exists in account {a.snap.account} but no principal in the identity "
            f"model declares it as its iam_user.{scope} It holds {len(active)} active access key(s) ({keys}).{password}"
        ),
        runbook_args={"user": user.name},
        details={
            "user": user.name,
            "created": iso(user.created),
            "has_console_password": user.has_console_password,
            "active_keys": len(active),
            "keys": [key_facts(k, a.as_of) for k in user.access_keys],
        },
    )


def _keys_on_keyless_principal(a: AuditContext, user: IamUser, p: PrincipalSpec) -> list[Finding]:
    if not user.access_keys:
        return []
    return [a.finding(
        "inventory-extra-key",
        principal_arn=user.arn,
        principal=p.id,
        suffix="keys-not-allowed",
        breaks=p.breaks,
        reason=(
            f"Principal {p.id!r} authenticates by {p.auth}, so its IAM user {user.name} should hold no access key, "
            f"but it holds {len(user.access_keys)}: {'; '.join(key_phrase(k) for k in user.access_keys)}."
        ),
        runbook_args={"user": user.name, "allowed": f"none: {p.id} authenticates by {p.auth}"},
        details={"auth": p.auth, "allowed": 0, "keys": [key_facts(k, a.as_of) for k in user.access_keys]},
    )]


def _too_many_keys(a: AuditContext, user: IamUser, p: PrincipalSpec) -> list[Finding]:
    allowed = p.max_active_keys
    active = user.active_keys
    if len(active) <= allowed:
        return []
    return [a.finding(
        "inventory-extra-key",
        principal_arn=user.arn,
        principal=p.id,
        suffix="active-keys",
        breaks=p.breaks,
        reason=(
            f"IAM user {user.name} (principal {p.id!r}) has {len(active)} active access keys but the model allows "
            f"{allowed}: {'; '.join(key_phrase(k) for k in active)}. Only one of them can live in {lives_in(p)}."
        ),
        runbook_args={"user": user.name, "allowed": f"{allowed} active, the one in {lives_in(p)}"},
        details={"allowed": allowed, "active_keys": len(active), "keys": [key_facts(k, a.as_of) for k in active]},
    )]


def _overdue_key(a: AuditContext, user: IamUser, p: PrincipalSpec, key: AccessKey) -> list[Finding]:
    period = p.key.rotate_every_days if p.key else None
    if period is None:
        return []
    age = a.as_of - key.created
    if age <= timedelta(days=period):
        return []
    due = key.created + timedelta(days=period)
    return [a.finding(
        "inventory-key-overdue",
        severity=Severity.HIGH if age > timedelta(days=2 * period) else Severity.MEDIUM,
        principal_arn=user.arn,
        principal=p.id,
        suffix=key.suffix,
        breaks=p.breaks,
        reason=(
            f"Access key {key.masked} of IAM user {user.name} (principal {p.id!r}) was created {day(key.created)} "
            f"and is {days(age)} days old as of {day(a.as_of)}; the model rotates it every {period} days, so it "
            f"was due {day(due)} ({days(a.as_of - due)} days ago)."
            + ("" if p.breaks else no_breaks(f"principal {p.id!r}"))
        ),
        runbook_args={"user": user.name, "key": key.suffix, "lives_in": lives_in(p)},
        details={**key_facts(key, a.as_of), "rotate_every_days": period, "due": iso(due),
                 "overdue_days": days(a.as_of - due), "lives_in": p.key.lives_in if p.key else None},
    )]


def _unused_key(a: AuditContext, user: IamUser, p: PrincipalSpec, key: AccessKey) -> list[Finding]:
    if key.last_used is not None:
        idle = days(a.as_of - key.last_used)
        if idle < UNUSED_KEY_DAYS:
            return []
        severity = Severity.MEDIUM if idle >= LONG_UNUSED_KEY_DAYS else Severity.LOW
        what = f"was last used {day(key.last_used)}, {idle} days before {day(a.as_of)}"
    else:
        idle = days(a.as_of - key.created)
        if idle < UNUSED_KEY_DAYS:
            return []
        severity = Severity.MEDIUM
        what = f"has never been used since it was created {day(key.created)}, {idle} days before {day(a.as_of)}"
    consequence = f" If {p.breaks} should be using it, it is not." if p.breaks else ""
    return [a.finding(
        "inventory-key-unused",
        severity=severity,
        principal_arn=user.arn,
        principal=p.id,
        suffix=key.suffix,
        breaks=p.breaks,
        reason=(
            f"Active access key {key.masked} of IAM user {user.name} (principal {p.id!r}) {what}: an active key "
            f"nobody uses is risk with no benefit.{consequence}"
        ),
        runbook_args={"user": user.name, "key": key.suffix, "lives_in": lives_in(p)},
        details={**key_facts(key, a.as_of), "unused_days": idle, "never_used": key.last_used is None},
    )]


def user_checks(a: AuditContext) -> list[Finding]:
    out: list[Finding] = []
    for user in a.snap.users:
        p = a.model.iam_user(user.name, a.snap.account)
        if p is None:
            out.append(_undeclared_user(a, user))
        elif p.auth != "access-key":
            out += _keys_on_keyless_principal(a, user, p)
        else:
            out += _too_many_keys(a, user, p)
            for key in user.active_keys:
                out += _overdue_key(a, user, p, key)
                out += _unused_key(a, user, p, key)
    return out
