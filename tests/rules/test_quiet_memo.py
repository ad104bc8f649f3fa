"""The quiet-event memo (chalicelib/quiet.py): what it skips and what it judges again.

Replay skips a line only when an event with the same inputs was judged quiet before: a change in
anything a rule or the resolver reads is judged again, a change in nothing they read is skipped,
and a skipped event still teaches the history what judging it would have. The memo's bounds and
its agreement with judging everything are ``test_quiet_memo_agreement.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import pytest

from chalicelib.engine import Engine
from chalicelib.findings import Severity
from chalicelib.history import IP, MemoryHistory
from chalicelib.quiet import QuietMemo
from chalicelib.rules import load_rules
from chalicelib.rules.base import Context, Rule, Verdict

from .conftest import _BUNDLED, DECLARED_ACCOUNT, UNDECLARED_ACCOUNT, Replace, identity_of, merge, record
from .memo_replay import ROUTINE, outcomes, twice, with_id, write_lines


def test_a_repeat_of_a_quiet_event_is_counted_without_being_judged(tmp_path: Path) -> None:
    assert twice(tmp_path, record(ROUTINE), record(ROUTINE)) == ["none", "quiet"]


def test_an_event_with_findings_is_judged_every_time(tmp_path: Path) -> None:
    stranger = {"userName": "not-in-the-model", "arn": f"arn:aws:iam::{DECLARED_ACCOUNT}:user/not-in-the-model"}
    write = record("iam-user-access-key-call.json", eventName="CreateBucket", readOnly=False, userIdentity=stranger)
    assert twice(tmp_path, write, write) == ["findings", "findings"]


def test_root_use_is_never_skipped(tmp_path: Path) -> None:
    root = record("root-cli-call.json")
    assert twice(tmp_path, root, root) == ["findings", "findings"]


@pytest.mark.parametrize("change", [
    {"userIdentity": {"arn": "arn:aws:sts::630287363158:assumed-role/other-role/session"}},
    {"userIdentity": {"accessKeyId": "ASIAOTHERKEY00000000"}},
    {"userIdentity": {"sessionContext": {"sessionIssuer": {"userName": "other-role"}}}},
    {"recipientAccountId": UNDECLARED_ACCOUNT},
    {"readOnly": True},
    {"eventType": "AwsServiceEvent"},
    {"eventName": "ConsoleLogin"},
], ids=["arn", "key", "issuer", "account", "read-only", "event-type", "console-login"])
def test_a_change_in_what_the_rules_read_is_judged_again(tmp_path: Path, change: dict[str, Any]) -> None:
    assert twice(tmp_path, record(ROUTINE), record(ROUTINE, **change))[1] != "quiet"


@pytest.mark.parametrize("change", [
    {"sourceIPAddress": "198.51.100.7"},
    {"userAgent": "aws-cli/2.15.0"},
    {"awsRegion": "eu-west-1"},
    {"requestParameters": {"instancesSet": {"items": [{"instanceId": "i-0123456789abcdef0"}]}}},
    {"errorCode": "AccessDenied", "errorMessage": "not authorized"},
    {"sessionCredentialFromConsole": "true"},
], ids=["source-ip", "user-agent", "region", "request-parameters", "error-code", "console-flag-of-a-role"])
def test_a_change_no_rule_reads_on_this_event_is_still_skipped(tmp_path: Path, change: dict[str, Any]) -> None:
    assert twice(tmp_path, record(ROUTINE), record(ROUTINE, **change)) == ["none", "quiet"]


def test_an_iam_user_console_session_is_judged_after_its_key_was_seen(tmp_path: Path) -> None:
    by_key = record("iam-user-access-key-call.json")
    assert twice(tmp_path, by_key, merge(by_key, {"sessionCredentialFromConsole": "true"}))[1] != "quiet"


def test_a_failed_assume_role_is_judged_after_a_successful_one(tmp_path: Path) -> None:
    ok = record("assume-role-success.json")
    refused = merge(ok, {"errorCode": "AccessDenied", "errorMessage": "not authorized", "responseElements": None})
    assert twice(tmp_path, ok, refused)[1] == "findings"


def test_a_secret_read_with_decryption_is_judged_after_one_without(tmp_path: Path) -> None:
    plain = record("get-parameter.json", requestParameters={"withDecryption": False})
    decrypted = record("get-parameter.json", requestParameters={"withDecryption": True})
    assert twice(tmp_path, plain, decrypted)[1] != "quiet"


def test_a_failed_console_sign_in_is_judged_after_a_successful_one(tmp_path: Path) -> None:
    ok = record("iam-user-console-signin.json")
    failed = merge(ok, {"responseElements": {"ConsoleLogin": "Failure"}, "errorMessage": "Failed authentication"})
    assert twice(tmp_path, ok, failed)[1] != "quiet"


@pytest.mark.parametrize("shape", ["records-file", "envelope", "no-recipient-account", "non-ascii"])
def test_lines_the_memo_cannot_key_are_judged_in_full(tmp_path: Path, shape: str) -> None:
    base = record(ROUTINE)
    doc: dict[str, Any] = {
        "records-file": {"Records": [base]},
        "envelope": {"detail-type": "AWS API Call via CloudTrail", "source": "aws.ec2", "detail": base},
        "no-recipient-account": merge(base, {"recipientAccountId": Replace(None)}),
        "non-ascii": merge(base, {"userAgent": "console.amazonaws.com – é"}),
    }[shape]
    path = tmp_path / "t.jsonl"
    path.write_bytes(b"".join(json.dumps(d, ensure_ascii=False).encode() + b"\n" for d in (doc, doc)))
    assert "quiet" not in outcomes(str(path), Engine(_BUNDLED))


class _ReadsTheSourceIp(Rule):
    """A wildcard rule that reads a field the memo does not key on, and says so by declaring nothing."""

    id = "test-reads-source-ip"
    severity = Severity.LOW
    title = runbook = reference = "test"
    event_names: ClassVar[frozenset[str] | None] = None

    def evaluate(self, ctx: Context) -> Verdict | None:
        return Verdict(reason="odd ip") if ctx.event.source_ip == "203.0.113.9" else None


class _ListsDescribeInstances(_ReadsTheSourceIp):
    id = "test-lists-describe-instances"
    event_names = frozenset({"DescribeInstances"})


def test_the_memo_is_off_when_a_wildcard_rule_declares_no_memo_fields() -> None:
    assert Engine(_BUNDLED, rules=[*load_rules(), _ReadsTheSourceIp()]).quiet is None


def test_every_bundled_wildcard_rule_declares_memo_fields() -> None:
    assert Engine(_BUNDLED).quiet is not None


def test_a_name_listed_by_a_rule_without_memo_fields_is_never_skipped(tmp_path: Path) -> None:
    engine = Engine(_BUNDLED, rules=[*load_rules(), _ListsDescribeInstances()])
    call = record(ROUTINE, eventName="DescribeInstances")
    path = write_lines(tmp_path / "t.jsonl", [with_id(call, 1), with_id(call, 2),
                                              with_id(merge(call, {"sourceIPAddress": "203.0.113.9"}), 3)])
    assert outcomes(path, engine) == ["none", "none", "findings"]


def test_a_path_the_memo_cannot_read_turns_it_off() -> None:
    class Whole(_ListsDescribeInstances):  # requestParameters whole, where other rules read parts of it
        memo_fields = (("requestParameters",),)

    assert QuietMemo.for_rules([*load_rules(), Whole()], MemoryHistory()) is None


def test_a_path_three_steps_deep_is_part_of_the_key(tmp_path: Path) -> None:
    other = _instance_decrypt(requestParameters={"encryptionContext": {
        "PARAMETER_ARN": f"arn:aws:ssm:us-east-1:{DECLARED_ACCOUNT}:parameter/not-declared"}})
    assert twice(tmp_path, other, other) == ["none", "quiet"]
    assert twice(tmp_path, other, _instance_decrypt()) == ["none", "findings"]


def test_an_identity_whose_type_is_not_written_first_keys_on_every_types_fields(tmp_path: Path) -> None:
    # The CI user's own write: quiet, and an IAMUser's resolution reads sessionCredentialFromConsole,
    # a resolver path outside userIdentity.
    call = record("iam-user-access-key-call.json")
    identity = call["userIdentity"]
    reordered = merge(call, {"userIdentity": Replace({**{k: v for k, v in identity.items() if k != "type"},
                                                      "type": identity["type"]})})
    with_key = merge(reordered, {"sessionCredentialFromConsole": "false"})
    assert twice(tmp_path, reordered, reordered)[1] == "quiet"
    assert twice(tmp_path, reordered, with_key)[1] != "quiet"


def _oidc_assumption(n: int) -> dict[str, Any]:
    return with_id(record("oidc-assume-role-with-web-identity.json",
                          responseElements={"credentials": {"accessKeyId": f"ASIAZ7TW0OIDCSESS{n:03d}"}}), n)


def test_a_repeated_assumption_is_skipped_and_still_teaches_who_holds_its_session(tmp_path: Path) -> None:
    engine = Engine(_BUNDLED)
    path = write_lines(tmp_path / "t.jsonl", [_oidc_assumption(1), _oidc_assumption(2)])
    assert outcomes(path, engine) == ["none", "quiet"]
    assumer = engine.history.assumer("ASIAZ7TW0OIDCSESS002")
    assert assumer is not None and assumer.principal_id == "infra-deploy"


def _ci_call(n: int, **overrides: Any) -> dict[str, Any]:
    return with_id(record("iam-user-access-key-call.json", **overrides), n)


def test_a_skipped_call_of_a_declared_iam_user_still_teaches_where_it_came_from(tmp_path: Path) -> None:
    engine = Engine(_BUNDLED)
    path = write_lines(tmp_path / "t.jsonl", [_ci_call(1), _ci_call(2, sourceIPAddress="198.51.100.23")])
    assert outcomes(path, engine) == ["none", "quiet"]
    assert engine.history.source_seen("github-actions", IP, "198.51.100.23")


def test_a_skipped_failed_call_teaches_no_source(tmp_path: Path) -> None:
    engine = Engine(_BUNDLED)
    failed = _ci_call(2, sourceIPAddress="198.51.100.23", errorCode="AccessDenied")
    assert outcomes(write_lines(tmp_path / "t.jsonl", [_ci_call(1), failed]), engine) == ["none", "quiet"]
    assert not engine.history.source_seen("github-actions", IP, "198.51.100.23")


def test_a_repeat_that_may_say_it_failed_in_its_response_is_judged_in_full(tmp_path: Path) -> None:
    engine = Engine(_BUNDLED)
    odd = _ci_call(2, sourceIPAddress="198.51.100.23", responseElements={"CreateSecurityGroup": "Failure"})
    assert outcomes(write_lines(tmp_path / "t.jsonl", [_ci_call(1), odd]), engine) == ["none", "none"]
    assert not engine.history.source_seen("github-actions", IP, "198.51.100.23")


def test_a_read_judged_while_its_session_was_unknown_is_judged_again_once_it_is_known(tmp_path: Path) -> None:
    # The agent's own read is quiet; then the CI user turns out to hold that session (its
    # AssumeRole of the agent role, later in the input), so the same read is the CI user's.
    read = record("get-parameter.json")
    session_key = read["userIdentity"]["accessKeyId"]
    by_ci = record("assume-role-success.json", requestParameters={
        "roleArn": f"arn:aws:iam::{DECLARED_ACCOUNT}:role/paperclip-agent"},
        responseElements={"credentials": {"accessKeyId": session_key}})
    path = write_lines(tmp_path / "t.jsonl", [with_id(read, 1), with_id(by_ci, 2), with_id(read, 3)])
    assert outcomes(path, Engine(_BUNDLED)) == ["none", "findings", "findings"]


def test_a_web_identity_with_another_role_is_judged_again(tmp_path: Path) -> None:
    oidc = record("oidc-assume-role-with-web-identity.json")
    other = merge(oidc, {"requestParameters": {"roleArn": f"arn:aws:iam::{DECLARED_ACCOUNT}:role/another-role"}})
    assert twice(tmp_path, oidc, other)[1] != "quiet"


# -- verdicts that read a field outside the key are volatile: their like is judged again ------------
def _undeclared_role(**overrides: Any) -> dict[str, Any]:
    return record("role-session-call.json", userIdentity={
        "arn": f"arn:aws:sts::{DECLARED_ACCOUNT}:assumed-role/reporting-lambda/etl",
        "sessionContext": {"sessionIssuer": {"arn": f"arn:aws:iam::{DECLARED_ACCOUNT}:role/reporting-lambda",
                                             "userName": "reporting-lambda"}}}, **overrides)


def test_a_quiet_read_by_an_undeclared_role_does_not_hide_its_next_read_of_a_sensitive_service(
        tmp_path: Path) -> None:
    ec2 = _undeclared_role(eventSource="ec2.amazonaws.com", eventName="DescribeVpcs", readOnly=True)
    secrets = _undeclared_role(eventSource="secretsmanager.amazonaws.com", eventName="DescribeVpcs", readOnly=True)
    assert twice(tmp_path, ec2, secrets) == ["none", "findings"]


def test_a_repeated_read_by_an_undeclared_role_of_the_same_service_is_skipped(tmp_path: Path) -> None:
    ec2 = _undeclared_role(eventSource="ec2.amazonaws.com", eventName="DescribeVpcs", readOnly=True)
    assert twice(tmp_path, ec2, ec2) == ["none", "quiet"]


def _instance_decrypt(**overrides: Any) -> dict[str, Any]:
    """A direct kms:Decrypt by the declared instance role (not a reader of the declared secret)."""
    return merge(record("kms-decrypt-parameter.json", userIdentity=identity_of("instance-profile-session-call.json"),
                        sourceIPAddress="10.0.12.40"), overrides)  # inside the app servers' declared network


def test_a_quiet_direct_decrypt_does_not_hide_the_sessions_decrypt_of_a_declared_parameter(tmp_path: Path) -> None:
    other = _instance_decrypt(requestParameters=Replace({"encryptionContext": {"app": "x"}}))
    assert twice(tmp_path, other, _instance_decrypt()) == ["none", "findings"]


def test_a_decrypt_that_ssm_made_for_a_caller_is_learnt_as_quiet(tmp_path: Path) -> None:
    by_ssm = _instance_decrypt(userIdentity={"invokedBy": "ssm.amazonaws.com"})
    assert twice(tmp_path, by_ssm, by_ssm) == ["none", "quiet"]
