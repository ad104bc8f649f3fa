"""sso-assignment-changed on a permission set's permissions boundary: removed, or set to a policy that bounds
nothing, the set's policies apply in full (IAM's own case is iam-permissions-boundary-removed)."""

from __future__ import annotations

from chalicelib.findings import Severity

from .conftest import Replace, finding, identity_of, record

RULE = "sso-assignment-changed"
BASE = "sso-attach-managed-policy.json"
SET = "arn:aws:sso:::permissionSet/ssoins-7223a4c6b1f8e5d2/ps-3f9b2c1d8e7a6b5c"  # the model's AdministratorAccess
INSTANCE = "arn:aws:sso:::instance/ssoins-7223a4c6b1f8e5d2"
AGENT = identity_of("role-session-call.json")


def _boundary(name: str, boundary: dict | None = None) -> dict:
    params = {"instanceArn": INSTANCE, "permissionSetArn": SET}
    if boundary is not None:
        params["permissionsBoundary"] = boundary
    return record(BASE, eventName=name, requestParameters=Replace(params), responseElements=None)


def test_an_agent_removing_a_sets_boundary_is_high():
    rec = _boundary("DeletePermissionsBoundaryFromPermissionSet")
    rec["userIdentity"] = AGENT.value
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.HIGH and "apply in full" in f.reason


def test_an_iam_manager_removing_a_sets_boundary_is_low():
    f = finding(_boundary("DeletePermissionsBoundaryFromPermissionSet"), RULE)
    assert f is not None and f.severity is Severity.LOW


def test_a_boundary_of_administrator_access_bounds_nothing_and_is_high():
    rec = _boundary("PutPermissionsBoundaryToPermissionSet",
                    {"managedPolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"})
    rec["userIdentity"] = AGENT.value
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.HIGH and "bounds nothing" in f.reason


def test_a_customer_boundary_is_routine():
    rec = _boundary("PutPermissionsBoundaryToPermissionSet",
                    {"customerManagedPolicyReference": {"name": "dev-boundary", "path": "/"}})
    rec["userIdentity"] = AGENT.value
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.MEDIUM and "/dev-boundary" in f.reason


def test_a_refused_removal_is_medium():
    rec = _boundary("DeletePermissionsBoundaryFromPermissionSet")
    rec["userIdentity"], rec["errorCode"] = AGENT.value, "AccessDeniedException"
    assert finding(rec, RULE).severity is Severity.MEDIUM


def test_a_hostile_boundary_does_not_crash():
    for bad in ("x", ["y"], {"managedPolicyArn": ["z"], "customerManagedPolicyReference": "w"}):
        assert finding(_boundary("PutPermissionsBoundaryToPermissionSet", bad), RULE) is not None
