"""The identity-escalation detections never crash on a record's shape: every event they read, with its
request parameters missing, null, of the wrong type or holding wrong types, is judged without a rule
error, and a bad record beside good ones leaves the good ones judged."""

from __future__ import annotations

import pytest

from chalicelib.events import events_in
from chalicelib.rules import load_rules

from .conftest import DROP, Replace, judge, record, rules_of

IDS = {"iam-login-profile-created", "iam-trust-policy-changed", "iam-privilege-granted", "iam-mfa-removed",
       "iam-user-created", "federation-provider-changed", "sso-assignment-changed", "credential-quarantined"}
NAMES = sorted({name for rule in load_rules() if rule.id in IDS for name in rule.event_names or ()})
SHAPES = {
    "missing": DROP,
    "null": None,
    "a list": Replace(["userName", 1]),
    "wrong field types": Replace({"userName": 7, "roleName": [], "policyArn": {"x": 1}, "policyDocument": 12,
                                  "assumeRolePolicyDocument": ["{}"], "serialNumber": False, "setAsDefault": "yes",
                                  "permissionSetArn": 3, "inlinePolicy": {"Statement": "x"},
                                  "managedPolicyArn": None, "url": 5, "name": {"a": 1}}),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("name", NAMES)
def test_every_event_is_judged_whatever_its_request_parameters_hold(name: str, shape: str) -> None:
    rec = record("attach-user-policy.json", eventName=name, requestParameters=SHAPES[shape],
                 responseElements=Replace("not an object"), userIdentity=Replace({"type": "IAMUser"}))
    judge(rec)  # fails the test on any rule error


def test_a_bad_record_beside_good_ones_leaves_the_good_ones_judged() -> None:
    doc = {"Records": [record("create-login-profile.json"), "not a record", {"eventName": None},
                       record("attach-user-policy.json")]}
    good = [e for e in events_in(doc, "file.json") if not isinstance(e, Exception)]
    bad = [e for e in events_in(doc, "file.json") if isinstance(e, Exception)]
    assert len(bad) == 2 and all("file.json.Records[" in (e.location or "") for e in bad)
    fired = set().union(*(rules_of(judge(e)) for e in good))
    assert {"iam-login-profile-created", "iam-privilege-granted"} <= fired
