"""``python -m chalicelib audit``: report drift between the identity model and live IAM/SSM.

Read-only: it lists IAM users, keys, roles and the account summary, and describes (never
reads) the declared SSM parameters. Credentials come from the usual AWS chain; set
``AWS_ENDPOINT_URL`` to audit a moto or LocalStack endpoint instead of AWS.

Exit status: 0 when no finding is at or above ``--fail-on`` (default ``never``, so a nightly
job can tell "the audit ran" from "the audit could not run"), 1 when one is, 2 on an error
(bad arguments, model, credentials or a denied read). In CI use ``--fail-on high``.

boto3 is imported lazily so that every other command starts without paying for it.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any

from chalicelib.cli.output import plural
from chalicelib.errors import ConfigError
from chalicelib.findings import Finding, Severity

if TYPE_CHECKING:
    pass

NEVER = "never"
FAIL_ON_CHOICES = (NEVER, *(s.label for s in Severity))


def parse_as_of(text: str | None) -> datetime:
    """An ISO date (midnight UTC) or datetime (naive → UTC; ``Z`` accepted); None → now, UTC."""
    if text is None:
        return datetime.now(UTC)
    value = text.strip()
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time.min, tzinfo=UTC)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"--as-of: {text!r} is not an ISO date (2026-05-01) or datetime (2026-05-01T12:00:00Z)"
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def format_table(findings: list[Finding]) -> str:
    """Columns severity / rule / ARN / reason, with ``breaks`` on its own line under the reason."""
    if not findings:
        return ""
    sev_w = max(len("SEVERITY"), *(len(f.severity.label) for f in findings))
    rule_w = max(len("RULE"), *(len(f.rule) for f in findings))
    arn_w = max(len("ARN"), *(len(f.principal_arn or "-") for f in findings))
    indent = " " * (sev_w + rule_w + arn_w + 6)
    lines = [f"{'SEVERITY':<{sev_w}}  {'RULE':<{rule_w}}  {'ARN':<{arn_w}}  REASON"]
    for f in findings:
        lines.append(f"{f.severity.label:<{sev_w}}  {f.rule:<{rule_w}}  {f.principal_arn or '-':<{arn_w}}  {f.reason}")
        if f.breaks:
            lines.append(f"{indent}breaks: {f.breaks}")
    return "\n".join(lines)


def _summary(findings: list[Finding], account: str | None, as_of: datetime) -> str:
    when = as_of.strftime("%Y-%m-%dT%H:%M:%SZ")
    if not findings:
        where = f"account {account}" if account else "the account"
        return f"no drift: {where} matches the identity model as of {when}"
    counts = Counter(f.severity for f in findings)
    parts = ", ".join(f"{counts[s]} {s.label}" for s in sorted(Severity, reverse=True) if counts[s])
    return f"{plural(len(findings), 'finding')} as of {when}: {parts}"


def run(args: argparse.Namespace) -> int:
    from chalicelib.identity import load_model

    fail_on = None if args.fail_on == NEVER else Severity.parse(args.fail_on)
    as_of = parse_as_of(args.as_of)
    model = load_model(args.model)
    from chalicelib.audit import drift_findings  # boto3 and the audit load only when the command runs

    if args.organization:  # every account of the organization, assuming its member read-only role
        from chalicelib.org.scheduled import organization_findings

        findings = organization_findings(model, as_of)
    else:
        findings = drift_findings(model, as_of, region=args.region)
    out = sys.stdout
    if args.format == "json":
        import orjson

        for f in findings:
            out.write(orjson.dumps(f.to_dict()).decode() + "\n")
    else:
        table = format_table(findings)
        if table:
            out.write(table + "\n")
        out.write(_summary(findings, findings[0].account if findings else None, as_of) + "\n")
    out.flush()
    if fail_on is not None and any(f.severity >= fail_on for f in findings):
        return 1
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "audit",
        help="compare the identity model to live IAM users, keys, roles, root and SSM secrets",
        description=(
            "Credential inventory audit: reports undeclared IAM users, missing declared users/roles, keys "
            "overdue for rotation, unused or extra keys, root keys or root without MFA, and overdue or missing "
            "SSM secrets, as findings in the same format as the detections. Read-only."
        ),
        epilog="Exit status: 0 no finding at/above --fail-on, 1 there is one, 2 error. CI: --fail-on high.",
    )
    parser.add_argument("--model", metavar="FILE", default=None,
                        help="identity model (default: $TRAILWARDEN_MODEL, else chalicelib/identity_model.yaml)")
    parser.add_argument("--as-of", metavar="DATE", default=None,
                        help="judge ages as of this ISO date or datetime (default: now, UTC)")
    parser.add_argument("--format", choices=("table", "json"), default="table",
                        help="table (default) or json: one finding per line")
    parser.add_argument("--region", default=None,
                        help="region for SSM Parameter Store (default: the AWS config's region, else us-east-1)")
    parser.add_argument("--organization", action="store_true",
                        help="audit every account of the organization through its trailwarden-member-readonly role "
                             "(run in the central account), and report accounts missing from the model or the org")
    parser.add_argument("--fail-on", choices=FAIL_ON_CHOICES, default=NEVER, metavar="LEVEL",
                        help=f"exit 1 if a finding is at or above LEVEL ({', '.join(FAIL_ON_CHOICES)}; default never)")
    parser.set_defaults(func=run)
