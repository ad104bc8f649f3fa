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
from chalicelib.identity.model import IdentityModel


def drift_findings(
    model: IdentityModel,
    as_of: datetime,
    session: boto3.session.Session | Mapping[str, Any] | None = None,
    *,
    region: str | None = None,
) -> list[Finding]:
    """Drift of the account ``session`` (None → default credential chain) belongs to, as of ``as_of``.

    Raises ``AwsError`` (a ``TrailwardenError``, see ``chalicelib.awserrors``) when AWS cannot be read.
    """
    return audit(model, collect_snapshot(session, model, region=region), as_of)
