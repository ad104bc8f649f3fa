"""The organization's daily work in the central account: the coverage check and the audit walk.

Both read the organization (``ListAccounts``), assume each member's read-only role, and record
what they find through the monitor like any finding (stored once per group, alerted once).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from chalicelib.findings import Finding
from chalicelib.org import coverage
from chalicelib.org.accounts import OrgAccount, account_drift, list_org_accounts
from chalicelib.org.assume import Assumer
from chalicelib.org.names import GLOBAL_REGION, regions

log = logging.getLogger(__name__)
UNDECLARED_ACCOUNT = "identity-undeclared-account"


def org_accounts(session: Any) -> tuple[OrgAccount, ...]:
    return list_org_accounts(session.client("organizations", region_name=GLOBAL_REGION))


def run_coverage(mon: Any, env: Mapping[str, str], now: datetime, session: Any = None) -> dict[str, Any]:
    """Daily: the account × region matrix; each gap a ``coverage-gap`` finding for its account and region."""
    import boto3

    session = session or boto3.session.Session()
    model = mon.engine.model
    org = org_accounts(session)
    accounts = {a.id: a.name for a in org if a.status == "ACTIVE"}
    accounts.update({a: s.name for a, s in model.accounts.items()})
    stage = env.get("TRAILWARDEN_STAGE", "org")
    heartbeats = None
    if mon.state is not None:
        from chalicelib.watch.heartbeat import HEARTBEAT_KIND

        heartbeats = mon.state.all(HEARTBEAT_KIND)
    want = coverage.central_expectation(session, env["TRAILWARDEN_EVENT_BUS"], session.region_name or GLOBAL_REGION,
                                        f"trailwarden-{stage}-", heartbeats=heartbeats, now=now)
    cells = coverage.run(dict(accounts), regions(env.get("TRAILWARDEN_REGIONS", ""), "TRAILWARDEN_REGIONS"),
                         Assumer(session).session, want)
    summary = mon.record(coverage.findings(cells, accounts, now), now=now).summary()
    summary["cells"] = len(cells)
    summary["gaps"] = sum(1 for c in cells if not c.ok)
    return summary


def organization_findings(model: Any, as_of: datetime, session: Any = None, history: Any = None) -> list[Finding]:
    """The inventory audit of every organization account (through its read-only role) plus account drift.

    An account that cannot be read is logged and left out of the inventory (the coverage check
    names it as a gap); the others are still audited.
    """
    import boto3

    from chalicelib.audit import drift_findings

    session = session or boto3.session.Session()
    org = org_accounts(session)
    findings = account_drift(model, org, as_of)
    # An undeclared account is reported once: the inventory audit's own identity-undeclared-account for it
    # (another group key) would be a second incident for the same account every day.
    drifted = {f.account for f in findings if f.rule == UNDECLARED_ACCOUNT}
    assumer = Assumer(session)
    for account in sorted(a.id for a in org if a.status == "ACTIVE"):
        try:
            findings += [f for f in drift_findings(model, as_of, assumer.session(account), history=history)
                         if not (f.rule == UNDECLARED_ACCOUNT and f.account in drifted)]
        except Exception as err:  # noqa: BLE001 - one unreadable account must not hide the others
            log.warning("audit of account %s skipped: %s", account, type(err).__name__)
    return findings
