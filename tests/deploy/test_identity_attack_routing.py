"""The identity attacks judged since issue 13's breadth class (MFA enrolment, the password policy,
code run on instances) are routed whole by the always-on ``iam`` family: in every stage, once each.

The envelopes themselves go through moto's EventBridge in test_identity_routing.py (dev, no
writes family) and test_patterns.py (prod), as entries of the shared ESCALATION table. State Manager
associations are the exception: prod's writes family delivers them (each name the iam family takes
lengthens the writes pattern's anything-but list, which is at its quota), so dev does not see them.
"""

from __future__ import annotations

import pytest

import app
from chalicelib.rules import (
    ec2_instance_connect_key_sent,
    ec2_user_data_modified,
    iam_mfa_device_enrolled,
    iam_password_policy_weakened,
    ssm_instance_access,
)
from chalicelib.writes_pattern import delivered_whole

from .round3_calls import CASES as ROUND3

# Names these rules read from another service than their own (red-team round 3: other services' shells,
# a Glue endpoint's key, a notebook's start script).
OTHER_SOURCES = {**{name: source for source, name in ssm_instance_access.SHELLS},
                 "UpdateDevEndpoint": ec2_instance_connect_key_sent.GLUE,
                 ec2_user_data_modified.NOTEBOOK: ec2_user_data_modified.SAGEMAKER,
                 ec2_user_data_modified.NOTEBOOK_CONFIG: ec2_user_data_modified.SAGEMAKER}
JUDGED = [(OTHER_SOURCES.get(name, module.SOURCE), name) for module, rule in (
    (iam_mfa_device_enrolled, iam_mfa_device_enrolled.IamMfaDeviceEnrolled),
    (iam_password_policy_weakened, iam_password_policy_weakened.IamPasswordPolicyWeakened),
    (ssm_instance_access, ssm_instance_access.SsmInstanceAccess),
    (ec2_instance_connect_key_sent, ec2_instance_connect_key_sent.Ec2InstanceConnectKeySent),
    (ec2_user_data_modified, ec2_user_data_modified.Ec2UserDataModified),
) for name in sorted(rule.event_names or ())]
# Already delivered whole by the iam family for iam-role-passed (a notebook's role).
PASSED = {(source, name) for source, names in app.PASSROLE_WRITES.items() for name in names} & set(JUDGED)
# Delivered by prod's writes family only (chalicelib/event_names.py says why): State Manager associations and
# red-team round 3's calls (tests/deploy/round3_calls.py, delivered in test_redteam_round3_routing.py).
WRITES_ONLY = {(ssm_instance_access.SOURCE, name) for name in sorted(ssm_instance_access.ASSOCIATIONS)} | (
    {(source, name) for source, name, _ in ROUND3} & set(JUDGED)) - PASSED
WHOLE = [call for call in JUDGED if call not in WRITES_ONLY]


@pytest.mark.parametrize(("source", "name"), WHOLE, ids=[n for _, n in WHOLE])
def test_every_call_these_rules_judge_is_delivered_whole_by_the_iam_family(source: str, name: str) -> None:
    assert name in delivered_whole(app.PATTERNS["iam"]).get(source, set())


@pytest.mark.parametrize(("source", "name"), WHOLE, ids=[n for _, n in WHOLE])
def test_the_writes_family_leaves_them_to_iam_so_prod_invokes_once(source: str, name: str) -> None:
    branches = app.PATTERNS["writes"]["detail"]["$or"]
    by_source = [b for b in branches if source in b.get("eventSource", [])]
    assert by_source and all(name in b["eventName"][0]["anything-but"] for b in by_source)
    assert all(source in b["eventSource"][0]["anything-but"] for b in branches if "eventName" not in b)


def test_the_routed_names_are_exactly_the_judged_ones() -> None:
    routed = {(source, name) for source, names in app.INSTANCE_ACCESS_WRITES.items() for name in names}
    routed |= {("iam.amazonaws.com", n) for n in ("EnableMFADevice", "ResyncMFADevice", "UpdateAccountPasswordPolicy",
                                                 "DeleteAccountPasswordPolicy") if n in app.IAM_WRITES}
    assert routed | PASSED == set(JUDGED) - WRITES_ONLY


@pytest.mark.parametrize(("source", "name"), sorted(WRITES_ONLY), ids=[n for _, n in sorted(WRITES_ONLY)])
def test_state_manager_associations_are_left_to_the_writes_family(source: str, name: str) -> None:
    assert name not in delivered_whole(app.PATTERNS["iam"]).get(source, set())
    branches = [b for b in app.PATTERNS["writes"]["detail"]["$or"] if source in b.get("eventSource", [])]
    assert branches and all(name not in b["eventName"][0]["anything-but"] for b in branches)
