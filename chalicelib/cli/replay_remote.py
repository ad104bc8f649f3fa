"""``replay s3://BUCKET/PREFIX`` and ``replay --event-history``: judge history where it lives.

The same judging loop, printer, store and summary as a local replay (``cli.replay``); only
where the events come from differs (``chalicelib.trailbucket``). Something that could not be
read (a prefix or object denied, an unreadable object) is named as it happens and makes the
exit status 1, as bad input does; an AWS failure that stops the whole run is one line, exit 2.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from typing import Any

from chalicelib.cli.output import FindingPrinter, plural
from chalicelib.cli.replay import BadInputs, IncidentRecorder, Tally
from chalicelib.errors import ConfigError
from chalicelib.identity import load_model
from chalicelib.parallel import judge_batches, relax_gc
from chalicelib.progress import Progress, _size
from chalicelib.sources import Batch
from chalicelib.trailbucket.layout import TrailFilter, parse_accounts, parse_day, parse_regions, today_utc
from chalicelib.trailbucket.s3read import Skips, TrailBucket


def add_remote_args(p: argparse.ArgumentParser) -> None:
    """The options of ``replay`` that only apply to s3:// URLs and ``--event-history``."""
    p.add_argument("--event-history", action="store_true",
                   help="read CloudTrail Event history (LookupEvents, at most 90 days) instead of files")
    p.add_argument("--since", metavar="DATE", help="first day (YYYY-MM-DD or 90d), by the day in the key")
    p.add_argument("--until", metavar="DATE", help="last day, inclusive (default: today, UTC)")
    p.add_argument("--accounts", metavar="IDS", help="only these 12-digit accounts (comma-separated)")
    p.add_argument("--regions", metavar="NAMES", help="only these regions (comma-separated)")


def is_remote(args: argparse.Namespace) -> bool:
    urls = [p for p in args.paths if p.startswith("s3://")]
    if args.event_history or urls:
        if len(urls) != len(args.paths) and not (args.event_history and args.paths == ["-"]):
            raise ConfigError("reads s3:// URLs, local paths or --event-history, one kind at a time", "replay")
        return True
    if any(getattr(args, k) for k in ("since", "until", "accounts", "regions")):
        raise ConfigError("--since, --until, --accounts and --regions apply to s3:// URLs and --event-history, "
                          "not to local files", "replay")
    return False


def trail_filter(args: argparse.Namespace) -> TrailFilter:
    today = today_utc()
    return TrailFilter(
        since=parse_day(args.since, today, "--since") if args.since else None,
        until=parse_day(args.until, today, "--until") if args.until else None,
        accounts=parse_accounts(args.accounts) if args.accounts else None,
        regions=frozenset(parse_regions(args.regions)) if args.regions else None)


class ObjectProgress(Progress):
    """Objects (or Event history days) and bytes read so far (a bucket's total is not known before it is listed)."""

    unit = "objects"

    def line(self, now: float | None = None) -> str:
        objects, done, events, findings = self._state
        elapsed = max((now or time.monotonic()) - self.started, 1e-9)
        size = f"  {_size(done)}" if done else ""
        return (f" {objects:,} {self.unit}{size}  {events / elapsed:,.0f} events/s  {findings:,} findings"
                f"  {elapsed:.0f}s")


def _sources(args: argparse.Namespace, skips: Skips, quiet: Any) -> Iterator[Batch]:
    if args.event_history:
        from chalicelib.trailbucket.eventhistory import from_args

        yield from from_args(args, skips).batches()
        return
    import boto3

    client = boto3.client("s3")
    filt = trail_filter(args)
    for url in args.paths:
        yield from TrailBucket(client, url, filt, skips).batches(quiet)


def run_remote(args: argparse.Namespace) -> int:
    from chalicelib.engine import Engine

    model = load_model(args.model)
    trail_filter(args)  # a bad --since/--accounts... fails before any AWS call
    printer = FindingPrinter(args.format)
    recorder = IncidentRecorder(args.store, model) if args.store else None
    tally = Tally()
    relax_gc()
    engine = Engine(model)
    with ObjectProgress(0, None) as progress:
        if args.event_history:
            progress.unit = "days"
        skips = Skips(progress.message)
        bad = BadInputs(progress.message)
        batches = _sources(args, skips, engine.quiet if args.memo else None)
        for judged in judge_batches(engine, batches, args.min_severity, keep_raw=recorder is not None):
            bad.add(judged)
            for raw, findings in judged.hits:
                printer.emit(findings)
                if recorder is not None:
                    recorder.record(findings, raw)  # type: ignore[arg-type]
            printer.flush()
            tally.add(judged)
            progress.update(tally.files, tally.bytes_done + (judged.position or 0), tally.events, printer.count,
                            force=judged.last)
        bad.close()
    printer.close()
    denied = f"; {len(skips.denied)} not readable (named above)" if skips.denied else ""
    print(f"judged {plural(tally.events, 'event')} from {plural(tally.files, 'object')}: "
          f"{plural(printer.count, 'finding')} ({tally.summary()}); "
          f"{plural(tally.bad, 'bad input')}{tally.skipped_summary()}{denied}", file=sys.stderr)
    if recorder is not None:
        print(recorder.summary(), file=sys.stderr)
    return 1 if tally.bad or skips.denied else 0
