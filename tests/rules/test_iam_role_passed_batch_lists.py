"""iam-role-passed on an AWS Batch job definition that names its roles in a list: ``ecsProperties.taskProperties``
(each task's ``taskRoleArn`` and ``executionRoleArn``) and a multi-node job's ``nodeProperties.nodeRangeProperties``
(each range's ``container``); only ``containerProperties`` was read."""

from __future__ import annotations

import json

from chalicelib.findings import Severity

from .conftest import Replace, finding, model_from, record, replay_twice
from .test_iam_role_passed_scheduled import PASSER, ROLE

# The CI key declared to hand over both roles the job definition names (its task role and its execution role).
BOTH = PASSER.replace("passes_roles: [terraform-*]", "passes_roles: [terraform-*, ecsTaskExecutionRole]")

RULE = "iam-role-passed"
ECS = "batch-register-job-definition-ecs-properties.json"
NODES = {"requestParameters": Replace({"jobDefinitionName": "mpi", "type": "multinode", "nodeProperties": {
    "numNodes": 2, "mainNode": 0, "nodeRangeProperties": [
        {"targetNodes": "0:", "container": {"image": "alpine", "jobRoleArn": ROLE}}]}})}


def test_a_task_role_in_ecs_properties_is_read():
    f = finding(record(ECS), RULE)
    assert f is not None and f.severity is Severity.CRITICAL and "terraform-deploy" in f.reason


def test_a_multi_node_containers_role_is_read():
    f = finding(record(ECS, **NODES), RULE)
    assert f is not None and f.severity is Severity.CRITICAL


def test_the_declared_way_of_deploying_is_low():
    assert BOTH != PASSER
    f = finding(record(ECS), RULE, model_from(BOTH))
    assert f is not None and f.severity is Severity.LOW


def test_a_job_definition_naming_no_role_is_not_judged():
    rec = record(ECS)
    for task in rec["requestParameters"]["ecsProperties"]["taskProperties"]:
        del task["taskRoleArn"], task["executionRoleArn"]
    assert finding(rec, RULE) is None


def test_hostile_shapes_do_not_crash():
    for bad in ({"ecsProperties": "x"}, {"ecsProperties": {"taskProperties": ["x", None, {"taskRoleArn": [1]}]}},
                {"nodeProperties": {"nodeRangeProperties": [{"container": "x"}, 3]}}):
        finding(record(ECS, requestParameters=Replace(bad)), RULE)


def test_replay_gives_the_same_output_with_and_without_the_memo(tmp_path, capsys):
    no_role = record(ECS)
    for task in no_role["requestParameters"]["ecsProperties"]["taskProperties"]:
        del task["taskRoleArn"], task["executionRoleArn"]
    records = [no_role, record(ECS), no_role, record(ECS, **NODES), no_role]
    with_memo, without = replay_twice(records, tmp_path, capsys)
    assert with_memo == without
    assert [json.loads(line)["rule"] for line in with_memo.splitlines()].count(RULE) == 2
