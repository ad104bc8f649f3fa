"""``model check``: validate a model file and, with AWS credentials, compare it to the account.

What a user runs before deploying a model change: schema errors first (with file, line and
key path), then the same drift list the daily audit would raise.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from chalicelib.awserrors import aws_error
from chalicelib.cli.output import FindingPrinter, plural
from chalicelib.errors import ConfigError
from chalicelib.identity import load_model


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("model", help="work with the identity model")
    msub = p.add_subparsers(dest="model_command", required=True, metavar="ACTION")
    check = msub.add_parser("check", help="validate the model; compare it to the live account when credentials exist")
    check.add_argument("--model", metavar="FILE", help="identity model (default: bundled, or $TRAILWARDEN_MODEL)")
    check.add_argument("--offline", action="store_true", help="only validate the file, never call AWS")
    check.add_argument("--format", choices=("table", "json"), default="table")
    check.add_argument("--organization", action="store_true",
                       help="compare with every organization account (through trailwarden-member-readonly) and "
                            "report organization accounts the model lacks (identity-undeclared-account)")
    check.set_defaults(func=run_check)
    publish = msub.add_parser("publish", help="validate a model file and upload it to s3://BUCKET/KEY (where "
                                              "TRAILWARDEN_MODEL points); an invalid model is refused")
    publish.add_argument("--model", metavar="FILE", required=True, help="the identity model file to publish")
    publish.add_argument("--to", metavar="S3_URL", required=True, help="s3://BUCKET/KEY (a versioned bucket)")
    publish.set_defaults(func=run_publish)


def run_publish(args: argparse.Namespace) -> int:
    """Exit 0 with the new S3 version; 2 (every problem listed) when the model is invalid."""
    from chalicelib.identity.remote import publish

    version = publish(args.model, args.to)
    print(f"published {args.model} to {args.to} (version {version})")
    return 0


def have_credentials() -> bool:
    """Whether boto3 finds credentials; a broken AWS configuration is an error (exit 2), never "drift"."""
    import boto3
    from botocore.exceptions import BotoCoreError

    try:
        return boto3.session.Session().get_credentials() is not None
    except BotoCoreError as err:  # ProfileNotFound, ConfigParseError, …
        raise aws_error(err) or ConfigError(f"cannot read the AWS configuration: {err}") from None


def report_expiring(entries: list, now: datetime) -> None:
    """Suppressions ending within 30 days (or ended): their owners renew or drop them."""
    from chalicelib.identity.suppressions import expiring

    for index, entry in expiring(entries, now):
        ended = entry.ends_at <= now
        when = f"expired {entry.expires.isoformat()}" if ended else f"expires {entry.expires.isoformat()}"
        who = " ".join(f"{k} {v}" for k, v in (("principal", entry.principal), ("account", entry.account)) if v)
        print(f"suppression {index} ({entry.rule}, {who}) {when}: owner {entry.owner}"
              + ("; no longer matches" if ended else "; renew it or let it lapse"), file=sys.stderr)


def run_check(args: argparse.Namespace) -> int:
    model = load_model(args.model)  # ModelError → exit 2 with every problem listed
    spec = model.spec
    print(f"{model.source}: valid ({plural(len(spec.accounts), 'account')}, "
          f"{plural(len(spec.principals), 'principal')}, {plural(len(spec.secrets), 'secret')})", file=sys.stderr)
    monitors = [p.id for p in spec.principals if p.manages_monitoring]
    if monitors:  # the only principals whose changes to logging and to Trailwarden itself are low
        print(f"may manage monitoring (trails, detectors, Trailwarden): {', '.join(monitors)}", file=sys.stderr)
    operators = [p.id for p in spec.principals if p.operates_instances]
    if operators:  # the only principals whose commands, sessions and keys on instances are low
        print(f"may operate instances (SSM commands and sessions, Instance Connect, user data): "
              f"{', '.join(operators)}", file=sys.stderr)
    report_expiring(spec.suppressions, datetime.now(UTC))
    if args.offline:
        return 0
    if not have_credentials():
        print("no AWS credentials found: skipped the comparison with the live account (use --offline to "
              "silence this)", file=sys.stderr)
        return 0
    from chalicelib.audit import drift_findings

    if args.organization:  # every organization account, and accounts missing from the model or the org
        from chalicelib.org.scheduled import organization_findings

        findings = organization_findings(model, datetime.now(UTC))
    else:
        findings = drift_findings(model, datetime.now(UTC))
    printer = FindingPrinter(args.format)
    printer.emit(findings)
    printer.close()
    print(f"drift against the live account: {plural(len(findings), 'finding')}", file=sys.stderr)
    return 1 if findings else 0
