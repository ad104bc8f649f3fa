"""secret-read-undeclared on Secrets Manager reads and globbed secret names, judged like SSM reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from chalicelib.findings import Severity

from .conftest import Replace, finding, identity_of, model_from, record
from .memo_replay import twice

RULE = "secret-read-undeclared"
MODEL = model_from("""
    version: 1
    accounts: [{id: "630287363158", name: management}]
    principals:
      - {id: paperclip-agents, kind: agent, auth: role, roles: [paperclip-agent]}
      - {id: app-servers, kind: workload, auth: instance-profile, roles: [abt-app-instance-role]}
    secrets:
      - {name: "prod/db-*", store: secretsmanager, readers: [app-servers], breaks: "the app's database login"}
      - name: "arn:aws:secretsmanager:us-east-1:630287363158:secret:paperclip/api-key-AbCdEf"
        store: secretsmanager
        readers: [paperclip-agents]
      - {name: "/credentials/ci/*", readers: [app-servers]}
""")
ARN = "arn:aws:secretsmanager:us-east-1:630287363158:secret:"


def get_secret(secret_id: str, **overrides: object) -> dict:
    return record("get-secret-value.json", requestParameters=Replace({"secretId": secret_id}), **overrides)


def batch(params: dict) -> dict:
    return record("batch-get-secret-value.json", requestParameters=Replace(params))


@pytest.mark.parametrize("secret_id", [f"{ARN}prod/db-password-4Rzn83", "prod/db-password", f"{ARN}prod/db-password"])
def test_a_non_reader_reading_a_globbed_secret_by_name_or_arn_is_high(secret_id):
    f = finding(get_secret(secret_id), RULE, MODEL)
    assert f is not None and f.severity is Severity.HIGH
    assert f.breaks == "the app's database login"
    assert f.target_arn == f"{ARN}prod/db-*" and "read prod/db-*" in f.reason


def test_a_declared_reader_reading_its_secret_is_quiet():
    rec = get_secret(f"{ARN}prod/db-password-4Rzn83", userIdentity=identity_of("instance-profile-session-call.json"))
    assert finding(rec, RULE, MODEL) is None


@pytest.mark.parametrize("secret_id", ["paperclip/api-key", f"{ARN}paperclip/api-key",
                                       f"{ARN}paperclip/api-key-AbCdEf"])
def test_a_secret_declared_by_its_full_arn_matches_its_name_and_partial_arn(secret_id):
    assert finding(get_secret(secret_id), RULE, MODEL) is None  # paperclip-agents is its reader
    other = get_secret(secret_id, userIdentity=identity_of("instance-profile-session-call.json"))
    assert finding(other, RULE, MODEL) is not None


def test_an_undeclared_secret_is_not_this_rules_business():
    assert finding(get_secret("staging/db-password"), RULE, MODEL) is None


def test_a_refused_read_is_medium():
    f = finding(get_secret("prod/db-password", errorCode="AccessDeniedException", errorMessage="denied"), RULE, MODEL)
    assert f is not None and f.severity is Severity.MEDIUM


def test_a_batch_read_by_tag_filter_reads_every_declared_secret_it_can_match():
    f = finding(batch({"filters": [{"key": "tag-key", "values": ["team"]}]}), RULE, MODEL)
    assert f is not None and f.details["secrets"] == ["prod/db-*"]  # its own api key is allowed
    assert "filtered batch read" in f.reason


@pytest.mark.parametrize(("prefix", "fires"), [("prod/", True), ("PROD/DB", True), ("paperclip/", False),
                                               ("staging/", False), ("!paperclip", True)])
def test_a_batch_read_by_name_filter_reads_what_the_prefix_can_match(prefix, fires):
    rec = batch({"filters": [{"key": "name", "values": [prefix]}]})
    assert (finding(rec, RULE, MODEL) is not None) is fires


def test_a_batch_read_by_id_list_reads_exactly_those_secrets():
    assert finding(batch({"secretIdList": ["paperclip/api-key"]}), RULE, MODEL) is None
    f = finding(batch({"secretIdList": ["paperclip/api-key", f"{ARN}prod/db-admin-Xy12Zq"]}), RULE, MODEL)
    assert f is not None and f.details["secrets"] == ["prod/db-*"]


def test_a_batch_read_whose_parameters_were_not_recorded_may_have_read_anything():
    f = finding(record("batch-get-secret-value.json", requestParameters=None), RULE, MODEL)
    assert f is not None


def test_a_globbed_ssm_parameter_read_with_decryption_by_a_non_reader_is_high():
    rec = record("get-parameter.json", requestParameters={"name": "/credentials/ci/deploy-key", "withDecryption": True},
                 userIdentity=identity_of("role-session-call.json"))
    f = finding(rec, RULE, MODEL)
    assert f is not None and f.details["secrets"] == ["/credentials/ci/*"]


@pytest.mark.parametrize(("path", "recursive", "fires"), [("/credentials", True, True), ("/credentials", False, False),
                                                          ("/credentials/ci", False, True), ("/other", True, False)])
def test_a_path_read_covers_a_globbed_parameter_when_the_glob_can_be_under_it(path, recursive, fires):
    rec = record("get-parameters-by-path.json", requestParameters=Replace(
        {"path": path, "recursive": recursive, "withDecryption": True}),
        userIdentity=identity_of("role-session-call.json"))
    assert (finding(rec, RULE, MODEL) is not None) is fires


def test_a_secrets_manager_id_never_matches_an_ssm_parameter():
    assert finding(get_secret("/credentials/ci/deploy-key"), RULE, MODEL) is None


def _service_linked(role: str, service: str) -> Replace:
    """A session of a service-linked role: AWS assumes it, no caller can."""
    identity = identity_of("sso-provision-create-role.json").value
    issuer = f"arn:aws:iam::630287363158:role/aws-service-role/{service}/{role}"
    identity.update(arn=f"arn:aws:sts::630287363158:assumed-role/{role}/{service.split('.')[0]}",
                    invokedBy=service)
    identity["sessionContext"]["sessionIssuer"].update(arn=issuer, userName=role)
    return Replace(identity)


def test_a_service_linked_role_reading_a_declared_secret_is_quiet():
    rec = get_secret(f"{ARN}prod/db-password-4Rzn83", userIdentity=_service_linked("AWSServiceRoleForRDS",
                                                                                   "rds.amazonaws.com"))
    assert finding(rec, RULE, MODEL) is None


def test_a_customer_role_named_like_a_service_linked_one_is_still_judged():
    identity = _service_linked("AWSServiceRoleForRDS", "rds.amazonaws.com").value
    identity["sessionContext"]["sessionIssuer"]["arn"] = "arn:aws:iam::630287363158:role/AWSServiceRoleForRDS"
    f = finding(get_secret(f"{ARN}prod/db-password-4Rzn83", userIdentity=Replace(identity)), RULE, MODEL)
    assert f is not None and f.severity is Severity.HIGH


@pytest.mark.parametrize("key", ["secretIdList", "filters"])
def test_replay_never_skips_a_batch_read_because_an_unrelated_batch_was_quiet(tmp_path: Path, key: str):
    quiet_ids, loud_ids = (["staging/db-password"], ["prod/db-password"]) if key == "secretIdList" else (
        [{"key": "name", "values": ["staging/"]}], [{"key": "name", "values": ["prod/"]}])
    assert finding(batch({key: quiet_ids}), RULE, MODEL) is None  # paperclip-agents reads no staging secret
    assert twice(tmp_path, batch({key: quiet_ids}), batch({key: loud_ids}), MODEL) == ["none", "findings"]
