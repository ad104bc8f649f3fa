"""bench/org_invocations.py: what organization mode forwards and what the central handlers then cost."""

from __future__ import annotations

import json
from typing import Any

from tests.bench.scripts import load_script
from tests.bench.test_invocations import ALL, CI, PATTERNS, ROOT_ID, record

org = load_script("org_invocations")
STATES = {"root": ALL, "sts": ALL, "writes": "ENABLED"}


def central() -> list[Any]:
    resources = {name.title(): {"Type": "AWS::Serverless::Function", "Properties": {"Events": {f"{name}Event": {
        "Type": "EventBridgeRule", "Properties": {"RuleName": f"trailwarden-test-{name}", "State": state,
                                                  "Pattern": PATTERNS[name]}}}}}
                 for name, state in STATES.items()}
    return org.template_rules({"Resources": resources})


def member(**extra: Any) -> dict[str, Any]:
    """One forwarding rule per central family, as deploy/build_member_template.py writes them."""
    resources = {f"Forward{name.title()}Rule": {"Type": "AWS::Events::Rule", "Properties": {
        "State": state, "EventPattern": PATTERNS[name],
        "Targets": [{"Id": "central", "Arn": {"Ref": "CentralEventBusArn"}}]}} for name, state in STATES.items()}
    return {"Resources": {**resources, **extra}}


def test_forwarding_rules_are_the_member_rules_that_target_the_central_bus() -> None:
    other = {"Type": "AWS::Events::Rule", "Properties": {"State": "ENABLED", "EventPattern": {"source": ["aws.s3"]},
                                                         "Targets": [{"Id": "q", "Arn": "arn:aws:sqs:::elsewhere"}]}}
    off = {"Type": "AWS::Events::Rule", "Properties": {"State": "DISABLED", "EventPattern": {"source": ["aws.s3"]},
                                                       "Targets": [{"Id": "c", "Arn": {"Ref": "CentralEventBusArn"}}]}}
    names = [r.name for r in org.forwarding_rules(member(Elsewhere=other, Off=off))]
    assert names == ["ForwardRootRule", "ForwardStsRule", "ForwardWritesRule"]


def test_an_event_two_families_match_is_forwarded_twice_and_each_copy_invokes_both_central_handlers() -> None:
    root_write = record("s3.amazonaws.com", "CreateBucket", ROOT_ID, read_only=False)
    tally = org.count_org(central(), org.forwarding_rules(member()), [root_write])
    assert (tally.single, tally.forwarded, tally.central, tally.multi) == (2, 2, 4, 1)


def test_an_event_one_family_matches_costs_one_copy_and_one_central_invocation() -> None:
    refused = record("sts.amazonaws.com", "AssumeRole", CI, read_only=True, error="AccessDenied")
    tally = org.count_org(central(), org.forwarding_rules(member()), [refused])
    assert (tally.single, tally.forwarded, tally.central, tally.multi) == (1, 1, 1, 0)


def test_a_read_only_event_is_not_forwarded_by_a_rule_in_state_enabled() -> None:
    writes_only = member()
    writes_only["Resources"]["ForwardStsRule"]["Properties"]["State"] = "ENABLED"
    refused = record("sts.amazonaws.com", "AssumeRole", CI, read_only=True, error="AccessDenied")
    tally = org.count_org(central(), org.forwarding_rules(writes_only), [refused])
    assert (tally.forwarded, tally.central) == (0, 0)


def test_the_member_template_pattern_may_be_a_json_string() -> None:
    as_text = member()
    props = as_text["Resources"]["ForwardRootRule"]["Properties"]
    props["EventPattern"] = json.dumps(props["EventPattern"])
    root_write = record("s3.amazonaws.com", "CreateBucket", ROOT_ID, read_only=False)
    assert org.count_org(central(), org.forwarding_rules(as_text), [root_write]).forwarded == 2
