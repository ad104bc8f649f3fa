"""Model keys of issue 13: where a principal runs (network, user_agents) and secrets beyond SSM."""

from __future__ import annotations

import pytest

from chalicelib.errors import ModelError
from chalicelib.identity import parse_model
from chalicelib.identity.network import ABSENT, IP_KIND, SERVICE_KIND, UNPLACEABLE, classify, inside, parse_cidr

HEAD = """\
version: 1
accounts: [{id: "630287363158", name: management}]
principals:
  - id: app
    kind: workload
    auth: role
    roles: [app-role]
"""


def errors_of(text: str) -> list[str]:
    with pytest.raises(ModelError) as caught:
        parse_model(text, source="model.yaml")
    return caught.value.errors


def test_a_principal_may_declare_its_network_and_user_agents():
    model = parse_model(HEAD + "    network: {cidrs: [10.0.0.0/16, 203.0.113.7/32, '2600:1f18::/32']}\n"
                               "    user_agents: ['aws-cli/*']\n")
    assert [str(n) for n in model.networks["app"]] == ["10.0.0.0/16", "203.0.113.7/32", "2600:1f18::/32"]
    assert model.principals["app"].declares_home


@pytest.mark.parametrize(("cidr", "says"), [
    ("10.0.0.1/16", "has host bits set; did you mean 10.0.0.0/16?"),
    ("075.050.255.0/24", "zero-padded octets"),
    ("10.0.0.0/33", "is not an IPv4 or IPv6 CIDR"),
    ("office", "is not an IPv4 or IPv6 CIDR"),
])
def test_a_bad_cidr_is_reported_with_its_file_line_and_index(cidr, says):
    text = HEAD + f"    network:\n      cidrs:\n        - 10.0.0.0/16\n        - \"{cidr}\"\n"
    (error,) = errors_of(text)
    assert error.startswith("model.yaml:11: principals[0].network.cidrs[1]:") and says in error


def test_an_empty_network_and_an_empty_agent_glob_are_errors():
    errors = errors_of(HEAD + "    network: {cidrs: []}\n    user_agents: ['']\n")
    assert [e.split(": ")[1] for e in errors] == ["principals[0].network.cidrs", "principals[0].user_agents[0]"]


def test_an_unknown_network_key_is_an_error():
    errors = errors_of(HEAD + "    network: {cidr: [10.0.0.0/8]}\n")
    assert errors == ["model.yaml:8: principals[0].network.cidrs: required key is missing",
                      "model.yaml:8: principals[0].network.cidr: unknown key (did you mean 'cidrs'?)"]


@pytest.mark.parametrize(("secret", "says"), [
    ("{name: prod/db-password}", "an SSM parameter name starts with '/'"),
    ("{name: 'arn:aws:ssm:us-east-1:630287363158:parameter/x', store: secretsmanager}", "not a Secrets Manager"),
    ("{name: /x, store: vault}", "unknown value 'vault'"),
])
def test_a_secret_whose_name_does_not_fit_its_store_is_an_error(secret, says):
    (error,) = errors_of(HEAD + f"secrets:\n  - {secret}\n")
    assert error.startswith("model.yaml:9: secrets[0]") and says in error


def test_secret_names_may_be_globs_for_both_stores():
    model = parse_model(HEAD + "secrets:\n  - {name: /credentials/ci/*}\n"
                               "  - {name: prod/db-*, store: secretsmanager}\n")
    assert model.secret("/credentials/ci/deploy").name == "/credentials/ci/*"
    assert model.secret("credentials/ci/deploy").name == "/credentials/ci/*"  # SSM reads may omit the slash
    assert model.secretsmanager_secret("prod/db-main").name == "prod/db-*"
    assert model.secret("/credentials/other") is None and model.secretsmanager_secret("/credentials/ci/x") is None


def test_an_exact_name_wins_over_the_random_suffix_reading():
    model = parse_model(HEAD + "secrets:\n  - {name: app/token-master, store: secretsmanager}\n"
                               "  - {name: app/token, store: secretsmanager, readers: [app]}\n")
    arn = "arn:aws:secretsmanager:us-east-1:630287363158:secret:app/token-master"
    assert model.secretsmanager_secret(arn).name == "app/token-master"  # a partial ARN, not app/token + suffix
    assert model.secretsmanager_secret(arn + "-Ab12Cd").name == "app/token-master"


@pytest.mark.parametrize(("text", "kind"), [
    ("10.0.0.1", IP_KIND), ("2600:1f18::1", IP_KIND), ("AWS Internal", SERVICE_KIND),
    ("ssm.amazonaws.com", SERVICE_KIND), ("075.050.255.67", UNPLACEABLE), ("evil.example.com", UNPLACEABLE),
    ("", ABSENT), (None, ABSENT),
])
def test_source_addresses_are_classified_without_raising(text, kind):
    assert classify(text).kind == kind


@pytest.mark.parametrize("text", ["AWS Internal", "ssm.amazonaws.com", "010.000.000.001", "::ffff:10.0.0.1",
                                  "10.0.0.1 "])
def test_nothing_but_a_plain_ip_of_the_same_version_is_ever_inside(text):
    assert not inside(classify(text), (parse_cidr("10.0.0.0/8"),))


def test_a_zero_padded_address_is_read_as_decimal_only_to_tell_public_from_private():
    assert classify("075.050.255.67").public and not classify("010.000.000.001").public
