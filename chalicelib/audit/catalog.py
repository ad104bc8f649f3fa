"""The audit's checks and their metadata (id, usual severity, title, runbook, reference).

One table, so that a catalog test can prove every finding the audit can emit carries a
runbook and a reference, and so that users filtering SNS or suppressing by id see the ids in
one place. The ids are a public contract (DESIGN §5): never rename one.

Runbooks are ``str.format`` templates; the audit fills in the user, role, key suffix or
parameter name so the on-call engineer can paste the command. They never contain a full
access key id (only ``<id ending XXXX>``), and secret values are passed as ``file://`` so
they never land in shell history.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from chalicelib.findings import Severity

# An active key with no use for this long is dead weight with a live blast radius.
UNUSED_KEY_DAYS = 90
# ...and past this it is almost certainly forgotten.
LONG_UNUSED_KEY_DAYS = 180


@dataclass(frozen=True, slots=True)
class AuditCheck:
    """Metadata of one audit check; ``severity`` is the usual level, ``severity_logic`` the rule."""

    id: str
    severity: Severity
    title: str
    runbook: str
    reference: str
    severity_logic: str


_CHECKS = (
    AuditCheck(
        id="inventory-undeclared-user",
        severity=Severity.HIGH,
        title="IAM user not declared in the identity model",
        runbook=(
            "Find the owner of IAM user {user}: `aws iam list-access-keys --user-name {user}` and "
            "`aws iam get-access-key-last-used --access-key-id <id>`. If it is an orphan, deactivate its keys "
            "first (`aws iam update-access-key --user-name {user} --access-key-id <id> --status Inactive`), wait "
            "a few days for anything that breaks, then `aws iam delete-user --user-name {user}` (after deleting "
            "its keys, login profile and policies). If it is needed, declare it as a principal in the model."
        ),
        reference="https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_finding-unused.html",
        severity_logic="high when the user holds an active access key, medium otherwise",
    ),
    AuditCheck(
        id="inventory-missing-principal",
        severity=Severity.HIGH,
        title="Declared IAM user, role or access key does not exist",
        runbook=(
            "Confirm it is gone: `aws iam get-{kind} --{kind}-name {name}`. If it was deleted by mistake, recreate "
            "it (`aws iam create-{kind} --{kind}-name {name}{create_extra}`), restore its policies, and re-issue and "
            "wire up its credentials ({lives_in}). If it was retired on purpose, remove it from the identity model."
        ),
        reference="https://docs.aws.amazon.com/IAM/latest/UserGuide/id.html",
        severity_logic=(
            "always high: a declared iam_user or role is absent, or an access-key principal's user has no "
            "active key — whatever the model says it serves is broken or about to be"
        ),
    ),
    AuditCheck(
        id="inventory-key-overdue",
        severity=Severity.MEDIUM,
        title="Access key older than its rotation period",
        runbook=(
            "Rotate without downtime: `aws iam create-access-key --user-name {user}`, store the new key in "
            "{lives_in}, confirm it is in use (`aws iam get-access-key-last-used --access-key-id <new id>`), then "
            "`aws iam update-access-key --user-name {user} --access-key-id <id ending {key}> --status Inactive` "
            "and, after a quiet day, `aws iam delete-access-key --user-name {user} --access-key-id <id ending {key}>`."
        ),
        reference="https://docs.aws.amazon.com/IAM/latest/UserGuide/id-credentials-access-keys-update.html",
        severity_logic="medium when past key.rotate_every_days, high when older than twice that period",
    ),
    AuditCheck(
        id="inventory-key-unused",
        severity=Severity.LOW,
        title="Active access key not used for a long time",
        runbook=(
            "Check where it should live ({lives_in}) and whether anything still needs it: "
            "`aws iam get-access-key-last-used --access-key-id <id ending {key}>`. If not, "
            "`aws iam update-access-key --user-name {user} --access-key-id <id ending {key}> --status Inactive`, "
            "then delete it after a quiet week with `aws iam delete-access-key`."
        ),
        reference="https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_finding-unused.html",
        severity_logic=(
            f"low when unused for {UNUSED_KEY_DAYS}+ days; medium when unused for {LONG_UNUSED_KEY_DAYS}+ days "
            f"or never used at all and created {UNUSED_KEY_DAYS}+ days ago (a key nobody wired up)"
        ),
    ),
    AuditCheck(
        id="inventory-extra-key",
        severity=Severity.HIGH,
        title="More access keys than the model allows",
        runbook=(
            "List them: `aws iam list-access-keys --user-name {user}`. Keep only the key(s) the model allows "
            "({allowed}); deactivate each other one with `aws iam update-access-key --user-name {user} "
            "--access-key-id <id> --status Inactive`, then `aws iam delete-access-key --user-name {user} "
            "--access-key-id <id>`."
        ),
        reference="https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html",
        severity_logic=(
            "always high: more active keys than key.max_active_keys, or any key on a principal whose auth "
            "is not access-key (an SSO human, a role-based workload)"
        ),
    ),
    AuditCheck(
        id="inventory-root-credentials",
        severity=Severity.CRITICAL,
        title="Root user has access keys or no MFA",
        runbook=(
            "Sign in as root (break-glass procedure), open Security credentials, delete every root access key "
            "and assign an MFA device; root MFA can only be set in the console. Confirm with "
            "`aws iam get-account-summary --query 'SummaryMap.[AccountAccessKeysPresent,AccountMFAEnabled]'` "
            "(expect [0, 1])."
        ),
        reference="https://docs.aws.amazon.com/IAM/latest/UserGuide/root-user-best-practices.html",
        severity_logic="critical when root access keys exist; high when root MFA is off",
    ),
    AuditCheck(
        id="inventory-secret-overdue",
        severity=Severity.MEDIUM,
        title="Declared secret is overdue for rotation or missing",
        runbook=(
            "Issue a new value at its source, then store it with the store's aws CLI command, {update} "
            "(from a file, never the command line), "
            "check its readers ({readers}) still work, and revoke the old value at its source. Check with "
            "`{check}`."
        ),
        reference="https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-securestring.html",
        severity_logic=("medium when older than its rotate_every_days (Secrets Manager: by its current value's date); "
                        "high when no declared parameter or secret exists"),
    ),
    AuditCheck(
        id="identity-undeclared-account",
        severity=Severity.MEDIUM,
        title="AWS account not declared in the identity model",
        runbook=(
            "Find out what account {account} is (`aws organizations describe-account --account-id {account}`). "
            "If it is yours, add it under `accounts:` in the identity model and validate with "
            "`python -m chalicelib model check`; until then the audit cannot say what must exist in it."
        ),
        reference="https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_accounts.html",
        severity_logic="always medium, one finding per account",
    ),
)

AUDIT_CHECKS: Mapping[str, AuditCheck] = MappingProxyType({c.id: c for c in _CHECKS})
if len(AUDIT_CHECKS) != len(_CHECKS):  # pragma: no cover - guards edits to the table above
    raise RuntimeError("duplicate audit check id in chalicelib.audit.catalog")
