"""Declared secrets against the snapshot: missing, or older than their ``rotate_every_days``.

One check for both stores. An SSM secret is a parameter (named exactly, or every parameter a
globbed name matches); a Secrets Manager secret is every secret its name, ARN or glob matches,
aged by when its current value was stored (the AWSCURRENT version), not by its last metadata
change. A secret that exists nowhere is reported only in an account the model lists.
"""

from __future__ import annotations

import fnmatch
from datetime import datetime, timedelta
from typing import Any

from chalicelib.audit.context import AuditContext, day, days, iso, no_breaks
from chalicelib.findings import Finding, Severity
from chalicelib.identity import secrets as naming
from chalicelib.identity.schema import SecretSpec

RULE = "inventory-secret-overdue"
STORE_NAMES = {"ssm": "SSM Parameter Store", "secretsmanager": "Secrets Manager"}


def _runbook(a: AuditContext, s: SecretSpec) -> dict[str, Any]:
    region, name = a.snap.region, s.name
    if s.store == "secretsmanager":
        update = (f"`aws secretsmanager put-secret-value --region {region} --secret-id {name} "
                  "--secret-string file://new-value.txt` (or `aws secretsmanager rotate-secret`)")
        check = f"aws secretsmanager describe-secret --region {region} --secret-id {name}"
    else:
        update = (f"`aws ssm put-parameter --region {region} --name {name} --type SecureString --overwrite "
                  "--value file://new-value.txt`")
        check = f"aws ssm describe-parameters --region {region} --parameter-filters Key=Name,Values={name}"
    return {"update": update, "check": check, "readers": ", ".join(s.readers) or "none declared"}


def _present(a: AuditContext, s: SecretSpec) -> list[tuple[str, str, str, datetime | None]]:
    """(name, arn, kind, date of the current value) of every stored secret the entry matches."""
    if s.store == "secretsmanager":
        patterns = naming.sm_patterns(s)
        return [(m.name, m.arn, "secret", m.value_date) for m in a.snap.managed_secrets
                if naming.matches((*naming.sm_names(m.arn), m.name), patterns)]
    if naming.is_glob(s.name):
        return [(p.name, p.arn, p.type, p.last_modified) for p in a.snap.parameters
                if fnmatch.fnmatchcase(p.name, s.name)]
    param = a.snap.parameter(s.name)
    return [(param.name, param.arn, param.type, param.last_modified)] if param else []


def _missing(a: AuditContext, s: SecretSpec) -> Finding:
    consequence = f" {s.breaks}." if s.breaks else no_breaks(f"secret {s.name}")
    if len(a.model.accounts) > 1:
        consequence += (" The model does not say which account or region holds this secret, so it is "
                        "expected in every listed account; ignore this if it lives elsewhere.")
    what = "no secret matches" if naming.is_glob(s.name) else "does not exist in"
    arn = (s.name if s.name.startswith("arn:") else
           f"arn:{a.snap.partition}:secretsmanager:{a.snap.region}:{a.snap.account}:secret:{s.name}"
           if s.store == "secretsmanager" else a.snap.parameter_arn(s.name))
    return a.finding(
        RULE, severity=Severity.HIGH, principal_arn=arn, suffix="missing", breaks=s.breaks,
        reason=(f"Declared secret {s.name}: {what} {STORE_NAMES[s.store]} in {a.snap.region} (account "
                f"{a.snap.account}) as of {day(a.as_of)}; its readers ({', '.join(s.readers) or 'none declared'}) "
                f"cannot read it.{consequence}"),
        runbook_args=_runbook(a, s),
        details={"name": s.name, "store": s.store, "missing": True, "readers": list(s.readers)},
    )


def _overdue(a: AuditContext, s: SecretSpec, name: str, arn: str, kind: str, stored: datetime) -> Finding | None:
    assert s.rotate_every_days is not None
    age = a.as_of - stored
    if age <= timedelta(days=s.rotate_every_days):
        return None
    due = stored + timedelta(days=s.rotate_every_days)
    declared = f" (declared as {s.name})" if name != s.name else ""
    return a.finding(
        RULE, severity=Severity.MEDIUM, principal_arn=arn, suffix="overdue", breaks=s.breaks,
        reason=(f"Secret {name}{declared} ({kind}) was last changed {day(stored)}, {days(age)} days before "
                f"{day(a.as_of)}; the model rotates it every {s.rotate_every_days} days, so it was due "
                f"{day(due)}. A leaked copy stays valid until it is rotated."),
        runbook_args=_runbook(a, s),
        details={"name": name, "declared_as": s.name, "store": s.store, "type": kind, "last_modified": iso(stored),
                 "age_days": days(age), "rotate_every_days": s.rotate_every_days, "due": iso(due),
                 "readers": list(s.readers)},
    )


def secret_checks(a: AuditContext) -> list[Finding]:
    out = []
    for s in sorted(a.model.spec.secrets, key=lambda s: (s.store, s.name)):
        present = _present(a, s)
        if not present:
            if a.account_declared:
                out.append(_missing(a, s))
            continue
        if s.rotate_every_days is None:
            continue
        for name, arn, kind, stored in present:
            found = _overdue(a, s, name, arn, kind, stored) if stored is not None else None
            if found is not None:
                out.append(found)
    return out
