"""``python -m chalicelib replay`` end to end: files, directories, stdin, bad input, formats."""

from __future__ import annotations

import gzip
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.cli import main
from chalicelib.findings import FINDING_FIELDS

ROOT = Path(__file__).resolve().parents[2]
STORY = ROOT / "examples" / "story"


def replay(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict], str]:
    code = main(["replay", "--format", "json", *args])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines() if line.strip()], err


@pytest.fixture
def story_with_bad_file(tmp_path: Path) -> Path:
    folder = tmp_path / "events"
    shutil.copytree(STORY, folder)
    (folder / "nested").mkdir()
    (folder / "nested" / "broken.json").write_text('{"eventName": "DeleteUser", ')
    (folder / "notes.txt").write_text("not an event file, not read")
    return folder


def test_story_prints_the_seed_story_findings(capsys: pytest.CaptureFixture[str]) -> None:
    code, findings, _ = replay(capsys, str(STORY))
    assert code == 0
    rules = {f["rule"] for f in findings}
    assert {"root-signin", "root-api-use", "secret-read-undeclared", "iam-delete-user",
            "iam-create-access-key", "sts-assume-role-failed"} <= rules


def test_story_routine_activity_is_quiet(capsys: pytest.CaptureFixture[str]) -> None:
    _, findings, _ = replay(capsys, str(STORY / "07-routine-activity.jsonl"))
    assert findings == []


def test_json_findings_carry_every_design_field(capsys: pytest.CaptureFixture[str]) -> None:
    _, findings, _ = replay(capsys, str(STORY / "04-root-deletes-ci-user.eventbridge.json"))
    delete = next(f for f in findings if f["rule"] == "iam-delete-user")
    assert set(FINDING_FIELDS) <= set(delete)
    assert delete["principal_arn"] == "arn:aws:iam::630287363158:root"
    assert delete["breaks"] == "Terraform CI in GitHub Actions"
    assert delete["target_arn"] == "arn:aws:iam::630287363158:user/github-actions-aws-deployer"


def test_bad_file_in_directory_is_reported_and_the_rest_judged(
    capsys: pytest.CaptureFixture[str], story_with_bad_file: Path
) -> None:
    code, findings, err = replay(capsys, str(story_with_bad_file))
    assert code == 1
    assert "broken.json" in err and "invalid JSON" in err
    assert "Traceback" not in err
    assert "iam-delete-user" in {f["rule"] for f in findings}
    assert "; 1 bad input\n" in err  # singular: "1 bad input", "judged 1 event"


def test_bad_line_in_json_lines_names_the_line_and_keeps_the_others(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    lines = (STORY / "03-root-reads-agent-secret.json").read_text()
    record = json.dumps(json.loads(lines))
    path = tmp_path / "mixed.jsonl"
    path.write_text(f"{record}\n{{oops\n[1, 2]\n{record}\n")
    code, findings, err = replay(capsys, str(path))
    assert code == 1
    assert f"{path}:2: invalid JSON" in err
    assert f"{path}:3[0]: expected a JSON object" in err
    assert sum(f["rule"] == "secret-read-undeclared" for f in findings) == 2


def test_gzipped_records_file_is_read(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "630287363158_CloudTrail_us-east-1_20261102T0905Z_abc.json.gz"
    path.write_bytes(gzip.compress((STORY / "02-root-cli-session.records.json").read_bytes()))
    code, findings, _ = replay(capsys, str(path))
    assert code == 0
    assert [f["event_name"] for f in findings] == ["GetCallerIdentity", "DescribeInstances", "CreateBucket"]


def test_stdin_is_read_with_dash(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    data = (STORY / "05-root-creates-access-key.json").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(io.BytesIO(data))))
    code, findings, _ = replay(capsys, "-")
    assert code == 0
    assert "iam-create-access-key" in {f["rule"] for f in findings}


def test_min_severity_filters_lower_findings(capsys: pytest.CaptureFixture[str]) -> None:
    _, findings, _ = replay(capsys, "--min-severity", "critical", str(STORY))
    assert findings and {f["severity"] for f in findings} == {"critical"}


def test_unknown_min_severity_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["replay", "--min-severity", "urgent", str(STORY)])
    assert caught.value.code == 2


def test_invalid_model_exits_before_judging(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    model = tmp_path / "model.yaml"
    model.write_text("version: 1\nprincipals:\n  - id: x\n    kind: human\n    auth: ssoo\n    sso_users: [a]\n")
    code, findings, err = replay(capsys, "--model", str(model), str(STORY))
    assert code == 2
    assert findings == []
    assert f"{model}:5: principals[0].auth: unknown value 'ssoo'" in err


def test_missing_path_is_reported_as_bad_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = replay(capsys, str(tmp_path / "nope.json"))
    assert code == 1
    assert "no such file or directory" in err


def test_non_cloudtrail_json_is_reported_with_its_location(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text(json.dumps({"Records": [{"hello": "world"}]}))
    code, _, err = replay(capsys, str(path))
    assert code == 1
    assert f"{path}:1.Records[0]: not a CloudTrail record" in err


def test_table_output_shows_severity_rule_arn_and_breaks(capsys: pytest.CaptureFixture[str]) -> None:
    main(["replay", str(STORY / "04-root-deletes-ci-user.eventbridge.json")])
    out = capsys.readouterr().out
    assert "SEVERITY" in out and "HIGH" in out and "iam-delete-user" in out
    assert "Terraform CI in GitHub Actions" in out


def test_module_entry_point_runs_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    proc = subprocess.run([sys.executable, "-m", "chalicelib", "replay", str(bad)], capture_output=True,
                          text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "bad.json: invalid JSON" in proc.stderr


def test_store_keeps_two_different_records_that_lack_an_event_id(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    envelope = json.loads((STORY / "01-root-console-signin.eventbridge.json").read_text())
    first = {k: v for k, v in envelope["detail"].items() if k != "eventID"}
    second = dict(first, eventTime="2026-11-05T08:00:00Z", sourceIPAddress="198.51.100.9")
    path = tmp_path / "no-ids.jsonl"
    path.write_text(json.dumps(first) + "\n" + json.dumps(second) + "\n")
    main(["replay", "--format", "json", "--store", f"sqlite:///{tmp_path / 'log.db'}", str(path)])
    assert "2 new incidents" in capsys.readouterr().err


# -- evasion stories (tests/fixtures/stories): replay, with the quiet memo on, catches them -----
STORIES = ROOT / "tests" / "fixtures" / "stories"


def test_replay_of_a_stolen_key_rotating_itself_reports_both_halves_high(capsys: pytest.CaptureFixture[str]) -> None:
    _, findings, _ = replay(capsys, str(STORIES / "stolen-ci-key-rotation.jsonl"))
    severities = {f["rule"]: f["severity"] for f in findings}
    assert severities["iam-create-access-key"] == "high"
    assert severities["credential-revoked"] == "high"


def test_replay_of_a_self_rotation_from_the_usual_source_reports_it_low(capsys: pytest.CaptureFixture[str]) -> None:
    _, findings, _ = replay(capsys, str(STORIES / "ci-self-rotation.jsonl"))
    assert {f["rule"]: f["severity"] for f in findings}["iam-create-access-key"] == "low"


def test_replay_attributes_an_assumed_session_to_its_assumer(capsys: pytest.CaptureFixture[str]) -> None:
    _, findings, _ = replay(capsys, str(STORIES / "ci-assumes-agent-role-and-reads-its-secret.jsonl"))
    rules = {f["rule"] for f in findings}
    assert {"sts-assume-role-unexpected", "secret-read-undeclared"} <= rules


def _split_story(folder: Path, *names: str) -> Path:
    """The stories' records one per file, in order (part-000, part-001, ...), so each file may land
    on another worker while what an earlier file taught still decides a later one's verdict."""
    folder.mkdir()
    lines = [line for name in names for line in (STORIES / name).read_text(encoding="utf-8").splitlines()]
    for n, line in enumerate(lines):
        (folder / f"part-{n:03d}.jsonl").write_text(line + "\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize("story", [("stolen-ci-key-rotation.jsonl",), ("ci-self-rotation.jsonl",),
                                   ("ci-assumes-agent-role-and-reads-its-secret.jsonl",)])
def test_workers_judge_what_history_decides_exactly_as_one_process(tmp_path: Path, story: tuple[str, ...]) -> None:
    folder = _split_story(tmp_path / "parts", *story)
    runs = [subprocess.run([sys.executable, "-m", "chalicelib", "replay", str(folder), "--format", "json",
                            "--workers", n], capture_output=True, text=True, cwd=ROOT, check=False)
            for n in ("1", "2")]
    assert runs[0].returncode == runs[1].returncode == 0
    assert runs[0].stdout and runs[0].stdout == runs[1].stdout
