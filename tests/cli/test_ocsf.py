"""``--format ocsf``: replay and ``incidents list`` write OCSF Detection Findings (class 2004)
that validate against py-ocsf-models, the maintained model of the schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from py_ocsf_models.events.findings.detection_finding import DetectionFinding

from chalicelib.cli import main
from chalicelib.findings import Finding, Severity
from chalicelib.ocsf import ocsf_dict

STORY = Path(__file__).resolve().parents[2] / "examples" / "story"
RECORDS = Path(__file__).resolve().parents[1] / "fixtures" / "records"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[dict]]:
    code = main(list(argv))
    out, _ = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines() if line.strip()]


def finding(severity: Severity, **extra: object) -> Finding:
    values: dict = dict(rule="iam-delete-user", severity=severity, title="IAM user deleted",
                        principal_arn="arn:aws:iam::630287363158:root", principal="root",
                        target_arn="arn:aws:iam::630287363158:user/ci", event_id="e-1", event_name="DeleteUser",
                        event_source="iam.amazonaws.com", event_time="2026-11-02T10:00:00Z",
                        account="630287363158", region="us-east-1", source_ip="203.0.113.77",
                        user_agent="aws-cli/2", breaks=None, runbook="aws iam get-user --user-name ci",
                        reason="root deleted ci")
    values.update(extra)
    return Finding(**values)


def test_replay_ocsf_lines_validate_as_detection_findings(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = run(capsys, "replay", "--format", "ocsf", str(STORY))
    assert code == 0
    assert len(lines) >= 6
    for line in lines:
        model = DetectionFinding.model_validate(line)
        assert model.class_uid == 2004 and int(model.type_uid) == 200401
        assert model.finding_info.analytic is not None and model.finding_info.analytic.uid in model.finding_info.types


@pytest.mark.parametrize(("severity", "expected"), [
    (Severity.CRITICAL, 5), (Severity.HIGH, 4), (Severity.MEDIUM, 3), (Severity.LOW, 2), (Severity.INFO, 1),
])
def test_severities_map_to_ocsf_severity_ids(severity: Severity, expected: int) -> None:
    assert ocsf_dict(finding(severity))["severity_id"] == expected


def test_principal_and_target_are_the_affected_resources() -> None:
    resources = ocsf_dict(finding(Severity.HIGH))["resources"]
    assert [(r["uid"], r["labels"]) for r in resources] == [
        ("arn:aws:iam::630287363158:root", ["actor"]), ("arn:aws:iam::630287363158:user/ci", ["target"])]


def test_event_time_becomes_epoch_milliseconds() -> None:
    assert ocsf_dict(finding(Severity.LOW))["time"] == 1793613600000


def test_a_record_without_a_readable_time_still_validates() -> None:
    data = ocsf_dict(finding(Severity.LOW, event_time="not a time", account=None, target_arn=None))
    assert DetectionFinding.model_validate(data).time > 0
    assert "account" not in data["cloud"]


def test_missing_required_field_fails_validation() -> None:
    data = ocsf_dict(finding(Severity.HIGH))
    del data["finding_info"]
    with pytest.raises(ValueError, match="finding_info"):
        DetectionFinding.model_validate(data)


def test_incidents_list_ocsf_carries_triage_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'i.db'}"
    assert main(["replay", "--format", "json", "--store", url, str(STORY)]) == 0
    capsys.readouterr()
    _, before = run(capsys, "incidents", "--store", url, "list", "--format", "ocsf")
    assert {line["status_id"] for line in before} == {1}
    target = before[0]["finding_info"]["uid"]
    assert main(["incidents", "--store", url, "resolve", target, "--as", "jared", "--resolution",
                 "false-positive"]) == 0
    capsys.readouterr()
    _, after = run(capsys, "incidents", "--store", url, "list", "--format", "ocsf")
    resolved = next(line for line in after if line["finding_info"]["uid"] == target)
    assert DetectionFinding.model_validate(resolved).class_uid == 2004
    assert (resolved["status_id"], resolved["activity_id"], resolved["status"]) == (3, 3, "Suppressed")
    assert resolved["count"] >= 1 and resolved["start_time"] <= resolved["end_time"]
