"""ssm-instance-access: Systems Manager ran commands on instances (``SendCommand``) or opened a
shell on one (``StartSession``), so the caller acts as the instance's role from inside it:
Stratus Red Team's aws.execution.ssm-send-command and aws.execution.ssm-start-session.

Judged by who acts (chalicelib/rules/_instance_access.py): low for a principal declared with
``operates_instances``, medium for an IAM manager not so declared, high for anyone else (an
instance's own role reaching into other instances included); a refusal at most medium, grouped
per caller. AWS acting (Patch Manager, maintenance windows, Automation) is not judged.
"""

from __future__ import annotations

from types import MappingProxyType

from chalicelib.events import as_dict, as_str
from chalicelib.findings import Severity
from chalicelib.rules._instance_access import caller_group, grade, instance_arn, operator_details
from chalicelib.rules.base import Context, Rule, Verdict, failed_suffix
from chalicelib.rules.registry import register

SOURCE = "ssm.amazonaws.com"  # Athena has a StartSession too (a notebook), never judged here
SHOWN = 10  # instance ids named in a reason; the details hold them all


@register
class SsmInstanceAccess(Rule):
    id = "ssm-instance-access"
    severity = Severity.HIGH
    title = "Commands or a shell on instances through Systems Manager"
    event_names = frozenset({"SendCommand", "StartSession"})
    # Quiet for another service's names, AWS acting (userIdentity), and a declared operator's refusal
    # (its outcome: errorCode, or a "Failure" under responseElements.<eventName>, as failed reads it).
    memo_fields = (("eventSource",), ("errorCode",))
    memo_fields_by_name = MappingProxyType({n: (("responseElements", n),) for n in ("SendCommand", "StartSession")})
    reference = "https://docs.aws.amazon.com/systems-manager/latest/userguide/monitoring-cloudtrail-logs.html"
    runbook = (
        "Ask the caller what it ran and why. If nobody knows: read the command's output (`aws ssm "
        "list-command-invocations --command-id ID --details`) or the session log, treat the instances and "
        "their role's credentials as compromised (rotate what the role can read, review its calls since), "
        "and the caller's credentials too. Declare routine operators with `operates_instances: true`."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev = ctx.event
        if ev.event_source != SOURCE:
            return None
        graded = grade(ctx)
        if graded is None:
            return None
        severity, why = graded
        targets = _targets(ev.request_parameters, ev.event_name)
        document = ev.param("documentName")
        what = ("ran a command document on" if ev.event_name == "SendCommand"
                else "started an interactive session on")
        shown = ", ".join(targets[:SHOWN]) + (f" and {len(targets) - SHOWN} more" if len(targets) > SHOWN else "")
        tagged = _tag_targets(ev.request_parameters)
        where = shown or (f"the instances matching {', '.join(tagged)}" if tagged else "an unnamed target")
        return Verdict(
            reason=f"{ctx.actor.describe()} {what} {where} through Systems Manager: {why}{failed_suffix(ctx)}",
            severity=severity,
            target_arn=instance_arn(ctx, targets[0]) if len(targets) == 1 else None,
            group_key=caller_group("ssm-access", ctx),
            details={"instance_ids": targets, "target_selectors": tagged, "document_name": document,
                     **operator_details(ctx)},
        )


def _targets(params: dict[str, object], name: str) -> list[str]:
    """Instance ids the call names: StartSession's ``target``; SendCommand's ``instanceIds`` and any
    ``targets`` selector on ``InstanceIds``."""
    if name == "StartSession":
        target = as_str(params.get("target"))
        return [target] if target else []
    ids = params.get("instanceIds")
    out = [i for i in ids if isinstance(i, str) and i] if isinstance(ids, list) else []
    for selector in params.get("targets") if isinstance(params.get("targets"), list) else []:
        sel = as_dict(selector)
        values = sel.get("values")
        if as_str(sel.get("key")) == "InstanceIds" and isinstance(values, list):
            out.extend(v for v in values if isinstance(v, str) and v)
    return list(dict.fromkeys(out))


def _tag_targets(params: dict[str, object]) -> list[str]:
    """SendCommand's other selectors (``tag:Role=web``, ``resource-groups:Name=x``): every instance they match."""
    out = []
    for selector in params.get("targets") if isinstance(params.get("targets"), list) else []:
        sel = as_dict(selector)
        key, values = sel.get("key"), sel.get("values")
        if isinstance(key, str) and key and key != "InstanceIds":
            vals = ",".join(v for v in values if isinstance(v, str)) if isinstance(values, list) else "?"
            out.append(f"{key}={vals}")
    return out
