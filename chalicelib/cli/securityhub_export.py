"""``incidents to-securityhub``: import the incident log (or a time window of it) into Security Hub.

For a Security Hub turned on after incidents were already stored, or a central account that
starts aggregating: every incident becomes its ASFF finding (the same document the alert channel
sends, ``Id`` = incident id, so running it twice updates rather than duplicates), imported in
batches of 100 with partial failures retried; what still failed is listed and the exit status is 1.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from chalicelib.cli.output import plural


def register(isub: argparse._SubParsersAction) -> None:
    p = isub.add_parser("to-securityhub", help="import incidents into Security Hub as ASFF findings "
                                               "(batches of 100, failures retried and listed)")
    p.add_argument("--since", metavar="TIME", help="only incidents last seen since (ISO time or 7d, 24h)")
    p.add_argument("--region", metavar="REGION", help="Security Hub's region (default: boto3's)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import boto3

    from chalicelib.cli.incidents import open_cli_store
    from chalicelib.incidents import IncidentQuery
    from chalicelib.incidents.filters import parse_time
    from chalicelib.notify.asff import asff_finding
    from chalicelib.notify.message import AlertContext
    from chalicelib.notify.securityhub import SecurityHubPublisher

    now = datetime.now(UTC)
    since = parse_time(args.since, "--since", now) if args.since else None
    store = open_cli_store(args)
    region = args.region or boto3.session.Session().region_name or "us-east-1"
    publisher = SecurityHubPublisher(region)
    importer = publisher.importer
    documents = [asff_finding(i.finding, AlertContext(i.count, i.first_seen, i.last_seen, i.incident_id,
                                                      i.details.get("account_name")), importer, now)
                 for i in store.iter_all(IncidentQuery(since=since, limit=1000))]
    report = publisher.import_findings(documents)
    print(f"imported {plural(report.imported, 'finding')} of {len(documents)} into Security Hub "
          f"({importer.product_arn}) in {plural(report.calls, 'call')}; {report.retried} retried, "
          f"{len(report.failed)} failed")
    for finding_id, error in report.failed.items():
        print(f"error: {finding_id}: {error}", file=sys.stderr)
    return 0 if report.ok else 1
