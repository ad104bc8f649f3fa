"""iam-alternate-credential-created: SSH keys, service-specific credentials and signing certificates
are ways back in beside the key; graded by whose user it is."""

from __future__ import annotations

import pytest

from chalicelib.findings import Severity

from .conftest import Replace, finding, identity_of, model_from, record

RULE = "iam-alternate-credential-created"
CI = "github-actions-aws-deployer"


def test_the_ci_key_giving_itself_a_codecommit_credential_is_critical():
    f = finding(record("create-service-specific-credential.json"), RULE)
    assert f is not None and f.severity is Severity.CRITICAL
    assert f.breaks == "Terraform CI in GitHub Actions"
    assert f.details["credential_id"] == "ACCAZ7TW0CODECOMMIT1" and "codecommit.amazonaws.com" in f.reason


@pytest.mark.parametrize(("name", "params"), [
    ("UploadSSHPublicKey", {"userName": CI, "sSHPublicKeyBody": "ssh-rsa AAAAB3NzaC1yc2E"}),
    ("UploadSigningCertificate", {"userName": CI, "certificateBody": "-----BEGIN CERTIFICATE-----"}),
    ("ResetServiceSpecificCredential", {"userName": CI, "serviceSpecificCredentialId": "ACCAZ7TW0CODECOMMIT1"}),
])
def test_every_kind_of_alternate_credential_is_judged(name, params):
    rec = record("create-service-specific-credential.json", eventName=name, requestParameters=Replace(params),
                 responseElements=None)
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.CRITICAL


def test_an_undeclared_user_is_high():
    rec = record("create-service-specific-credential.json", requestParameters={"userName": "svc-backup"})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.HIGH


def test_an_iam_manager_issuing_one_for_an_undeclared_user_is_medium():
    rec = record("create-service-specific-credential.json", userIdentity=identity_of("delete-user.json"),
                 requestParameters={"userName": "svc-backup"})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.MEDIUM


def test_a_refused_attempt_is_at_most_medium():
    rec = record("create-service-specific-credential.json", errorCode="AccessDenied", responseElements=None)
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.MEDIUM and "attempt" in f.reason


def test_an_access_key_is_not_an_alternate_credential():
    assert finding(record("create-access-key.json"), RULE) is None


def test_the_same_name_from_another_service_is_not_judged():
    rec = record("create-service-specific-credential.json", eventSource="codecommit.amazonaws.com")
    assert finding(rec, RULE) is None


HUMAN_MODEL = """
version: 1
accounts: [{id: "630287363158", name: management}]
principals:
  - {id: jared, kind: human, auth: sso, sso_users: [jared@example.com], manages_iam: true}
  - {id: maria, kind: human, auth: console, iam_user: maria}
"""


def test_an_iam_manager_issuing_one_for_a_declared_human_is_medium():
    rec = record("create-service-specific-credential.json", userIdentity=identity_of("delete-user.json"),
                 requestParameters={"userName": "maria"})
    f = finding(rec, RULE, model_from(HUMAN_MODEL))
    assert f is not None and f.severity is Severity.MEDIUM and f.details["target_principal"] == "maria"


def test_a_declared_human_giving_itself_one_is_high():
    rec = record("create-service-specific-credential.json", requestParameters={"userName": "maria"}, userIdentity={
        "arn": "arn:aws:iam::630287363158:user/maria", "userName": "maria"})
    f = finding(rec, RULE, model_from(HUMAN_MODEL))
    assert f is not None and f.severity is Severity.HIGH
