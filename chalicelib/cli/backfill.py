"""``backfill start|status``: judge an organization's years of trail logs on Step Functions.

When to use it instead of ``replay s3://``: an organization, months or years, terabytes (see
the README's cost table). ``start`` plans executions from the key layout and starts them on
the deployed state machine (``trailwarden-<stage>-backfill``, or ``--state-machine ARN``);
``status`` shows the latest run (or ``--run``): each execution, the map's items done and
failed, findings stored so far, bad objects, and the batches the map gave up on.
Exit 0, or 1 when a run has failed items or executions; 2 on bad input or AWS errors.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from typing import Any

from chalicelib.errors import ConfigError

SHOWN = 10  # bad objects and failed batches listed in the table view


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("backfill", help="judge a trail bucket's history on Step Functions (start, status)")
    bsub = p.add_subparsers(dest="backfill_command", required=True, metavar="ACTION")
    start = bsub.add_parser("start", help="plan executions from the key layout and start them")
    start.add_argument("--bucket", required=True, help="the trail bucket (the stack's BackfillTrailBucket)")
    start.add_argument("--prefix", default="", help="key prefix (e.g. AWSLogs/o-abc123/), default: the whole bucket")
    start.add_argument("--since", help="first day (YYYY-MM-DD or 400d), by the day in the key")
    start.add_argument("--until", help="last day, inclusive")
    start.add_argument("--accounts", metavar="IDS", help="only these 12-digit accounts (comma-separated)")
    start.add_argument("--regions", metavar="NAMES", help="only these regions (comma-separated)")
    start.add_argument("--alert", action="store_true", help="alert on new incidents (default: store only)")
    status = bsub.add_parser("status", help="progress and summary of the latest run (or --run)")
    status.add_argument("--run", help="the run id printed by start (bf-YYYYMMDDTHHMMSSZ)")
    status.add_argument("--format", choices=("table", "json"), default="table")
    for q in (start, status):
        q.add_argument("--state-machine", metavar="ARN", help="default: trailwarden-$TRAILWARDEN_STAGE-backfill")
        q.add_argument("--stage", default=os.environ.get("TRAILWARDEN_STAGE", "prod"))
    start.set_defaults(func=run_start)
    status.set_defaults(func=run_status)


def _clients() -> tuple[Any, Any]:
    import boto3

    return boto3.client("stepfunctions"), boto3.client("s3")


def _machine(args: argparse.Namespace, sfn: Any) -> str:
    from chalicelib.backfill.control import find_machine

    return args.state_machine or find_machine(sfn, f"trailwarden-{args.stage}-backfill")


def run_start(args: argparse.Namespace) -> int:
    from chalicelib.backfill.control import start
    from chalicelib.cli.replay_remote import trail_filter

    if args.prefix.startswith("s3://"):
        raise ConfigError("--prefix is a key prefix, not a URL (the bucket goes in --bucket)", "--prefix")
    filt = trail_filter(args)
    sfn, s3 = _clients()
    started = start(sfn, s3, _machine(args, sfn), f"s3://{args.bucket}/{args.prefix}", filt, args.alert,
                    datetime.now(UTC))
    for arn, prefix in started.executions:
        print(f"started {arn.rsplit(':', 1)[-1]}  s3://{args.bucket}/{prefix}")
    print(f"run {started.run}: {len(started.executions)} executions; follow it with "
          f"`python -m chalicelib backfill status --run {started.run}`", file=sys.stderr)
    return 0


def run_status(args: argparse.Namespace) -> int:
    from chalicelib.backfill.control import status

    sfn, s3 = _clients()
    found = status(sfn, s3, _machine(args, sfn), args.run)
    if args.format == "json":
        print(json.dumps({"run": found.run, "executions": found.executions, "items": found.items,
                          "totals": found.totals, "bad": found.bad, "failed": found.failed}, indent=2))
    else:
        for e in found.executions:
            print(f"{e['name']:<28} {e['status']:<10} {e['prefix']}")
        i, t = found.items, found.totals
        print(f"items: {i.get('succeeded', 0):,} done, {i.get('failed', 0):,} failed, "
              f"{i.get('running', 0) + i.get('pending', 0):,} to go, of {i.get('total', 0):,}")
        print(f"so far: {t.get('batches', 0):,} batches, {t.get('objects', 0):,} objects, {t.get('events', 0):,} "
              f"events, {t.get('findings', 0):,} findings ({t.get('new', 0):,} new incidents, "
              f"{t.get('duplicate', 0):,} already stored)")
        for line in found.bad[:SHOWN]:
            print(f"bad object: {line}")
        for line in found.failed[:SHOWN]:
            print(f"failed batch: {line}")
        hidden = max(len(found.bad) - SHOWN, 0) + max(len(found.failed) - SHOWN, 0)
        if hidden:
            print(f"... and {hidden:,} more (--format json lists them all)")
    failed = found.failed or any(e["status"] in ("FAILED", "TIMED_OUT", "ABORTED") for e in found.executions)
    return 1 if failed or found.items.get("failed") else 0
