"""Hand-built models and snapshots for the audit tests: one clean account, then one drift at a time."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.audit import AccessKey, IamRole, IamUser, InventorySnapshot, RootSummary, SsmParameter
from chalicelib.identity import IdentityModel, parse_model

ACCOUNT = "111122223333"
OTHER_ACCOUNT = "444455556666"
AS_OF = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
CI_KEY = "AKIAEXAMPLECIKEY1234"
CI_USER = "github-actions-aws-deployer"
CI_ARN = f"arn:aws:iam::{ACCOUNT}:user/{CI_USER}"
ROOT_ARN = f"arn:aws:iam::{ACCOUNT}:root"
SECRET = "/paperclip-app/api-key"
SECRET_ARN = f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/paperclip-app/api-key"

MODEL_YAML = f"""
version: 1
accounts:
  - {{id: "{ACCOUNT}", name: management}}
  - {{id: "{OTHER_ACCOUNT}", name: sandbox}}
principals:
  - id: jared
    kind: human
    auth: sso
    sso_users: [jared@example.com]
    iam_user: jared-breakglass
    breaks: "Jared's break-glass console access"
  - id: github-actions
    kind: ci
    auth: access-key
    iam_user: {CI_USER}
    key: {{lives_in: "GitHub Actions secrets", rotate_every_days: 90}}
    breaks: "Terraform CI in GitHub Actions"
  - id: app-servers
    kind: workload
    auth: instance-profile
    roles: [abt-app-instance-role]
    accounts: ["{ACCOUNT}"]
    breaks: "the application servers"
  - id: sandbox-runner
    kind: ci
    auth: access-key
    iam_user: sandbox-runner
    accounts: ["{OTHER_ACCOUNT}"]
secrets:
  - name: {SECRET}
    readers: [app-servers]
    rotate_every_days: 30
    breaks: "Paperclip agents lose API access"
"""


def model(text: str = MODEL_YAML) -> IdentityModel:
    return parse_model(text, source="test-model.yaml")


def days_ago(days: float) -> datetime:
    return AS_OF - timedelta(days=days)


def key(key_id: str = CI_KEY, *, age: float = 30, used: float | None = 1, status: str = "Active") -> AccessKey:
    """A key ``age`` days old, last used ``used`` days ago (None: never)."""
    return AccessKey(
        access_key_id=key_id,
        status=status,
        created=days_ago(age),
        last_used=None if used is None else days_ago(used),
        last_used_service=None if used is None else "sts",
    )


def user(name: str, *keys: AccessKey, password: bool = False, account: str = ACCOUNT) -> IamUser:
    return IamUser(
        name=name,
        arn=f"arn:aws:iam::{account}:user/{name}",
        created=days_ago(400),
        has_console_password=password,
        access_keys=tuple(keys),
    )


def clean_snapshot(**changes: Any) -> InventorySnapshot:
    """An account that matches MODEL_YAML exactly as of AS_OF; ``changes`` replace fields."""
    snap = InventorySnapshot(
        account=ACCOUNT,
        region="us-east-1",
        root=RootSummary(access_keys_present=False, mfa_enabled=True),
        users=(user("jared-breakglass", password=True), user(CI_USER, key())),
        roles=(IamRole("abt-app-instance-role", f"arn:aws:iam::{ACCOUNT}:role/abt-app-instance-role"),),
        parameters=(SsmParameter(SECRET, SECRET_ARN, "SecureString", days_ago(10)),),
    )
    return dataclasses.replace(snap, **changes)


def with_ci_keys(*keys: AccessKey) -> InventorySnapshot:
    return clean_snapshot(users=(user("jared-breakglass", password=True), user(CI_USER, *keys)))
