"""The backfill state machine's definition: its structure, cfn-lint's verdict, and the batch it hands the worker.

moto cannot run a Distributed Map (no ItemReader, ItemBatcher or child executions), so the
definition is checked here as data and by cfn-lint (which validates Amazon States Language),
and the worker is tested with the batch the definition describes (test_worker.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from chalicelib.backfill import definition as backfill
from chalicelib.backfill.worker import BatchInput

EXECUTION_INPUT = {"bucket": "org-trail", "prefix": "AWSLogs/o-a1b2c3d4e5/111111111111/CloudTrail/us-east-1/",
                   "filter": {"since": "2026-01-01", "until": "2026-03-31", "accounts": None, "regions": None},
                   "alert": False, "concurrency": 20}


def the_map() -> dict[str, Any]:
    return backfill.definition()["States"]["JudgeObjects"]


def test_the_map_is_distributed_and_lists_the_trail_bucket_under_the_prefix() -> None:
    state = the_map()
    assert state["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
    assert state["ItemReader"] == {"Resource": "arn:aws:states:::s3:listObjectsV2",
                                   "Parameters": {"Bucket.$": "$.bucket", "Prefix.$": "$.prefix"}}


def test_batches_are_bounded_and_failures_tolerated_up_to_a_threshold() -> None:
    state = the_map()
    assert state["ItemBatcher"]["MaxItemsPerBatch"] == backfill.BATCH_ITEMS
    assert state["MaxConcurrencyPath"] == "$.concurrency"
    assert 0 < state["ToleratedFailurePercentage"] <= 10
    assert state["ResultWriter"]["Parameters"]["Bucket"] == "${ResultsBucket}"


def test_the_child_invokes_the_worker_and_retries_throttling() -> None:
    task = the_map()["ItemProcessor"]["States"]["JudgeBatch"]
    assert task["Parameters"]["FunctionName"] == "${WorkerArn}"
    assert "Lambda.TooManyRequestsException" in task["Retry"][0]["ErrorEquals"]


def resolve(template: Any, data: dict[str, Any], context: dict[str, Any]) -> Any:
    """The JSONPath subset BatchInput uses ($.field, $$.Execution.Name), as Step Functions resolves it."""
    out = {}
    for key, value in template.items():
        if key.endswith(".$"):
            root, path = (context, value[3:]) if value.startswith("$$.") else (data, value[2:])
            for part in path.split("."):
                root = root[part]
            out[key[:-2]] = root
        else:
            out[key] = value
    return out


def test_the_batch_the_map_sends_is_the_batch_the_worker_reads() -> None:
    batch_input = resolve(the_map()["ItemBatcher"]["BatchInput"], EXECUTION_INPUT,
                          {"Execution": {"Name": "bf-20261203T1300Z-000"}})
    given, items = BatchInput.parse({"BatchInput": batch_input, "Items": [{"Key": "k", "Size": 1}]})
    assert given.bucket == "org-trail" and given.execution == "bf-20261203T1300Z-000" and not given.alert
    assert str(given.filter.since) == "2026-01-01" and items == [{"Key": "k", "Size": 1}]


def template(definition: dict[str, Any]) -> dict[str, Any]:
    """The backfill resources alone, with stand-ins for the worker function Chalice creates."""
    resources = backfill.resources("trailwarden-test", [{"Key": "project", "Value": "trailwarden"}])
    resources["BackfillStateMachine"]["Properties"]["Definition"] = definition
    resources[f"{backfill.WORKER}Role"] = {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}}}
    resources[backfill.WORKER] = {"Type": "AWS::Lambda::Function", "Properties": {
        "Runtime": "python3.11", "Handler": "app.backfill_worker", "Role": {"Fn::GetAtt": [f"{backfill.WORKER}Role",
                                                                                         "Arn"]},
        "Code": {"ZipFile": "x"}, **backfill.worker_properties()}}
    return {"AWSTemplateFormatVersion": "2010-09-09", "Parameters": backfill.parameters(),
            "Conditions": backfill.conditions(), "Resources": resources, "Outputs": backfill.outputs()}


def cfn_lint(tmp_path: Path, definition: dict[str, Any]) -> list[dict[str, Any]]:
    path = tmp_path / "backfill.json"
    path.write_text(json.dumps(template(definition)))
    result = subprocess.run([str(Path(sys.executable).with_name("cfn-lint")), "--format", "json", str(path)],
                            capture_output=True, text=True, timeout=120)
    return json.loads(result.stdout or "[]")


@pytest.mark.parametrize("broken", [False, True], ids=["as built", "a map that neither ends nor goes on"])
def test_cfn_lint_validates_the_definition(tmp_path: Path, broken: bool) -> None:
    definition = backfill.definition()
    if broken:
        del definition["States"]["JudgeObjects"]["End"]
    errors = [f for f in cfn_lint(tmp_path, definition) if f["Level"] == "Error"]
    assert bool(errors) is broken, errors
