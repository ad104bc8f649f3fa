"""credential-revoked: a declared credential deleted or disabled, with what breaks (DESIGN §5)."""

from __future__ import annotations

import json

from chalicelib.findings import Severity

from .conftest import DECLARED_ACCOUNT, finding, identity_of, record

RULE = "credential-revoked"
CI_USER_ARN = f"arn:aws:iam::{DECLARED_ACCOUNT}:user/github-actions-aws-deployer"
OLD_KEY = "AKIAZ7TW0OLDCIKEY007"
CI_BREAKS = "Terraform CI in GitHub Actions"


def test_deleting_a_declared_principals_access_key_is_high_and_says_what_breaks():
    f = finding(record("delete-access-key.json"), RULE)
    assert f is not None
    assert f.severity is Severity.HIGH
    assert f.breaks == CI_BREAKS
    assert f.target_arn == CI_USER_ARN
    assert f.principal == "jared"
    assert "github-actions" in f.reason


def test_revoked_key_id_is_masked_everywhere_in_the_finding():
    f = finding(record("delete-access-key.json"), RULE)
    assert f is not None
    assert f.details["key"] == "…Y007"
    assert OLD_KEY not in json.dumps(f.to_dict(), ensure_ascii=False)


def test_deactivating_a_declared_access_key_is_high():
    f = finding(record("update-access-key.json"), RULE)
    assert f is not None
    assert f.severity is Severity.HIGH
    assert f.breaks == CI_BREAKS
    assert "deactivated" in f.reason


def test_deactivation_status_is_matched_case_insensitively():
    assert finding(record("update-access-key.json", requestParameters={"status": "INACTIVE"}), RULE) is not None


def test_reactivating_an_access_key_is_not_a_revocation():
    assert finding(record("update-access-key.json", requestParameters={"status": "Active"}), RULE) is None


def test_deleting_the_console_password_of_a_declared_user_is_medium_and_breaks_nothing_declared():
    # No declared auth is a console password: the CI user's key (what CI uses) is untouched.
    f = finding(record("delete-login-profile.json"), RULE)
    assert f is not None
    assert f.severity is Severity.MEDIUM
    assert f.breaks is not None and f.breaks.startswith("nothing the model declares")
    assert "console password" in f.reason


def test_deleting_a_declared_secret_parameter_is_high_and_says_what_breaks():
    f = finding(record("delete-parameter.json"), RULE)
    assert f is not None
    assert f.severity is Severity.HIGH
    assert f.breaks == "Paperclip agents lose API access"
    assert f.target_arn == f"arn:aws:ssm:us-east-1:{DECLARED_ACCOUNT}:parameter/paperclip-app/api-key"


def test_deleting_several_parameters_including_a_declared_secret_fires():
    rec = record("delete-parameter.json", eventName="DeleteParameters",
                 requestParameters={"name": None, "names": ["/paperclip-app/queue-url", "/paperclip-app/api-key"]})
    f = finding(rec, RULE)
    assert f is not None
    assert "/paperclip-app/api-key" in f.reason


def test_user_deleting_its_own_key_without_a_user_name_is_matched_to_itself():
    rec = record("delete-access-key.json", userIdentity=identity_of("iam-user-access-key-call.json"),
                 requestParameters={"userName": None})
    f = finding(rec, RULE)
    assert f is not None
    assert f.target_arn == CI_USER_ARN
    assert f.principal == "github-actions"


def test_failed_revocation_is_medium():
    f = finding(record("delete-access-key.json", errorCode="NoSuchEntity"), RULE)
    assert f is not None
    assert f.severity is Severity.MEDIUM
    assert "attempt" in f.reason


def test_revocation_is_grouped_on_the_credential_it_touches():
    deleted = finding(record("delete-access-key.json"), RULE)
    disabled = finding(record("update-access-key.json"), RULE)
    assert deleted is not None and disabled is not None
    assert deleted.group_key == disabled.group_key == f"credential:{CI_USER_ARN}"


def test_deleting_an_undeclared_users_access_key_is_not_a_finding():
    assert finding(record("delete-access-key.json", requestParameters={"userName": "intern-sandbox"}), RULE) is None


def test_deactivating_an_undeclared_users_access_key_is_not_a_finding():
    assert finding(record("update-access-key.json", requestParameters={"userName": "intern-sandbox"}), RULE) is None


def test_deleting_an_undeclared_users_console_password_is_not_a_finding():
    rec = record("delete-login-profile.json", requestParameters={"userName": "intern-sandbox"})
    assert finding(rec, RULE) is None


def test_deleting_an_undeclared_parameter_is_not_a_finding():
    rec = record("delete-parameter.json", requestParameters={"name": "/paperclip-app/queue-url"})
    assert finding(rec, RULE) is None


def test_root_deleting_its_own_key_is_not_a_declared_credential():
    rec = record("delete-access-key.json", userIdentity=identity_of("root-cli-call.json"),
                 requestParameters={"userName": None})
    assert finding(rec, RULE) is None


def test_creating_a_key_is_not_a_revocation():
    assert finding(record("create-access-key.json"), RULE) is None
