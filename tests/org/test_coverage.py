"""The coverage matrix names exactly the gaps that were made, and nothing else (moto organization)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.org import coverage
from chalicelib.org.assume import Assumer
from chalicelib.org.names import MEMBER_ROLE
from chalicelib.org.sandbox import OrgSandbox

from .conftest import CENTRAL

PROD, STAGING = "502938471625", "710294836152"
REGIONS = ("us-east-1", "eu-west-1")
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


@pytest.fixture
def org(aws: None, member_template: dict[str, Any]) -> OrgSandbox:
    box = OrgSandbox(member_template, CENTRAL)
    for account in (PROD, STAGING):
        box.add_member(account, REGIONS)
    return box


def matrix(box: OrgSandbox, **kw: Any) -> dict[tuple[str, str], tuple[str, ...]]:
    session = box.session(CENTRAL)
    want = coverage.central_expectation(session, box.bus, "us-east-1", box.rule_prefix, **kw)
    cells = coverage.run({PROD: "prod", STAGING: "staging"}, REGIONS, Assumer(session).session, want)
    return {(c.account, c.region): c.gaps for c in cells if c.gaps}


def test_a_fully_deployed_organization_has_no_gap(org: OrgSandbox) -> None:
    assert matrix(org) == {}


def test_a_deleted_forwarding_rule_is_named_in_exactly_its_account_and_region(org: OrgSandbox) -> None:
    events = org.session(STAGING).client("events", region_name="eu-west-1")
    events.remove_targets(Rule="trailwarden-forward-sts", Ids=["central-bus"])
    events.delete_rule(Name="trailwarden-forward-sts")
    assert matrix(org) == {(STAGING, "eu-west-1"): ("rule trailwarden-forward-sts missing",)}


def test_a_disabled_rule_is_a_gap_naming_the_state_it_needs(org: OrgSandbox) -> None:
    org.session(PROD).client("events", region_name="us-east-1").disable_rule(Name="trailwarden-forward-root")
    assert matrix(org) == {(PROD, "us-east-1"): (
        "rule trailwarden-forward-root is DISABLED (needs ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS)",)}


def test_a_stopped_trail_is_a_gap_in_every_region_it_covered(org: OrgSandbox) -> None:
    org.session(PROD).client("cloudtrail", region_name="us-east-1").stop_logging(Name="organization-trail")
    gap = ("trail organization-trail is not logging",)
    assert matrix(org) == {(PROD, "us-east-1"): gap, (PROD, "eu-west-1"): gap}


def test_a_trail_logging_only_writes_is_a_gap(org: OrgSandbox) -> None:
    org.session(STAGING).client("cloudtrail", region_name="us-east-1").put_event_selectors(
        TrailName="organization-trail",
        EventSelectors=[{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}])
    gap = ("trail organization-trail logs only read or only write management events",)
    assert matrix(org) == {(STAGING, "us-east-1"): gap, (STAGING, "eu-west-1"): gap}


def test_a_trail_excluding_management_events_is_a_gap(org: OrgSandbox) -> None:
    org.session(STAGING).client("cloudtrail", region_name="us-east-1").put_event_selectors(
        TrailName="organization-trail", EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": False}])
    assert set(matrix(org)) == {(STAGING, "us-east-1"), (STAGING, "eu-west-1")}


def _delete_role(iam: Any, name: str) -> None:
    for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
        iam.delete_role_policy(RoleName=name, PolicyName=policy)
    iam.delete_role(RoleName=name)


def test_a_missing_forwarding_role_is_a_gap_of_its_region(org: OrgSandbox) -> None:
    _delete_role(org.session(PROD).client("iam"), "trailwarden-forward-eu-west-1")
    gaps = matrix(org)
    assert list(gaps) == [(PROD, "eu-west-1")]
    assert all("forwarding role" in g and g.endswith("trailwarden-forward-eu-west-1 missing") for g in gaps[
        (PROD, "eu-west-1")])


def test_an_account_without_the_read_only_role_is_a_named_gap_not_a_crash(org: OrgSandbox) -> None:
    _delete_role(org.session(STAGING).client("iam"), MEMBER_ROLE)
    gaps = matrix(org)
    assert set(gaps) == {(STAGING, "us-east-1"), (STAGING, "eu-west-1")}
    assert gaps[(STAGING, "eu-west-1")] == (f"cannot assume {MEMBER_ROLE} (NoSuchEntity)",)


def test_an_old_heartbeat_is_a_gap_and_a_recent_one_is_not(org: OrgSandbox) -> None:
    beats = {f"{a}/{r}": NOW - timedelta(minutes=10) for a in (PROD, STAGING) for r in REGIONS}
    beats[f"{PROD}/eu-west-1"] = NOW - timedelta(hours=5)
    assert matrix(org, heartbeats=beats, now=NOW) == {
        (PROD, "eu-west-1"): ("no heartbeat since 2026-12-03T07:00:00Z",)}


def test_gap_findings_name_the_account_and_region() -> None:
    cell = coverage.Cell(PROD, "eu-west-1", ("rule trailwarden-forward-sts missing",), "prod")
    (finding,) = coverage.findings([cell, coverage.Cell(STAGING, "us-east-1")], {PROD: "prod"}, NOW)
    assert finding.rule == "coverage-gap" and finding.group_key == f"coverage:{PROD}/eu-west-1"
    assert finding.reason.startswith(f"prod ({PROD}) eu-west-1: rule trailwarden-forward-sts missing")


def test_matrix_prints_ok_and_gap_per_account_and_region() -> None:
    cells = [coverage.Cell(PROD, "us-east-1"), coverage.Cell(PROD, "eu-west-1", ("no trail covers the region",))]
    text = coverage.matrix(cells, {PROD: "prod"})
    assert text.splitlines()[1].split() == ["prod", f"({PROD})", "OK", "GAP"]
    assert f"GAP prod ({PROD}) eu-west-1: no trail covers the region" in text
