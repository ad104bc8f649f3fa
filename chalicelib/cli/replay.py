"""``replay``: judge CloudTrail files (or stdin) locally and print the findings."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Callable
from typing import Any

from chalicelib.cli.output import FindingPrinter, plural
from chalicelib.errors import ConfigError
from chalicelib.findings import Finding, Severity
from chalicelib.identity import IdentityModel, load_model
from chalicelib.parallel import Judged, Plan, judge_sources, relax_gc
from chalicelib.progress import Progress
from chalicelib.sources import SHOWN

PRINTED = 200  # bad-input lines printed in all; the reader itemises the first SHOWN of each file
LISTED = 10  # files named, with their counts, in the last line about bad inputs not printed


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("replay", help="judge CloudTrail files, directories or stdin and print findings")
    p.add_argument("paths", nargs="*", default=["-"], metavar="PATH",
                   help="files or directories (*.json, *.jsonl, *.gz, recursively); '-' is stdin; "
                        "or s3://BUCKET/PREFIX (a trail bucket, read in place)")
    add_common(p)
    p.add_argument("--store", metavar="URL",
                   help="also persist incidents (idempotent): sqlite:///FILE or dynamodb://TABLE")
    p.add_argument("--workers", type=workers_arg, default=1, metavar="N",
                   help="judge files on N processes (0: one per core); output is the same as with 1")
    p.add_argument("--no-memo", dest="memo", action="store_false",
                   help="judge every line in full, without the quiet-event memo (slower; the output is the same)")
    from chalicelib.cli.replay_remote import add_remote_args  # here: that module imports this one

    add_remote_args(p)
    p.set_defaults(func=run)


def add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", metavar="FILE", help="identity model (default: $TRAILWARDEN_MODEL or the bundled one)")
    p.add_argument("--format", choices=("table", "json", "ocsf"), default="table",
                   help="ocsf: one OCSF Detection Finding (class 2004) per line")
    p.add_argument("--min-severity", type=severity_arg, default=Severity.INFO, metavar="LEVEL",
                   help="info, low, medium, high or critical")


def workers_arg(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = -1
    if n < 0:
        raise argparse.ArgumentTypeError(f"expected a number of processes (0 = one per core), got {text!r}")
    return n


def severity_arg(text: str) -> Severity:
    try:
        return Severity.parse(text)
    except ConfigError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def run(args: argparse.Namespace) -> int:
    from chalicelib.cli.replay_remote import is_remote, run_remote

    if is_remote(args):  # s3:// URLs or --event-history
        return run_remote(args)
    model = load_model(args.model)  # raises ModelError before anything is judged
    if "-" in args.paths and sys.stdin.isatty():  # no path given, nothing piped: say so instead of waiting mutely
        print("replay: reading CloudTrail records from the terminal (end with Ctrl-D); give a file or directory, "
              "or pipe records in: zcat *.json.gz | python -m chalicelib replay -", file=sys.stderr)
    printer = FindingPrinter(args.format)
    recorder = IncidentRecorder(args.store, model) if args.store else None
    plan = Plan.of(args.paths)
    tally = Tally()
    relax_gc()  # this process exits when the replay is done
    with Progress(plan.files, plan.size) as progress:
        bad = BadInputs(progress.message)
        for judged in judge_sources(plan, model, args.min_severity, args.workers, keep_raw=recorder is not None,
                                    memo=args.memo):
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
    print(f"judged {plural(tally.events, 'event')}: {plural(printer.count, 'finding')} ({tally.summary()}); "
          f"{plural(tally.bad, 'bad input')}"
          f"{tally.skipped_summary()}", file=sys.stderr)
    if recorder is not None:
        print(recorder.summary(), file=sys.stderr)
    return 1 if tally.bad else 0


class Tally:
    """Counts for the summary line and the progress bar."""

    def __init__(self) -> None:
        self.events = self.bad = self.files = self.bytes_done = 0
        self.by_severity: Counter[Severity] = Counter()
        self.skipped: Counter[str] = Counter()

    def add(self, judged: Judged) -> None:
        self.events += judged.events
        self.bad += len(judged.problems) + judged.more
        if judged.skipped:
            self.skipped.update(judged.skipped)
        counts = self.by_severity
        for _, findings in judged.hits:
            for f in findings:
                counts[f.severity] += 1
        if judged.last and judged.source is not None:
            self.files += 1
            self.bytes_done += judged.position or 0

    def summary(self) -> str:
        counts = sorted(self.by_severity.items(), key=lambda kv: -kv[0])
        return ", ".join(f"{n} {s.label}" for s, n in counts) or "none"

    def skipped_summary(self) -> str:
        """``; skipped 24 digest files, 2 insight files``: what CloudTrail writes that is not events."""
        order = ("digest file", "insight file", "digest record", "insight record", "non-CloudTrail object")
        parts = [f"{n} {what}{'' if n == 1 else 's'}" for what in order if (n := self.skipped[what])]
        return f"; skipped {', '.join(parts)}" if parts else ""


class BadInputs:
    """Bad-input lines on stderr, as many as a person reads, whatever the input.

    The reader itemises the first SHOWN bad inputs of each file and counts the rest; this
    prints at most PRINTED lines in all, then only counts, and ends with one line naming the
    files (and how many each) whose bad inputs were not printed.
    """

    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say
        self.printed = 0
        self.in_file = 0  # bad inputs of the current file not itemised by the reader
        self.unprinted: Counter[str] = Counter()

    def _line(self, text: str, source: str, count: int) -> None:
        if self.printed < PRINTED:
            self.printed += 1
            self.say(f"bad input: {text}")
        else:
            self.unprinted[source] += count

    def add(self, judged: Judged) -> None:
        source = judged.source or "-"
        for problem in judged.problems:
            self._line(str(problem), judged.source or problem.location or "-", 1)
        self.in_file += judged.more
        if judged.last and self.in_file:
            n, self.in_file = self.in_file, 0
            self._line(f"{source}: and {n:,} more in this file (only the first {SHOWN} are shown)", source, n)

    def close(self) -> None:
        if not self.unprinted:
            return
        files = self.unprinted.most_common(LISTED)
        listed = ", ".join(f"{name} ({n:,})" for name, n in files)
        others = len(self.unprinted) - len(files)
        tail = f" and {others:,} more files" if others else ""
        self.say(f"bad input: {sum(self.unprinted.values()):,} more not shown (past {PRINTED} lines): {listed}{tail}")


class IncidentRecorder:
    """Persist replayed findings through the monitor's own path (dedup, grouping, rotation links),
    without alerting; the store's (event, rule) key makes a second replay add nothing."""

    def __init__(self, url: str, model: IdentityModel) -> None:
        from chalicelib.engine import Engine
        from chalicelib.incidents import open_store
        from chalicelib.incidents.state import open_state
        from chalicelib.monitor import Monitor
        from chalicelib.runtime import store_options
        from chalicelib.settings import Settings

        self.url = url
        store = open_store(url, **store_options(Settings.from_env()))
        self.monitor = Monitor(Engine(model, rules=()), store, notifier=None, state=open_state(url))
        self.outcomes: Counter[str] = Counter()

    def record(self, findings: list[Finding], raw: dict[str, Any]) -> None:
        result = self.monitor.record(findings, raw, event_id=findings[0].event_id if findings else None,
                                     alert=False)
        self.outcomes.update(h.outcome.status for h in result.handled)

    def summary(self) -> str:
        o = self.outcomes
        return (f"stored in {self.url}: {plural(o['new'], 'new incident')}, "
                f"{o['grouped']} grouped into open incidents, "
                f"{o['duplicate']} already stored")
