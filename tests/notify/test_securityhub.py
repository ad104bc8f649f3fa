"""Security Hub as the third alert channel: ASFF findings imported on moto (one per incident),
batches of at most 100, partial failures retried and reported, triage mirrored to the workflow.

moto implements BatchImportFindings and GetFindings (moto/securityhub/models.py) but not
BatchUpdateFindings, so the workflow mirror is checked with botocore's Stubber against the
real request shape.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from chalicelib.engine import Engine
from chalicelib.errors import DeliveryError
from chalicelib.events import CloudTrailEvent, events_in
from chalicelib.identity import load_model
from chalicelib.incidents import open_store
from chalicelib.monitor import Monitor
from chalicelib.notify import Notifier, Routing
from chalicelib.notify.asff import Importer, asff_finding, asff_types
from chalicelib.notify.message import AlertContext
from chalicelib.notify.securityhub import SecurityHubPublisher

from .conftest import build_finding

STORY = Path(__file__).resolve().parents[2] / "examples" / "story"
REGION = "us-east-1"
MOTO_ACCOUNT = "123456789012"  # moto's caller identity: the importing (monitor) account
MEMBER = "630287363158"  # the account the story's events happened in
PRODUCT_ARN = f"arn:aws:securityhub:{REGION}:{MOTO_ACCOUNT}:product/{MOTO_ACCOUNT}/default"
EVERY_SEVERITY = "critical=securityhub;high=securityhub;medium=securityhub;low=securityhub;info=securityhub"
NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


@pytest.fixture
def hub() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("securityhub", region_name=REGION)
        client.enable_security_hub()
        yield client


def story_events() -> list[CloudTrailEvent]:
    out: list[CloudTrailEvent] = []
    for path in sorted(STORY.iterdir()):
        text = path.read_text(encoding="utf-8")
        docs = [json.loads(line) for line in text.splitlines() if line.strip()] if path.suffix == ".jsonl" \
            else [json.loads(text)]
        out += [e for doc in docs for e in events_in(doc, path.name) if isinstance(e, CloudTrailEvent)]
    return out


def findings_in(client: Any) -> list[dict[str, Any]]:
    return [f for page in client.get_paginator("get_findings").paginate() for f in page["Findings"]]


def monitor_on(hub: Any, tmp_path: Path) -> Monitor:
    publisher = SecurityHubPublisher(REGION, client=hub, clock=lambda: NOW, sleep=lambda _: None)
    notifier = Notifier(Routing.parse(EVERY_SEVERITY), None, None, securityhub=publisher)
    return Monitor(Engine(load_model()), open_store(f"sqlite:///{tmp_path / 'log.db'}"), notifier)


class FlakyHub:
    """Security Hub answering the first import of ``flaky`` with InternalException (a partial failure)."""

    def __init__(self, real: Any, flaky: set[str]) -> None:
        self.real, self.flaky, self.batches = real, set(flaky), []

    def batch_import_findings(self, Findings: list[dict[str, Any]]) -> dict[str, Any]:
        self.batches.append(len(Findings))
        failing = [f for f in Findings if f["Id"] in self.flaky]
        self.flaky -= {f["Id"] for f in failing}
        rest = [f for f in Findings if f not in failing]
        answer = self.real.batch_import_findings(Findings=rest) if rest else {"SuccessCount": 0, "FailedCount": 0,
                                                                              "FailedFindings": []}
        answer["FailedFindings"] += [{"Id": f["Id"], "ErrorCode": "InternalException", "ErrorMessage": "try again"}
                                     for f in failing]
        answer["FailedCount"] += len(failing)
        return answer


def test_story_leaves_one_finding_per_incident_in_security_hub(hub: Any, tmp_path: Path) -> None:
    monitor = monitor_on(hub, tmp_path)
    for event in story_events():
        monitor.process_event(event)
    incidents = {i.incident_id: i for i in monitor.store.iter_all()}
    found = {f["Id"]: f for f in findings_in(hub)}
    assert set(found) == set(incidents)
    for incident_id, finding in found.items():
        incident = incidents[incident_id]
        assert finding["SchemaVersion"] == "2018-10-08"
        assert finding["ProductArn"] == PRODUCT_ARN
        assert finding["GeneratorId"] == incident.rule
        assert finding["Types"][0].endswith(f"/{incident.rule}")
        assert finding["Severity"]["Label"] == incident.severity.name.replace("INFO", "INFORMATIONAL")


def test_the_importing_account_owns_the_finding_and_the_member_account_is_named(hub: Any, tmp_path: Path) -> None:
    monitor = monitor_on(hub, tmp_path)
    for event in story_events():
        monitor.process_event(event)
    finding = next(f for f in findings_in(hub) if f["GeneratorId"] == "iam-delete-user")
    assert finding["AwsAccountId"] == MOTO_ACCOUNT
    assert finding["ProductFields"]["trailwarden/account"] == MEMBER
    resources = {r["Details"]["Other"]["role"]: r for r in finding["Resources"]}
    assert resources["actor"]["Id"] == f"arn:aws:iam::{MEMBER}:root"
    assert resources["target"]["Type"] == "AwsIamUser" and MEMBER in resources["target"]["Id"]
    assert resources["account"]["Id"] == f"AWS::::Account:{MEMBER}"


def test_a_regrouped_incident_updates_its_finding_instead_of_adding_one(hub: Any) -> None:
    publisher = SecurityHubPublisher(REGION, client=hub, clock=lambda: NOW)
    publisher.publish_finding(build_finding(), AlertContext(count=1, incident_id="inc-1"))
    publisher.publish_finding(build_finding(), AlertContext(count=5, incident_id="inc-1"))
    [finding] = findings_in(hub)
    assert finding["ProductFields"]["trailwarden/count"] == "5"


def test_imports_go_in_batches_of_at_most_100(hub: Any) -> None:
    flaky = FlakyHub(hub, set())
    publisher = SecurityHubPublisher(REGION, client=flaky, account_id=MOTO_ACCOUNT)
    importer = Importer(MOTO_ACCOUNT, REGION)
    docs = [asff_finding(build_finding(event_id=f"e-{n}"), None, importer, NOW) for n in range(250)]
    report = publisher.import_findings(docs)
    assert flaky.batches == [100, 100, 50]
    assert report.imported == 250 and report.ok and len(findings_in(hub)) == 250


def test_a_partial_failure_is_retried_until_imported(hub: Any) -> None:
    importer = Importer(MOTO_ACCOUNT, REGION)
    docs = [asff_finding(build_finding(event_id=f"e-{n}"), None, importer, NOW) for n in range(3)]
    flaky = FlakyHub(hub, {docs[1]["Id"]})
    report = SecurityHubPublisher(REGION, client=flaky, account_id=MOTO_ACCOUNT, sleep=lambda _: None) \
        .import_findings(docs)
    assert (report.imported, report.retried, dict(report.failed), flaky.batches) == (3, 1, {}, [3, 1])
    assert len(findings_in(hub)) == 3


def test_an_invalid_finding_is_reported_and_not_retried(hub: Any) -> None:
    importer = Importer(MOTO_ACCOUNT, REGION)
    good, bad = (asff_finding(build_finding(event_id=f"e-{n}"), None, importer, NOW) for n in range(2))
    bad["Resources"] = []
    flaky = FlakyHub(hub, set())
    report = SecurityHubPublisher(REGION, client=flaky, account_id=MOTO_ACCOUNT).import_findings([good, bad])
    assert report.imported == 1 and list(report.failed) == [bad["Id"]] and flaky.batches == [2]
    assert report.failed[bad["Id"]].startswith("InvalidInput")


def test_a_rejected_alert_is_a_delivery_failure(hub: Any) -> None:
    flaky = FlakyHub(hub, {"root-api-use#e-9"})
    publisher = SecurityHubPublisher(REGION, client=flaky, account_id=MOTO_ACCOUNT, attempts=1)
    with pytest.raises(DeliveryError, match="InternalException"):
        publisher.publish_finding(build_finding(event_id="e-9"))


def test_securityhub_routed_but_not_configured_is_skipped() -> None:
    notifier = Notifier(Routing.parse("critical=securityhub"), None, None)
    report = notifier.notify(build_finding())
    assert report.skipped == ("securityhub",) and not report.attempted


def stubbed_publisher() -> tuple[SecurityHubPublisher, Stubber]:
    client = boto3.client("securityhub", region_name=REGION, aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    return SecurityHubPublisher(REGION, client=client, account_id=MOTO_ACCOUNT), Stubber(client)


@pytest.mark.parametrize(("action", "resolution", "status"), [
    ("ack", None, "NOTIFIED"), ("resolve", "remediated", "RESOLVED"), ("resolve", "false-positive", "SUPPRESSED"),
])
def test_triage_is_mirrored_to_the_findings_workflow_status(tmp_path: Path, action: str, resolution: str | None,
                                                            status: str) -> None:
    publisher, stub = stubbed_publisher()
    store = open_store(f"sqlite:///{tmp_path / 'log.db'}")
    incident = store.record(build_finding()).incident
    assert incident is not None
    store.observe_triage(publisher.mirror)
    stub.add_response("batch_update_findings", {"ProcessedFindings": [], "UnprocessedFindings": []}, {
        "FindingIdentifiers": [{"Id": incident.incident_id, "ProductArn": PRODUCT_ARN}],
        "Workflow": {"Status": status}, "Note": {"Text": ANY, "UpdatedBy": "jared"}})
    with stub:
        store.triage(incident.incident_id, action, "jared", resolution=resolution)
    stub.assert_no_pending_responses()


def test_a_failed_mirror_leaves_the_triage_recorded(tmp_path: Path) -> None:
    publisher, stub = stubbed_publisher()
    store = open_store(f"sqlite:///{tmp_path / 'log.db'}")
    incident = store.record(build_finding()).incident
    assert incident is not None
    store.observe_triage(publisher.mirror)
    stub.add_response("batch_update_findings", {"ProcessedFindings": [], "UnprocessedFindings": [
        {"FindingIdentifier": {"Id": incident.incident_id, "ProductArn": PRODUCT_ARN},
         "ErrorCode": "FindingNotFound", "ErrorMessage": "no such finding"}]})
    with stub:
        record = store.triage(incident.incident_id, "ack", "jared")
    assert record.status == "acknowledged"
    assert [r.action for r in store.triage_history(incident.incident_id)] == ["ack"]


def test_a_blind_monitor_is_defense_evasion_not_unusual_user_behaviour() -> None:
    assert asff_types("monitor-blind") == ["TTPs/Defense Evasion/monitor-blind"]
