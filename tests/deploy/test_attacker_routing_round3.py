"""Issue 10, third audit: each variation of tests/rules/test_attacker_variations_round3.py is also
delivered by the packaged rules (prod), rule states applied, and judged by the rule that must fire.

The records are the same fixtures (tests/fixtures/records/); the verdict is the bundled model's.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.engine import Engine
from chalicelib.events import events_in
from chalicelib.history import MemoryHistory
from chalicelib.identity import load_model
from chalicelib.identity.loader import DEFAULT_MODEL

from .cloudtrail import envelope
from .test_patterns import Bus

RECORDS = Path(__file__).resolve().parents[1] / "fixtures" / "records"
MODEL = load_model(DEFAULT_MODEL)


def fixture(name: str, **top: Any) -> dict[str, Any]:
    doc = json.loads((RECORDS / name).read_text(encoding="utf-8"))
    doc.update(top)
    return doc


def judged(record: dict[str, Any]) -> set[str]:
    engine = Engine(MODEL)
    engine.history = MemoryHistory()
    (event,) = list(events_in(record))
    return {f.rule for f in engine.judge(event)}


ROOT_FEDERATION = "root-federation-session-authorize-ingress.json"


def test_a_root_federation_sessions_write_is_root_use_delivered_in_prod(prod_bus: Bus) -> None:
    record = fixture(ROOT_FEDERATION)
    assert "root-api-use" in judged(record)
    assert prod_bus.deliver(envelope(copy.deepcopy(record)))


def test_a_root_federation_sessions_read_is_root_use_delivered_in_prod(prod_bus: Bus) -> None:
    record = fixture(ROOT_FEDERATION, eventName="DescribeInstances", readOnly=True,
                     requestParameters={"instancesSet": {}, "filterSet": {}}, responseElements=None)
    assert "root-api-use" in judged(record)
    assert "reads" in prod_bus.deliver(envelope(copy.deepcopy(record)))


def test_an_oidc_entry_written_under_a_service_linked_path_is_judged_and_delivered_in_prod(prod_bus: Bus) -> None:
    record = fixture("oidc-assume-role-with-web-identity.json")
    record["requestParameters"]["roleArn"] = "arn:aws:iam::630287363158:role/aws-service-role/ops.amazonaws.com/shadow"
    record["responseElements"]["assumedRoleUser"]["arn"] = "arn:aws:sts::630287363158:assumed-role/shadow/GitHubActions"
    assert {"identity-undeclared-principal", "sts-assume-role-unexpected"} <= judged(record)
    assert prod_bus.deliver(envelope(copy.deepcopy(record)))


def test_an_assume_role_without_its_issued_session_is_judged_and_delivered_in_prod(prod_bus: Bus) -> None:
    record = fixture("assume-role-service-role-path-declared-role.json")
    del record["responseElements"]["assumedRoleUser"]
    assert "sts-assume-role-unexpected" in judged(record)
    assert "sts" in prod_bus.deliver(envelope(copy.deepcopy(record)))


@pytest.mark.parametrize(("name", "top", "rule"), [
    ("attach-user-policy.json", {"requestParameters": {"userName": "github-actions-aws-deployer",
                                                       "policyArn": "arn:aws:iam::aws:policy/administratoraccess"}},
     "iam-privilege-granted"),
    ("iam-put-role-policy-govcloud-passrole-every-role.json", {}, "iam-privilege-granted"),
], ids=["admin-policy-in-lower-case", "passrole-on-every-govcloud-role"])
def test_a_policy_spelled_another_way_is_judged_and_delivered_to_the_iam_family_in_prod(
        prod_bus: Bus, name: str, top: dict[str, Any], rule: str) -> None:
    record = fixture(name, **top)
    assert rule in judged(record)
    assert "iam" in prod_bus.deliver(envelope(copy.deepcopy(record)))


def test_a_console_session_from_roots_federation_token_is_delivered_in_prod(prod_bus: Bus) -> None:
    record = fixture("federated-user-console-signin.json")
    record["userIdentity"]["sessionContext"]["sessionIssuer"] = {
        "type": "Root", "principalId": "630287363158", "arn": "arn:aws:iam::630287363158:root",
        "accountId": "630287363158"}
    assert "root-signin" in judged(record)
    assert prod_bus.deliver(envelope(copy.deepcopy(record)))


def test_a_bucket_opened_to_an_organization_the_caller_names_is_judged_and_delivered_in_prod(prod_bus: Bus) -> None:
    record = fixture("s3-put-bucket-policy-any-organization.json")
    assert "resource-policy-outside" in judged(record)
    assert prod_bus.deliver(envelope(copy.deepcopy(record)))


def test_a_selector_leaving_out_one_roles_calls_is_judged_and_delivered_to_blinding_in_prod(prod_bus: Bus) -> None:
    record = fixture("cloudtrail-put-advanced-event-selectors.json")
    record["requestParameters"]["advancedEventSelectors"] = [{"name": "Management events", "fieldSelectors": [
        {"field": "eventCategory", "equals": ["Management"]},
        {"field": "userIdentity.arn", "notStartsWith": ["arn:aws:sts::630287363158:assumed-role/ops-automation/"]}]}]
    assert "monitor-trail-tampered" in judged(record)
    assert "blinding" in prod_bus.deliver(envelope(copy.deepcopy(record)))


def test_a_quarantine_lifted_by_a_name_in_lower_case_is_judged_and_delivered_in_prod(prod_bus: Bus) -> None:
    record = fixture("iam-detach-user-policy-quarantine.json")
    record["requestParameters"]["policyArn"] = "arn:aws:iam::aws:policy/awscompromisedkeyquarantinev3"
    assert "credential-quarantine-lifted" in judged(record)
    assert prod_bus.deliver(envelope(copy.deepcopy(record)))
