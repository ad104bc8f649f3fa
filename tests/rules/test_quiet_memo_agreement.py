"""The quiet-event memo (chalicelib/quiet.py) changes no finding and stays within its bounds.

Judging with the memo finds exactly what judging every event finds, on mutated fixtures, the
shared samples and lines two JSON parsers might read differently; the memo holds at most
MEMO_SIZE keys and MEMO_BYTES. What it skips is ``test_quiet_memo.py``.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from chalicelib.engine import Engine
from chalicelib.events import CloudTrailEvent
from chalicelib.quiet import MEMO_SIZE
from chalicelib.sources import batches_of

from .conftest import _BUNDLED, DECLARED_ACCOUNT, UNDECLARED_ACCOUNT, record
from .memo_replay import PROJECT, ROUTINE, findings_by_line, outcomes, with_id, write_lines

SAMPLES = PROJECT / ".." / "shared" / "cloudtrail-samples"
STORY = PROJECT / "examples" / "story"


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
    # Both paths ran (each rare call a rule judges in full, never skipped, lowers the memo's share a little).
    assert events == len(lines) and skipped > len(lines) // 12 and len(hits) > len(lines) // 10


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
