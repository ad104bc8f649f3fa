"""``dlq list|redrive``: read the dead-letter queue, and put its events back through the monitor.

When to use it: the ``dead-letters`` alarm fired, or the DLQ's message count is above zero.
``list`` shows what is there and why (masked: access key ids as …XXXX, no request data);
fix the cause (the store, a channel, a permission), then ``redrive --dry-run`` to see what
would be re-judged, and ``redrive`` to judge each event through the same monitor the Lambda
handlers run (store, then alert) — each message is deleted only once its event is handled.

The queue is ``--queue URL`` or ``$TRAILWARDEN_DLQ_URL`` (the stack output ``DeadLetterQueueUrl``);
the monitor is wired from the environment as in Lambda (``TRAILWARDEN_TABLE`` or ``--store``,
``TRAILWARDEN_TOPIC_ARN``, the Slack webhook parameter). Exit 0 when everything asked was
done, 1 when some message was kept (unreadable or still failing), 2 on bad input or AWS errors.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

COLUMNS = (("OUTCOME", 15), ("SOURCE", 18), ("EVENT", 24), ("EVENT ID", 38), ("PRINCIPAL", 48), ("ERROR", 40))


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("dlq", help="list the dead-letter queue, or redrive its events through the monitor")
    dsub = p.add_subparsers(dest="dlq_command", required=True, metavar="ACTION")
    for name, helptext in (("list", "show each dead letter (masked) and why it failed"),
                           ("redrive", "re-judge each event (store, alert); delete a message only once handled")):
        q = dsub.add_parser(name, help=helptext)
        q.add_argument("--queue", metavar="URL", default=os.environ.get("TRAILWARDEN_DLQ_URL", ""),
                       help="the DLQ's URL (default $TRAILWARDEN_DLQ_URL; stack output DeadLetterQueueUrl)")
        q.add_argument("--format", choices=("table", "json"), default="table")
        q.add_argument("--limit", type=int, metavar="N", help="handle at most N messages")
        if name == "redrive":
            q.add_argument("--dry-run", action="store_true", help="show what would be redriven; change nothing")
            q.add_argument("--store", metavar="URL", help="incident store (default as deployed: TRAILWARDEN_STORE, "
                                                          "else dynamodb://$TRAILWARDEN_TABLE)")
        q.set_defaults(func=run)


def run(args: argparse.Namespace, *, monitor: Any = None, client: Any = None) -> int:
    """``monitor`` / ``client`` replace the deployed monitor and the SQS client (tests, ``simulate``)."""
    from chalicelib.deadletter import DeadLetterQueue

    queue = DeadLetterQueue(args.queue, client=client)
    if args.dlq_command == "list":
        done = queue.list(args.limit)
    elif args.dry_run:
        done = queue.redrive(lambda event: None, dry_run=True, limit=args.limit)
    else:
        judge = (monitor or _deployed_monitor(args.store)).process_envelope
        done = queue.redrive(judge, limit=args.limit)
    emit([h.row() for h in done], args.format)
    return 1 if any(h.outcome in ("failed", "kept-unreadable") for h in done) else 0


def _deployed_monitor(store: str | None) -> Any:
    from dataclasses import replace

    from chalicelib.runtime import build_monitor
    from chalicelib.settings import Settings

    cfg = Settings.from_env()
    return build_monitor(replace(cfg, store_url=store) if store else cfg)


def emit(rows: list[dict[str, Any]], fmt: str) -> None:
    from chalicelib.cli.output import json_line, plural

    out = sys.stdout
    if fmt == "json":
        for row in rows:
            out.buffer.write(json_line(row))
    else:
        out.write("  ".join(name.ljust(width) for name, width in COLUMNS).rstrip() + "\n")
        for row in rows:
            event = row["event_name"] or "-"
            error = row["error_code"] or row["problem"] or "-"
            cells = (row["outcome"], row["source"], event, row["event_id"] or "-", row["principal_arn"] or "-", error)
            out.write("  ".join(_cell(c, w) for c, (_, w) in zip(cells, COLUMNS, strict=True)).rstrip() + "\n")
            why = row["detail"] or row["error_message"]
            if why:
                out.write(f"    ↳ {why}\n")
            if row["findings"]:
                out.write(f"    ↳ stored: {', '.join(row['findings'])}\n")
        counts: dict[str, int] = {}
        for row in rows:
            counts[row["outcome"]] = counts.get(row["outcome"], 0) + 1
        summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "the queue is empty"
        out.write(f"{plural(len(rows), 'dead letter')}: {summary}\n")
    out.flush()


def _cell(value: Any, width: int) -> str:
    text = str(value)
    return (text if len(text) <= width else text[: width - 1] + "…").ljust(width)
