"""A finding in the AWS Security Finding Format (ASFF 2018-10-08), for Security Hub's default product.

Pure mapping, no AWS calls: ``securityhub.py`` sends what this builds. The limit that shapes
it (README, "Security Hub"): a finding imported through the account's *default* product
(``product/ACCOUNT/default``) must carry the importing account as ``AwsAccountId``. In an
organization the central monitor account therefore imports findings about member accounts as
its own, and names the member account where an analyst looks: an ``AwsAccount`` resource, the
principal's and target's ARNs (which hold the account), and ``ProductFields``
(``trailwarden/account``, ``trailwarden/accountName``).

One finding per incident: ``Id`` is the incident id when the alert comes from the incident log,
so a grouped or reopened incident updates its finding instead of adding one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chalicelib.findings import Finding, Severity
from chalicelib.notify.message import AlertContext, console_url, redact

SCHEMA_VERSION = "2018-10-08"
DEFAULT_TYPE = "Unusual Behaviors/User"
# rule id → ASFF type "namespace/category"; the rule id is appended as the classifier (README table).
TYPES_BY_RULE: Mapping[str, str] = {
    "root-signin": "Unusual Behaviors/User",
    "root-api-use": "Unusual Behaviors/User",
    "root-signin-failed": "TTPs/Initial Access",
    "signin-without-mfa": "Unusual Behaviors/User",
    "iam-create-access-key": "TTPs/Persistence",
    "iam-alternate-credential-created": "TTPs/Persistence",
    "iam-login-profile-created": "TTPs/Persistence",
    "iam-user-created": "TTPs/Persistence",
    "lambda-exposed": "TTPs/Persistence",
    "iam-privilege-granted": "TTPs/Privilege Escalation",
    "iam-trust-policy-changed": "TTPs/Privilege Escalation",
    "federation-provider-changed": "TTPs/Privilege Escalation",
    "sso-assignment-changed": "TTPs/Privilege Escalation",
    "sso-group-membership-added": "TTPs/Privilege Escalation",
    "sts-root-session-assumed": "TTPs/Privilege Escalation",
    "sts-assume-role-unexpected": "TTPs/Privilege Escalation",
    "iam-role-passed": "TTPs/Privilege Escalation",
    "iam-permissions-boundary-removed": "TTPs/Privilege Escalation",
    "sts-assume-role-failed": "TTPs/Discovery",
    "iam-mfa-removed": "TTPs/Defense Evasion",
    "monitor-trail-tampered": "TTPs/Defense Evasion",
    "monitor-pipeline-tampered": "TTPs/Defense Evasion",
    "detector-disabled": "TTPs/Defense Evasion",
    "organization-left": "TTPs/Defense Evasion",
    "organization-guardrail-removed": "TTPs/Defense Evasion",
    "credential-quarantine-lifted": "TTPs/Defense Evasion",
    "monitor-blind": "TTPs/Defense Evasion",  # raised by the liveness check (chalicelib/watch), not a rule module
    "secret-read-undeclared": "TTPs/Credential Access",
    "credential-used-outside-home": "TTPs/Credential Access",
    "sts-session-from-static-key": "TTPs/Credential Access",
    "ec2-password-data-read": "TTPs/Credential Access",
    "sso-device-code-token": "TTPs/Credential Access",
    "sso-role-credentials-unexpected": "TTPs/Credential Access",
    "rolesanywhere-session-unexpected": "TTPs/Credential Access",
    "role-session-console-signin": "TTPs/Credential Access",
    "eks-pod-identity-role-unexpected": "TTPs/Privilege Escalation",
    "eks-access-granted": "TTPs/Privilege Escalation",
    "iam-mfa-device-enrolled": "TTPs/Persistence",
    "iam-password-policy-weakened": "TTPs/Defense Evasion",
    "ssm-instance-access": "TTPs/Execution",
    "ec2-instance-connect-key-sent": "TTPs/Execution",
    "ec2-user-data-modified": "TTPs/Execution",
    "ec2-metadata-weakened": "TTPs/Credential Access",
    "credential-revoked": "Effects/Data Exposure",
    "credential-quarantined": "Effects/Data Exposure",
    "snapshot-shared-outside": "Effects/Data Exfiltration",
    "resource-policy-outside": "Effects/Data Exposure",
    "iam-delete-user": "Unusual Behaviors/User",
    "identity-auth-mismatch": "Unusual Behaviors/User",
    "identity-undeclared-principal": "Unusual Behaviors/User",
    "identity-undeclared-account": "Unusual Behaviors/User",
}
SEVERITY_LABELS: Mapping[Severity, str] = {
    Severity.CRITICAL: "CRITICAL", Severity.HIGH: "HIGH", Severity.MEDIUM: "MEDIUM", Severity.LOW: "LOW",
    Severity.INFO: "INFORMATIONAL",
}


@dataclass(frozen=True)
class Importer:
    """Who imports: the monitor's own account, region and partition (the default product's owner)."""

    account_id: str
    region: str
    partition: str = "aws"

    @property
    def product_arn(self) -> str:
        return f"arn:{self.partition}:securityhub:{self.region}:{self.account_id}:product/{self.account_id}/default"


def asff_types(rule: str) -> list[str]:
    """``["TTPs/Persistence/iam-create-access-key"]``: the documented mapping, rule id as classifier."""
    return [f"{TYPES_BY_RULE.get(rule, DEFAULT_TYPE)}/{rule}"]


def _iso(value: str | datetime | None) -> str | None:
    """ASFF wants RFC 3339 with a zone; CloudTrail's ``...Z`` strings pass as they are."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _resource_type(arn: str) -> str:
    if ":user/" in arn:
        return "AwsIamUser"
    if ":role/" in arn:
        return "AwsIamRole"
    return "Other"


def _resource(arn: str | None, name: str | None, role: str, importer: Importer, region: str | None,
              account: str | None) -> dict[str, Any] | None:
    ident = arn or name
    if not ident:
        return None
    other = {"role": role, "account": account or "", "name": name or ""}
    return {"Type": _resource_type(arn or ""), "Id": ident[:512], "Partition": importer.partition,
            "Region": region or importer.region, "Details": {"Other": {k: v for k, v in other.items() if v}}}


def _cut(text: str | None, limit: int) -> str:
    text = redact(text or "")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def asff_finding(finding: Finding, context: AlertContext | None, importer: Importer, now: datetime) -> dict[str, Any]:
    """One ASFF finding; ``Id`` is the incident id (else ``rule#event``), so a regrouped incident updates it."""
    context = context or AlertContext()
    finding_id = context.incident_id or finding.dedup_key
    observed_first = _iso(context.first_seen) or _iso(finding.event_time)
    observed_last = _iso(context.last_seen) or _iso(finding.event_time)
    updated = _iso(now) or ""
    created = min(filter(None, (observed_first, updated)))
    member = finding.account or ""
    resources = [r for r in (
        _resource(finding.principal_arn, finding.principal, "actor", importer, finding.region, member),
        _resource(finding.target_arn, None, "target", importer, finding.region, member),
    ) if r is not None]
    if member:
        resources.append({"Type": "AwsAccount", "Id": f"AWS::::Account:{member}", "Partition": importer.partition,
                          "Region": finding.region or importer.region,
                          "Details": {"Other": {"role": "account", "name": context.account_name or member}}})
    fields = {
        "trailwarden/rule": finding.rule, "trailwarden/account": member,
        "trailwarden/accountName": context.account_name or "", "trailwarden/eventId": finding.event_id or "",
        "trailwarden/eventName": finding.event_name or "", "trailwarden/incidentId": context.incident_id or "",
        "trailwarden/count": str(context.count), "trailwarden/breaks": _cut(finding.breaks, 2000),
        "trailwarden/principal": finding.principal or "",
    }
    out: dict[str, Any] = {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": finding_id,
        "ProductArn": importer.product_arn,
        "GeneratorId": finding.rule,
        "AwsAccountId": importer.account_id,  # the default product's rule: the importing account
        "Types": asff_types(finding.rule),
        "CreatedAt": created,
        "UpdatedAt": updated,
        "Severity": {"Label": SEVERITY_LABELS[finding.severity], "Original": finding.severity.label},
        # where a provider states severity and types on updates (top-level ones are the customer's after creation)
        "FindingProviderFields": {"Severity": {"Label": SEVERITY_LABELS[finding.severity],
                                               "Original": finding.severity.label},
                                  "Types": asff_types(finding.rule)},
        "Title": _cut(finding.title, 256),
        "Description": _cut(finding.reason or finding.title, 1024),
        "Resources": resources or [{"Type": "Other", "Id": finding_id, "Partition": importer.partition,
                                    "Region": importer.region}],
        "ProductFields": {k: v for k, v in fields.items() if v},
        "RecordState": "ACTIVE",
        "ProductName": "Trailwarden",
        "CompanyName": "Trailwarden",
    }
    if observed_first:
        out["FirstObservedAt"] = observed_first
    if observed_last:
        out["LastObservedAt"] = observed_last
    if finding.runbook:
        recommendation = {"Text": _cut(finding.runbook, 512)}
        if finding.reference:
            recommendation["Url"] = finding.reference
        out["Remediation"] = {"Recommendation": recommendation}
    if url := console_url(finding):
        out["SourceUrl"] = url
    if finding.event_name and finding.event_source:
        call: dict[str, Any] = {"Api": finding.event_name, "ServiceName": finding.event_source,
                                "CallerType": "remoteip" if finding.source_ip else "domain"}
        if finding.source_ip and finding.source_ip.count(".") == 3:
            call["RemoteIpDetails"] = {"IpAddressV4": finding.source_ip}
        if observed_first:
            call["FirstSeen"] = observed_first
        if observed_last:
            call["LastSeen"] = observed_last
        out["Action"] = {"ActionType": "AWS_API_CALL", "AwsApiCallAction": call}
    return out
