"""Accounts by name: the model's names, then the organization's (``ListAccounts``, refreshed daily).

An alert says "prod (502938471625) eu-west-1", never a bare id. The organization also tells
which accounts the model forgot (``identity-undeclared-account``) and which model accounts the
organization no longer has: both are reported once per account (the group key is the account).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.findings import Finding, Severity
from chalicelib.identity.model import IdentityModel

REFRESH = timedelta(days=1)
ORG_REFERENCE = "https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccounts.html"


@dataclass(frozen=True)
class OrgAccount:
    id: str
    name: str
    status: str = "ACTIVE"


def list_org_accounts(client: Any) -> tuple[OrgAccount, ...]:
    """Every account of the organization (``organizations:ListAccounts``, all pages), active or not."""
    out: list[OrgAccount] = []
    for page in client.get_paginator("list_accounts").paginate():
        for a in page.get("Accounts", []):
            out.append(OrgAccount(str(a["Id"]), str(a.get("Name") or a["Id"]), str(a.get("Status") or "ACTIVE")))
    return tuple(out)


class AccountNames(Mapping[str, str]):
    """account id → name: the model first, then the organization, whose list is refetched once a day.

    ``fetch`` returns the organization's accounts (None: not in an organization, or not allowed
    to read it); a failed fetch keeps the last list, so a name never disappears from alerts.
    """

    def __init__(self, model_names: Mapping[str, str], fetch: Callable[[], tuple[OrgAccount, ...] | None] | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._model = dict(model_names)
        self._fetch = fetch
        self._clock = clock
        self._org: dict[str, str] = {}
        self._fetched: datetime | None = None

    def with_model(self, model_names: Mapping[str, str]) -> AccountNames:
        """The same organization list (no new fetch) under a new model's names."""
        renewed = AccountNames(model_names, self._fetch, self._clock)
        renewed._org, renewed._fetched = self._org, self._fetched
        return renewed

    def _refresh(self) -> None:
        if self._fetch is None:
            return
        now = self._clock()
        if self._fetched is not None and now - self._fetched < REFRESH:
            return
        self._fetched = now
        try:
            accounts = self._fetch()
        except Exception:  # noqa: BLE001 - names are a courtesy: keep the last list, never fail an alert
            return
        if accounts is not None:
            self._org = {a.id: a.name for a in accounts}

    def __getitem__(self, account: str) -> str:
        if account in self._model:
            return self._model[account]
        self._refresh()
        return self._org[account]

    def __iter__(self) -> Iterator[str]:
        self._refresh()
        return iter({**self._org, **self._model})

    def __len__(self) -> int:
        return len(set(self))


def place(account: str | None, region: str | None, names: Mapping[str, str]) -> str:
    """``prod (502938471625) eu-west-1`` (the bare id when no name is known)."""
    name = names.get(account or "") if account else None
    who = f"{name} ({account})" if name else (account or "unknown account")
    return f"{who} {region}" if region else who


def account_drift(model: IdentityModel, org: tuple[OrgAccount, ...], as_of: datetime) -> list[Finding]:
    """Organization accounts the model does not declare, and model accounts the organization lacks."""
    when = as_of.strftime("%Y-%m-%dT%H:%M:%SZ")
    in_org = {a.id: a for a in org if a.status != "SUSPENDED"}
    findings = []
    for account in sorted(set(in_org) - set(model.accounts)):
        name = in_org[account].name
        findings.append(_finding(
            "identity-undeclared-account", Severity.MEDIUM, account, when,
            f"Account {name} ({account}) is in the organization but not declared in the model: nothing there is "
            "judged against a declared principal.",
            "Add the account under `accounts:` with its principals (or close it in the organization).",
            {"account": account, "account_name": name, "source": "organization"}))
    for account in sorted(set(model.accounts) - set(in_org)):
        name = model.accounts[account].name
        findings.append(_finding(
            "model-account-not-in-organization", Severity.LOW, account, when,
            f"The model declares {name} ({account}), which the organization does not list (left, closed or a typo).",
            "Remove the account from the model, or fix its id.",
            {"account": account, "account_name": name, "source": "model"}))
    return findings


def _finding(rule: str, severity: Severity, account: str, when: str, reason: str, runbook: str,
             details: dict[str, Any]) -> Finding:
    return Finding(
        rule=rule, severity=severity, title="Account in the organization, not in the model"
        if rule == "identity-undeclared-account" else "Account in the model, not in the organization",
        principal_arn=None, principal=None, target_arn=f"arn:aws:iam::{account}:root", event_id=None,
        event_name=None, event_source="organizations.amazonaws.com", event_time=when, account=account, region=None,
        source_ip=None, user_agent=None, breaks=None, runbook=runbook, reason=reason, reference=ORG_REFERENCE,
        group_key=f"account:{account}", details=details)
