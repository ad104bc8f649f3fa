"""One call from "a model and a date" to findings: collect the live snapshot, then audit it.

Used by ``python -m chalicelib audit``, by ``model check`` and by a scheduled Lambda alike,
so all three see the same drift for the same account.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import boto3

from chalicelib.audit.inventory import audit
from chalicelib.audit.snapshot import collect_snapshot
from chalicelib.findings import Finding
from chalicelib.history import History, key_owner
from chalicelib.identity.model import IdentityModel
from chalicelib.rules.base import fingerprint


def drift_findings(
    model: IdentityModel,
    as_of: datetime,
    session: boto3.session.Session | Mapping[str, Any] | None = None,
    *,
    region: str | None = None,
    history: History | None = None,
) -> list[Finding]:
    """Drift of the account ``session`` (None → default credential chain) belongs to, as of ``as_of``.

    With ``history``, the live access keys of every IAM user also become what history counts
    them as (the inventory is authoritative; key events only keep the count between audits).
    Raises ``AwsError`` (a ``TrailwardenError``, see ``chalicelib.awserrors``) when AWS cannot be read.
    """
    snapshot = collect_snapshot(session, model, region=region)
    if history is not None:
        for user in snapshot.users:
            owner = key_owner(snapshot.account, user.name)
            if owner is not None:
                history.set_keys(owner, frozenset(fingerprint(k.access_key_id) for k in user.active_keys), as_of)
    return audit(model, snapshot, as_of)
