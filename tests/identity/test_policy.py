"""Policy documents as CloudTrail records them: decoded and parsed, never substring-matched."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from chalicelib.identity import policy
from chalicelib.identity.policy import PrincipalRef


def doc(*statements: dict, encode: bool = True, as_list: bool = True) -> str:
    body = {"Version": "2012-10-17", "Statement": list(statements) if as_list else statements[0]}
    text = json.dumps(body)
    return quote(text, safe="") if encode else text


ALLOW_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}
READ_S3 = {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::reports/*"}


def test_a_url_encoded_document_is_decoded_and_parsed():
    parsed = policy.parse_policy(doc(READ_S3))
    assert parsed.readable
    assert parsed.statements[0].actions == ("s3:GetObject",)


def test_a_plain_json_document_is_parsed_as_is():
    assert policy.parse_policy(doc(READ_S3, encode=False)).statements[0].resources == ("arn:aws:s3:::reports/*",)


def test_a_form_encoded_document_with_plus_for_spaces_is_parsed():
    text = quote(json.dumps({"Statement": [ALLOW_ALL]}), safe="").replace("%20", "+")
    assert policy.admin_grants(policy.parse_policy(text))


def test_a_statement_given_as_one_object_is_read_like_a_list_of_one():
    assert policy.admin_grants(policy.parse_policy(doc(ALLOW_ALL, as_list=False)))


@pytest.mark.parametrize(("text", "says"), [
    ("this is not a policy", "neither JSON nor URL-encoded"),
    ("%7B%22Statement%22%3A%5B%7B%22Effect%22", "truncated"),
    ('{"Statement": [{"Effect": "Allow", "Action": "*"', "truncated"),
    ("%ZZ%7B", "neither JSON nor URL-encoded"),
    ("", "empty"),
    ('["Allow"]', "not an object"),
    ('{"Version": "2012-10-17"}', "no Statement"),
    ('{"Statement": "Allow everything"}', "not an object or list"),
])
def test_a_malformed_document_is_reported_with_why_it_could_not_be_read(text, says):
    parsed = policy.parse_policy(text)
    assert not parsed.readable
    assert says in (parsed.problem or "")


@pytest.mark.parametrize("value", [None, 42, ["a"], True])
def test_a_document_that_is_not_a_string_is_reported_not_raised(value):
    assert not policy.parse_policy(value).readable


def test_a_nested_attack_document_is_reported_not_raised():
    assert not policy.parse_policy("[" * 100_000).readable


def test_a_bad_statement_beside_good_ones_keeps_the_good_ones_and_says_so():
    parsed = policy.parse_policy(json.dumps({"Statement": ["junk", ALLOW_ALL]}))
    assert "Statement[0] is not an object" in (parsed.problem or "")
    assert policy.admin_grants(parsed)


@pytest.mark.parametrize("statement", [
    ALLOW_ALL,
    {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
    {"Effect": "Allow", "Action": ["s3:GetObject", "iam:PassRole"], "Resource": ["*"]},
    {"Effect": "Allow", "Action": "IAM:pass*", "Resource": "*"},
    {"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"},
    {"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::logs/*"},
])
def test_admin_equivalent_statements_are_recognised(statement):
    assert policy.admin_grants(policy.parse_policy(doc(statement)))


@pytest.mark.parametrize("statement", [
    READ_S3,
    {"Effect": "Deny", "Action": "*", "Resource": "*"},
    {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::630287363158:role/app-role"},
    {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::reports/*"},
    {"Effect": "Allow", "Action": "iam:Get*", "Resource": "*"},
    {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Sid": "AdministratorAccess iam:* everything"},
])
def test_statements_that_grant_nothing_admin_equivalent_are_not_flagged(statement):
    assert policy.admin_grants(policy.parse_policy(doc(statement))) == []


def test_passrole_on_every_role_counts_even_without_a_star_resource():
    statement = {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::*:role/*"}
    assert "iam:PassRole" in policy.admin_grants(policy.parse_policy(doc(statement)))[0]


def test_a_conditional_grant_is_still_flagged_and_says_so():
    statement = {**ALLOW_ALL, "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}
    assert "under a condition" in policy.admin_grants(policy.parse_policy(doc(statement)))[0]


@pytest.mark.parametrize(("principal", "expected"), [
    ("*", [PrincipalRef("*", "*")]),
    ({"AWS": "*"}, [PrincipalRef("*", "*")]),
    ({"AWS": "123456789012"}, [PrincipalRef("AWS", "123456789012")]),
    ({"AWS": ["arn:aws:iam::1:root", "arn:aws:iam::2:role/x"]},
     [PrincipalRef("AWS", "arn:aws:iam::1:root"), PrincipalRef("AWS", "arn:aws:iam::2:role/x")]),
    ({"Federated": "arn:aws:iam::1:saml-provider/Okta"},
     [PrincipalRef("Federated", "arn:aws:iam::1:saml-provider/Okta")]),
    ({"Service": ["ec2.amazonaws.com"]}, [PrincipalRef("Service", "ec2.amazonaws.com")]),
])
def test_every_principal_form_is_read(principal, expected):
    statement = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    assert policy.trusted(policy.parse_policy(doc(statement))) == expected


def test_not_principal_in_an_allow_trusts_everyone_it_does_not_name():
    statement = {"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::1:root"}, "Action": "sts:AssumeRole"}
    assert policy.trusted(policy.parse_policy(doc(statement))) == [PrincipalRef("*", "*")]


def test_a_deny_statement_trusts_nobody():
    statement = {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole"}
    assert policy.trusted(policy.parse_policy(doc(statement))) == []


@pytest.mark.parametrize(("value", "account"), [
    ("123456789012", "123456789012"),
    ("arn:aws:iam::123456789012:root", "123456789012"),
    ("arn:aws:sts::123456789012:assumed-role/r/s", "123456789012"),
    ("AROAZ7TW0EXAMPLE00001", None),
])
def test_principal_accounts_come_from_ids_and_arns(value, account):
    assert policy.principal_account(PrincipalRef("AWS", value)) == account


def test_only_aws_managed_admin_policies_are_admin_by_name():
    assert policy.admin_managed_policy("arn:aws:iam::aws:policy/AdministratorAccess")
    assert policy.admin_managed_policy("arn:aws:iam::aws:policy/IAMFullAccess")
    assert not policy.admin_managed_policy("arn:aws:iam::630287363158:policy/AdministratorAccess")
    assert not policy.admin_managed_policy("arn:aws:iam::aws:policy/AdministratorAccess-Amplify")
    assert not policy.admin_managed_policy(None)


@pytest.mark.parametrize("arn", [
    "arn:aws:iam::aws:policy/AmazonElasticMapReduceFullAccess",  # iam:PassRole on * beside ec2:RunInstances
    "arn:aws:iam::aws:policy/service-role/AmazonElasticMapReduceRole",
    "arn:aws:iam::aws:policy/service-role/AWSElasticBeanstalkService",
    "arn:aws:iam::aws:policy/AmazonDynamoDBFullAccesswithDataPipeline",
])
def test_managed_policies_that_pass_any_role_to_an_instance_are_admin_by_name(arn):
    assert policy.admin_managed_policy(arn)


@pytest.mark.parametrize("name", ["PowerUserAccess", "AWSLambda_FullAccess", "AmazonSageMakerFullAccess",
                                  "AdministratorAccess-AWSElasticBeanstalk"])
def test_managed_policies_whose_passrole_is_bounded_or_absent_are_not_admin_by_name(name):
    """PowerUserAccess allows no iam: action; the others pass roles only to one service (iam:PassedToService)."""
    assert not policy.admin_managed_policy(f"arn:aws:iam::aws:policy/{name}")


@pytest.mark.parametrize(("text", "says"), [
    ('["Allow"]', "the policy document is an array, not an object"),
    ('{"Statement": "Allow everything"}', "Statement is a string, not an object or list"),
])
def test_a_malformed_document_names_the_json_kind_not_a_python_type(text, says):
    assert policy.parse_policy(text).problem == says
