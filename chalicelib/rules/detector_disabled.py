"""detector-disabled: another detector (GuardDuty, Config, Security Hub, …) was switched off."""

from __future__ import annotations

from types import MappingProxyType

from chalicelib.events import as_bool
from chalicelib.findings import Severity
from chalicelib.rules.base import Context, Rule, Verdict
from chalicelib.rules.registry import register
from chalicelib.watch.detectors import DETECTOR_CALLS
from chalicelib.watch.verdicts import blinding_verdict

TARGET_KEYS = ("detectorId", "configurationRecorderName", "deliveryChannelName", "analyzerName",
               "resolverQueryLogConfigId", "resourceId")


@register
class DetectorDisabled(Rule):
    id = "detector-disabled"
    severity = Severity.HIGH
    title = "Security detector switched off"
    event_names = frozenset(DETECTOR_CALLS)
    memo_fields = (("eventSource",),)  # every listed call is a finding from its service, except below
    memo_fields_by_name = MappingProxyType({"UpdateDetector": (("requestParameters", "enable"),)})
    reference = "https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_suspend-disable.html"
    runbook = (
        "A detector that watches this account was switched off. Switch it back on (GuardDuty: `aws guardduty "
        "update-detector --detector-id ID --enable`; Config: `aws configservice start-configuration-recorder`; "
        "Security Hub: `aws securityhub enable-security-hub`; recreate the analyzer, flow logs or query "
        "logging), then find out who and why: switching detectors off is an attacker's first step. Declare "
        "the principals allowed to do it with `manages_monitoring: true`."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev = ctx.event
        source, detector, lost, action = DETECTOR_CALLS[ev.event_name]
        if ev.event_source not in (source, "?"):
            return None
        if ev.event_name == "UpdateDetector" and as_bool(ev.request_parameters.get("enable")) is not False:
            return None  # an update that leaves the detector enabled
        target = next((str(ev.request_parameters[k]) for k in TARGET_KEYS
                       if isinstance(ev.request_parameters.get(k), (str, int))), None)
        region = ev.region or "an unknown region"
        return blinding_verdict(ctx, base=Severity.HIGH, control=detector,
                                action=f"{action}{f' ({target})' if target else ''} in {region}",
                                blind_to=f"{lost} in account {ev.account or 'unknown'}, {region}",
                                detector=detector, target=target)
