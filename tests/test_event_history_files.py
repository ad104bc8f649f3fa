"""A saved `aws cloudtrail lookup-events` answer is read like a trail: each entry's record is judged.

Event history is what an account without a trail has, and responders save it with the CLI: an
``Events`` array of entries, each carrying the full record as a JSON string (``CloudTrailEvent``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.cli import main
from chalicelib.errors import InputError
from chalicelib.events import CloudTrailEvent
from chalicelib.jsonstream import LIMIT
from chalicelib.sources import read_source

ANSWER = Path(__file__).resolve().parent / "fixtures" / "event-history" / "lookup-events-root.json"


def entries() -> list[dict]:
    return json.loads(ANSWER.read_text())["Events"]


def read(path: Path) -> tuple[list[CloudTrailEvent], list[InputError]]:
    items = list(read_source(str(path)))
    return ([i for i in items if isinstance(i, CloudTrailEvent)], [i for i in items if isinstance(i, InputError)])


def test_saved_lookup_events_answer_yields_each_entrys_record() -> None:
    events, problems = read(ANSWER)
    assert [e.event_name for e in events] == ["GetParameter", "CreateAccessKey"]
    assert [e.event_id for e in events] == [entry["EventId"] for entry in entries()]
    assert problems == []


def test_one_entry_per_line_is_read_as_its_record(tmp_path: Path) -> None:
    path = tmp_path / "entries.jsonl"  # what `jq -c '.Events[]'` writes
    path.write_text("".join(json.dumps(entry) + "\n" for entry in entries()))
    events, problems = read(path)
    assert [e.event_name for e in events] == ["GetParameter", "CreateAccessKey"]
    assert problems == []


def test_entry_whose_record_is_not_json_is_located_and_the_others_are_judged(tmp_path: Path) -> None:
    first, second = entries()
    first["CloudTrailEvent"] = '{"eventName": "GetParameter",'
    path = tmp_path / "answer.json"
    path.write_text(json.dumps({"Events": [first, second]}))
    events, problems = read(path)
    assert [e.event_name for e in events] == ["CreateAccessKey"]
    (problem,) = problems
    assert problem.location == f"{path}:1.Events[0].CloudTrailEvent"  # line 1: the answer on one line
    assert "CloudTrailEvent is not JSON" in problem.message


def test_entry_without_its_record_string_says_so(tmp_path: Path) -> None:
    first, second = entries()
    del first["CloudTrailEvent"]
    path = tmp_path / "answer.json"
    path.write_text(json.dumps({"Events": [first, second]}))
    events, problems = read(path)
    assert [e.event_name for e in events] == ["CreateAccessKey"]
    assert [p.message for p in problems] == ["a saved entry without its CloudTrailEvent string (got none)"]


def test_entry_whose_record_is_not_a_string_names_its_kind_in_json_words(tmp_path: Path) -> None:
    first, second = entries()
    first["CloudTrailEvent"] = json.loads(first["CloudTrailEvent"])  # what jq's `fromjson` leaves
    second["CloudTrailEvent"] = [1]
    path = tmp_path / "answer.json"
    path.write_text(json.dumps({"Events": [first, second, None]}))
    _, problems = read(path)
    assert [p.message for p in problems] == [
        "a saved entry without its CloudTrailEvent string (got an object)",
        "a saved entry without its CloudTrailEvent string (got an array)",
        "expected a JSON object for a CloudTrail record, got null",
    ]


def test_answer_larger_than_the_parse_limit_is_read_entry_by_entry(tmp_path: Path) -> None:
    entry = entries()[1]
    count = LIMIT // len(json.dumps(entry)) + 50  # over LIMIT: streamed, never parsed whole
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"Events": [entry] * count, "NextToken": "abc"}, indent=4))
    assert path.stat().st_size > LIMIT
    events, problems = read(path)
    assert len(events) == count
    assert problems == []


def test_record_that_carries_an_eventid_key_is_still_a_record(tmp_path: Path) -> None:
    record = json.loads(entries()[1]["CloudTrailEvent"])
    record["EventId"] = "not-history"  # a record's own fields decide: it has an eventName
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record))
    events, problems = read(path)
    assert [e.event_name for e in events] == ["CreateAccessKey"]
    assert problems == []


def test_replay_of_a_saved_answer_finds_root_use(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["replay", str(ANSWER), "--format", "json"])
    findings = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0
    assert {f["rule"] for f in findings} >= {"root-api-use"}
    assert {f["event_id"] for f in findings} == {entry["EventId"] for entry in entries()}


LOG_GROUP = ANSWER.with_name("filter-log-events-root.json")  # `aws logs filter-log-events` on a trail's log group


def test_saved_cloudwatch_logs_answer_yields_each_messages_record() -> None:
    events, problems = read(LOG_GROUP)
    assert [e.event_name for e in events] == ["GetParameter", "CreateAccessKey"]
    assert problems == []


def test_cloudwatch_logs_message_that_is_not_a_record_is_located(tmp_path: Path) -> None:
    answer = json.loads(LOG_GROUP.read_text())
    answer["events"][0]["message"] = "START RequestId: 7c1f Version: $LATEST"  # another log group's line
    path = tmp_path / "logs.json"
    path.write_text(json.dumps(answer, indent=2))
    events, problems = read(path)
    assert [e.event_name for e in events] == ["CreateAccessKey"]
    (problem,) = problems
    assert problem.location == f"{path}.events[0].message"
    assert problem.message.startswith("message is not JSON")
