"""The writes family leaves to the iam, blinding and signin families the writes they deliver
whole (chalicelib/writes_pattern.py): one invocation per event, and no event routed less."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from moto.events.models import EventPattern

import app
from chalicelib.events import CloudTrailEvent
from chalicelib.parallel import Plan
from chalicelib.sources import batches_of
from chalicelib.writes_pattern import delivered_whole, writes_pattern

from .blinding_events import blinding_cases
from .cloudtrail import api_call, assumed_role, envelope
from .conftest import ROOT
from .routing_cases import cases

SHARED = ROOT.parent / "shared" / "cloudtrail-samples"
EVERY_WRITE = {"source": [{"prefix": "aws."}], "detail": {"readOnly": [False]}}  # the writes pattern before
WHOLE_FAMILIES = ("iam", "blinding", "signin")
ENABLED = {"iam", "writes", "blinding", "pipeline"}  # rule state ENABLED: no read-only management events


def _matches(pattern: dict[str, Any], env: dict[str, Any]) -> bool:
    return EventPattern.load(json.dumps(pattern)).matches_event(env)


def _delivered(family: str, pattern: dict[str, Any], env: dict[str, Any]) -> bool:
    detail = env["detail"]
    read_only = detail.get("readOnly") is True and detail.get("eventCategory", "Management") == "Management"
    return _matches(pattern, env) and not (family in ENABLED and read_only)


def _records() -> Iterator[tuple[str, dict[str, Any]]]:
    """Every record the project holds as a file (fixtures, the story, the shared samples when beside)."""
    dirs = [ROOT / "tests" / "fixtures" / "records", ROOT / "examples"]
    if SHARED.is_dir():
        dirs.append(SHARED)
    for batch in batches_of(Plan.of([str(d) for d in dirs]).sources):
        for item in batch.items:
            if isinstance(item, CloudTrailEvent) and isinstance(item.raw.get("eventSource"), str) \
                    and isinstance(item.raw.get("eventTime"), str) and isinstance(item.raw.get("awsRegion"), str):
                yield f"{batch.source}:{item.event_name}", item.raw


def _envelopes() -> list[tuple[str, dict[str, Any]]]:
    built = [(name, env) for name, env, _ in [*cases(), *blinding_cases()]]
    return built + [(name, envelope(record)) for name, record in _records()]


def test_the_iam_pattern_delivers_its_names_whole_per_source() -> None:
    whole = delivered_whole(app.PATTERNS["iam"])
    assert set(whole) == {"iam.amazonaws.com", "sso.amazonaws.com", "rolesanywhere.amazonaws.com",
                          *app.SERVICE_IDENTITY_WRITES, *app.EXPOSURE_WRITES}
    assert {"CreateAccessKey", "DeleteUser"} <= whole["iam.amazonaws.com"]
    assert {"RunInstances", "AssociateIamInstanceProfile", "ReplaceIamInstanceProfileAssociation"} \
        <= whole["ec2.amazonaws.com"]
    assert "CreateTags" not in whole["ec2.amazonaws.com"]


def test_a_sign_in_pattern_without_an_event_source_takes_it_from_the_envelope_source() -> None:
    assert delivered_whole(app.PATTERNS["signin"]) == {"signin.amazonaws.com": {"ConsoleLogin"}}


def test_a_branch_with_conditions_on_parameters_is_not_whole() -> None:
    whole = delivered_whole(app.PATTERNS["blinding"])
    assert "StopLogging" in whole["cloudtrail.amazonaws.com"]
    assert "UpdateTrail" not in whole["cloudtrail.amazonaws.com"]


def test_a_pattern_pinned_to_a_detail_type_delivers_nothing_whole() -> None:
    pinned = {"source": ["aws.iam"], "detail-type": ["AWS API Call via CloudTrail"],
              "detail": {"eventSource": ["iam.amazonaws.com"], "eventName": ["DeleteUser"]}}
    assert delivered_whole(pinned) == {}


def test_a_family_narrowed_by_caller_delivers_nothing_whole() -> None:
    assert delivered_whole(app.PATTERNS["sts"]) == {}


def test_a_name_filtered_by_prefix_is_not_a_whole_name() -> None:
    pattern = {"source": ["aws.lambda"], "detail": {"eventSource": ["lambda.amazonaws.com"],
                                                    "eventName": [{"prefix": "DeleteFunction"}]}}
    assert delivered_whole(pattern) == {}


def test_writes_keep_a_name_another_family_delivers_from_another_service() -> None:
    same_name = envelope(api_call("sso.amazonaws.com", "CreateUser", assumed_role("admin", "maria"), read_only=False))
    assert _matches(app.PATTERNS["writes"], same_name)


def test_writes_leave_out_an_iam_write_the_iam_family_delivers() -> None:
    key = envelope(api_call("iam.amazonaws.com", "CreateAccessKey", assumed_role("admin", "maria"), read_only=False))
    assert not _matches(app.PATTERNS["writes"], key)
    assert _matches(app.PATTERNS["iam"], key)


def test_with_nothing_delivered_elsewhere_writes_are_every_write() -> None:
    assert writes_pattern([]) == EVERY_WRITE


@pytest.mark.parametrize(("name", "env"), _envelopes(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_write_reaches_a_handler_once_as_before(name: str, env: dict[str, Any]) -> None:
    """Whatever the old all-writes rule routed is still routed, and never to writes and a family
    that delivers it whole."""
    if not _delivered("writes", EVERY_WRITE, env):
        assert not _delivered("writes", app.PATTERNS["writes"], env)
        return
    others = {f for f in WHOLE_FAMILIES if _delivered(f, app.PATTERNS[f], env)}
    writes = _delivered("writes", app.PATTERNS["writes"], env)
    source, event = env["detail"]["eventSource"], env["detail"]["eventName"]
    whole = any(event in delivered_whole(app.PATTERNS[f]).get(source, ()) for f in WHOLE_FAMILIES)
    assert writes or others, f"{name}: a write no family routes"
    assert not (writes and whole), f"{name}: routed to writes and to {sorted(others)}"


def test_the_corpus_holds_writes_of_both_kinds() -> None:
    """The check above is not vacuous: some writes go to writes, some only to another family."""
    kinds = set()
    for _, env in _envelopes():
        if _delivered("writes", EVERY_WRITE, env):
            kinds.add(_delivered("writes", app.PATTERNS["writes"], env))
    assert kinds == {True, False}


def test_the_shared_samples_are_in_the_corpus_when_beside() -> None:
    if not SHARED.is_dir():
        pytest.skip("../shared/cloudtrail-samples is not beside this checkout")
    assert any(name.startswith(str(SHARED)) for name, _ in _records())



def test_sources_another_family_takes_the_same_names_of_share_one_branch() -> None:
    other = {"source": [{"prefix": "aws."}], "detail": {"$or": [
        {"eventSource": ["glue.amazonaws.com", "ecs.amazonaws.com"],
         "eventName": ["CreateJob", "RegisterTaskDefinition"]},
        {"eventSource": ["iam.amazonaws.com"], "eventName": ["CreateUser"]}]}}
    branches = writes_pattern([other])["detail"]["$or"]
    assert {"eventSource": ["ecs.amazonaws.com", "glue.amazonaws.com"],
            "eventName": [{"anything-but": ["CreateJob", "RegisterTaskDefinition"]}]} in branches
    assert len(branches) == 3  # every other source, the shared pair, iam


def test_the_writes_pattern_stays_within_three_rules_of_the_quota() -> None:
    # Every numbered rule is one more name the monitor must know as its own (chalicelib/watch/own.py).
    assert len(json.dumps(app.PATTERNS["writes"])) <= 3 * 2048
