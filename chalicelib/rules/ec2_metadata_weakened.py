"""ec2-metadata-weakened: an instance's metadata service made to answer IMDSv1 again (``HttpTokens:
optional``), for one instance (``ModifyInstanceMetadataOptions``) or as the account's default for new ones
(``ModifyInstanceMetadataDefaults``). IMDSv1 needs no session token, so a server-side request forgery in
anything on the machine hands out the instance role's credentials (the Capital One path): weakening it is
how an attacker prepares to steal them, and undoes a common hardening baseline.

Judged by who acts (chalicelib/rules/_instance_access.py), one step lower than getting onto a machine, as
legacy software is an honest reason: medium for anyone not declared ``operates_instances`` (high for an
instance's own credentials, lateral movement), low for a declared operator; AWS acting is left alone.
``HttpTokens: required`` and other settings (hop limit, tags in metadata) are quiet.
"""

from __future__ import annotations

from types import MappingProxyType

from chalicelib.events import as_dict, as_str
from chalicelib.findings import Severity
from chalicelib.identity.resolve import INSTANCE_PROFILE
from chalicelib.rules._instance_access import caller_group, grade, instance_arn, operator_details
from chalicelib.rules.base import Context, Rule, Verdict, failed_suffix
from chalicelib.rules.registry import register

SOURCE = "ec2.amazonaws.com"
ONE, DEFAULTS = "ModifyInstanceMetadataOptions", "ModifyInstanceMetadataDefaults"
WRAPPER = {ONE: "ModifyInstanceMetadataOptionsRequest", DEFAULTS: "ModifyInstanceMetadataDefaultsRequest"}


@register
class Ec2MetadataWeakened(Rule):
    id = "ec2-metadata-weakened"
    severity = Severity.MEDIUM
    title = "Instance metadata service opened to IMDSv1 (no session token)"
    event_names = frozenset(WRAPPER)
    memo_fields = (("eventSource",), ("errorCode",))
    # The request object (EC2 records it under the call's Request name): an object, so no memo key holds it and
    # such a record is judged in full.
    memo_fields_by_name = MappingProxyType({name: (("requestParameters", wrapper),)
                                            for name, wrapper in WRAPPER.items()})
    reference = "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-IMDS-existing-instances.html"
    runbook = (
        "Require session tokens again (`aws ec2 modify-instance-metadata-options --instance-id ID --http-tokens "
        "required`; for the account default `aws ec2 modify-instance-metadata-defaults --http-tokens required`) "
        "and ask who needed IMDSv1. If nobody: look for calls made with the instance role's credentials from "
        "outside the instance since, and treat the caller's credentials as compromised."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev = ctx.event
        if ev.event_source != SOURCE:
            return None
        request = as_dict(ev.request_parameters.get(WRAPPER.get(ev.event_name or "", "")))
        tokens = as_str(request.get("HttpTokens")) or as_str(request.get("httpTokens"))
        if (tokens or "").lower() != "optional":
            return None
        graded = grade(ctx)
        if graded is None:
            return None
        severity, why = graded
        if ctx.actor.auth != INSTANCE_PROFILE:
            severity = min(severity, Severity.MEDIUM)
        instance = as_str(request.get("InstanceId")) or as_str(request.get("instanceId"))
        where = f"instance {instance or '?'}" if ev.event_name == ONE else \
            f"every instance launched from now on in {ev.region or 'this region'} (the account default)"
        return Verdict(
            reason=f"{ctx.actor.describe()} let the metadata service of {where} answer IMDSv1 requests without a "
                   f"session token (HttpTokens optional): a request forgery on the machine can then read its role's "
                   f"credentials. {why}{failed_suffix(ctx)}",
            severity=severity,
            target_arn=instance_arn(ctx, instance),
            group_key=caller_group("imds", ctx),
            details={"instance_id": instance, "account_default": ev.event_name == DEFAULTS, **operator_details(ctx)},
        )
