"""detector-disabled: another detector (GuardDuty, Config, Security Hub, …) was switched off."""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

from chalicelib.events import as_bool, as_dict, as_str
from chalicelib.findings import Severity
from chalicelib.rules._aws_acting import aws_applied
from chalicelib.rules.base import Context, Rule, Verdict
from chalicelib.rules.registry import register
from chalicelib.watch.detectors import DETECTOR_CALLS, NARROWER_CALLS, WRITES_ONLY_DETECTOR_CALLS
from chalicelib.watch.verdicts import blinding_verdict

CALLS = {**DETECTOR_CALLS, **WRITES_ONLY_DETECTOR_CALLS}  # the second reaches prod through writes only

# Calls that switch a detector off only with one parameter set so (GuardDuty left on but looking away):
# name → (request key, the value that does it); any other value is quiet.
NARROW_RECORDER = "PutConfigurationRecorder"
LOOK_AWAY = {"CreateFilter": ("action", "ARCHIVE"), "UpdateFilter": ("action", "ARCHIVE"),
             "CreateIPSet": ("activate", True), "UpdateIPSet": ("activate", True),
             "UpdateStandardsControl": ("controlStatus", "DISABLED")}
# Security Hub's batch form: a list of controls, each with its own status (a list: such a record is judged in full).
CONTROL_BATCH, CONTROL_UPDATES = "BatchUpdateStandardsControlAssociations", "standardsControlAssociationUpdates"
TARGET_KEYS = ("detectorId", "configurationRecorderName", "deliveryChannelName", "analyzerName",
               "resolverQueryLogConfigId", "resourceId", "configRuleName", "configurationAggregatorName",
               "productSubscriptionArn", "destinationId", "standardsControlArn")


@register
class DetectorDisabled(Rule):
    id = "detector-disabled"
    severity = Severity.HIGH
    title = "Security detector switched off"
    event_names = frozenset(CALLS)
    memo_fields = (("eventSource",),)  # every listed call is a finding from its service, except below
    # An UpdateDetector is quiet unless it switches the detector or one of its protection plans off.
    memo_fields_by_name = MappingProxyType({"UpdateDetector": tuple(("requestParameters", k) for k in (
        "enable", "features", "dataSources")), **{n: (("requestParameters", k),) for n, (k, _) in LOOK_AWAY.items()},
        NARROW_RECORDER: (("requestParameters", "configurationRecorder"),),  # an object: judged in full
        CONTROL_BATCH: (("requestParameters", CONTROL_UPDATES),)})
    reference = "https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_suspend-disable.html"
    runbook = (
        "A detector that watches this account was switched off. Switch it back on (GuardDuty: `aws guardduty "
        "update-detector --detector-id ID --enable`, a suppression filter: `aws guardduty delete-filter "
        "--detector-id ID --filter-name NAME`, a trusted IP list: `aws guardduty update-ip-set --detector-id ID "
        "--ip-set-id SET --no-activate`; Config: `aws configservice start-configuration-recorder "
        "--configuration-recorder-name NAME`; Security Hub: `aws securityhub enable-security-hub`, a control: "
        "`aws securityhub update-standards-control --standards-control-arn ARN --control-status ENABLED`; recreate "
        "the analyzer, flow logs or query logging), then find out who and why: switching detectors off is an "
        "attacker's first step. Declare the principals allowed to do it with `manages_monitoring: true`."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev = ctx.event
        source, detector, lost, action = CALLS[ev.event_name]
        if ev.event_source not in (source, "?"):
            return None
        if ev.event_name == "UpdateDetector" and as_bool(ev.request_parameters.get("enable")) is not False:
            return _plans_off(ctx)  # the detector stays on: judged only if protection plans go off
        base, narrowed = (Severity.MEDIUM if ev.event_name in NARROWER_CALLS else Severity.HIGH), ""
        if ev.event_name == NARROW_RECORDER:
            narrowed = _recorder_narrowed(ev.request_parameters)
            if not narrowed:
                return None  # a recorder that records every supported type (AWS's default)
            base = Severity.MEDIUM  # a recorder scoped to some types has honest (cost) reasons; who did it decides
        if ev.event_name == CONTROL_BATCH:
            controls = _controls_disabled(ev.request_parameters)
            if not controls:
                return None  # controls enabled, or only their reasons changed
            narrowed = f" ({', '.join(controls[:5])}{'…' if len(controls) > 5 else ''})"
        if ev.event_name in LOOK_AWAY:
            key, value = LOOK_AWAY[ev.event_name]
            given = ev.request_parameters.get(key)
            if not (as_bool(given) is True if value is True else (as_str(given) or "").upper() == value):
                return None  # a filter that only labels, an inactive list
            base = Severity.MEDIUM  # suppression rules have honest uses; who added it decides
        target = next((str(ev.request_parameters[k]) for k in TARGET_KEYS
                       if isinstance(ev.request_parameters.get(k), (str, int))), None)
        region = ev.region or "an unknown region"
        name = (as_str(ev.request_parameters.get("name")) or as_str(ev.request_parameters.get("filterName"))
                if ev.event_name in LOOK_AWAY else None)
        return _aws_applied(ctx, blinding_verdict(
            ctx, base=base, control=detector,
            action=f"{action}{f' {name!r}' if name else ''}{f' ({target})' if target else ''}{narrowed} in {region}",
            blind_to=f"{lost} in account {ev.account or 'unknown'}, {region}", detector=detector, target=target))


def _controls_disabled(params: dict[str, object]) -> list[str]:
    """The Security Hub controls a batch update switches off (their ids), in order."""
    out = []
    for update in map(as_dict, _list(params.get(CONTROL_UPDATES))):
        if (as_str(update.get("associationStatus")) or "").upper() == "DISABLED":
            out.append(as_str(update.get("securityControlId")) or "?")
    return list(dict.fromkeys(out))


def _recorder_narrowed(params: dict[str, object]) -> str:
    """What a PutConfigurationRecorder leaves unrecorded, in words; empty when it records every type."""
    group = as_dict(as_dict(params.get("configurationRecorder")).get("recordingGroup"))
    excluded = _list(as_dict(group.get("exclusionByResourceTypes")).get("resourceTypes"))
    if excluded:
        return f" to every resource type except {', '.join(map(str, excluded[:5]))}{'…' if len(excluded) > 5 else ''}"
    if as_bool(group.get("allSupported")) is False:
        kept = _list(group.get("resourceTypes"))
        listed = ", ".join(map(str, kept[:5])) or "none"
        return f" to {len(kept)} resource type{'s' if len(kept) != 1 else ''} ({listed})"
    return ""


def _aws_applied(ctx: Context, verdict: Verdict) -> Verdict:
    """Low when AWS made the call under its own identity or a service-linked role (an organization-wide
    setting applied to this account, a service tidying up): no caller can act so; the record is kept."""
    if not aws_applied(ctx):
        return verdict
    return replace(verdict, severity=Severity.LOW, reason=f"{verdict.reason} AWS made this call itself (its own "
                   "identity or a service-linked role): look for the organization-level change that asked for it.")


def _plans_off(ctx: Context) -> Verdict | None:
    """An UpdateDetector that leaves GuardDuty on but switches protection plans off: ``features`` with
    status DISABLED (and their ``additionalConfiguration``), or the older ``dataSources`` with enable false.
    The detector still answers, so this is quieter than switching it off, and as blinding for what the plan saw."""
    params = ctx.event.request_parameters
    off: list[str] = []
    for feature in map(as_dict, _list(params.get("features"))):
        name = as_str(feature.get("name")) or "?"
        if _disabled(feature):
            off.append(name)
        off += [f"{name}/{as_str(extra.get('name')) or '?'}"
                for extra in map(as_dict, _list(feature.get("additionalConfiguration"))) if _disabled(extra)]
    off += _sources_off(as_dict(params.get("dataSources")), ())
    if not off:
        return None
    ev = ctx.event
    region = ev.region or "an unknown region"
    plans = ", ".join(off)
    return _aws_applied(ctx, blinding_verdict(ctx, base=Severity.MEDIUM, control="GuardDuty protection plans",
                            action=f"switched off GuardDuty protection plans {plans} "
                                   f"({as_str(params.get('detectorId')) or '?'}) in {region}",
                            blind_to=f"GuardDuty findings from {plans} in account {ev.account or 'unknown'}, {region}",
                            detector="GuardDuty", target=as_str(params.get("detectorId")), plans_off=off))


def _sources_off(node: dict[str, object], path: tuple[str, ...]) -> list[str]:
    """The ``dataSources`` leaves set to ``enable: false`` (``s3Logs``, ``kubernetes/auditLogs``…)."""
    found: list[str] = []
    if path and as_bool(node.get("enable")) is False:
        found.append("/".join(path))
    for key, value in node.items():
        if isinstance(value, dict):
            found += _sources_off(value, (*path, str(key)))
    return found


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _disabled(entry: dict[str, object]) -> bool:
    return (as_str(entry.get("status")) or "").upper() == "DISABLED"
