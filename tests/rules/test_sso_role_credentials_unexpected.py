"""sso-role-credentials-unexpected: the Identity Center portal's GetRoleCredentials is judged on who
got which account and permission set (user by name in older records, by id in today's)."""

from __future__ import annotations

import pytest

from chalicelib.errors import ModelError
from chalicelib.findings import Severity

from .conftest import DECLARED_ACCOUNT, UNDECLARED_ACCOUNT, finding, model_from, record

RULE = "sso-role-credentials-unexpected"
BY_ID = "sso-get-role-credentials.json"
BY_NAME = "sso-get-role-credentials-named-user.json"
USER_ID = "9067642ac7-4b1c2d3e-5f60-4718-9a2b-3c4d5e6f7081"
WITH_IDS = f"""
version: 1
accounts:
  - {{id: "{DECLARED_ACCOUNT}", name: prod}}
principals:
  - id: jared
    kind: human
    auth: sso
    sso_users: [jared@example.com]
    sso_user_ids: ["{USER_ID}"]
    permission_sets: [AdministratorAccess]
"""


def test_a_declared_user_getting_its_declared_permission_set_is_quiet():
    assert finding(record(BY_NAME), RULE) is None


def test_a_user_the_model_does_not_declare_is_medium():
    # As the same user's calls (identity-undeclared-principal) and device-code token (sso-device-code-token): the
    # model is silent on this person; high is kept for a declared user outside its accounts or permission sets.
    f = finding(record(BY_NAME, userIdentity={"userName": "mallory@example.com"}), RULE)
    assert f is not None and f.severity is Severity.MEDIUM
    assert "'mallory@example.com'" in f.reason


def test_a_declared_user_getting_another_permission_set_is_high():
    f = finding(record(BY_NAME, serviceEventDetails={"role_name": "BillingFullAccess"}), RULE)
    assert f is not None and f.severity is Severity.HIGH
    assert "not 'BillingFullAccess'" in f.reason


def test_a_declared_user_entering_an_account_outside_its_own_is_high():
    f = finding(record(BY_NAME, serviceEventDetails={"account_id": UNDECLARED_ACCOUNT}), RULE)
    assert f is not None and f.severity is Severity.HIGH
    assert f.details["target_account"] == UNDECLARED_ACCOUNT


def test_a_user_id_the_model_declares_is_judged_as_that_user():
    model = model_from(WITH_IDS)
    assert finding(record(BY_ID), RULE, model) is None
    f = finding(record(BY_ID, serviceEventDetails={"role_name": "PowerUserAccess"}), RULE, model)
    assert f is not None and f.details["principal"] == "jared"


def test_an_unknown_user_id_is_medium_once_the_model_lists_ids():
    other = "9067642ac7-00000000-1111-4222-8333-444444444444"
    f = finding(record(BY_ID, userIdentity={"onBehalfOf": {"userId": other}}), RULE, model_from(WITH_IDS))
    assert f is not None and f.severity is Severity.MEDIUM


def test_an_id_the_model_cannot_place_is_quiet_for_a_declared_target():
    assert finding(record(BY_ID), RULE) is None  # the bundled model lists no sso_user_ids


def test_an_id_the_model_cannot_place_is_medium_for_an_undeclared_account():
    f = finding(record(BY_ID, serviceEventDetails={"account_id": UNDECLARED_ACCOUNT}), RULE)
    assert f is not None and f.severity is Severity.MEDIUM


def test_a_refused_request_is_low():
    rec = record(BY_NAME, userIdentity={"userName": "mallory@example.com"}, errorCode="ForbiddenException",
                 errorMessage="No access")
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.LOW


def test_a_record_without_its_details_is_judged_without_a_crash():
    f = finding(record(BY_NAME, userIdentity={"userName": "mallory@example.com"}, serviceEventDetails=None), RULE)
    assert f is not None and "permission set '?'" in f.reason


def test_an_sso_user_id_that_is_not_an_identity_center_id_is_refused():
    with pytest.raises(ModelError, match="sso_user_ids"):
        model_from(WITH_IDS.replace(USER_ID, "jared"))


def test_the_replay_memo_keys_the_permission_set_and_the_account(tmp_path):
    from .memo_replay import twice

    quiet = record(BY_NAME)
    assert twice(tmp_path, quiet, quiet) == ["none", "quiet"]
    assert twice(tmp_path, quiet, record(BY_NAME, serviceEventDetails={"role_name": "BillingFullAccess"})) \
        == ["none", "findings"]
    assert twice(tmp_path, quiet, record(BY_NAME, serviceEventDetails={"account_id": UNDECLARED_ACCOUNT})) \
        == ["none", "findings"]

