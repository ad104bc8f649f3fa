"""The packaged backfill (issue 17): the worker's cap and grants, the state machine and its role."""

from __future__ import annotations

from typing import Any

from chalicelib.backfill import definition as backfill

from .conftest import Packaged


def statements(pkg: Packaged, role_id: str) -> list[dict[str, Any]]:
    return [s for p in pkg.resources[role_id]["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]]


def test_the_worker_is_capped_by_reserved_concurrency_and_invoked_synchronously(prod: Packaged) -> None:
    worker = prod.functions()[backfill.WORKER]["Properties"]
    assert worker["ReservedConcurrentExecutions"] == backfill.CONCURRENCY
    assert worker["Handler"] == "app.backfill_worker" and worker["Timeout"] == backfill.WORKER_TIMEOUT
    assert "DeadLetterQueue" not in worker and "EventInvokeConfig" not in worker
    assert worker["Environment"]["Variables"]["TRAILWARDEN_BACKFILL_RESULTS"] == {"Ref": "BackfillResultsBucket"}


def test_the_worker_reads_only_the_trail_bucket_and_writes_only_batch_summaries(prod: Packaged) -> None:
    s3 = {s["Sid"]: s for s in statements(prod, "BackfillWorkerRole") if str(s["Action"]).startswith("s3:")}
    assert s3["ReadTrailBucketObjects"]["Action"] == "s3:GetObject"
    trail_objects = {"Fn::Sub": "arn:${AWS::Partition}:s3:::${BackfillTrailBucket}/*"}
    assert s3["ReadTrailBucketObjects"]["Resource"] == trail_objects
    assert s3["WriteBackfillSummaries"]["Resource"] == {"Fn::Sub": "${BackfillResultsBucket.Arn}/backfill/*"}
    assert set(s3) == {"ReadTrailBucketObjects", "WriteBackfillSummaries"}


def test_no_state_machine_without_a_trail_bucket(prod: Packaged) -> None:
    for resource in ("BackfillStateMachine", "BackfillStateMachineRole"):
        assert prod.resources[resource]["Condition"] == "BackfillEnabled"
    assert prod.template["Parameters"]["BackfillTrailBucket"]["Default"] == ""


def test_the_state_machine_role_names_every_resource_it_may_touch(prod: Packaged) -> None:
    granted = statements(prod, "BackfillStateMachineRole")
    assert all(s["Resource"] != "*" and "*" not in str(s["Action"]) for s in granted)
    assert {s["Sid"] for s in granted} == {"InvokeWorker", "ListTrailBucket", "RunChildExecutions",
                                           "WatchChildExecutions", "WriteMapResults"}


def test_the_state_machine_invokes_the_packaged_worker(prod: Packaged) -> None:
    props = prod.resources["BackfillStateMachine"]["Properties"]
    assert props["DefinitionSubstitutions"]["WorkerArn"] == {"Fn::GetAtt": [backfill.WORKER, "Arn"]}
    assert props["Definition"] == backfill.definition()


def test_an_sse_kms_trail_may_be_decrypted_by_the_worker_through_s3_only(prod: Packaged) -> None:
    policy = prod.resources["BackfillWorkerTrailKeyPolicy"]
    (grant,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert policy["Condition"] == "BackfillTrailEncrypted"
    assert policy["Properties"]["Roles"] == [{"Ref": "BackfillWorkerRole"}]
    assert grant["Action"] == "kms:Decrypt" and grant["Resource"] == {"Ref": "BackfillTrailKeyArn"}
    assert grant["Condition"] == {"StringLike": {"kms:ViaService": "s3.*.amazonaws.com"}}
