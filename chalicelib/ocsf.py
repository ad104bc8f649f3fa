"""Findings and incidents as OCSF Detection Finding (class 2004) events, for data lakes and SIEMs.

Security Lake and most SIEMs ingest OCSF, so ``--format ocsf`` hands them Trailwarden's
verdicts in their own shape. The objects are built with ``py-ocsf-models`` (the maintained
pydantic model of the schema) rather than hand-written dictionaries, so a field the schema
renames or requires shows up as a validation error here, not as a silently dropped record in
someone's lake. The library is imported on first use: the Lambda never loads it.

Mapping (README, "OCSF"):

* ``severity_id``: critical 5, high 4, medium 3, low 2, info 1;
* ``finding_info``: ``uid`` = incident id (``incidents list``) or ``rule#event`` (``replay``),
  ``analytic`` = the rule, ``desc`` = the reason, ``src_url`` = the rule's reference;
* ``resources``: the acting principal (``labels: ["actor"]``) and the target, by ARN;
* ``cloud``: AWS, the event's account and region; ``api.operation``: the CloudTrail event name;
* ``status_id`` / ``activity_id`` from triage: open → New / Create, acknowledged →
  In Progress / Update, resolved → Resolved (Suppressed for a false positive) / Close;
* ``remediation``: the runbook; ``unmapped``: breaks, user agent, observed auth, details.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson

from chalicelib.findings import Finding, Severity

if TYPE_CHECKING:
    from py_ocsf_models.events.findings.detection_finding import DetectionFinding

PRODUCT = "Trailwarden"
SEVERITY_IDS: Mapping[Severity, int] = {
    Severity.CRITICAL: 5, Severity.HIGH: 4, Severity.MEDIUM: 3, Severity.LOW: 2, Severity.INFO: 1,
}
# triage status → (OCSF status_id, activity_id): New/Create, In Progress/Update, Resolved/Close
_STATUS_IDS: Mapping[str, tuple[int, int]] = {"open": (1, 1), "acknowledged": (2, 2), "resolved": (4, 3)}
_SUPPRESSED = 3  # status_id of a finding resolved as a false positive
_STATUS_CAPTIONS: Mapping[int, str] = {1: "New", 2: "In Progress", 3: "Suppressed", 4: "Resolved"}


def _millis(value: Any) -> int | None:
    """An ISO time (CloudTrail's ``2026-01-02T03:04:05Z``) or datetime as epoch milliseconds; None if unreadable."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value.strip():
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _resource(models: Any, arn: str | None, name: str | None, label: str, region: str | None) -> Any | None:
    if not arn and not name:
        return None
    kind = arn.split(":")[2] if arn and arn.startswith("arn:") and arn.count(":") >= 5 else None
    return models.ResourceDetails(uid=arn or name, name=name or arn, labels=[label], region=region,
                                  type=f"AWS::{kind.upper()}" if kind else None, cloud_partition=_partition(arn))


def _partition(arn: str | None) -> str | None:
    return arn.split(":")[1] or None if arn and arn.startswith("arn:") and arn.count(":") >= 5 else None


class _Models:
    """The library's classes, imported once on first use (keeps ``import chalicelib`` light)."""

    def __init__(self) -> None:
        from py_ocsf_models.events.findings.detection_finding import DetectionFinding
        from py_ocsf_models.objects.account import Account, TypeID
        from py_ocsf_models.objects.analytic import Analytic
        from py_ocsf_models.objects.api import API
        from py_ocsf_models.objects.cloud import Cloud
        from py_ocsf_models.objects.finding_info import FindingInformation
        from py_ocsf_models.objects.metadata import Metadata
        from py_ocsf_models.objects.observable import Observable
        from py_ocsf_models.objects.observable import TypeID as ObservableType
        from py_ocsf_models.objects.product import Product
        from py_ocsf_models.objects.remediation import Remediation
        from py_ocsf_models.objects.resource_details import ResourceDetails

        self.DetectionFinding, self.Account, self.AccountType = DetectionFinding, Account, TypeID
        self.Analytic, self.API, self.Cloud, self.FindingInformation = Analytic, API, Cloud, FindingInformation
        self.Metadata, self.Observable, self.ObservableType = Metadata, Observable, ObservableType
        self.Product, self.Remediation, self.ResourceDetails = Product, Remediation, ResourceDetails


_models: _Models | None = None


def _lib() -> _Models:
    global _models
    if _models is None:
        _models = _Models()
    return _models


def detection_finding(finding: Finding, *, incident: Mapping[str, Any] | None = None,
                      now: datetime | None = None) -> DetectionFinding:
    """One finding (or a stored incident: its first finding plus ``incident_id``, ``count``,
    ``first_seen``, ``last_seen`` and triage ``status``/``triage``) as a validated Detection Finding.

    ``time`` is the event's time; a record without a readable one gets ``now`` (OCSF requires it).
    """
    m = _lib()
    incident = incident or {}
    status = str(incident.get("status") or "open")
    status_id, activity_id = _STATUS_IDS.get(status, (1, 1))
    if status == "resolved" and (incident.get("triage") or {}).get("resolution") == "false-positive":
        status_id = _SUPPRESSED
    event_ms = _millis(finding.event_time)
    time_ms = event_ms if event_ms is not None else _millis(now or datetime.now(UTC))
    uid = str(incident.get("incident_id") or finding.dedup_key)
    account_name = (finding.details or {}).get("account_name") or incident.get("account_name")
    cloud = m.Cloud(provider="AWS", region=finding.region, account=m.Account(
        uid=finding.account, name=str(account_name or finding.account), type_id=m.AccountType.AWS_Account,
        type="AWS Account")) if finding.account else m.Cloud(provider="AWS", region=finding.region)
    resources = [r for r in (_resource(m, finding.principal_arn, finding.principal, "actor", finding.region),
                             _resource(m, finding.target_arn, None, "target", finding.region)) if r is not None]
    observables = []
    if finding.source_ip:
        observables.append(m.Observable(name="src_endpoint.ip", type="IP Address",
                                        type_id=m.ObservableType.IP_Address, value=finding.source_ip))
    if finding.principal_arn:
        observables.append(m.Observable(name="actor.user.uid", type="Resource UID",
                                        type_id=m.ObservableType.Resource_UID, value=finding.principal_arn))
    unmapped = {k: v for k, v in {
        "breaks": finding.breaks, "user_agent": finding.user_agent, "observed_auth": finding.observed_auth,
        "principal": finding.principal, "event_id": finding.event_id, "details": dict(finding.details) or None,
    }.items() if v is not None}
    return m.DetectionFinding(
        activity_id=activity_id,
        type_uid=200400 + activity_id,
        severity_id=SEVERITY_IDS[finding.severity],
        severity=finding.severity.label.capitalize() if finding.severity is not Severity.INFO else "Informational",
        status_id=status_id,
        status=_STATUS_CAPTIONS[status_id],
        time=time_ms,
        message=finding.title,
        count=incident.get("count"),
        start_time=_millis(incident.get("first_seen")),
        end_time=_millis(incident.get("last_seen")),
        metadata=m.Metadata(
            product=m.Product(name=PRODUCT, vendor_name=PRODUCT, uid="trailwarden"),
            uid=uid, event_code=finding.event_name, correlation_uid=finding.group_key,
            log_provider="AWS CloudTrail", profiles=["cloud"], tenant_uid=finding.account,
        ),
        finding_info=m.FindingInformation(
            uid=uid, title=finding.title, desc=finding.reason or None, src_url=finding.reference,
            types=[finding.rule], data_sources=["AWS CloudTrail"],
            analytic=m.Analytic(name=finding.rule, uid=finding.rule, type="Rule", type_id=1),
            first_seen_time=_millis(incident.get("first_seen")) or event_ms,
            last_seen_time=_millis(incident.get("last_seen")) or event_ms,
        ),
        cloud=cloud,
        api=m.API(operation=finding.event_name) if finding.event_name else None,
        resources=resources or None,
        observables=observables or None,
        remediation=m.Remediation(desc=finding.runbook, references=[finding.reference] if finding.reference else None)
        if finding.runbook else None,
        unmapped=unmapped or None,
    )


def ocsf_dict(finding: Finding, *, incident: Mapping[str, Any] | None = None,
              now: datetime | None = None) -> dict[str, Any]:
    """The JSON-ready form: enums as their numbers, unset optional fields left out."""
    return detection_finding(finding, incident=incident, now=now).model_dump(mode="json", exclude_none=True)


def ocsf_line(finding: Finding, *, incident: Mapping[str, Any] | None = None, now: datetime | None = None) -> bytes:
    """One JSON line (newline-terminated), as ``--format ocsf`` writes it."""
    return orjson.dumps(ocsf_dict(finding, incident=incident, now=now), option=orjson.OPT_APPEND_NEWLINE)
