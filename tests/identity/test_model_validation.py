"""The identity model is validated strictly, and every error names its file, line and key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from chalicelib.errors import ModelError
from chalicelib.identity import load_model, parse_model
from chalicelib.identity.loader import DEFAULT_MODEL

VALID = """\
version: 1
accounts:
  - id: "630287363158"
    name: management
principals:
  - id: jared
    kind: human
    auth: sso
    sso_users: [jared@example.com]
  - id: github-actions
    kind: ci
    auth: access-key
    iam_user: github-actions-aws-deployer
secrets:
  - name: /paperclip-app/api-key
    readers: [jared]
"""


def errors_of(text: str) -> list[str]:
    with pytest.raises(ModelError) as caught:
        parse_model(text, source="model.yaml")
    return caught.value.errors


def test_bundled_example_model_is_valid() -> None:
    model = load_model(DEFAULT_MODEL)
    assert {"jared", "github-actions", "app-servers", "paperclip-agents", "infra-deploy"} <= set(model.principals)


def test_valid_model_compiles_lookups() -> None:
    model = parse_model(VALID)
    assert model.iam_user("GitHub-Actions-AWS-Deployer", "630287363158").id == "github-actions"


def test_unknown_auth_value_names_path_line_and_choices() -> None:
    errors = errors_of(VALID.replace("auth: sso", "auth: ssoo"))
    assert len(errors) == 1
    assert errors[0].startswith("model.yaml:8: principals[0].auth: unknown value 'ssoo'")
    assert "'access-key'" in errors[0]


def test_unknown_key_is_an_error() -> None:
    errors = errors_of(VALID.replace("    kind: human\n", "    kind: human\n    favourite_colour: blue\n"))
    assert errors == ["model.yaml:8: principals[0].favourite_colour: unknown key"]


def test_account_id_given_as_number_asks_for_quotes() -> None:
    errors = errors_of(VALID.replace('"630287363158"', "630287363158"))
    assert "accounts[0].id" in errors[0]
    assert "quote it" in errors[0]


def test_octal_looking_account_id_is_suggested_quoted_as_written_not_as_yaml_reads_it() -> None:
    errors = errors_of(VALID.replace('"630287363158"', "012345670123"))  # YAML 1.1: the octal 1402433619
    assert errors == ['model.yaml:3: accounts[0].id: got the number 012345670123 (YAML reads it as 1402433619); '
                      'quote it as a string ("012345670123") so it is read as written']


def test_quoted_account_id_with_a_leading_zero_is_accepted() -> None:
    text = VALID.replace('"630287363158"', '"012345670123"')
    assert parse_model(text).spec.accounts[0].id == "012345670123"


def test_number_in_a_principal_accounts_list_is_suggested_quoted_as_written() -> None:
    text = VALID.replace('    sso_users: [jared@example.com]\n',
                         '    sso_users: [jared@example.com]\n    accounts: ["630287363158", 012345670123]\n')
    assert errors_of(text) == ['model.yaml:10: principals[0].accounts[1]: got the number 012345670123 (YAML reads it '
                               'as 1402433619); quote it as a string ("012345670123") so it is read as written']


def test_account_id_with_wrong_length_is_rejected() -> None:
    errors = errors_of(VALID.replace('"630287363158"', '"63028736315"'))
    assert "accounts[0].id: invalid value '63028736315'" in errors[0]


def test_reader_naming_unknown_principal_is_an_error() -> None:
    errors = errors_of(VALID.replace("readers: [jared]", "readers: [jared, paperclip]"))
    assert errors == ["model.yaml:16: secrets[0].readers[1]: unknown principal 'paperclip'"]


def test_duplicate_principal_id_is_an_error() -> None:
    dup = VALID.replace("  - id: github-actions", "  - id: jared")
    errors = errors_of(dup)
    assert any("principals[1].id: duplicate principal id 'jared'" in e for e in errors)


def test_every_error_is_reported_not_just_the_first() -> None:
    bad = VALID.replace("auth: sso", "auth: ssoo").replace("kind: ci", "kind: robot")
    errors = errors_of(bad)
    assert len(errors) == 2


def test_access_key_principal_without_iam_user_is_an_error() -> None:
    errors = errors_of(VALID.replace("    iam_user: github-actions-aws-deployer\n", ""))
    assert "principals[1]: auth 'access-key' needs 'iam_user'" in errors[0]


def test_principal_account_must_be_declared() -> None:
    text = VALID.replace("    sso_users: [jared@example.com]\n",
                         "    sso_users: [jared@example.com]\n    accounts: [\"111111111111\"]\n")
    errors = errors_of(text)
    assert "principals[0].accounts[0]: account '111111111111' is not declared" in errors[0]


def test_same_iam_user_claimed_twice_is_an_error() -> None:
    text = VALID.replace("secrets:", "  - id: other\n    kind: ci\n    auth: access-key\n"
                                     "    iam_user: github-actions-aws-deployer\nsecrets:")
    errors = errors_of(text)
    assert "already claimed by principal 'github-actions'" in errors[0]


def test_yaml_syntax_error_names_the_line() -> None:
    errors = errors_of("version: 1\naccounts: [\n")
    assert errors[0].startswith("not valid YAML")


def test_model_that_is_not_a_mapping_is_rejected() -> None:
    assert "mapping" in errors_of("- just\n- a list\n")[0]


def test_missing_model_file_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as caught:
        load_model(tmp_path / "absent.yaml")
    assert "absent.yaml" in str(caught.value)


def test_a_key_written_twice_is_an_error_naming_both_lines() -> None:
    text = ('version: 1\naccounts: [{id: "630287363158", name: management, root: never}]\n'
            "principals:\n  - {id: jared, kind: human, auth: sso, sso_users: [jared@example.com]}\n"
            "principals:\n  - {id: maria, kind: human, auth: sso, sso_users: [maria@example.com]}\n")
    assert errors_of(text) == ["model.yaml:5: principals: duplicate key (first at line 3); YAML keeps only this one, "
                               "so the first is silently lost: merge them"]


def test_a_key_written_twice_inside_a_principal_is_an_error_too() -> None:
    text = ('version: 1\naccounts: [{id: "630287363158", name: management, root: never}]\n'
            "principals:\n  - id: ci\n    kind: ci\n    auth: role\n    roles: [deploy]\n    roles: [build]\n")
    assert [e.split(": duplicate key")[0] for e in errors_of(text)] == ["model.yaml:8: principals[0].roles"]


def test_model_file_that_is_not_utf8_is_a_model_error_naming_the_file(tmp_path: Path) -> None:
    utf16 = tmp_path / "model.yaml"
    utf16.write_bytes("version: 1\n".encode("utf-16"))  # what a Windows editor may save
    with pytest.raises(ModelError) as caught:
        load_model(utf16)
    assert str(caught.value).startswith(f"{utf16}: not a UTF-8 text file (byte 0xff at offset 0)")


def test_yaml_python_tags_are_refused() -> None:
    errors = errors_of(VALID + "extra: !!python/object/apply:os.system ['true']\n")
    assert "not valid YAML" in errors[0]


def test_env_variable_overrides_default_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(VALID)
    monkeypatch.setenv("TRAILWARDEN_MODEL", str(path))
    assert set(load_model().principals) == {"jared", "github-actions"}


def test_yaml_alias_bomb_is_refused_quickly() -> None:
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    for level in "bcdefghij":
        prev = chr(ord(level) - 1)
        bomb += f"{level}: &{level} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
    with pytest.raises(ModelError) as caught:
        parse_model("version: 1\n" + bomb, source="bomb.yaml")
    assert "aliases" in str(caught.value) and "bomb.yaml:3" in str(caught.value)


ROLES_ANYWHERE = VALID.replace("secrets:", """\
  - id: onprem-build
    kind: ci
    auth: roles-anywhere
    roles: [onprem-build-role]
    trust_anchors: ["ANCHOR"]
    x509_subjects: ["CN=build-*"]
secrets:""")


def test_a_malformed_sso_user_id_says_what_an_identity_center_user_id_looks_like() -> None:
    errors = errors_of(VALID.replace("sso_users: [jared@example.com]",
                                     'sso_users: [jared@example.com]\n    sso_user_ids: ["jared"]'))
    assert errors[0].startswith("model.yaml:10: principals[0].sso_user_ids[0]: invalid value 'jared'; "
                                "an IAM Identity Center user id is a UUID")
    assert "must match" not in errors[0]


def test_a_malformed_trust_anchor_says_what_a_trust_anchor_looks_like() -> None:
    errors = errors_of(ROLES_ANYWHERE.replace("ANCHOR", "anchor-1"))
    assert ("principals[2].trust_anchors[0]: invalid value 'anchor-1'; "
            "a Roles Anywhere trust anchor is its id") in errors[0]
    assert "must match" not in errors[0]


def test_a_trust_anchor_arn_and_a_prefixed_sso_user_id_are_accepted() -> None:
    arn = "arn:aws:rolesanywhere:eu-west-1:630287363158:trust-anchor/3f1e2d4c-5b6a-4798-8a9b-0c1d2e3f4a5b"
    text = ROLES_ANYWHERE.replace("ANCHOR", arn).replace(
        "sso_users: [jared@example.com]",
        'sso_users: [jared@example.com]\n    sso_user_ids: ["9067642ac7-4b1c2d3e-5f60-4718-9a2b-3c4d5e6f7081"]')
    assert list(parse_model(text).spec.principals[2].trust_anchors) == [arn]


def test_a_pattern_without_a_description_is_still_shown() -> None:
    errors = errors_of(VALID.replace('"630287363158"', '"63028736315"'))
    assert errors[0].endswith("invalid value '63028736315' (must match ^\\d{12}$)")


def test_a_quoted_number_of_days_asks_for_it_unquoted() -> None:
    errors = errors_of(VALID.replace("iam_user: github-actions-aws-deployer",
                                     'iam_user: github-actions-aws-deployer\n    expect_activity_every_days: "7"'))
    assert errors == ["model.yaml:14: principals[1].expect_activity_every_days: got '7'; write a whole number, "
                      "unquoted (7)"]


def test_a_quoted_boolean_asks_for_true_or_false_unquoted() -> None:
    errors = errors_of(VALID.replace("sso_users: [jared@example.com]",
                                     'sso_users: [jared@example.com]\n    manages_iam: "yes"'))
    assert errors == ["model.yaml:10: principals[0].manages_iam: got 'yes'; write true or false, unquoted"]


def test_a_single_name_where_a_list_belongs_shows_the_list_to_write() -> None:
    errors = errors_of(VALID.replace("readers: [jared]", "readers: jared"))
    assert errors == ["model.yaml:16: secrets[0].readers: got 'jared'; write a list, even of one: [jared]"]


def test_a_number_out_of_range_names_the_value_and_the_bound() -> None:
    errors = errors_of(VALID.replace("iam_user: github-actions-aws-deployer",
                                     "iam_user: github-actions-aws-deployer\n    key: {max_active_keys: 3}"))
    assert errors == ["model.yaml:14: principals[1].key.max_active_keys: got 3; must be at most 2"]


def test_a_number_in_range_is_accepted() -> None:
    text = VALID.replace("iam_user: github-actions-aws-deployer",
                         "iam_user: github-actions-aws-deployer\n    key: {max_active_keys: 2}\n"
                         "    expect_activity_every_days: 7")
    assert parse_model(text).spec.principals[1].max_active_keys == 2


def test_an_empty_or_scalar_principal_entry_asks_for_a_mapping() -> None:
    errors = errors_of(VALID.replace("principals:\n", "principals:\n  -\n  - 5\n"))
    assert [e.split(": ", 1)[1] for e in errors[:2]] == [
        "principals[0]: got an empty entry; write a mapping of keys (key: value), as the other entries are",
        "principals[1]: got 5; write a mapping of keys (key: value), as the other entries are"]


def test_a_mapping_where_a_list_belongs_asks_for_list_entries() -> None:
    errors = errors_of(VALID.replace('accounts:\n  - id: "630287363158"\n    name: management',
                                     'accounts:\n  id: "630287363158"\n  name: management'))
    assert errors[0] == "model.yaml:2: accounts: got a mapping; write a list of them, each entry starting with '- '"
