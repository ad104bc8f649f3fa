"""The quiet-event memo (chalicelib/quiet.py): replay skips a line only when an event with the
same inputs was judged quiet before, and the findings are exactly those of judging every event.

Lines are real-shaped fixture records written as JSON lines and read through the replay's own
reader (``batches_of`` with the engine's memo), so each test sees what ``replay`` does.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import orjson
import pytest

from chalicelib.engine import Engine
from chalicelib.events import CloudTrailEvent
from chalicelib.findings import Severity
from chalicelib.history import IP, MemoryHistory
from chalicelib.identity import IdentityModel
from chalicelib.parallel import judge_batches
from chalicelib.quiet import MEMO_SIZE, QuietMemo
from chalicelib.rules import load_rules
from chalicelib.rules.base import Context, Rule, Verdict
from chalicelib.sources import Batch, batches_of

from .conftest import _BUNDLED, DECLARED_ACCOUNT, UNDECLARED_ACCOUNT, Replace, identity_of, merge, record

PROJECT = Path(__file__).resolve().parents[2]
SAMPLES = PROJECT / ".." / "shared" / "cloudtrail-samples"
STORY = PROJECT / "examples" / "story"
ROUTINE = "role-session-call.json"  # a declared role's read: no finding


def write_lines(path: Path, records: list[dict[str, Any]]) -> str:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return str(path)


def outcomes(path: str, engine: Engine) -> list[str]:
    """Per line: 'quiet' (skipped by the memo), 'findings' or 'none' (judged in full).

    One line per batch, so each line is judged before the next is read (replay reads 32 ahead,
    so a repeat within one batch is judged in full: slower, never wrong).
    """
    out = []
    for batch in batches_of([path], size=1, quiet=engine.quiet):
        out += ["quiet"] * batch.quiet
        for item in batch.items:
            if isinstance(item, CloudTrailEvent):
                out.append("findings" if engine.judge(item) else "none")
            else:
                out.append(f"problem: {item}")
    return out


def with_id(doc: dict[str, Any], n: int) -> dict[str, Any]:
    """The same call again: a new event id, time and request id (what every repeat has)."""
    return merge(doc, {"eventID": f"00000000-0000-4000-8000-{n:012d}", "requestID": f"req-{n}",
                       "eventTime": f"2026-11-26T10:{n // 60 % 60:02d}:{n % 60:02d}Z"})


def twice(tmp_path: Path, first: dict[str, Any], second: dict[str, Any], model: IdentityModel | None = None
          ) -> list[str]:
    return outcomes(write_lines(tmp_path / "t.jsonl", [with_id(first, 1), with_id(second, 2)]),
                    Engine(model or _BUNDLED))


def findings_by_line(path: str, memo: bool, size: int | None = None) -> tuple[list[list[dict[str, Any]]], int, int]:
    """Through replay's judging loop: every event's findings (as dicts) in input order, the
    number of events, and how many of them the memo skipped."""
    engine = Engine(_BUNDLED)
    skipped = 0

    def counted(batches: Iterator[Batch]) -> Iterator[Batch]:
        nonlocal skipped
        for batch in batches:
            skipped += batch.quiet
            yield batch

    hits, events = [], 0
    for judged in judge_batches(engine, counted(batches_of([path], size, quiet=engine.quiet if memo else None))):
        events += judged.events
        hits += [[f.to_dict() for f in findings] for _, findings in judged.hits]
    return hits, events, skipped


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


def test_the_memo_holds_at_most_memo_size_keys(tmp_path: Path) -> None:
    calls = [with_id(record(ROUTINE, userIdentity={"accessKeyId": f"ASIA{n:016d}"}), n) for n in range(MEMO_SIZE + 5)]
    engine = Engine(_BUNDLED)
    outcomes(write_lines(tmp_path / "t.jsonl", calls), engine)
    assert MEMO_SIZE * 3 // 4 <= len(engine.quiet._seen) <= MEMO_SIZE  # type: ignore[union-attr]


def mutations(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The record, and variants that change one input a rule or the resolver reads (or not)."""
    out = [doc]
    for path, value in [(("userIdentity", "type"), "Root"), (("userIdentity", "type"), None),
                        (("userIdentity", "arn"), "arn:aws:iam::630287363158:user/someone-else"),
                        (("userIdentity", "userName"), "HIDDEN_DUE_TO_SECURITY_REASONS"),
                        (("userIdentity", "invokedBy"), "AWS Internal"), (("userIdentity", "accountId"), 42),
                        (("recipientAccountId",), UNDECLARED_ACCOUNT), (("recipientAccountId",), ""),
                        (("readOnly",), "true"), (("readOnly",), None), (("errorCode",), "AccessDenied"),
                        (("eventType",), "AwsServiceEvent"), (("eventName",), "ConsoleLogin"),
                        (("requestParameters",), "odd"), (("requestParameters",), None),
                        (("responseElements",), {"ConsoleLogin": "Failure"}), (("sourceIPAddress",), "192.0.2.1"),
                        (("sessionCredentialFromConsole",), True)]:
        variant = copy.deepcopy(doc)
        parent = variant.get(path[0]) if len(path) == 2 else variant
        if isinstance(parent, dict):
            parent[path[-1]] = value
            out.append(variant)
    return out


def corpus() -> list[dict[str, Any]]:
    docs = [json.loads(p.read_text()) for p in sorted((PROJECT / "tests" / "fixtures" / "records").glob("*.json"))]
    docs = [d.get("detail", d) for d in docs]
    return [m for d in docs if isinstance(d, dict) and "eventName" in d for m in mutations(d)]


def test_judging_with_the_memo_finds_exactly_what_judging_everything_finds(tmp_path: Path) -> None:
    docs = corpus()
    lines = [with_id(d, k * len(docs) + i) for k in range(3) for i, d in enumerate(docs)]  # the corpus three times
    path = write_lines(tmp_path / "fuzz.jsonl", lines)
    hits, events, skipped = findings_by_line(path, memo=True)
    assert (hits, events, 0) == findings_by_line(path, memo=False)
    assert events == len(lines) and skipped > len(lines) // 10 and len(hits) > len(lines) // 10  # both paths ran


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared samples not found")
def test_the_shared_samples_and_the_story_give_the_same_findings_with_the_memo(tmp_path: Path) -> None:
    docs = []
    for p in [*sorted(SAMPLES.rglob("*.json")), *sorted(STORY.glob("*.json*"))]:
        for line in p.read_bytes().splitlines() if p.suffix == ".jsonl" else [p.read_bytes()]:
            doc = orjson.loads(line) if line.strip() else None
            for rec in doc.get("Records", [doc]) if isinstance(doc, dict) else (doc or []):
                rec = rec.get("detail", rec) if isinstance(rec, dict) else rec
                if isinstance(rec, dict):
                    docs.append(rec)
    lines = [with_id(d, k * len(docs) + i) for k in range(2) for i, d in enumerate(docs)]
    path = write_lines(tmp_path / "samples.jsonl", lines)
    hits, events, skipped = findings_by_line(path, memo=True)
    assert (hits, events, 0) == findings_by_line(path, memo=False)
    assert skipped > 0 and hits


def same_with_and_without_memo(tmp_path: Path, lines: list[bytes]) -> tuple[int, int]:
    """Judge raw lines one batch each, with and without the memo; they must agree. (skipped, problems)."""
    path = tmp_path / "raw.jsonl"
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    with_memo = findings_by_line(str(path), memo=True, size=1)
    assert with_memo[:2] == findings_by_line(str(path), memo=False, size=1)[:2]
    engine = Engine(_BUNDLED)
    problems = sum(len(b.items) - sum(isinstance(i, CloudTrailEvent) for i in b.items)
                   for b in batches_of([str(path)], 1, quiet=engine.quiet))
    return with_memo[2], problems


def routine_line(**change: Any) -> bytes:
    return orjson.dumps(with_id(record(ROUTINE, **change), 1))


def test_a_line_nested_too_deep_for_the_memo_is_judged_not_a_crash(tmp_path: Path) -> None:
    deep = routine_line()[:-1] + b',"z":' + b"[" * 1010 + b"]" * 1010 + b"}"
    skipped, problems = same_with_and_without_memo(tmp_path, [routine_line(), deep, routine_line()])
    assert skipped == 1 and problems == 0  # the deep line parsed by orjson and judged in full


def test_a_repeated_user_identity_key_is_read_as_its_last_value_by_both_parsers(tmp_path: Path) -> None:
    stranger = orjson.dumps(record("iam-user-access-key-call.json", userIdentity={"userName": "nobody-declared",
                            "arn": f"arn:aws:iam::{DECLARED_ACCOUNT}:user/nobody-declared"})["userIdentity"])
    line = routine_line()
    doubled = line.replace(b'"userIdentity":', b'"userIdentity":' + stranger + b',"userIdentity":', 1)
    reversed_ = line[:-1] + b',"userIdentity":' + stranger + b"}"
    skipped, _ = same_with_and_without_memo(tmp_path, [line, doubled, reversed_, line])
    assert skipped >= 1


def test_a_repeated_request_parameter_is_read_as_its_last_value_by_both_parsers(tmp_path: Path) -> None:
    plain = orjson.dumps(with_id(record("get-parameter.json", requestParameters={"withDecryption": False}), 1))
    decrypted_last = plain.replace(b'"withDecryption":false', b'"withDecryption":false,"withDecryption":true')
    same_with_and_without_memo(tmp_path, [plain, decrypted_last, plain, decrypted_last])


def test_escaped_and_plain_spellings_are_read_alike_by_both_parsers(tmp_path: Path) -> None:
    line = routine_line()
    escaped = line.replace(b'"recipientAccountId":"', b'"recipientAccount\\u0049d":"', 1).replace(
        b'"readOnly":false', b'"read\\u004fnly":true', 1)
    same_with_and_without_memo(tmp_path, [line, escaped, line.replace(b"arn:aws", b"arn\\u003aaws"), line])


def test_the_memo_forgets_its_oldest_keys_past_its_byte_budget(tmp_path: Path) -> None:
    from chalicelib.quiet import MEMO_BYTES

    big = "x" * (1024 * 1024)
    reads = [with_id(record("get-parameter.json", requestParameters={"name": f"/{n}/{big}", "withDecryption": False}),
                     n) for n in range(20)]
    engine = Engine(_BUNDLED)
    outcomes(write_lines(tmp_path / "big.jsonl", reads), engine)
    assert 0 < engine.quiet._bytes <= MEMO_BYTES + len(big) + 4096  # type: ignore[union-attr]


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
