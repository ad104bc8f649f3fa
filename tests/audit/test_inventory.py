"""The pure audit: one hand-built snapshot per drift, with a positive and a negative case each."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from chalicelib.audit import AUDIT_CHECKS, IamRole, RootSummary, SsmParameter, audit
from chalicelib.findings import Finding, Severity

from .builders import (
    AS_OF,
    CI_ARN,
    CI_KEY,
    CI_USER,
    MODEL_YAML,
    OTHER_ACCOUNT,
    ROOT_ARN,
    SECRET,
    SECRET_ARN,
    clean_snapshot,
    days_ago,
    key,
    model,
    user,
    with_ci_keys,
)

MODEL = model()


def findings_of(snapshot, rule: str | None = None, as_of=AS_OF) -> list[Finding]:
    found = audit(MODEL, snapshot, as_of)
    return [f for f in found if rule is None or f.rule == rule]


def only(snapshot, rule: str, as_of=AS_OF) -> Finding:
    found = findings_of(snapshot, as_of=as_of)
    assert [f.rule for f in found] == [rule], [f.reason for f in found]
    return found[0]


def test_an_account_that_matches_the_model_has_no_drift():
    assert findings_of(clean_snapshot()) == []


# -- inventory-undeclared-user ------------------------------------------------------------


def test_an_undeclared_user_with_an_active_key_is_high():
    snap = clean_snapshot(users=(*clean_snapshot().users, user("terraform-deployer", key("AKIAORPHANKEYXXXWXYZ"))))
    f = only(snap, "inventory-undeclared-user")
    assert f.severity is Severity.HIGH
    assert f.principal_arn == "arn:aws:iam::111122223333:user/terraform-deployer"
    assert f.principal is None
    assert "terraform-deployer" in f.reason and "…WXYZ" in f.reason
    assert "AKIAORPHANKEYXXXWXYZ" not in repr(f.to_dict())
    assert "aws iam update-access-key --user-name terraform-deployer" in f.runbook


def test_an_undeclared_user_without_active_keys_is_medium():
    orphan = user("terraform-deployer", key("AKIAORPHANKEYXXXWXYZ", status="Inactive"))
    f = only(clean_snapshot(users=(*clean_snapshot().users, orphan)), "inventory-undeclared-user")
    assert f.severity is Severity.MEDIUM
    assert f.details["active_keys"] == 0


def test_a_user_declared_only_for_another_account_is_undeclared_here():
    snap = clean_snapshot(users=(*clean_snapshot().users, user("sandbox-runner")))
    f = only(snap, "inventory-undeclared-user")
    assert OTHER_ACCOUNT in f.reason and "sandbox-runner" in f.reason


def test_declared_users_are_not_reported_as_undeclared():
    assert findings_of(clean_snapshot(), "inventory-undeclared-user") == []


# -- inventory-missing-principal ----------------------------------------------------------


def test_a_missing_ci_user_is_high_and_says_ci_will_break():
    snap = clean_snapshot(users=(user("jared-breakglass", password=True),))
    f = only(snap, "inventory-missing-principal")
    assert f.severity is Severity.HIGH
    assert (f.principal_arn, f.principal) == (CI_ARN, "github-actions")
    assert f.breaks == "Terraform CI in GitHub Actions"
    assert "Terraform CI in GitHub Actions will break" in f.reason
    assert f"aws iam create-user --user-name {CI_USER}" in f.runbook


def test_a_missing_role_is_reported_with_its_arn_and_what_breaks():
    f = only(clean_snapshot(roles=()), "inventory-missing-principal")
    assert f.principal_arn == "arn:aws:iam::111122223333:role/abt-app-instance-role"
    assert f.breaks == "the application servers"
    assert "aws iam create-role --role-name abt-app-instance-role" in f.runbook


def test_a_principal_scoped_to_another_account_is_not_expected_here():
    # sandbox-runner lives only in OTHER_ACCOUNT; its absence here is correct.
    assert findings_of(clean_snapshot(), "inventory-missing-principal") == []


def test_in_the_other_account_only_its_own_principals_are_expected():
    snap = clean_snapshot(account=OTHER_ACCOUNT, users=(user("jared-breakglass", account=OTHER_ACCOUNT),
                                                        user(CI_USER, key(), account=OTHER_ACCOUNT)))
    missing = {f.details["name"] for f in findings_of(snap, "inventory-missing-principal")}
    assert missing == {"sandbox-runner"}  # not abt-app-instance-role, which is scoped to ACCOUNT


# -- inventory-key-overdue ----------------------------------------------------------------


def test_a_key_100_days_old_with_a_90_day_rotation_is_overdue():
    f = only(with_ci_keys(key(age=100)), "inventory-key-overdue")
    assert f.severity is Severity.MEDIUM
    assert (f.principal_arn, f.principal, f.breaks) == (CI_ARN, "github-actions", "Terraform CI in GitHub Actions")
    assert f.details["age_days"] == 100 and f.details["overdue_days"] == 10
    assert "…1234" in f.reason and CI_KEY not in f.reason and CI_KEY not in f.runbook
    assert f.group_key == f"inventory:inventory-key-overdue:{CI_ARN}:1234"


def test_a_key_30_days_old_is_not_overdue():
    assert findings_of(with_ci_keys(key(age=30)), "inventory-key-overdue") == []


def test_a_key_more_than_twice_overdue_is_high():
    f = only(with_ci_keys(key(age=181)), "inventory-key-overdue")
    assert f.severity is Severity.HIGH


def test_an_old_inactive_key_is_not_overdue():
    keys = (key(age=400, status="Inactive", used=None), key("AKIANEWKEYEXAMPLE999", age=5))
    assert findings_of(with_ci_keys(*keys)) == []


# -- inventory-key-unused -----------------------------------------------------------------


def test_a_key_unused_for_120_days_is_low():
    f = only(with_ci_keys(key(age=60, used=120)), "inventory-key-unused")
    assert f.severity is Severity.LOW
    assert f.details["unused_days"] == 120


def test_a_key_unused_for_200_days_is_medium():
    found = findings_of(with_ci_keys(key(age=60, used=200)), "inventory-key-unused")
    assert [f.severity for f in found] == [Severity.MEDIUM]


def test_a_key_never_used_and_created_100_days_ago_is_medium():
    keys = (key(age=100, used=None),)
    f = findings_of(with_ci_keys(*keys), "inventory-key-unused")[0]
    assert f.severity is Severity.MEDIUM and f.details["never_used"] is True
    assert "never been used" in f.reason


def test_a_key_used_yesterday_or_created_last_week_is_not_unused():
    assert findings_of(with_ci_keys(key(age=10, used=None))) == []
    assert findings_of(with_ci_keys(key(age=80, used=1))) == []


# -- inventory-extra-key ------------------------------------------------------------------


def test_two_active_keys_where_the_model_allows_one_is_high():
    snap = with_ci_keys(key(age=10), key("AKIASECONDKEYEXAMPLE", age=5))
    f = only(snap, "inventory-extra-key")
    assert f.severity is Severity.HIGH
    assert f.details["allowed"] == 1 and f.details["active_keys"] == 2
    assert "…1234" in f.reason and "…MPLE" in f.reason


def test_two_active_keys_are_fine_when_the_model_allows_two():
    two = model(MODEL_YAML.replace("rotate_every_days: 90}", "rotate_every_days: 90, max_active_keys: 2}"))
    snap = with_ci_keys(key(age=10), key("AKIASECONDKEYEXAMPLE", age=5))
    assert audit(two, snap, AS_OF) == []


def test_an_active_and_an_inactive_key_are_not_extra():
    assert findings_of(with_ci_keys(key(age=10), key("AKIAOLDKEYEXAMPLE000", age=95, status="Inactive"))) == []


def test_any_key_on_an_sso_humans_iam_user_is_high():
    snap = clean_snapshot(users=(user("jared-breakglass", key("AKIAJAREDKEYEXAMPLE7"), password=True),
                                 user(CI_USER, key())))
    f = only(snap, "inventory-extra-key")
    assert f.severity is Severity.HIGH and f.principal == "jared"
    assert "authenticates by sso" in f.reason and "…PLE7" in f.reason


# -- inventory-root-credentials -----------------------------------------------------------


def test_root_access_keys_are_critical():
    f = only(clean_snapshot(root=RootSummary(access_keys_present=True, mfa_enabled=True)), "inventory-root-credentials")
    assert f.severity is Severity.CRITICAL and f.principal_arn == ROOT_ARN and f.principal is None


def test_root_without_mfa_is_high():
    f = only(clean_snapshot(root=RootSummary(access_keys_present=False, mfa_enabled=False)),
             "inventory-root-credentials")
    assert f.severity is Severity.HIGH and f.group_key == f"inventory:inventory-root-credentials:{ROOT_ARN}:mfa"


def test_root_with_mfa_and_no_keys_is_clean():
    assert findings_of(clean_snapshot(), "inventory-root-credentials") == []


# -- inventory-secret-overdue -------------------------------------------------------------


def test_a_secret_45_days_old_with_a_30_day_rotation_is_overdue():
    param = SsmParameter(SECRET, SECRET_ARN, "SecureString", days_ago(45))
    f = only(clean_snapshot(parameters=(param,)), "inventory-secret-overdue")
    assert f.severity is Severity.MEDIUM
    assert f.principal_arn == SECRET_ARN and f.breaks == "Paperclip agents lose API access"
    assert f.details["age_days"] == 45


def test_a_secret_10_days_old_is_not_overdue():
    assert findings_of(clean_snapshot(), "inventory-secret-overdue") == []


def test_a_missing_declared_secret_is_high():
    f = only(clean_snapshot(parameters=()), "inventory-secret-overdue")
    assert f.severity is Severity.HIGH and f.details["missing"] is True
    assert f.principal_arn == SECRET_ARN
    assert f"aws ssm put-parameter --region us-east-1 --name {SECRET}" in f.runbook


# -- identity-undeclared-account ----------------------------------------------------------


def test_an_account_not_in_the_model_yields_one_medium_finding_and_no_absence_claims():
    snap = clean_snapshot(account="999988887777", users=(), roles=(), parameters=())
    f = only(snap, "identity-undeclared-account")
    assert f.severity is Severity.MEDIUM
    assert f.principal_arn == "arn:aws:iam::999988887777:root" and f.account == "999988887777"


def test_presence_drift_is_still_reported_in_an_undeclared_account():
    # Principals exist only in the accounts the model declares (DESIGN §4: "every account
    # above"), so a user named like a declared one in an undeclared account is undeclared there.
    snap = clean_snapshot(account="999988887777", roles=(), root=RootSummary(True, True))
    rules = sorted(f.rule for f in findings_of(snap))
    assert rules[:2] == ["identity-undeclared-account", "inventory-root-credentials"]
    assert set(rules[2:]) == {"inventory-undeclared-user"}


def test_a_declared_account_has_no_undeclared_account_finding():
    assert findings_of(clean_snapshot(), "identity-undeclared-account") == []


# -- properties every finding has -------------------------------------------------------


def drifted():
    return clean_snapshot(
        root=RootSummary(True, False),
        users=(user("jared-breakglass", key("AKIAJAREDKEYEXAMPLE7")), user(CI_USER, key(age=200, used=None)),
               user("terraform-deployer", key("AKIAORPHANKEYXXXWXYZ"))),
        roles=(IamRole("unrelated", "arn:aws:iam::111122223333:role/unrelated"),),
        parameters=(),
    )


def test_every_finding_uses_a_catalog_id_and_carries_the_required_fields():
    found = findings_of(drifted())
    assert {f.rule for f in found} >= {"inventory-undeclared-user", "inventory-missing-principal",
                                       "inventory-key-overdue", "inventory-key-unused", "inventory-extra-key",
                                       "inventory-root-credentials", "inventory-secret-overdue"}
    for f in found:
        check = AUDIT_CHECKS[f.rule]
        assert (f.title, f.reference) == (check.title, check.reference)
        assert f.runbook and "aws " in f.runbook and "{" not in f.runbook
        assert f.principal_arn and f.principal_arn.startswith("arn:aws:")
        assert (f.event_id, f.event_name, f.event_source, f.event_time, f.source_ip, f.user_agent) == (None,) * 6
        assert f.account == "111122223333" and f.region == "us-east-1"
        assert f.group_key and f.group_key.startswith(f"inventory:{f.rule}:{f.principal_arn}:")
        assert f.details["as_of"] == "2026-06-01T12:00:00Z"


def test_no_finding_ever_contains_a_full_access_key_id():
    text = repr([f.to_dict() for f in findings_of(drifted())])
    for full in ("AKIAJAREDKEYEXAMPLE7", CI_KEY, "AKIAORPHANKEYXXXWXYZ"):
        assert full not in text


def test_a_rerun_the_next_day_recognises_the_same_incidents():
    today = {f.group_key for f in findings_of(drifted())}
    tomorrow = {f.group_key for f in findings_of(drifted(), as_of=AS_OF + timedelta(days=1))}
    assert today == tomorrow and len(today) == len(findings_of(drifted()))


def test_findings_come_most_severe_first():
    severities = [f.severity for f in findings_of(drifted())]
    assert severities == sorted(severities, reverse=True)


def test_a_naive_as_of_is_taken_as_utc():
    naive = AS_OF.replace(tzinfo=None)
    assert findings_of(drifted(), as_of=naive) == findings_of(drifted())


@pytest.mark.parametrize("frozen_field", ["account", "users"])
def test_snapshots_are_frozen(frozen_field):
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(clean_snapshot(), frozen_field, None)


def test_a_ci_user_whose_keys_are_all_inactive_is_a_missing_credential():
    f = only(with_ci_keys(key(age=10, status="Inactive")), "inventory-missing-principal")
    assert f.severity is Severity.HIGH and f.principal_arn == CI_ARN
    assert f.group_key == f"inventory:inventory-missing-principal:{CI_ARN}:no-active-key"
    assert "no active access key" in f.reason and "Terraform CI in GitHub Actions cannot authenticate" in f.reason


def test_an_sso_humans_iam_user_without_keys_is_not_missing_a_key():
    assert findings_of(clean_snapshot(), "inventory-missing-principal") == []


def test_findings_survive_a_round_trip_through_their_json_dict():
    import orjson

    for f in findings_of(drifted()):
        assert Finding.from_dict(orjson.loads(orjson.dumps(f.to_dict()))) == f


def test_a_missing_secret_says_the_model_cannot_tell_which_account_holds_it():
    f = only(clean_snapshot(parameters=()), "inventory-secret-overdue")
    assert "does not say which account or region holds this secret" in f.reason  # MODEL lists two accounts
