"""``backfill start`` on moto Step Functions, and ``backfill status`` from a run's real response shapes.

moto records executions but cannot run a Distributed Map (its map runs are always empty), so
``start`` is checked by the executions and inputs it creates, and ``status`` reads Step
Functions answers given by botocore's Stubber (real ListExecutions/DescribeExecution/
ListMapRuns/DescribeMapRun shapes) beside moto S3 holding what the workers and the map's
ResultWriter write.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib.backfill import definition as backfill
from chalicelib.backfill.control import MAX_EXECUTIONS, plan_prefixes, status
from chalicelib.backfill.worker import write_result
from chalicelib.cli import main
from chalicelib.trailbucket.layout import TrailFilter
from tests.trailbucket.bucket import BUCKET, ORG, TEAM, Layout

MACHINE = "trailwarden-prod-backfill"


@pytest.fixture
def machine(aws: None) -> str:
    iam = boto3.client("iam")
    role = iam.create_role(RoleName=MACHINE, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    definition = json.dumps(backfill.definition()).replace("${ResultsBucket}", "results").replace(
        "${WorkerArn}", "arn:aws:lambda:us-east-1:123456789012:function:trailwarden-prod-backfill_worker")
    return boto3.client("stepfunctions").create_state_machine(name=MACHINE, definition=definition,
                                                              roleArn=role)["stateMachineArn"]


def executions(arn: str) -> list[dict[str, Any]]:
    sfn = boto3.client("stepfunctions")
    found = sfn.list_executions(stateMachineArn=arn)["executions"]
    return sorted((json.loads(sfn.describe_execution(executionArn=e["executionArn"])["input"]) for e in found),
                  key=lambda i: i["prefix"])


def test_start_creates_one_execution_per_month_of_each_region_folder_with_the_filter(
        layout: Layout, machine: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["backfill", "start", "--bucket", BUCKET, "--since", "2026-11-01", "--until", "2026-12-31"])
    inputs = executions(machine)
    assert code == 0
    assert [i["prefix"] for i in inputs][:2] == [f"{ORG}111111111111/CloudTrail/eu-west-1/2026/11/",
                                                 f"{ORG}111111111111/CloudTrail/eu-west-1/2026/12/"]
    assert len(inputs) == 5 * 2  # five region folders in the bucket, two months
    assert inputs[0] == {"bucket": BUCKET, "prefix": inputs[0]["prefix"], "alert": False,
                         "filter": {"since": "2026-11-01", "until": "2026-12-31", "accounts": None, "regions": None},
                         "concurrency": backfill.CONCURRENCY // 10}
    assert "run bf-" in capsys.readouterr().err


def test_start_with_accounts_and_regions_lists_only_their_folders(layout: Layout, machine: str) -> None:
    main(["backfill", "start", "--bucket", BUCKET, "--prefix", TEAM, "--accounts", "333333333333",
          "--regions", "us-east-1", "--alert"])
    (only,) = executions(machine)
    assert only["prefix"] == f"{TEAM}333333333333/CloudTrail/us-east-1/"
    assert only["alert"] is True and only["filter"]["accounts"] == ["333333333333"]


def test_too_many_months_fall_back_to_years_then_region_folders(s3: Any, layout: Layout) -> None:
    years = TrailFilter(since=date(2020, 1, 1), until=date(2026, 12, 31))
    prefixes = plan_prefixes(s3, BUCKET, "", years)  # 5 folders x 84 months > MAX_EXECUTIONS
    assert len(prefixes) == 5 * 7 <= MAX_EXECUTIONS and prefixes[0].endswith("/eu-west-1/2020/")


def test_start_names_the_missing_state_machine(layout: Layout, aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backfill", "start", "--bucket", BUCKET]) == 2
    assert "no state machine 'trailwarden-prod-backfill'" in capsys.readouterr().err


def test_status_sums_the_workers_summaries_and_lists_the_failed_batches(s3: Any) -> None:
    s3.create_bucket(Bucket="results")
    run, name = "bf-20261203T130000Z", "bf-20261203T130000Z-000"
    for n, found in enumerate((3, 4)):
        items = [{"Key": f"AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/2{n}/x.json.gz"}]
        write_result(s3, "results", {"BatchInput": {"execution": name}, "Items": items}, {
            "objects": 1, "events": 1000, "findings": found, "new": found, "bad": [f"s3://b/k{n}: empty input"]})
    # the second batch run again by a Step Functions retry: stored nothing new, counted once
    write_result(s3, "results", {"BatchInput": {"execution": name}, "Items": items}, {
        "objects": 1, "events": 1000, "findings": 4, "new": 0, "duplicate": 4})
    arn = f"arn:aws:states:us-east-1:123456789012:execution:{MACHINE}:{name}"
    map_run = f"arn:aws:states:us-east-1:123456789012:mapRun:{MACHINE}/{name}:0d8f3a2e-1111-2222-3333-444455556666"
    s3.put_object(Bucket="results", Key="backfill/map/0d8f/manifest.json", Body=json.dumps({
        "DestinationBucket": "results", "MapRunArn": map_run,
        "ResultFiles": {"FAILED": [{"Key": "backfill/map/0d8f/FAILED_0.json", "Size": 10}], "SUCCEEDED": []}}))
    s3.put_object(Bucket="results", Key="backfill/map/0d8f/FAILED_0.json", Body=json.dumps([{
        "Error": "States.TaskFailed", "Input": json.dumps({"BatchInput": {}, "Items": [{"Key": "AWSLogs/x.json.gz"}]}),
        "Status": "FAILED"}]))
    sfn = boto3.client("stepfunctions", region_name="us-east-1", aws_access_key_id="testing",
                       aws_secret_access_key="testing")
    machine = f"arn:aws:states:us-east-1:123456789012:stateMachine:{MACHINE}"
    now = datetime(2026, 12, 3, 13, tzinfo=UTC)
    with Stubber(sfn) as stub:
        execution = {"executionArn": arn, "stateMachineArn": machine, "name": name, "status": "SUCCEEDED",
                     "startDate": now}
        stub.add_response("list_executions", {"executions": [execution]}, {"stateMachineArn": machine})
        stub.add_response("describe_state_machine", {
            "stateMachineArn": machine, "name": MACHINE, "roleArn": "arn:aws:iam::123456789012:role/x",
            "type": "STANDARD", "creationDate": now,
            "definition": json.dumps(backfill.definition()).replace("${ResultsBucket}", "results")})
        stub.add_response("describe_execution", {**execution, "input": json.dumps({"prefix": "AWSLogs/"})})
        stub.add_response("list_map_runs", {"mapRuns": [{"executionArn": arn, "mapRunArn": map_run,
                                                         "stateMachineArn": machine, "startDate": now}]})
        stub.add_response("describe_map_run", {
            "mapRunArn": map_run, "executionArn": arn, "status": "SUCCEEDED", "startDate": now, "maxConcurrency": 40,
            "toleratedFailurePercentage": 5.0, "toleratedFailureCount": 0,
            "itemCounts": {"pending": 0, "running": 0, "succeeded": 199, "failed": 1, "timedOut": 0, "aborted": 0,
                           "total": 200, "resultsWritten": 200},
            "executionCounts": {"pending": 0, "running": 0, "succeeded": 2, "failed": 1, "timedOut": 0,
                                "aborted": 0, "total": 3, "resultsWritten": 3}})
        found = status(sfn, s3, machine, run)
    assert found.totals["findings"] == 7 and found.totals["batches"] == 2 and found.totals["new"] == 7
    assert found.items["succeeded"] == 199 and found.items["failed"] == 1
    assert found.failed == ["States.TaskFailed: 1 objects from ['AWSLogs/x.json.gz']"]
    assert found.bad == ["s3://b/k0: empty input", "s3://b/k1: empty input"]
