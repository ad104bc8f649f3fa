"""Issue 10, second red-team: more of what an attacker chooses, each a real-shaped record
(tests/fixtures/records/) that must still be judged on what AWS sets.

Delivery of the same variations with the packaged prod rules: tests/deploy/test_attacker_routing_round2.py.
"""

from __future__ import annotations

from chalicelib.findings import Severity

from .conftest import finding, record

PIPELINE = "monitor-pipeline-tampered"


# IAM finds a role by any ASCII case of its name: the handler's role in other case is still Trailwarden's.

def test_deleting_a_handler_roles_policy_named_in_other_case_is_critical_pipeline_tampering():
    f = finding(record("iam-delete-role-policy-handler-role-other-case.json"), PIPELINE)
    assert f is not None and f.severity is Severity.CRITICAL
    assert "TrailWarden-Prod-IAM" in f.reason


def test_a_role_name_that_only_folds_onto_a_handler_role_through_unicode_is_not_trailwardens():
    rec = record("iam-delete-role-policy-handler-role-other-case.json",
                 requestParameters={"roleName": "trailwarden-prod-\u0131am"})  # dotless i: not ASCII
    assert finding(rec, PIPELINE) is None
