"""``replay``: judge CloudTrail files (or stdin) locally and print the findings."""

from __future__ import annotations

import argparse
import sys
from collections import Counter

from chalicelib.cli.output import FindingPrinter
from chalicelib.engine import Engine
from chalicelib.errors import ConfigError, InputError
from chalicelib.findings import Severity
from chalicelib.identity import load_model
from chalicelib.sources import read_all


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("replay", help="judge CloudTrail files, directories or stdin and print findings")
    p.add_argument("paths", nargs="*", default=["-"], metavar="PATH",
                   help="files or directories (*.json, *.jsonl, *.gz, recursively); '-' is stdin")
    add_common(p)
    p.add_argument("--store", metavar="URL",
                   help="also persist incidents (idempotent): sqlite:///FILE or dynamodb://TABLE")
    p.set_defaults(func=run)


def add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", metavar="FILE", help="identity model (default: $TRAILWARDEN_MODEL or the bundled one)")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--min-severity", type=severity_arg, default=Severity.INFO, metavar="LEVEL",
                   help="info, low, medium, high or critical")


def severity_arg(text: str) -> Severity:
    try:
        return Severity.parse(text)
    except ConfigError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def run(args: argparse.Namespace) -> int:
    model = load_model(args.model)  # raises ModelError before anything is judged
    engine = Engine(model)
    printer = FindingPrinter(args.format)
    recorder = IncidentRecorder(args.store) if getattr(args, "store", None) else None
    events = bad = 0
    by_severity: Counter[str] = Counter()
    for item in read_all(args.paths):
        if isinstance(item, InputError):
            bad += 1
            print(f"bad input: {item}", file=sys.stderr)
            continue
        events += 1
        findings = engine.judge(item)
        if findings:
            findings = [f for f in findings if f.severity >= args.min_severity]
            by_severity.update(f.severity.label for f in findings)
            printer.emit(findings)
        if recorder is not None:
            recorder.record(findings, item.raw)
    printer.close()
    summary = ", ".join(f"{n} {s}" for s, n in sorted(by_severity.items(), key=lambda kv: -Severity.parse(kv[0])))
    print(f"judged {events} events: {printer.count} findings ({summary or 'none'}); {bad} bad inputs",
          file=sys.stderr)
    if recorder is not None:
        print(recorder.summary(), file=sys.stderr)
    return 1 if bad else 0


class IncidentRecorder:
    """Persist replayed findings; the store's (event, rule) key makes a second replay add nothing."""

    def __init__(self, url: str) -> None:
        from chalicelib.incidents import open_store

        self.url = url
        self.store = open_store(url)
        self.outcomes: Counter[str] = Counter()

    def record(self, findings: list, raw: dict) -> None:
        for finding in findings:
            self.outcomes[self.store.record(finding, raw_event=raw).status] += 1

    def summary(self) -> str:
        o = self.outcomes
        return (f"stored in {self.url}: {o['new']} new incidents, {o['grouped']} grouped into open incidents, "
                f"{o['duplicate']} already stored")
