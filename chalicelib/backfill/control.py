"""``backfill start`` and ``backfill status``: plan executions from the key layout, start them, sum their results.

``start`` lists the trail bucket folder by folder (the same pruning as ``replay s3://``) down to
each account's region folder the filter admits, then narrows each to the months (or years) of
``--since/--until``, as long as that keeps the run to ``MAX_EXECUTIONS`` executions; when
even the region folders are too many it goes coarser (an account's ``CloudTrail/`` folder,
then the prefix as given). Every execution carries the whole filter, so the worker drops what
a coarse prefix lists beyond it. ``CONCURRENCY`` (the worker's reserved concurrency) is
split between the executions, so together they never ask for more than the cap.

``status`` reads each execution (DescribeExecution), its Distributed Map run (items done and
failed), the batch summaries the workers wrote (findings so far), and, once the map is done,
the failed batches its ResultWriter listed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from chalicelib.backfill.definition import CONCURRENCY, RESULTS_PREFIX
from chalicelib.backfill.worker import filter_to, parse_result_key
from chalicelib.errors import ConfigError
from chalicelib.trailbucket.layout import TrailFilter, folders_after_marker
from chalicelib.trailbucket.s3read import parse_url

MAX_EXECUTIONS = 50
RUN_PREFIX = "bf-"


def _region_folders(s3: Any, bucket: str, prefix: str, filt: TrailFilter) -> Iterator[str]:
    """Each ``…/ACCOUNT/CloudTrail/REGION/`` folder the filter admits (or the prefix, when it is deeper)."""
    folders = folders_after_marker(prefix)
    if folders is not None:
        path = folders[1:] if folders and folders[0].startswith("o-") else folders
        if len(path) >= 3:
            yield prefix
            return
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/")
    for page in pages:
        for common in page.get("CommonPrefixes") or ():
            sub = common["Prefix"]
            found = folders_after_marker(sub)
            if found is None:
                yield from _region_folders(s3, bucket, sub, filt)
                continue
            path = found[1:] if found and found[0].startswith("o-") else found
            if not filt.admits(found) or (len(path) >= 2 and path[1] != "CloudTrail"):
                continue  # digests and Insights are not judged: no execution lists them
            yield from _region_folders(s3, bucket, sub, filt)


def _months(since: date, until: date) -> list[tuple[int, int]]:
    out, (y, m) = [], (since.year, since.month)
    while (y, m) <= (until.year, until.month):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def plan_prefixes(s3: Any, bucket: str, prefix: str, filt: TrailFilter) -> list[str]:
    """The prefixes to start one execution each on: the finest that stays within MAX_EXECUTIONS."""
    regions = sorted(_region_folders(s3, bucket, prefix, filt))
    if not regions:
        raise ConfigError(f"no CloudTrail folder under s3://{bucket}/{prefix} matches the filter", "backfill start")
    levels: list[list[str]] = []
    at_region = [r for r in regions if r.endswith("/") and r.rstrip("/").split("/")[-2:-1] == ["CloudTrail"]]
    if filt.since and filt.until and at_region == regions:
        months = _months(filt.since, filt.until)
        levels.append([f"{r}{y:04d}/{m:02d}/" for r in regions for y, m in months])
        levels.append([f"{r}{y:04d}/" for r in regions for y in range(filt.since.year, filt.until.year + 1)])
    levels.append(regions)
    levels.append(sorted({r[: r.index("/CloudTrail/") + len("/CloudTrail/")] for r in at_region}
                         | {r for r in regions if r not in at_region}))
    return next((level for level in levels if len(level) <= MAX_EXECUTIONS), [prefix])


def execution_input(bucket: str, prefix: str, filt: TrailFilter, alert: bool, executions: int) -> dict[str, Any]:
    """What the state machine reads (``$.bucket``…) and hands every batch (its ItemBatcher's BatchInput)."""
    return {"bucket": bucket, "prefix": prefix, "filter": filter_to(filt), "alert": alert,
            "concurrency": max(1, CONCURRENCY // max(executions, 1))}


@dataclass(frozen=True)
class Started:
    run: str
    executions: list[tuple[str, str]]  # (execution ARN, prefix)


def start(sfn: Any, s3: Any, machine: str, url: str, filt: TrailFilter, alert: bool, now: datetime) -> Started:
    bucket, prefix = parse_url(url)
    prefixes = plan_prefixes(s3, bucket, prefix, filt)
    run = f"{RUN_PREFIX}{now:%Y%m%dT%H%M%SZ}"
    out = []
    for n, sub in enumerate(prefixes):
        payload = execution_input(bucket, sub, filt, alert, len(prefixes))
        arn = sfn.start_execution(stateMachineArn=machine, name=f"{run}-{n:03d}",
                                  input=json.dumps(payload))["executionArn"]
        out.append((arn, sub))
    return Started(run, out)


def find_machine(sfn: Any, name: str) -> str:
    """The ARN of the state machine called ``name`` (the template names it ``trailwarden-<stage>-backfill``)."""
    for page in sfn.get_paginator("list_state_machines").paginate():
        for machine in page.get("stateMachines") or ():
            if machine["name"] == name:
                return str(machine["stateMachineArn"])
    raise ConfigError(f"no state machine {name!r} in this account and region: deploy the stack with its "
                      "BackfillTrailBucket parameter set, or pass --state-machine ARN", "backfill")


@dataclass
class RunStatus:
    """One run's progress: executions, map items, and what the workers reported."""

    run: str
    executions: list[dict[str, Any]] = field(default_factory=list)
    items: dict[str, int] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    bad: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def latest_run(sfn: Any, machine: str) -> str:
    names = [e["name"] for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=machine)
             for e in page.get("executions") or () if e["name"].startswith(RUN_PREFIX)]
    if not names:
        raise ConfigError("no backfill has been started on this state machine", "backfill status")
    return max(names).rsplit("-", 1)[0]


def results_bucket(sfn: Any, machine: str) -> str | None:
    """The ResultWriter's bucket, read from the deployed definition."""
    definition = json.loads(sfn.describe_state_machine(stateMachineArn=machine)["definition"])
    state = next(iter(definition.get("States", {}).values()), {})
    return ((state.get("ResultWriter") or {}).get("Parameters") or {}).get("Bucket")


def status(sfn: Any, s3: Any, machine: str, run: str | None = None) -> RunStatus:
    run = run or latest_run(sfn, machine)
    out = RunStatus(run)
    executions = [e for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=machine)
                  for e in page.get("executions") or () if e["name"].startswith(f"{run}-")]
    bucket = results_bucket(sfn, machine)
    for e in sorted(executions, key=lambda e: e["name"]):
        described = sfn.describe_execution(executionArn=e["executionArn"])
        given = json.loads(described.get("input") or "{}")
        out.executions.append({"name": e["name"], "status": described["status"], "prefix": given.get("prefix")})
        for mapped in sfn.list_map_runs(executionArn=e["executionArn"]).get("mapRuns") or ():
            counts = sfn.describe_map_run(mapRunArn=mapped["mapRunArn"]).get("itemCounts") or {}
            for key in ("total", "succeeded", "failed", "running", "pending", "timedOut", "aborted"):
                out.items[key] = out.items.get(key, 0) + int(counts.get(key) or 0)
        if bucket:
            _batch_summaries(s3, bucket, e["name"], out)
            _failed_batches(s3, bucket, e["name"], out)
    return out


def _batch_summaries(s3: Any, bucket: str, execution: str, out: RunStatus, bodies: int = 20) -> None:
    """Sum the counts in the summaries' keys (LIST only); read the bodies of a few that name bad objects.

    A batch run twice (Step Functions retried it after it had stored) counts once, as its first
    run: that is the one whose incidents were new.
    """
    first: dict[str, tuple[Any, str, dict[str, int]]] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket,
                                                             Prefix=f"{RESULTS_PREFIX}/{execution}/batches/"):
        for obj in page.get("Contents") or ():
            parsed = parse_result_key(obj["Key"])
            if parsed is None:
                continue
            digest, counts = parsed
            order = (obj["LastModified"], -counts.get("new", 0))  # the same second: the run that stored is first
            if digest not in first or order < first[digest][0]:
                first[digest] = (order, obj["Key"], counts)
    for _, key, counts in first.values():
        out.totals["batches"] = out.totals.get("batches", 0) + 1
        for name, n in counts.items():
            out.totals[name] = out.totals.get(name, 0) + n
        if counts.get("bad_count") and bodies > 0:
            bodies -= 1
            out.bad += json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read()).get("bad") or []


def _failed_batches(s3: Any, bucket: str, execution: str, out: RunStatus) -> None:
    """The keys of the batches the map gave up on, from its ResultWriter's FAILED files (written at the end)."""
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{RESULTS_PREFIX}/map/"):
        for obj in page.get("Contents") or ():
            if not obj["Key"].endswith("manifest.json"):
                continue
            manifest = json.loads(s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read())
            # arn:aws:states:REGION:ACCOUNT:mapRun:MACHINE/EXECUTION:RUN-ID
            if f"/{execution}:" not in str(manifest.get("MapRunArn") or ""):
                continue
            for failed in (manifest.get("ResultFiles") or {}).get("FAILED") or ():
                key = failed["Key"]
                for child in json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read()):
                    batch = json.loads(child.get("Input") or "{}")
                    keys = [i.get("Key") for i in batch.get("Items") or ()]
                    out.failed.append(f"{child.get('Error') or 'failed'}: {len(keys)} objects from {keys[:1]}")
