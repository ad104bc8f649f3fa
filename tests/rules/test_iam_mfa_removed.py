"""iam-mfa-removed: root's MFA critical, a declared human's high, anyone else's medium."""

from __future__ import annotations

from chalicelib.findings import Severity

from .conftest import finding, identity_of, model_from, record

RULE = "iam-mfa-removed"
HUMAN_MODEL = model_from("""
    version: 1
    accounts: [{id: "630287363158", name: management}]
    principals:
      - {id: maria, kind: human, auth: console, iam_user: maria}
      - {id: github-actions, kind: ci, auth: access-key, iam_user: github-actions-aws-deployer}
""")


def test_removing_an_iam_users_mfa_is_medium():
    f = finding(record("deactivate-mfa-device.json"), RULE)
    assert f is not None and f.severity is Severity.MEDIUM
    assert "maria" in f.reason


def test_removing_a_declared_humans_mfa_is_high():
    f = finding(record("deactivate-mfa-device.json"), RULE, HUMAN_MODEL)
    assert f is not None and f.severity is Severity.HIGH
    assert f.details["target_principal"] == "maria"


def test_deleting_a_declared_humans_virtual_device_is_high():
    f = finding(record("delete-virtual-mfa-device.json"), RULE, HUMAN_MODEL)
    assert f is not None and f.severity is Severity.HIGH


def test_root_removing_its_own_mfa_is_critical():
    rec = record("deactivate-mfa-device.json", userIdentity=identity_of("root-cli-call.json"),
                 requestParameters={"userName": None,
                                    "serialNumber": "arn:aws:iam::630287363158:mfa/root-account-mfa-device"})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.CRITICAL
    assert f.details["root"] is True


def test_other_iam_calls_are_not_mfa_removals():
    assert finding(record("create-user.json"), RULE) is None
