"""iam-role-passed on hand-overs the review round found unread: a Glue interactive session (CreateSession: the
caller's code runs as its role, as in a dev endpoint) and SageMaker Studio's execution roles (a domain's
defaults, a user profile's own: every Studio terminal opened as the profile runs as it)."""

from __future__ import annotations

import json

import pytest

from chalicelib.findings import Severity

from .conftest import Replace, finding, model_from, record, replay_twice
from .test_iam_role_passed_scheduled import PASSER, ROLE  # the same passer model and deploy role

RULE = "iam-role-passed"
SESSION = "glue-create-session-role.json"
PROFILE = "sagemaker-update-user-profile-role.json"
DOMAIN = {"eventName": "CreateDomain", "requestParameters": Replace(
    {"domainName": "ml", "authMode": "IAM", "defaultSpaceSettings": {"executionRole": ROLE}})}


@pytest.mark.parametrize(("fixture", "words"), [(SESSION, "glue"), (PROFILE, "sagemaker")])
def test_a_leaked_key_handing_over_the_deploy_role_is_critical(fixture, words):
    f = finding(record(fixture), RULE)
    assert f is not None and f.severity is Severity.CRITICAL
    assert "terraform-deploy" in f.reason and words in f.reason


def test_a_domains_space_role_is_read_too():
    f = finding(record(PROFILE, **DOMAIN), RULE)
    assert f is not None and f.severity is Severity.CRITICAL


@pytest.mark.parametrize("fixture", [SESSION, PROFILE])
def test_the_declared_way_of_deploying_is_low(fixture):
    f = finding(record(fixture), RULE, model_from(PASSER))
    assert f is not None and f.severity is Severity.LOW


def test_a_profile_update_naming_no_role_is_not_judged():
    rec = record(PROFILE, requestParameters=Replace({"domainId": "d-7xk2mplq9rtz", "userProfileName": "ana",
                                                     "userSettings": {"securityGroups": ["sg-1"]}}))
    assert finding(rec, RULE) is None


@pytest.mark.parametrize("source", ["s3express.amazonaws.com", "rolesanywhere.amazonaws.com"])
def test_other_services_create_session_is_not_judged_here(source):
    assert finding(record(SESSION, eventSource=source), RULE) is None


def test_hostile_shapes_do_not_crash():
    for bad in ("x", None, [1], {"role": ["x"], "userSettings": "x", "defaultUserSettings": [1]}):
        finding(record(SESSION, requestParameters=Replace(bad)), RULE)
        finding(record(PROFILE, requestParameters=Replace(bad)), RULE)


def test_replay_gives_the_same_output_with_and_without_the_memo(tmp_path, capsys):
    no_role = record(PROFILE, requestParameters=Replace({"domainId": "d", "userProfileName": "u",
                                                        "userSettings": {"executionRole": None}}))
    s3 = record(SESSION, eventSource="s3express.amazonaws.com")
    records = [no_role, record(PROFILE), no_role, s3, record(SESSION), s3, record(PROFILE)]
    with_memo, without = replay_twice(records, tmp_path, capsys)
    assert with_memo == without
    assert [json.loads(line)["rule"] for line in with_memo.splitlines()].count(RULE) == 3
