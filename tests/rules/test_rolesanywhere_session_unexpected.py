"""rolesanywhere-session-unexpected: a certificate entering a role through IAM Roles Anywhere is judged
against the workload the model declares (auth roles-anywhere, trust_anchors, x509_subjects)."""

from __future__ import annotations

import pytest

from chalicelib.errors import ModelError
from chalicelib.findings import Severity

from .conftest import Replace, finding, model_from, record

RULE = "rolesanywhere-session-unexpected"
SESSION = "rolesanywhere-create-session.json"
ANCHOR = "3f1e2d4c-5b6a-4798-8a9b-0c1d2e3f4a5b"
MODEL = f"""
version: 1
accounts:
  - {{id: "630287363158", name: prod}}
principals:
  - id: onprem-build
    kind: ci
    auth: roles-anywhere
    roles: [onprem-build-role]
    trust_anchors: ["{ANCHOR}"]
    x509_subjects: ["CN=build-*.onprem.example.com"]
  - id: app-servers
    kind: workload
    auth: instance-profile
    roles: [app-instance-role]
"""


def _model(text: str = MODEL):  # type: ignore[no-untyped-def]
    return model_from(text)


def test_the_declared_workload_entering_its_role_with_its_anchor_and_subject_is_quiet():
    assert finding(record(SESSION), RULE, _model()) is None


def test_an_anchor_declared_by_its_arn_is_the_same_anchor():
    arn = f"arn:aws:rolesanywhere:us-east-1:630287363158:trust-anchor/{ANCHOR}"
    assert finding(record(SESSION), RULE, _model(MODEL.replace(f'"{ANCHOR}"', f'"{arn}"'))) is None


def test_an_undeclared_role_entered_with_a_certificate_is_high():
    rec = record(SESSION, requestParameters={"roleArn": "arn:aws:iam::630287363158:role/admin"})
    f = finding(rec, RULE, _model())
    assert f is not None and f.severity is Severity.HIGH
    assert "no principal with role 'admin'" in f.reason


def test_a_role_declared_for_another_auth_entered_with_a_certificate_is_high():
    rec = record(SESSION, requestParameters={"roleArn": "arn:aws:iam::630287363158:role/app-instance-role"})
    f = finding(rec, RULE, _model())
    assert f is not None and f.severity is Severity.HIGH
    assert "instance-profile" in f.reason


def test_a_certificate_from_another_trust_anchor_is_high():
    other = "arn:aws:rolesanywhere:us-east-1:630287363158:trust-anchor/0a0a0a0a-1b1b-4c2c-8d3d-4e4e4e4e4e4e"
    f = finding(record(SESSION, requestParameters={"trustAnchorArn": other}), RULE, _model())
    assert f is not None and f.severity is Severity.HIGH
    assert "0a0a0a0a-1b1b-4c2c-8d3d-4e4e4e4e4e4e is not one" in f.reason


def test_a_certificate_subject_no_glob_covers_is_high():
    rec = record(SESSION, responseElements={"credentialSet": Replace([{"sourceIdentity": "CN=laptop-mallory"}])})
    f = finding(rec, RULE, _model())
    assert f is not None and f.severity is Severity.HIGH
    assert f.details["certificate_subject"] == "CN=laptop-mallory"


def test_a_refused_session_for_an_undeclared_role_is_low():
    rec = record(SESSION, errorCode="AccessDeniedException", responseElements=None,
                 requestParameters={"roleArn": "arn:aws:iam::630287363158:role/admin"})
    f = finding(rec, RULE, _model())
    assert f is not None and f.severity is Severity.LOW


def test_s3_express_create_session_is_not_judged():
    rec = record(SESSION, eventSource="s3express.amazonaws.com",
                 requestParameters={"roleArn": "arn:aws:iam::630287363158:role/admin"})
    assert finding(rec, RULE, _model()) is None


def test_a_record_missing_its_parameters_is_judged_without_a_crash():
    f = finding(record(SESSION, requestParameters=None, responseElements=None), RULE, _model())
    assert f is not None and "role '?'" in f.reason


def test_auth_roles_anywhere_needs_trust_anchors_and_subjects():
    with pytest.raises(ModelError, match="trust_anchors"):
        _model(MODEL.replace(f'    trust_anchors: ["{ANCHOR}"]\n', ""))


def test_a_trust_anchor_that_is_not_an_id_or_arn_is_refused():
    with pytest.raises(ModelError, match="trust_anchors"):
        _model(MODEL.replace(f'"{ANCHOR}"', '"ops-ca"'))


def test_the_replay_memo_keys_the_source_and_never_remembers_an_issued_session(tmp_path):
    from .memo_replay import twice

    s3 = record(SESSION, eventSource="s3express.amazonaws.com", responseElements=None)
    assert twice(tmp_path, s3, s3) == ["none", "quiet"]
    assert twice(tmp_path, s3, record(SESSION, responseElements=None)) == ["none", "findings"]
    issued = record(SESSION, eventSource="s3express.amazonaws.com")  # credentialSet is a list: no key
    assert twice(tmp_path, issued, issued) == ["none", "none"]

