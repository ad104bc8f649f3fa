"""Model keys the privilege-escalation detections read: auth: console, federated_providers, permission_sets.

Each is validated with the file, line and key path of the mistake (what ``model check`` prints).
"""

from __future__ import annotations

import pytest

from chalicelib.cli import main
from chalicelib.errors import ModelError
from chalicelib.identity import parse_model

BASE = """\
version: 1
accounts:
  - id: "630287363158"
    name: management
    federated_providers: [token.actions.githubusercontent.com, Okta]
principals:
  - id: jared
    kind: human
    auth: sso
    sso_users: [jared@example.com]
    permission_sets: [AdministratorAccess]
  - id: clerk
    kind: human
    auth: console
    iam_user: finance-clerk
permission_sets:
  - name: AdministratorAccess
    arn: arn:aws:sso:::permissionSet/ssoins-7223a4c6b1f8e5d2/ps-3f9b2c1d8e7a6b5c
"""
ADMIN_SET = "arn:aws:sso:::permissionSet/ssoins-7223a4c6b1f8e5d2/ps-3f9b2c1d8e7a6b5c"


def errors_of(text: str) -> list[str]:
    with pytest.raises(ModelError) as caught:
        parse_model(text, source="model.yaml")
    return caught.value.errors


def test_the_new_keys_compile_into_lookups():
    model = parse_model(BASE)
    assert model.permission_set(ADMIN_SET.upper().replace("ARN:AWS:SSO", "arn:aws:sso")) == "AdministratorAccess"
    assert model.federated_provider("630287363158", "okta")
    assert not model.federated_provider("630287363158", "partner-idp")
    assert model.iam_user("finance-clerk", "630287363158").auth == "console"


def test_console_auth_needs_the_iam_user_it_signs_in_as():
    errors = errors_of(BASE.replace("    iam_user: finance-clerk\n", ""))
    assert errors == ["model.yaml:12: principals[1]: auth 'console' needs 'iam_user' to say which identity it uses"]


def test_a_permission_set_arn_that_is_not_one_names_line_and_pattern():
    (error,) = errors_of(BASE.replace(ADMIN_SET, "arn:aws:iam::aws:policy/AdministratorAccess"))
    assert error.startswith("model.yaml:18: permission_sets[0].arn: invalid value")


def test_a_principal_listing_an_undeclared_permission_set_is_an_error():
    (error,) = errors_of(BASE.replace("permission_sets: [AdministratorAccess]", "permission_sets: [PowerUser]"))
    assert error == ("model.yaml:11: principals[0].permission_sets[0]: permission set 'PowerUser' is not declared "
                     "under permission_sets")


def test_a_duplicate_permission_set_is_an_error():
    text = BASE + f"  - name: Admin2\n    arn: {ADMIN_SET}\n"
    (error,) = errors_of(text)
    assert error.startswith("model.yaml:20: permission_sets[1].arn: duplicate permission set arn")


def test_a_federated_provider_with_a_wildcard_names_its_line():
    (error,) = errors_of(BASE.replace("Okta]", "'*']"))
    assert error.startswith("model.yaml:5: accounts[0].federated_providers[1]: invalid value '*'")


def test_model_check_reports_a_bad_new_key_with_file_and_line(tmp_path, capsys):
    path = tmp_path / "model.yaml"
    path.write_text(BASE.replace("auth: console", "auth: password"))
    assert main(["model", "check", "--offline", "--model", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:14: principals[1].auth: unknown value 'password'" in err
