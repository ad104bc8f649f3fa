"""Reading inputs: every shape CloudTrail arrives in, and bad input located without losing good input."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from chalicelib.errors import InputError
from chalicelib.events import CloudTrailEvent, events_in
from chalicelib.sources import read_all, read_source

ROOT = Path(__file__).resolve().parents[1]
STORY = ROOT / "examples" / "story"
SIGNIN = STORY / "01-root-console-signin.eventbridge.json"


def events(items: list) -> list[CloudTrailEvent]:
    return [i for i in items if isinstance(i, CloudTrailEvent)]


def problems(items: list) -> list[InputError]:
    return [i for i in items if isinstance(i, InputError)]


def test_eventbridge_envelope_yields_its_detail_with_envelope_id() -> None:
    (event,) = read_source(str(SIGNIN))
    assert event.event_name == "ConsoleLogin"
    assert event.envelope_id == "5b0a6c9e-8f0e-4d8e-9b6c-000000000001"
    assert event.detail_type == "AWS Console Sign In via CloudTrail"


def test_records_file_yields_every_record() -> None:
    items = list(read_source(str(STORY / "02-root-cli-session.records.json")))
    assert [e.event_name for e in events(items)] == ["GetCallerIdentity", "DescribeInstances", "CreateBucket"]


def test_json_array_of_records_is_read(tmp_path: Path) -> None:
    record = json.loads((STORY / "03-root-reads-agent-secret.json").read_text())
    path = tmp_path / "array.json"
    path.write_text(json.dumps([record, record], indent=2))
    assert len(events(list(read_source(str(path))))) == 2


def test_global_region_falls_back_to_envelope_region() -> None:
    envelope = json.loads(SIGNIN.read_text())
    envelope["detail"]["awsRegion"] = "global"
    (event,) = events_in(envelope)
    assert event.region == "us-east-1"
    envelope["region"] = "eu-central-1"  # not a default that happens to match: the envelope's own value
    (event,) = events_in(envelope)
    assert event.region == "eu-central-1"


def test_account_falls_back_to_user_identity_then_envelope() -> None:
    envelope = json.loads(SIGNIN.read_text())
    del envelope["detail"]["recipientAccountId"]
    envelope["detail"]["userIdentity"]["accountId"] = "402918375610"  # differs from the envelope's account
    (event,) = events_in(envelope)
    assert event.account == "402918375610"
    del envelope["detail"]["userIdentity"]["accountId"]
    (event,) = events_in(envelope)
    assert event.account == "630287363158"


def test_missing_read_only_is_inferred_from_the_event_name() -> None:
    event = CloudTrailEvent.from_record({"eventName": "ListBuckets", "eventSource": "s3.amazonaws.com"})
    assert event.read_only is True


def test_odd_field_types_read_as_absent() -> None:
    event = CloudTrailEvent.from_record({"eventName": "DeleteUser", "userIdentity": "root",
                                         "requestParameters": [1], "eventID": {"x": 1}})
    assert event.user_identity == {} and event.request_parameters == {} and event.event_id is None


def test_envelope_with_non_object_detail_is_a_located_problem() -> None:
    (problem,) = events_in({"id": "abc", "source": "aws.iam", "detail-type": "x", "detail": "oops"}, "f.json")
    assert isinstance(problem, InputError)
    assert "envelope id abc" in str(problem) and "f.json.detail" in str(problem)


def test_empty_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "empty.json"
    path.write_text("\n\n")
    assert "empty input" in str(problems(list(read_source(str(path))))[0])


def test_corrupt_gzip_is_reported_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "bad.json.gz"
    path.write_bytes(gzip.compress(b'{"Records": []}')[:12])
    assert problems(list(read_source(str(path))))


def test_pretty_printed_json_lines_with_broken_first_line_keeps_good_lines(tmp_path: Path) -> None:
    record = json.dumps(json.loads((STORY / "03-root-reads-agent-secret.json").read_text()))
    path = tmp_path / "x.json"
    path.write_text("{broken\n" + record + "\n")
    items = list(read_source(str(path)))
    assert len(events(items)) == 1
    assert str(problems(items)[0]).startswith(f"{path}:1: invalid JSON")


def test_directory_is_read_recursively_and_ignores_other_files(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "e.json").write_text(SIGNIN.read_text())
    (tmp_path / "a" / "readme.md").write_text("# not events")
    items = list(read_all([str(tmp_path)]))
    assert len(events(items)) == 1 and not problems(items)


def test_directory_without_event_files_is_reported(tmp_path: Path) -> None:
    assert "no *.json" in str(problems(list(read_all([str(tmp_path)])))[0])


def test_deeply_nested_arrays_are_reported_and_the_next_line_still_judged(tmp_path: Path) -> None:
    record = json.dumps(json.loads((STORY / "03-root-reads-agent-secret.json").read_text()))
    path = tmp_path / "nested.jsonl"
    path.write_text("[" * 900 + "]" * 900 + "\n" + record + "\n")
    items = list(read_source(str(path)))
    assert len(events(items)) == 1
    assert "expected a JSON object" in str(problems(items)[0])


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + SIGNIN.read_bytes())
    assert len(events(list(read_source(str(path))))) == 1
