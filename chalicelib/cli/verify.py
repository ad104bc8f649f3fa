"""``incidents verify``: the chain's verdict, its full head hash, and the check against published heads.

An auditor publishes the head hash somewhere the table's writers cannot reach (the daily
anchors in an Object Lock bucket, a ticket) and later asks whether the log still *extends*
it: ``--expect-head HASH`` for one hash, ``--anchors s3://BUCKET/PREFIX`` for every head the
daily schedule wrote (``chalicelib.incidents.anchor``). Exit 0 when the chain is intact and
extends every given head, 1 when it does not, 2 when the input or AWS failed (one line).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import orjson

from chalicelib.cli.output import plural
from chalicelib.incidents.anchor import Anchor, AnchorCheck, S3Anchors, check_store
from chalicelib.incidents.store import VerifyReport


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--expect-head", metavar="HASH", action="append", default=[],
                   help="fail unless the log extends this published head hash (64 hex; repeatable)")
    p.add_argument("--anchors", metavar="s3://BUCKET/PREFIX",
                   help="fail unless the log extends every head anchored there by the daily schedule")


def run(args: argparse.Namespace, store: Any) -> int:
    report = store.verify()
    anchors = [Anchor(None, h, location="--expect-head") for h in args.expect_head]
    source = None
    if args.anchors:
        source = S3Anchors.from_url(args.anchors)
        anchors += source.read()
    check = check_store(store, anchors) if anchors else None
    if source is not None and not any(a.seq is not None for a in anchors):
        check = AnchorCheck(False, problem=f"no anchored heads under {args.anchors}: check the bucket and prefix")
    ok = report.ok and (check is None or check.ok)
    if args.format == "json":
        sys.stdout.buffer.write(orjson.dumps(as_dict(report, check, ok), option=orjson.OPT_APPEND_NEWLINE))
    else:
        print(chain_line(report))
        if check is not None:
            print(anchor_line(check))
    return 0 if ok else 1


def as_dict(report: VerifyReport, check: AnchorCheck | None, ok: bool) -> dict[str, Any]:
    return {"ok": ok, "chain_ok": report.ok, "checked": report.checked, "incidents": report.incidents,
            "head_seq": report.head_seq, "head_hash": report.head_hash, "pruned": report.pruned,
            "problem": report.problem, "first_bad_incident_id": report.first_bad_incident_id,
            "anchors": check.to_dict() if check is not None else None}


def chain_line(report: VerifyReport) -> str:
    if report.ok:
        pruned = f"; {report.pruned} expired by retention" if report.pruned else ""
        return (f"ok: checked {plural(report.checked, 'chain entry', 'chain entries')} covering "
                f"{plural(report.incidents, 'incident')}; "
                f"head seq {report.head_seq} hash {report.head_hash}{pruned}")
    culprit = f"first bad incident {report.first_bad_incident_id}: " if report.first_bad_incident_id else ""
    return f"TAMPERED: {culprit}{report.problem} (checked {report.checked} entries before stopping)"


def anchor_line(check: AnchorCheck) -> str:
    if not check.ok:
        return f"TAMPERED: {check.problem}"
    older = f" ({check.before_checkpoint} older than the retention checkpoint)" if check.before_checkpoint else ""
    newest = f"; newest anchored seq {check.newest.seq} at {check.newest.time}" if check.newest else ""
    return f"ok: the log extends {plural(check.checked, 'published head')}{older}{newest}"
