"""ec2-user-data-modified: ``ModifyInstanceAttribute`` replaced a stopped instance's user data, a
script that runs as root at its next start, with the instance's role (Stratus Red Team's
aws.execution.ec2-user-data). CloudTrail records the value as ``<sensitiveDataRemoved>``; that the
key is there is what counts. Both request forms are read: the ``userData`` structure (SDKs, Stratus)
and ``attribute: userData`` with a ``value`` (the CLI's ``--attribute userData``).

Judged by who acts (chalicelib/rules/_instance_access.py): low for ``operates_instances``, medium
for an IAM manager not so declared, high otherwise; a refusal at most medium; grouped per caller.
Other attributes (instance type, security groups) are not judged.
"""

from __future__ import annotations

from chalicelib.events import as_str
from chalicelib.findings import Severity
from chalicelib.rules._instance_access import caller_group, grade, instance_arn, operator_details
from chalicelib.rules.base import Context, Rule, Verdict, failed_suffix
from chalicelib.rules.registry import register

SOURCE = "ec2.amazonaws.com"


@register
class Ec2UserDataModified(Rule):
    id = "ec2-user-data-modified"
    severity = Severity.HIGH
    title = "Instance user data replaced (runs as root at next start)"
    event_names = frozenset({"ModifyInstanceAttribute"})
    # Quiet for other attributes, AWS acting (userIdentity), another source, a declared operator's refusal.
    memo_fields = (("eventSource",), ("requestParameters", "userData"), ("requestParameters", "attribute"),
                   ("errorCode",), ("responseElements", "ModifyInstanceAttribute"))
    reference = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyInstanceAttribute.html"
    runbook = (
        "Read the instance's user data now (`aws ec2 describe-instance-attribute --attribute userData "
        "--instance-id ID`, base64) and restore the known one before the instance starts again. If it "
        "already started: treat the instance and its role's credentials as compromised, and the caller's "
        "credentials too. Declare routine operators with `operates_instances: true`."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev = ctx.event
        if ev.event_source != SOURCE or not _sets_user_data(ev.request_parameters):
            return None
        graded = grade(ctx)
        if graded is None:
            return None
        severity, why = graded
        instance = ev.param("instanceId")
        return Verdict(
            reason=f"{ctx.actor.describe()} replaced the user data of instance {instance or '?'}, code that runs "
                   f"as root with the instance's role at its next start: {why}{failed_suffix(ctx)}",
            severity=severity,
            target_arn=instance_arn(ctx, instance),
            group_key=caller_group("user-data", ctx),
            details={"instance_id": instance,
                     **operator_details(ctx)},
        )


def _sets_user_data(params: dict[str, object]) -> bool:
    """The call names user data: the ``userData`` key (any value, redacted or not), or the attribute form."""
    attribute = as_str(params.get("attribute"))
    return params.get("userData") is not None or (attribute is not None and attribute.casefold() == "userdata")
