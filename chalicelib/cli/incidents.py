"""``incidents``: the auditors' commands — list, show, verify, report, purge.

``--store`` is ``sqlite:///path.db`` (default ``./trailwarden.db`` or ``$TRAILWARDEN_STORE``)
or ``dynamodb://TABLE`` (boto3's credentials, region and ``AWS_ENDPOINT_URL``).
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from chalicelib.cli.output import json_line, plural, table_header, table_row, terminal_width, write_csv
from chalicelib.errors import ConfigError
from chalicelib.findings import FINDING_FIELDS

if TYPE_CHECKING:  # the store is imported when an incidents command runs, not when any command starts
    from chalicelib.incidents import IncidentStore
    from chalicelib.incidents.triage import TriageState

DEFAULT_STORE = "sqlite:///./trailwarden.db"
INCIDENT_FIELDS = [*FINDING_FIELDS, "incident_id", "count", "first_seen", "last_seen"]


def add_store_option(p: argparse.ArgumentParser) -> None:
    import os

    p.add_argument("--store", metavar="URL", default=os.environ.get("TRAILWARDEN_STORE", DEFAULT_STORE),
                   help=f"sqlite:///FILE or dynamodb://TABLE (default {DEFAULT_STORE})")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("incidents", help="query, export and verify the incident log")
    add_store_option(p)
    isub = p.add_subparsers(dest="incidents_command", required=True, metavar="ACTION")

    ls = isub.add_parser("list", help="incidents, newest first, with filters")
    ls.add_argument("--principal", metavar="ARN", help="exact ARN; a role ARN also matches its sessions")
    ls.add_argument("--rule", metavar="ID")
    ls.add_argument("--account", metavar="ID")
    ls.add_argument("--severity-at-least", metavar="LEVEL")
    ls.add_argument("--since", metavar="TIME", help="ISO time or look-back like 7d, 24h")
    ls.add_argument("--until", metavar="TIME")
    ls.add_argument("--limit", type=int, default=50, help="page size (default 50)")
    ls.add_argument("--next-token", metavar="TOKEN", help="continue after a previous page")
    ls.add_argument("--all", action="store_true", help="follow every page")
    ls.add_argument("--status", metavar="STATUS", help="open, acknowledged or resolved (comma-separated); "
                    "follows every page")
    ls.add_argument("--suppressed", action="store_true", help="only suppressed findings (hidden otherwise)")
    ls.add_argument("--format", choices=("table", "json", "csv", "ocsf"), default="table",
                    help="ocsf: one OCSF Detection Finding (class 2004) per line, triage status included")
    ls.set_defaults(func=run_list)

    show = isub.add_parser("show", help="one incident in full, with its CloudTrail record")
    show.add_argument("incident_id")
    show.add_argument("--format", choices=("json", "table"), default="json")
    show.set_defaults(func=run_show)

    verify = isub.add_parser("verify", help="walk the hash chain; non-zero exit names the first tampered incident; "
                                            "--expect-head / --anchors check it against published heads")
    from chalicelib.cli.verify import add_arguments

    add_arguments(verify)
    verify.set_defaults(func=run_verify)

    report = isub.add_parser("report", help="a self-contained HTML page or a Markdown summary")
    report.add_argument("--since", metavar="TIME")
    report.add_argument("--until", metavar="TIME")
    report.add_argument("--html", metavar="FILE", help="write the HTML report here")
    report.add_argument("--format", choices=("md",), help="print a Markdown summary to stdout")
    report.set_defaults(func=run_report)

    purge = isub.add_parser("purge", help="retention: delete incidents last seen before a time (verify stays green)")
    purge.add_argument("--older-than", required=True, metavar="TIME", help="e.g. 400d or 2025-01-01")
    purge.set_defaults(func=run_purge)

    from chalicelib.cli.securityhub_export import register as register_securityhub
    from chalicelib.cli.triage import register as register_triage

    register_triage(isub)
    register_securityhub(isub)
    for action in isub.choices.values():  # like the AWS CLI's global options: before or after the action
        action.add_argument("--store", metavar="URL", default=argparse.SUPPRESS,
                            help="the incident log (same as before the action)")


def open_cli_store(args: argparse.Namespace) -> IncidentStore:
    """The store ``--store`` names (shared with ``incidents ack|resolve``)."""
    return _store(args)


def _store(args: argparse.Namespace) -> IncidentStore:
    """The log to read; a SQLite path that does not exist is an error, not a new empty (and "verified") log."""
    url = args.store.strip()
    if url.startswith("sqlite:///"):
        from chalicelib.incidents.factory import sqlite_path

        path = sqlite_path(url)
        if path != ":memory:" and not Path(path).is_file():
            raise ConfigError(f"no incident log at {path} (check --store or $TRAILWARDEN_STORE)")
    from chalicelib.incidents import open_store

    return open_store(url)


def run_list(args: argparse.Namespace) -> int:
    from chalicelib.incidents.filters import parse_query
    from chalicelib.incidents.queue import parse_statuses, triaged

    query = parse_query({
        "principal": args.principal, "rule": args.rule, "account": args.account,
        "severity_at_least": args.severity_at_least, "since": args.since, "until": args.until,
        "limit": str(args.limit), "next_token": args.next_token,
    }, flags=True)
    statuses = parse_statuses(args.status)
    store = _store(args)
    out = sys.stdout
    rows: list[dict] = []
    shown = 0
    every_page = args.all or bool(statuses)
    tokens: list[str | None] = []
    for incident, state in triaged(store, query, statuses=statuses, suppressed=args.suppressed,
                                   every_page=every_page, tokens=tokens):
        row = incident.to_dict()
        row.pop("raw_event", None)
        row["status"] = state.status
        row["triage"] = state.to_dict()
        if args.format == "json":
            out.buffer.write(json_line(row))
        elif args.format == "ocsf":
            from chalicelib.ocsf import ocsf_line

            out.buffer.write(ocsf_line(incident.finding, incident=row))
        elif args.format == "csv":
            rows.append(row)
        else:
            if shown == 0:
                out.write(table_header() + "\n")
            status = textwrap.fill(f"id {incident.incident_id}  {_status_text(state)}", width=terminal_width(),
                                   initial_indent="      ", subsequent_indent="      ", break_on_hyphens=False)
            out.write(f"{table_row(row)}\n{status}\n")
        shown += 1
    if args.format == "csv":
        write_csv(rows, INCIDENT_FIELDS, out)
    elif args.format == "table" and shown == 0:
        out.write("no incidents\n")
    out.flush()
    if tokens and tokens[-1]:
        print(f"more incidents: add --next-token {tokens[-1]}", file=sys.stderr)
    return 0


def _status_text(state: TriageState) -> str:
    """``acknowledged by jared 2026-11-20T10:06:00Z`` for the table's id line."""
    if state.status == "resolved":
        return f"resolved ({state.resolution}) by {state.resolved_by} {state.to_dict()['resolved_at']}"
    if state.status == "acknowledged":
        return f"acknowledged by {state.acknowledged_by} {state.to_dict()['acknowledged_at']}"
    return "open (reopened)" if state.reopened else "open"


def run_show(args: argparse.Namespace) -> int:
    incident = _store(args).get(args.incident_id)
    if incident is None:
        print(f"error: no incident {args.incident_id!r} in {args.store}", file=sys.stderr)
        return 1
    from chalicelib.notify.message import redact_value  # lazily: notify brings slack_sdk

    row = redact_value(incident.to_dict())  # the stored record keeps full key ids; the screen gets …XXXX
    if args.format == "json":
        import orjson

        sys.stdout.buffer.write(orjson.dumps(row, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE))
    else:
        width = max(len(k) for k in row)
        for key, value in row.items():
            print(f"{key.rjust(width)}  {value}")
    return 0


def run_verify(args: argparse.Namespace) -> int:
    from chalicelib.cli.verify import run

    return run(args, _store(args))


def run_report(args: argparse.Namespace) -> int:
    from chalicelib.incidents import IncidentQuery
    from chalicelib.incidents.filters import parse_time
    from chalicelib.report import render_html, render_markdown
    from chalicelib.report.triage import ChainFacts

    if not args.html and not args.format:
        print("error: give --html FILE and/or --format md", file=sys.stderr)
        return 2
    now = datetime.now(UTC)
    since = parse_time(args.since, "--since", now) if args.since else None
    until = parse_time(args.until, "--until", now) if args.until else None
    store = _store(args)
    incidents = _with_triage(store, store.iter_all(IncidentQuery(since=since, until=until, limit=1000)))
    check = store.verify()
    chain = ChainFacts(check.head_seq, check.head_hash, _model_version())
    summary = (f"Hash chain verified: {check.checked} entries, {check.incidents} incidents intact." if check.ok
               else f"Hash chain FAILED verification at incident {check.first_bad_incident_id}: {check.problem}")
    if args.html:
        page = render_html(incidents, since=since, until=until, generated_at=now, verify_summary=summary, chain=chain)
        try:
            Path(args.html).write_text(page, encoding="utf-8")
        except OSError as err:  # a missing folder, no permission, a directory: one line, not a traceback
            raise ConfigError(f"cannot write the report: {err.strerror or err}",
                              location=f"--html {args.html}") from None
        print(f"wrote {args.html}: {plural(len(incidents), 'incident')}", file=sys.stderr)
    if args.format == "md":
        sys.stdout.write(render_markdown(incidents, since=since, until=until, generated_at=now,
                                         verify_summary=summary, chain=chain))
    return 0 if check.ok else 1


def _with_triage(store: IncidentStore, incidents: list) -> list[dict]:
    """Each incident's dict with its triage state under ``triage`` (the report's response columns)."""
    from chalicelib.incidents.triage import state_of

    histories = store.triage_histories()
    return [{**i.to_dict(), "triage": state_of(i, histories.get(i.incident_id, ())).to_dict()} for i in incidents]


def _model_version() -> str | None:
    """The version of the model the monitor would judge with now; None when it does not load."""
    from chalicelib.errors import ModelError
    from chalicelib.identity import load_model
    from chalicelib.identity.version import model_version

    try:
        return model_version(load_model())
    except ModelError:
        return None


def run_purge(args: argparse.Namespace) -> int:
    from chalicelib.incidents.filters import parse_time

    cutoff = parse_time(args.older_than, "--older-than")
    removed = _store(args).purge(cutoff)
    note = "; checkpoint recorded in the chain" if removed else ""
    print(f"purged {plural(removed, 'incident')} last seen before {cutoff:%Y-%m-%dT%H:%M:%SZ}{note}")
    return 0
