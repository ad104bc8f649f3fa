"""Security Hub delivery: ``BatchImportFindings`` in ASFF, and triage mirrored to the workflow status.

The third alert channel (routing name ``securityhub``). Imports go in batches of at most 100
findings (the API's limit); the findings a batch answers in ``FailedFindings`` are tried again
(up to ``attempts`` calls, backing off) unless their error says retrying cannot help, and
whatever still failed is reported by id and error. The importing account is the Lambda's own
(``sts:GetCallerIdentity``, which needs no permission), read on first use; the ASFF rules that
follow from it are in ``asff.py``.

Triage: ``mirror`` turns a triage record into ``BatchUpdateFindings`` on the incident's
finding: ack → NOTIFIED, resolve → RESOLVED (SUPPRESSED for a false positive), reopen → NEW,
with the actor and note as the finding's note. A failed mirror is logged and never undoes or
fails the triage, which is already in the hash chain.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from chalicelib.errors import DeliveryError
from chalicelib.findings import Finding
from chalicelib.notify.asff import Importer, asff_finding
from chalicelib.notify.message import AlertContext, redact

BATCH = 100  # BatchImportFindings takes at most 100 findings per call
ATTEMPTS = 3
NOT_RETRIED = frozenset({"InvalidInput", "InvalidInputException", "AccessDeniedException", "InvalidAccessException"})
WORKFLOW = {"ack": "NOTIFIED", "resolve": "RESOLVED", "reopen": "NEW"}
RETRY_CONFIG: dict[str, Any] = {"mode": "standard", "max_attempts": 5}


@dataclass(frozen=True)
class ImportReport:
    """What one ``import_findings`` call did: how many imported, which failed (id → error), retries made."""

    imported: int = 0
    failed: Mapping[str, str] = field(default_factory=dict)
    retried: int = 0
    calls: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed


def _chunks(items: list[dict[str, Any]], size: int) -> Iterable[list[dict[str, Any]]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class SecurityHubPublisher:
    """Imports findings into the monitor account's Security Hub; clients are built on first use."""

    def __init__(self, region: str, *, client: Any | None = None, account_id: str | None = None,
                 partition: str = "aws", clock: Callable[[], datetime] | None = None,
                 sleep: Callable[[float], None] = time.sleep, attempts: int = ATTEMPTS,
                 logger: Any | None = None) -> None:
        self.region = region
        self._client = client
        self._account_id = account_id
        self.partition = partition
        self.clock = clock or (lambda: datetime.now(UTC))
        self.sleep = sleep
        self.attempts = max(1, attempts)
        self._log = logger if logger is not None else logging.getLogger(__name__)

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            self._client = boto3.client("securityhub", region_name=self.region,
                                        config=Config(retries=dict(RETRY_CONFIG)))
        return self._client

    @property
    def importer(self) -> Importer:
        if self._account_id is None:
            import boto3

            identity = boto3.client("sts", region_name=self.region).get_caller_identity()
            self._account_id = str(identity["Account"])
            self.partition = str(identity.get("Arn", "arn:aws:").split(":")[1] or self.partition)
        return Importer(self._account_id, self.region, self.partition)

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client, operation)(**kwargs)
        except ClientError as err:
            error = err.response.get("Error", {})
            raise DeliveryError(f"Security Hub {operation} failed: {error.get('Code', 'ClientError')}: "
                                f"{redact(error.get('Message', ''))}", location=self.region) from err
        except BotoCoreError as err:
            raise DeliveryError(f"Security Hub {operation} failed: {redact(str(err))}", location=self.region) from err

    def import_findings(self, findings: list[dict[str, Any]]) -> ImportReport:
        """Import ASFF findings in batches of ≤100; retry partial failures; report what still failed."""
        imported = retried = calls = 0
        failed: dict[str, str] = {}
        for batch in _chunks(findings, BATCH):
            pending = batch
            for attempt in range(1, self.attempts + 1):
                answer = self._call("batch_import_findings", Findings=pending)
                calls += 1
                imported += int(answer.get("SuccessCount", 0))
                errors = {str(f.get("Id")): f"{f.get('ErrorCode', '?')}: {redact(str(f.get('ErrorMessage', '')))}"
                          for f in answer.get("FailedFindings") or []}
                again = [f for f in pending if f["Id"] in errors and errors[f["Id"]].split(":")[0] not in NOT_RETRIED]
                for finding_id, text in errors.items():
                    if not any(f["Id"] == finding_id for f in again) or attempt == self.attempts:
                        failed[finding_id] = text
                if not again or attempt == self.attempts:
                    break
                retried += len(again)
                self._log.warning("Security Hub rejected %d of %d findings; retrying them (attempt %d of %d)",
                                  len(again), len(pending), attempt + 1, self.attempts)
                self.sleep(min(2.0, 0.2 * 2 ** (attempt - 1)))
                pending = again
        if failed:
            self._log.error("Security Hub did not import %d findings: %s", len(failed),
                            "; ".join(f"{k}: {v}" for k, v in list(failed.items())[:10]))
        return ImportReport(imported, failed, retried, calls)

    def publish_finding(self, finding: Finding, context: AlertContext | None = None) -> str:
        """The notifier's channel call: import one finding (its incident's), return its ASFF Id."""
        document = asff_finding(finding, context, self.importer, self.clock())
        report = self.import_findings([document])
        if not report.ok:
            raise DeliveryError(f"Security Hub did not import {document['Id']}: {report.failed[document['Id']]}")
        return str(document["Id"])  # a reopened incident's NEW status comes from its reopen record (mirror)

    def set_workflow(self, finding_id: str, status: str, *, note: str, by: str = "trailwarden") -> None:
        """``BatchUpdateFindings`` on one finding of the default product; unprocessed → DeliveryError."""
        answer = self._call(
            "batch_update_findings",
            FindingIdentifiers=[{"Id": finding_id, "ProductArn": self.importer.product_arn}],
            Workflow={"Status": status},
            Note={"Text": redact(note)[:512] or status, "UpdatedBy": by[:512]},
        )
        unprocessed = answer.get("UnprocessedFindings") or []
        if unprocessed:
            first = unprocessed[0]
            raise DeliveryError(f"Security Hub did not update {finding_id}: {first.get('ErrorCode')}: "
                                f"{first.get('ErrorMessage')}", location=self.region)

    def mirror(self, record: Any) -> bool:
        """A triage record (``chalicelib.incidents.triage.TriageRecord``) → the finding's workflow status.

        Returns whether it was mirrored; failures are logged, never raised (the triage is already recorded).
        """
        status = WORKFLOW.get(record.action)
        if status is None:
            return False
        if record.action == "resolve" and record.resolution == "false-positive":
            status = "SUPPRESSED"
        words = [f"{record.action} by {record.actor} via {record.via}"]
        if record.resolution:
            words.append(f"({record.resolution})")
        if record.note:
            words.append(f": {record.note}")
        try:
            self.set_workflow(record.incident_id, status, note=" ".join(words), by=record.actor)
        except DeliveryError as err:
            self._log.warning("triage of %s not mirrored to Security Hub: %s", record.incident_id, err)
            return False
        return True
