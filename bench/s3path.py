"""The S3 path of ``make bench`` (issue 17): ``replay s3://`` vs the same files on disk, and the backfill worker.

Kept apart from ``bench/measure.py`` so the main bench is not slowed: it takes the first
``--records`` lines of the generated trail (``bench/gen.py``), writes them as CloudTrail writes
log objects (``AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/..._CloudTrail_....json.gz``, up to
``PER_OBJECT`` records each) both on disk and into a bucket of a moto server (its own thread in
this process, so its CPU is not the replay's), then prints:

* events/s of ``replay s3://`` against the moto server and of ``replay DIR`` on the same files,
  both by wall time and by the replay process's CPU, and their ratio, best of ``--repeat``
  interleaved rounds (same run, same machine);
* the ``backfill_worker``'s events/s per invocation for one Distributed Map batch, **simulated**
  for 512 MB and 1,024 MB: Lambda gives a function CPU in proportion to its memory (1,769 MB is
  one vCPU), so the batch's measured CPU seconds are stretched by 1769/MB. That is a model, not
  a measurement on Lambda: it leaves out network latency to S3 and DynamoDB (the probe stores
  into SQLite), which a real invocation adds.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from bench import gen  # noqa: E402
from bench.measure import MODEL, PY  # noqa: E402
from bench.timing import DATA, Run, measure  # noqa: E402

PER_OBJECT = 1000  # records per log object (CloudTrail writes a file every ~5 minutes per region)
BUCKET = "bench-trail"
ONE_VCPU_MB = 1769  # Lambda: a function with 1,769 MB has the equivalent of one vCPU
MEMORY = (512, 1024)


def layout(records: int) -> Path:
    """The first ``records`` lines of the bench trail as log objects on disk (made once)."""
    folder = DATA / f"s3path-{records}-{gen.trail_tag()}"
    if (folder / "done").exists():
        return folder
    trail = DATA / f"trail-{records}-{gen.trail_tag()}.jsonl"
    source = next(iter(sorted(DATA.glob(f"trail-*-{gen.trail_tag()}.jsonl"), key=lambda p: p.stat().st_size,
                          reverse=True)), None)
    if source is None or source.stat().st_size == 0:
        gen.write(trail, records, seed=7)
        source = trail
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    with open(source, "rb") as lines:
        for _, line in zip(range(records), lines, strict=False):
            rec = json.loads(line)
            day = str(rec.get("eventTime") or "2026-01-01")[:10].replace("-", "/")
            groups[(str(rec.get("recipientAccountId") or "111122223333"), str(rec.get("awsRegion") or "us-east-1"),
                    day)].append(rec)
    for (account, region, day), recs in groups.items():
        for n in range(0, len(recs), PER_OBJECT):
            chunk = recs[n:n + PER_OBJECT]
            stamp = f"{day.replace('/', '')}T{chunk[0]['eventTime'][11:13]}{chunk[0]['eventTime'][14:16]}Z"
            path = folder / f"AWSLogs/{account}/CloudTrail/{region}/{day}" / \
                f"{account}_CloudTrail_{region}_{stamp}_{n // PER_OBJECT:06d}.json.gz"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(gzip.compress(json.dumps({"Records": chunk}).encode(), 6))
    (folder / "done").write_text("")
    return folder


def upload(client: Any, folder: Path) -> tuple[int, int]:
    client.create_bucket(Bucket=BUCKET)
    count = size = 0
    for path in sorted(folder.rglob("*.json.gz")):
        body = path.read_bytes()
        client.put_object(Bucket=BUCKET, Key=str(path.relative_to(folder)), Body=body)
        count, size = count + 1, size + len(body)
    return count, size


def aws_env(endpoint: str) -> dict[str, str]:
    return {"AWS_ENDPOINT_URL_S3": endpoint, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}


def timed(cmd: list[str], extra: dict[str, str]) -> Run:
    saved = dict(os.environ)
    os.environ.update(extra)
    try:
        run = measure(cmd, cwd=ROOT)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    if run.rc not in (0, 1):
        sys.exit(f"command failed ({run.rc}): {' '.join(cmd)}\n{run.err.decode(errors='replace')}")
    return run


def probe_worker(endpoint: str, items: int) -> None:
    """(In a child process.) One batch of ``items`` objects through the worker; prints events and CPU seconds."""
    import boto3

    from chalicelib.backfill.worker import judge_batch
    from chalicelib.engine import Engine
    from chalicelib.identity import load_model
    from chalicelib.incidents import open_store
    from chalicelib.incidents.state import open_state
    from chalicelib.monitor import Monitor

    s3 = boto3.client("s3", endpoint_url=endpoint)
    listed = s3.list_objects_v2(Bucket=BUCKET, MaxKeys=items)["Contents"]
    batch = {"BatchInput": {"bucket": BUCKET, "filter": {}, "alert": False, "execution": "bench"},
             "Items": [{"Key": o["Key"], "Size": o["Size"], "Etag": o["ETag"], "StorageClass": "STANDARD"}
                       for o in listed]}
    model = load_model(str(MODEL))
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/probe.db"
        monitor = Monitor(Engine(model, rules=()), open_store(url), notifier=None, state=open_state(url))
        before = resource.getrusage(resource.RUSAGE_SELF)
        summary = judge_batch(batch, s3=s3, monitor=monitor, model=model)
        after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result = {"events": summary["events"], "objects": summary["objects"], "findings": summary["findings"], "cpu": cpu}
    (DATA / "s3path-worker.json").write_text(json.dumps(result))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench/s3path.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--records", type=int, default=30_000, help="records laid out as log objects (default 30000)")
    p.add_argument("--repeat", type=int, default=3, help="interleaved rounds; the best is kept (default 3)")
    p.add_argument("--batch", type=int, default=100, help="objects in the worker's batch (the map's ItemBatcher)")
    p.add_argument("--probe-worker", metavar="ENDPOINT", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.probe_worker:
        probe_worker(args.probe_worker, args.batch)
        return 0
    import logging

    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    started = time.perf_counter()
    folder = layout(args.records)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        client = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="bench", aws_secret_access_key="bench",
                              region_name="us-east-1")
        objects, size = upload(client, folder)
        extra = aws_env(endpoint)
        replay = [PY, "-m", "chalicelib", "replay", "--format", "json", "--model", str(MODEL)]
        s3_runs, disk_runs = [], []
        for _ in range(args.repeat):
            s3_runs.append(timed([*replay, f"s3://{BUCKET}/AWSLogs/"], extra))
            disk_runs.append(timed([*replay, str(folder / "AWSLogs")], extra))
        s3_best, disk_best = min(s3_runs, key=lambda r: r.wall), min(disk_runs, key=lambda r: r.wall)
        (DATA / "s3path-worker.json").unlink(missing_ok=True)
        timed([PY, str(BENCH / "s3path.py"), "--probe-worker", endpoint, "--batch", str(args.batch)], extra)
    finally:
        server.stop()
    print(f"input: {args.records:,} records in {objects:,} log objects ({size / 1e6:.1f} MB gzipped), "
          f"moto server at {endpoint}")
    rate = args.records
    print(f"replay s3://   {rate / s3_best.wall:>9,.0f} events/s wall  {rate / s3_best.cpu:>9,.0f} events/s CPU  "
          f"peak RSS {s3_best.rss_kb / 1024:.0f} MB")
    print(f"replay DIR     {rate / disk_best.wall:>9,.0f} events/s wall  {rate / disk_best.cpu:>9,.0f} events/s CPU  "
          f"peak RSS {disk_best.rss_kb / 1024:.0f} MB")
    print(f"ratio s3/disk  {disk_best.wall / s3_best.wall:.2f}x by wall time, {disk_best.cpu / s3_best.cpu:.2f}x by "
          f"replay CPU (best of {args.repeat} interleaved rounds)")
    return report_worker(args.batch, started)


def report_worker(batch: int, started: float) -> int:
    out = DATA / "s3path-worker.json"
    if not out.exists():
        print("worker: no probe result")
        return 1
    found = json.loads(out.read_text())
    print(f"worker: one batch of {batch} objects, {found['events']:,} events, {found['findings']:,} findings, "
          f"{found['cpu']:.2f} CPU s measured")
    for mb in MEMORY:
        share = mb / ONE_VCPU_MB
        print(f"worker at {mb:>5} MB  {found['events'] / (found['cpu'] / share):>8,.0f} events/s per invocation "
              f"(simulated: {share:.2f} vCPU, CPU time / {share:.2f}; S3 and DynamoDB latency not included)")
    print(f"(s3 path bench took {time.perf_counter() - started:.0f}s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
