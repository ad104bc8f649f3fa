"""monitor-pipeline-tampered: someone changed or switched off one of Trailwarden's own resources."""

from __future__ import annotations

from chalicelib.findings import Severity
from chalicelib.rules.base import Context, Rule, Verdict
from chalicelib.rules.registry import register
from chalicelib.watch.own import ReadsOwnResources
from chalicelib.watch.pipeline import (
    EVENT_NAMES,
    base_name,
    call_of,
    concurrency,
    loss,
    named,
    not_a_weakening,
    own_resource,
)
from chalicelib.watch.verdicts import arn_in, blinding_verdict


@register
class MonitorPipelineTampered(ReadsOwnResources, Rule):
    id = "monitor-pipeline-tampered"
    severity = Severity.CRITICAL
    title = "Trailwarden's own pipeline changed"
    event_names = EVENT_NAMES
    # Whether the resource is Trailwarden's reads a different request key per call (and KMS's
    # resources list): replay judges these calls in full rather than keying a memo on them.
    memo_fields = None
    reference = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cloudtrail.html"
    runbook = (
        "Someone changed the monitor itself. Put it back first: `aws events enable-rule --name RULE`, "
        "`aws lambda delete-function-concurrency --function-name FN`, or redeploy the stack (`make package` "
        "and `aws cloudformation deploy`), then re-subscribe the on-call address and check the webhook "
        "parameter. Then find out who: unless the actor is your deploy pipeline (declare it with "
        "`manages_monitoring: true`), treat its credentials as compromised, and replay the trail's S3 files "
        "for the time the monitor was impaired."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev = ctx.event
        call = call_of(ev)
        if call is None or not_a_weakening(ev, call):
            return None
        resource = own_resource(self.own, call, named(ev, call))
        if resource is None:
            return None
        verb, off = call.verb, call.off
        name = base_name(ev.event_name)
        if name == "PutFunctionConcurrency":
            limit = concurrency(ev)
            off = limit == 0
            verb = ("switched off (reserved concurrency 0)" if off else
                    f"limited to {limit} concurrent runs" if limit is not None else call.verb)
        blind_to = loss(self.own, call, resource)
        if not off:
            blind_to = f"possibly {blind_to}, depending on the change"
        return blinding_verdict(
            ctx, base=Severity.CRITICAL, control=f"Trailwarden's {call.kind} {resource}",
            action=f"{verb} Trailwarden's {call.kind} {resource} ({name})", blind_to=blind_to,
            target_arn=arn_in(ctx, call.kind, resource),
            resource=resource, resource_kind=call.kind, switched_off=off)
