"""Identity writes (issue 13) reach a handler in every stage, not only where the writes family is on.

The dev stage packages without the ``writes`` family (TRAILWARDEN_WATCH_WRITES=false), so the escalation
events must be carried by the always-on ``iam`` family: its rule's pattern is put on moto's default bus
and every escalation event, as a real-shaped EventBridge envelope, must land in its queue.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

import app

from .cloudtrail import api_call, envelope, iam_user
from .conftest import Packaged, bus_to_queue, family_rules
from .escalation_calls import ESCALATION
from .review_calls import CASES as REVIEW
from .round3_calls import CASES as ROUND3

REGION = "us-east-1"
MAX_PATTERN = 2048  # EventBridge's default event-pattern size quota, in characters
CI_KEY = iam_user("github-actions-aws-deployer")


def iam_rules(stage: Packaged) -> list[dict[str, Any]]:
    """The iam family's rules: one, or ``-iam``, ``-iam-2``, … when its pattern is over the size quota."""
    return family_rules(stage, ("iam",))


@pytest.fixture(scope="module")
def dev_iam_queue(dev: Packaged) -> Iterator[tuple[Any, Any, str]]:
    with bus_to_queue(iam_rules(dev), "tw-dev-iam", REGION) as bus:
        yield bus


def test_the_dev_stage_has_no_writes_family_to_fall_back_on(dev: Packaged) -> None:
    names = {event["Properties"].get("RuleName", "") for _, event in dev.rules().values()}
    assert not any(name.endswith("-writes") for name in names)


@pytest.mark.parametrize(("source", "name", "request_"), ESCALATION, ids=[e[1] for e in ESCALATION])
def test_every_escalation_event_reaches_the_iam_handler_in_dev(dev_iam_queue: tuple[Any, Any, str], source: str,
                                                                name: str, request_: dict[str, Any]) -> None:
    events, sqs, url = dev_iam_queue
    env = envelope(api_call(source, name, CI_KEY, read_only=False, request=request_))
    entry = {"Source": env["source"], "DetailType": env["detail-type"], "Detail": json.dumps(env["detail"])}
    assert "EventId" in events.put_events(Entries=[entry])["Entries"][0]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    for message in messages:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert [json.loads(m["Body"])["detail"]["eventName"] for m in messages] == [name]


def test_the_iam_rule_needs_no_read_only_delivery_since_every_escalation_event_is_a_write(dev: Packaged,
                                                                                          prod: Packaged) -> None:
    # AWS records all of these readOnly false; a rule in state ENABLED receives every write.
    assert {r["State"] for r in (*iam_rules(dev), *iam_rules(prod))} == {"ENABLED"}


def test_the_iam_pattern_fits_eventbridges_default_size_quota(prod: Packaged) -> None:
    assert max(len(json.dumps(r["Pattern"], separators=(",", ":"))) for r in iam_rules(prod)) <= MAX_PATTERN


def test_every_call_iam_role_passed_reads_is_routed_by_the_iam_family() -> None:
    from chalicelib.rules.iam_role_passed import CODE_PATHS, LIST_PATHS, PROFILE_PATHS, ROLE_PATHS

    passes = {(source, name) for source, names in app.PASSROLE_WRITES.items() for name in names}
    judged = set(ROLE_PATHS) | set(PROFILE_PATHS) | set(CODE_PATHS) | set(LIST_PATHS)
    # Lambda's first spelling of the 2015-03-31 API (older trails) reaches the writes family (prod) only:
    # the iam pattern is at its quota (test_patterns checks that prod delivers them). So do the hand-overs
    # red-team round 3 added (schedules, targets, Automation, pipelines...: test_redteam_round3_routing).
    legacy = {("lambda.amazonaws.com", "UpdateFunctionConfiguration20150331"),
              ("lambda.amazonaws.com", "UpdateFunctionCode20150331")}
    writes_only = {(source, name) for source, name, _ in (*ROUND3, *REVIEW)}  # their own routing tests
    assert passes <= judged <= passes | legacy | writes_only | {("iam.amazonaws.com", n) for n in app.IAM_WRITES}
    routed = passes
    assert routed <= {(source, name) for source, name, _ in ESCALATION} | {
        ("cloudformation.amazonaws.com", "UpdateStack")}  # its own case: pipeline takes it too


def test_every_call_lambda_exposed_reads_is_routed_by_the_iam_family() -> None:
    from chalicelib.rules.lambda_exposed import LambdaExposed

    assert LambdaExposed.event_names == set(app.LAMBDA_EXPOSURE_WRITES)
    assert set(app.LAMBDA_EXPOSURE_WRITES) <= set(app.SERVICE_IDENTITY_WRITES["lambda.amazonaws.com"])
    assert set(app.LAMBDA_EXPOSURE_WRITES) <= {name for source, name, _ in ESCALATION if source.startswith("lambda.")}


def test_every_credential_iam_alternate_credential_created_judges_is_an_iam_write() -> None:
    from chalicelib.rules.iam_alternate_credential_created import IamAlternateCredentialCreated

    assert IamAlternateCredentialCreated.event_names <= set(app.IAM_WRITES)
    assert IamAlternateCredentialCreated.event_names <= {n for s, n, _ in ESCALATION if s == "iam.amazonaws.com"}


def test_every_identity_center_directory_change_judged_is_routed_by_the_iam_family() -> None:
    from chalicelib.rules.sso_group_membership_added import SOURCES

    routed = {(source, name) for source, names in app.SERVICE_IDENTITY_WRITES.items() for name in names}
    assert {(source, name) for name, source in SOURCES.items()} <= routed
    assert {(s, n) for s, names in app.IDENTITY_STORE_WRITES.items() for n in names} <= {
        (s, n) for s, n, _ in ESCALATION}
