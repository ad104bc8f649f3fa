"""The credential inventory audit: the declared identity model against live IAM and SSM.

``snapshot.collect_snapshot`` reads (I/O, once); ``inventory.audit`` judges (pure), with the
IAM user and key checks in ``keys`` and the shared finding builder in ``context``;
``drift.drift_findings`` does both. The ids, severities and runbooks are in ``catalog``.
Findings have the same shape as the detection rules' and go to the same store.
"""

from chalicelib.audit.catalog import AUDIT_CHECKS, AuditCheck
from chalicelib.audit.drift import drift_findings
from chalicelib.audit.inventory import audit
from chalicelib.audit.snapshot import (
    REQUIRED_PERMISSIONS,
    AccessKey,
    AuditError,
    IamRole,
    IamUser,
    InventorySnapshot,
    RootSummary,
    SsmParameter,
    collect_snapshot,
)

__all__ = [
    "AUDIT_CHECKS",
    "REQUIRED_PERMISSIONS",
    "AccessKey",
    "AuditCheck",
    "AuditError",
    "IamRole",
    "IamUser",
    "InventorySnapshot",
    "RootSummary",
    "SsmParameter",
    "audit",
    "collect_snapshot",
    "drift_findings",
]
