"""identity/grants.py: grantees of a sharing attribute or resource policy, placed against the model's accounts."""

from __future__ import annotations

import json

import pytest

from chalicelib.identity import grants, load_model

MODEL = load_model(None)
HOME = "630287363158"  # the bundled model's account
OUTSIDE = "193672423079"


def kinds(document: object) -> list[str]:
    return [g.kind for g in grants.policy_grants(MODEL, document, HOME).outside]


def star(condition: dict[str, object]) -> dict[str, object]:
    return {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Condition": condition}]}


@pytest.mark.parametrize(("value", "kind"), [
    ("all", grants.EVERYONE), ("ALL", grants.EVERYONE), (OUTSIDE, grants.ACCOUNT_KIND),
    (f"arn:aws:iam::{OUTSIDE}:root", grants.ACCOUNT_KIND),
    (f"arn:aws:organizations::{OUTSIDE}:organization/o-abcdefghij", grants.ACCOUNT_KIND),
    ("aws-marketplace", grants.UNPLACED), (7, grants.UNPLACED),
])
def test_a_sharing_value_outside_the_model_is_placed_by_kind(value, kind):
    found = grants.place(MODEL, value, HOME)
    assert found is not None and found.kind == kind


@pytest.mark.parametrize("value", [HOME, f"arn:aws:organizations::{HOME}:ou/o-abcdefghij/ou-ab12-cd34ef56", None, ""])
def test_a_declared_account_its_organization_or_nothing_is_inside(value):
    assert grants.place(MODEL, value, HOME) is None


def test_a_principal_that_names_no_account_is_unplaced():
    assert kinds({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "AROAEXAMPLEID"}}]}) == [grants.UNPLACED]


def test_for_all_values_fails_open_so_it_pins_nothing():
    assert kinds(star({"ForAllValues:StringEquals": {"aws:PrincipalAccount": [HOME]}})) == [grants.CONDITIONAL]


def test_for_any_value_pins():
    assert kinds(star({"ForAnyValue:StringEquals": {"aws:PrincipalAccount": [HOME]}})) == []


def test_an_account_pin_decides_over_an_organization_pin():
    condition = {"StringEquals": {"aws:PrincipalOrgID": "o-abcdefghij", "aws:PrincipalAccount": OUTSIDE}}
    found = grants.policy_grants(MODEL, star(condition), HOME).outside
    assert [(g.kind, g.value) for g in found] == [(grants.ACCOUNT_KIND, OUTSIDE)]


def test_a_wildcard_account_lets_in_every_account_it_matches():
    found = grants.policy_grants(MODEL, star({"StringLike": {"aws:SourceAccount": "6302873631*"}}), HOME).outside
    assert [(g.kind, g.value) for g in found] == [(grants.ACCOUNT_KIND, "6302873631*")]


@pytest.mark.parametrize("condition", [
    {"StringLike": {"aws:PrincipalAccount": "*"}},
    {"StringLike": {"aws:PrincipalAccount": [HOME, "*"]}},  # values are ORed: the wildcard wins
    {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}},
    {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::????????????:role/x"}},  # ArnEquals takes wildcards too
    {"StringNotEquals": {"aws:PrincipalAccount": HOME}},  # everyone but the home account
    {"StringLike": {"aws:PrincipalOrgID": "o-*"}},
])
def test_a_condition_that_matches_every_account_pins_no_one(condition):
    assert kinds(star(condition)) == [grants.EVERYONE]


@pytest.mark.parametrize("condition", [
    {"StringEquals": {"aws:PrincipalAccount": HOME}},
    {"StringEquals": {"aws:PrincipalAccount": HOME}, "StringLike": {"aws:SourceArn": "*"}},  # keys are ANDed
    {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{HOME}:role/*"}},
    {"StringEquals": {"aws:PrincipalAccount": "${aws:ResourceAccount}"}},
])
def test_a_condition_pinned_to_declared_accounts_lets_no_one_in(condition):
    assert kinds(star(condition)) == []


def test_an_org_path_under_one_organization_pins_to_it():
    found = grants.policy_grants(MODEL, star({"ForAnyValue:StringLike": {
        "aws:PrincipalOrgPaths": "o-abcdefghij/r-ab12/ou-ab12-11111111/*"}}), HOME).outside
    assert [(g.kind, g.value) for g in found] == [(grants.ORG, "o-abcdefghij")]


def service(name: str, condition: dict[str, object] | None = None) -> dict[str, object]:
    statement = {"Effect": "Allow", "Principal": {"Service": name}, "Action": "s3:*", "Resource": "*"}
    return {"Statement": [{**statement, "Condition": condition} if condition else statement]}


def test_a_log_delivery_service_under_a_wildcard_source_is_still_the_services_own():
    assert kinds(service("delivery.logs.amazonaws.com", {"ArnLike": {"aws:SourceArn": "arn:aws:logs:*:*:*"}})) == []


@pytest.mark.parametrize("condition", [None, {"ArnLike": {"aws:SourceArn": "arn:aws:cloudfront::*:distribution/*"}}])
def test_cloudfront_unpinned_lets_any_accounts_distribution_read(condition):
    assert kinds(service("cloudfront.amazonaws.com", condition)) == [grants.EVERYONE]


def test_cloudfront_pinned_to_a_declared_distribution_lets_no_one_in():
    pin = {"StringEquals": {"AWS:SourceArn": f"arn:aws:cloudfront::{HOME}:distribution/E2QWRUHAPOMQZL"}}
    assert kinds(service("cloudfront.amazonaws.com", pin)) == []


def test_a_federated_provider_of_another_account_is_that_account():
    doc = {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                          "Principal": {"Federated": f"arn:aws:iam::{OUTSIDE}:saml-provider/Okta"}}]}
    found = grants.policy_grants(MODEL, doc, HOME).outside
    assert [(g.kind, g.value) for g in found] == [(grants.ACCOUNT_KIND, OUTSIDE)]


@pytest.mark.parametrize(("value", "inside"), [(int(HOME), True), (int(OUTSIDE), False)])
def test_an_account_id_recorded_as_a_number_is_placed_as_that_account(value, inside):
    found = grants.place(MODEL, value, HOME)
    assert (found is None) if inside else (found is not None and found.kind == grants.ACCOUNT_KIND)


def test_a_json_string_and_an_object_read_alike():
    doc = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": [HOME, OUTSIDE]}, "Action": "*"}]}
    assert kinds(doc) == kinds(json.dumps(doc)) == [grants.ACCOUNT_KIND]


@pytest.mark.parametrize("document", ["{", "[]", "null", 5, {"Statement": 3}, ""])
def test_an_unreadable_document_reports_a_problem(document):
    found = grants.policy_grants(MODEL, document, HOME)
    assert found.problem and not found.outside


def test_a_bad_statement_beside_good_ones_is_reported_and_the_rest_judged():
    doc = {"Statement": [7, {"Effect": "Allow", "Principal": "*"}]}
    found = grants.policy_grants(MODEL, doc, HOME)
    assert found.problem and [g.kind for g in found.outside] == [grants.EVERYONE]


def test_items_of_reads_ec2_lists_in_every_spelling():
    assert grants.items_of({"items": [1, 2]}) == [1, 2]
    assert grants.items_of([3]) == [3]
    assert grants.items_of({"userId": "x"}) == [{"userId": "x"}]
    assert grants.items_of(None) == [] and grants.items_of({}) == []


@pytest.mark.parametrize(("value", "kinds_found"), [(int(HOME), []), (int(OUTSIDE), [grants.ACCOUNT_KIND])])
def test_an_account_id_written_as_a_number_in_a_condition_pins_like_its_text(value, kinds_found):
    assert kinds(star({"StringEquals": {"aws:PrincipalAccount": value}})) == kinds_found


def test_a_negated_account_key_beside_an_organization_pin_leaves_the_organization_pin():
    condition = {"StringEquals": {"aws:PrincipalOrgID": "o-abcdefghij"},
                 "StringNotEquals": {"aws:PrincipalAccount": HOME}}
    assert kinds(star(condition)) == [grants.ORG]
