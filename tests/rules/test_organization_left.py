"""organization-left: the account leaves the organization trail, the member StackSet and the SCPs at once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.findings import Severity

from .conftest import Replace, finding, model_from, record

RULE = "organization-left"
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "cloudtrail-samples" / "5-failed-auth" / \
    "stratus-leaveorganization-accessdenied-assumedrole.json"


def test_leaving_the_organization_is_critical_and_names_the_arn():
    f = finding(record("organizations-leave-organization.json"), RULE)
    assert f is not None and f.severity is Severity.CRITICAL
    assert "arn:aws:sts::630287363158:assumed-role/ops-automation/nightly-cleanup" in f.reason
    assert "organization trail" in f.breaks and "630287363158" in f.breaks


def test_removing_a_member_account_names_that_account():
    rec = record("organizations-leave-organization.json", eventName="RemoveAccountFromOrganization",
                 requestParameters=Replace({"accountId": "402918375610"}))
    f = finding(rec, RULE)
    assert f is not None and "402918375610" in f.breaks


def test_deleting_the_organization_is_critical():
    f = finding(record("organizations-leave-organization.json", eventName="DeleteOrganization"), RULE)
    assert f is not None and f.severity is Severity.CRITICAL


def test_being_allowed_to_manage_monitoring_does_not_lower_it():
    model = model_from("""
        version: 1
        accounts: [{id: "630287363158", name: management}]
        principals:
          - {id: ops, kind: workload, auth: role, roles: [ops-automation], manages_monitoring: true}
    """)
    f = finding(record("organizations-leave-organization.json"), RULE, model=model)
    assert f is not None and f.severity is Severity.CRITICAL


def test_inviting_an_account_is_not_leaving():
    rec = record("organizations-leave-organization.json", eventName="InviteAccountToOrganization")
    assert finding(rec, RULE) is None


@pytest.mark.skipif(not SHARED.exists(), reason=f"shared sample not found at {SHARED}")
def test_a_refused_leave_from_the_shared_stratus_sample_is_high():
    f = finding(json.loads(SHARED.read_text()), RULE)
    assert f is not None and f.severity is Severity.HIGH and "attempt" in f.reason
