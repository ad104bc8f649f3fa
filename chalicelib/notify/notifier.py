"""Fan a finding out to the channels its severity is routed to, and report what happened.

One channel failing must not silence another, so every channel is tried and its failure
recorded. The policy (README, Reliability):

* a routed channel that is not configured (no webhook parameter yet) is skipped with a
  warning; it is neither a delivery nor a failure;
* when nothing on the route delivered (each channel failed or was skipped), the alert falls
  back to SNS if SNS is configured and was not already tried, and ``AlertFallbacks`` counts it;
* only when something was attempted and nothing delivered, fallback included, does ``notify``
  raise, which fails the Lambda invocation so that Lambda/EventBridge retries and the
  dead-letter queue keep the event instead of losing the alert.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from aws_lambda_powertools.metrics import MetricUnit

from chalicelib.errors import ChannelNotConfigured, DeliveryError
from chalicelib.findings import Finding
from chalicelib.notify.message import AlertContext, redact, slack_payload
from chalicelib.notify.routing import SECURITYHUB, SLACK, SNS, Routing
from chalicelib.notify.slack import SlackSender, WebhookSlackSender, ssm_webhook_url
from chalicelib.notify.sns import FindingPublisher, SnsPublisher

if TYPE_CHECKING:
    from chalicelib.settings import Settings

FAILURE_METRIC = "AlertDeliveryFailures"
FALLBACK_METRIC = "AlertFallbacks"
FALLBACK_CHANNEL = SNS
CHANNEL_FAILURE_METRICS: Mapping[str, str] = {SLACK: "SlackDeliveryFailures", SNS: "SnsDeliveryFailures",
                                              SECURITYHUB: "SecurityHubDeliveryFailures"}


class MetricsSink(Protocol):
    """The part of Powertools ``Metrics`` we use; tests pass a tiny recorder."""

    def add_metric(self, name: str, unit: Any, value: float) -> None: ...


@dataclass(frozen=True)
class DeliveryReport:
    """What one ``notify`` call did, per channel."""

    routed: tuple[str, ...] = ()
    attempted: tuple[str, ...] = ()
    delivered: tuple[str, ...] = ()
    failed: Mapping[str, str] = field(default_factory=dict)  # channel → error text (redacted)
    skipped: tuple[str, ...] = ()  # routed but not configured
    sns_message_id: str | None = None
    fallback: str | None = None  # the channel used because nothing on the route delivered

    @property
    def ok(self) -> bool:
        return not self.failed


class Notifier:
    """Routes findings by severity to Slack, SNS and Security Hub; see the module docstring for failure rules."""

    def __init__(
        self,
        routing: Routing,
        slack: SlackSender | None,
        sns: SnsPublisher | FindingPublisher | None,
        metrics: MetricsSink | None = None,
        logger: Any | None = None,
        buttons: bool = False,
        securityhub: FindingPublisher | None = None,
    ) -> None:
        self.routing = routing
        self._slack = slack
        self._sns = sns
        self._securityhub = securityhub  # SecurityHubPublisher (BatchImportFindings) when configured
        self._metrics = metrics
        self._log = logger if logger is not None else logging.getLogger(__name__)
        self._warned_unconfigured: set[str] = set()
        self.buttons = buttons  # a Slack app receives the clicks (``slack_interactions``): offer triage buttons

    @classmethod
    def from_settings(
        cls, settings: Settings, *, metrics: MetricsSink | None = None, logger: Any | None = None
    ) -> Notifier:
        """The deployed wiring: webhook URL from SSM, topic from the environment."""
        slack: SlackSender | None = None
        if settings.slack_enabled and settings.slack_webhook_parameter.strip():  # no parameter name: not configured
            slack = WebhookSlackSender(ssm_webhook_url(settings.slack_webhook_parameter.strip()))
        sns = SnsPublisher(settings.topic_arn) if settings.topic_arn else None
        securityhub = None
        if settings.securityhub_enabled:
            from chalicelib.notify.securityhub import SecurityHubPublisher

            securityhub = SecurityHubPublisher(settings.region)
        return cls(Routing.parse(settings.routing), slack, sns, metrics=metrics, logger=logger,
                   buttons=settings.slack_buttons and slack is not None, securityhub=securityhub)

    @property
    def slack(self) -> SlackSender | None:
        """The Slack channel, e.g. for ``simulate`` to print what a CapturingSlackSender got."""
        return self._slack

    @property
    def sns(self) -> SnsPublisher | FindingPublisher | None:
        return self._sns

    @property
    def securityhub(self) -> FindingPublisher | None:
        return self._securityhub

    def _configured(self, channel: str) -> bool:
        sender = {SLACK: self._slack, SNS: self._sns, SECURITYHUB: self._securityhub}.get(channel)
        if sender is not None:
            return True
        if channel not in self._warned_unconfigured:
            self._warned_unconfigured.add(channel)
            self._log.warning(
                "channel %s is routed but not configured; its alerts fall back to SNS if a topic is set, "
                "else are only logged",
                channel,
                extra={"channel": channel},
            )
        return False

    def _count(self, *names: str) -> None:
        if self._metrics is None:
            return
        try:
            for name in names:
                self._metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
        except Exception as err:  # noqa: BLE001 - a metrics bug must not turn into a lost alert
            self._log.warning("could not record metric %s: %s", names[0], type(err).__name__)

    def _deliver(self, channel: str, finding: Finding, context: AlertContext) -> str | None:
        """Send on one configured channel; returns the SNS MessageId (None for Slack)."""
        if channel == SLACK and self._slack is not None:
            self._slack.send(slack_payload(finding, context))
            return None
        if channel == SNS and self._sns is not None:
            return self._sns.publish_finding(finding, context)
        if channel == SECURITYHUB and self._securityhub is not None:
            return self._securityhub.publish_finding(finding, context)
        raise DeliveryError(f"channel {channel} is not configured")

    def notify(
        self,
        finding: Finding,
        *,
        count: int = 1,
        first_seen: str | datetime | None = None,
        last_seen: str | datetime | None = None,
        incident_id: str | None = None,
        account_name: str | None = None,
        reopened: bool = False,
    ) -> DeliveryReport:
        """Send to every routed, configured channel; raise DeliveryError only if all failed."""
        context = AlertContext(count, first_seen, last_seen, incident_id, account_name, reopened, self.buttons)
        routed = self.routing.channels_for(finding.severity)
        log_fields = {
            "rule": finding.rule,
            "severity": finding.severity.label,
            "principal_arn": redact(finding.principal_arn or ""),
            "event_id": finding.event_id,
            "incident_id": incident_id,
        }
        if not routed:
            self._log.info("finding %s (%s) is log-only", finding.rule, finding.severity.label, extra=log_fields)
            return DeliveryReport()

        attempted: list[str] = []
        delivered: list[str] = []
        skipped: list[str] = []
        failed: dict[str, str] = {}
        message_ids: dict[str, str | None] = {}

        def attempt(channel: str) -> None:
            attempted.append(channel)
            try:
                message_ids[channel] = self._deliver(channel, finding, context)
            except ChannelNotConfigured as err:
                attempted.remove(channel)
                skipped.append(channel)
                self._log.warning("alert not sent to %s: %s", channel, redact(str(err)),
                                  extra={**log_fields, "channel": channel})
                return
            except DeliveryError as err:
                failed[channel] = redact(str(err))
            except Exception as err:  # noqa: BLE001 - one channel's bug must not silence the others
                failed[channel] = redact(f"unexpected {type(err).__name__}: {err}")
            else:
                delivered.append(channel)
                return
            self._log.error("alert delivery to %s failed: %s", channel, failed[channel],
                            extra={**log_fields, "channel": channel, "error": failed[channel]})
            self._count(FAILURE_METRIC, CHANNEL_FAILURE_METRICS[channel])

        for channel in routed:
            if self._configured(channel):
                attempt(channel)
            else:
                skipped.append(channel)
        fallback = None
        if not delivered and FALLBACK_CHANNEL not in attempted and self._sns is not None:
            fallback = FALLBACK_CHANNEL
            self._log.warning("no routed channel (%s) delivered %s: falling back to %s", ",".join(routed),
                              finding.rule, fallback, extra={**log_fields, "failed": list(failed),
                                                              "skipped": list(skipped)})
            attempt(fallback)
            if fallback in delivered:
                self._count(FALLBACK_METRIC)

        report = DeliveryReport(
            routed=routed,
            attempted=tuple(attempted),
            delivered=tuple(delivered),
            failed=failed,
            skipped=tuple(skipped),
            sns_message_id=message_ids.get(SNS),
            fallback=fallback,
        )
        if attempted and not delivered:
            summary = "; ".join(f"{ch}: {text}" for ch, text in failed.items())
            error = DeliveryError(f"every channel failed for {finding.rule} (event {finding.event_id}): {summary}")
            error.report = report  # type: ignore[attr-defined]  # callers may record the attempt
            raise error
        if not attempted:
            self._log.warning("finding %s (%s) was sent nowhere: no routed channel is configured",
                              finding.rule, finding.severity.label, extra={**log_fields, "skipped": list(skipped)})
            return report
        self._log.info(
            "finding %s (%s) delivered to %s",
            finding.rule,
            finding.severity.label,
            ",".join(delivered) or "no channel",
            extra={**log_fields, "delivered": list(delivered), "skipped": list(skipped)},
        )
        return report
