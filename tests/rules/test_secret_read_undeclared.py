"""secret-read-undeclared: a declared secret decrypted by a non-reader, root included (DESIGN §5)."""

from __future__ import annotations

from chalicelib.findings import Severity

from .conftest import DECLARED_ACCOUNT, DROP, finding, identity_of, merge, record

RULE = "secret-read-undeclared"
SECRET = "/paperclip-app/api-key"
SECRET_ARN = f"arn:aws:ssm:us-east-1:{DECLARED_ACCOUNT}:parameter{SECRET}"
SSO = "sso-session-call.json"  # jared: declared, but not a reader of the secret


def read(fixture: str = "get-parameter.json", actor: str = SSO, **overrides):
    return merge(record(fixture, userIdentity=identity_of(actor)), overrides)


def test_non_reader_decrypting_a_declared_secret_is_high():
    f = finding(read(), RULE)
    assert f is not None
    assert f.severity is Severity.HIGH
    assert f.principal == "jared"
    assert f.target_arn == SECRET_ARN
    assert f.breaks == "Paperclip agents lose API access"
    assert "paperclip-agents" in f.reason  # who may read it


def test_root_decrypting_a_declared_secret_is_high():
    f = finding(read(actor="root-cli-call.json"), RULE)
    assert f is not None
    assert f.severity is Severity.HIGH
    assert f.principal_arn == f"arn:aws:iam::{DECLARED_ACCOUNT}:root"
    assert f.principal is None


def test_undeclared_role_decrypting_a_declared_secret_is_high():
    rec = read(actor="role-session-call.json", userIdentity={
        "arn": f"arn:aws:sts::{DECLARED_ACCOUNT}:assumed-role/reporting-lambda/reporting-lambda",
        "sessionContext": {"sessionIssuer": {"userName": "reporting-lambda",
                                             "arn": f"arn:aws:iam::{DECLARED_ACCOUNT}:role/reporting-lambda"}}})
    f = finding(rec, RULE)
    assert f is not None
    assert f.principal is None


def test_declared_reader_decrypting_the_secret_is_not_a_finding():
    assert finding(record("get-parameter.json"), RULE) is None


def test_read_without_decryption_is_not_a_finding():
    assert finding(read(requestParameters={"withDecryption": False}), RULE) is None


def test_read_with_decryption_unset_is_not_a_finding():
    assert finding(read(requestParameters={"withDecryption": DROP}), RULE) is None


def test_decryption_flag_given_as_a_string_counts():
    assert finding(read(requestParameters={"withDecryption": "true"}), RULE) is not None


def test_read_by_parameter_arn_is_matched():
    f = finding(read(requestParameters={"name": SECRET_ARN}), RULE)
    assert f is not None
    assert f.details["secrets"] == [SECRET]


def test_read_of_a_pinned_version_is_matched():
    f = finding(read(requestParameters={"name": f"{SECRET}:3"}), RULE)
    assert f is not None
    assert f.details["secrets"] == [SECRET]


def test_read_of_a_labelled_version_by_arn_is_matched():
    assert finding(read(requestParameters={"name": f"{SECRET_ARN}:current"}), RULE) is not None


def test_read_of_an_undeclared_parameter_is_not_a_finding():
    assert finding(read(requestParameters={"name": "/paperclip-app/queue-url"}), RULE) is None


def test_get_parameters_naming_the_secret_among_others_fires():
    f = finding(read("get-parameters.json"), RULE)
    assert f is not None
    assert f.details["secrets"] == [SECRET]


def test_get_parameters_by_a_declared_reader_is_not_a_finding():
    assert finding(record("get-parameters.json"), RULE) is None


def test_get_parameters_by_path_covering_the_secret_fires():
    f = finding(read("get-parameters-by-path.json"), RULE)
    assert f is not None
    assert f.details["secrets"] == [SECRET]


def test_recursive_get_parameters_by_path_from_the_root_covers_the_secret():
    f = finding(read("get-parameters-by-path.json", requestParameters={"path": "/", "recursive": True}), RULE)
    assert f is not None


def test_non_recursive_get_parameters_by_path_above_the_secret_does_not_cover_it():
    assert finding(read("get-parameters-by-path.json", requestParameters={"path": "/"}), RULE) is None


def test_get_parameters_by_path_elsewhere_is_not_a_finding():
    rec = read("get-parameters-by-path.json", requestParameters={"path": "/paperclip-app-staging", "recursive": True})
    assert finding(rec, RULE) is None


def test_refused_read_is_medium():
    f = finding(read(errorCode="AccessDeniedException"), RULE)
    assert f is not None
    assert f.severity is Severity.MEDIUM
    assert "refused" in f.reason


def test_aws_service_decrypting_is_not_a_finding():
    assert finding(read(actor="aws-service-caller.json"), RULE) is None


def test_repeated_reads_by_one_actor_share_one_group_key():
    first = finding(read(), RULE)
    second = finding(read(eventID="2f4e6a8c-0b1d-4e3f-a5c7-9e1b3d5f7a9c"), RULE)
    assert first is not None and second is not None
    assert first.group_key == second.group_key
