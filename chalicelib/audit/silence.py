"""identity-principal-silent: a declared principal that should act regularly has gone quiet.

The seed team's CI broke silently: its key's user was deleted, and requests with a key that
no longer exists are never logged in the account. What *is* visible is the silence. The
monitor records when each declared principal was last seen; this check reads that.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.findings import Finding, Severity
from chalicelib.identity.model import IdentityModel

RULE = "identity-principal-silent"
TITLE = "Declared principal has gone silent"
RUNBOOK = (
    "Something that should act regularly has stopped. For CI, open the latest pipeline runs: an "
    "`InvalidClientTokenId` / `invalid security token` error means its key or user is gone — "
    "issue a new key (`aws iam create-access-key --user-name USER`) and store it where the model "
    "says it lives. If the principal was retired on purpose, remove it from the model."
)
REFERENCE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html#Using_access-keys-last-used"


def silent_principals(
    model: IdentityModel,
    last_seen: dict[str, datetime],
    as_of: datetime,
    tracking_since: datetime | None,
    account: str | None = None,
) -> list[Finding]:
    """One finding per principal whose silence exceeds its ``expect_activity_every_days``.

    A principal never seen is silent only once the monitor has itself been watching longer
    than the period (``tracking_since``); before that, absence proves nothing.
    """
    out = []
    for p in model.principals.values():
        if not p.expect_activity_every_days:
            continue
        period = timedelta(days=p.expect_activity_every_days)
        seen = last_seen.get(p.id)
        if seen is not None:
            if as_of - seen <= period:
                continue
            since = f"last seen {seen:%Y-%m-%d %H:%M}Z, {(as_of - seen).days} days ago"
        elif tracking_since is not None and as_of - tracking_since > period:
            since = f"not seen since monitoring began {tracking_since:%Y-%m-%d}"
        else:
            continue
        ident = (p.iam_user and f"user/{p.iam_user}") or (p.roles and f"role/{p.roles[0]}") or p.id
        acct = account or (p.accounts[0] if p.accounts else next(iter(model.accounts), None))
        arn = f"arn:aws:iam::{acct}:{ident}" if acct else None
        # One incident per silence *episode*, keyed on the last sighting: the daily re-check of the same
        # silence is a duplicate, but a principal that acts again and later falls silent is a new incident.
        episode = f"{seen:%Y-%m-%dT%H:%M:%SZ}" if seen else "never-seen"
        out.append(Finding(
            rule=RULE, severity=Severity.HIGH if p.breaks else Severity.MEDIUM, title=TITLE,
            principal_arn=arn, principal=p.id, target_arn=None, event_id=None, event_name=None,
            event_source=None, event_time=None, account=acct, region=None, source_ip=None, user_agent=None,
            breaks=p.breaks, runbook=RUNBOOK, reference=REFERENCE,
            reason=f"Principal '{p.id}' ({p.kind}, {p.auth}) is expected to act every "
                   f"{p.expect_activity_every_days} days but was {since}.",
            group_key=f"silent:{p.id}:{episode}", details={"last_seen": seen.isoformat() if seen else None,
                                                          "expect_activity_every_days": p.expect_activity_every_days},
        ))
    return out
