"""ssm-instance-access: Systems Manager ran commands on instances (``SendCommand``) or opened a
shell on one (``StartSession``), so the caller acts as the instance's role from inside it:
Stratus Red Team's aws.execution.ssm-send-command and aws.execution.ssm-start-session. A State
Manager association (``CreateAssociation``, ``CreateAssociationBatch``, ``UpdateAssociation``) is
the same access, run again on a schedule and on every instance its targets later match: persistence.
Associations of the AWS documents that run nothing the caller writes (Patch Manager, inventory, the
agent's own update) are quiet; the ``AWS-`` prefix is AWS's alone, so no account can name its own
document so. So is an ``UpdateAssociation`` naming no document that changes neither parameters, targets
nor document version (a schedule, a name, an output bucket: nothing new runs); one that does is judged
on the document the response describes.

The same access through other services' shells (red-team round 3): ECS ``ExecuteCommand`` (a shell in
a running container, as its task role) and SageMaker ``CreatePresignedNotebookInstanceUrl`` (Jupyter and its
terminal on a notebook instance, as the notebook's execution role; Bishop Fox's iam-vulnerable path) and
``CreatePresignedDomainUrl`` (SageMaker Studio as a user profile, whose execution role its terminals use).
Those two are also how people use SageMaker every day (the console's "Open Jupyter" and "Open Studio"
buttons call them), so a declared ``human`` principal opening one is low; a key, a workload's or an
instance's credentials, or a caller the model does not declare, is graded as below.

Judged by who acts (chalicelib/rules/_instance_access.py): low for a principal declared with
``operates_instances``, medium for an IAM manager not so declared, high for anyone else (an
instance's own role reaching into other instances included); a refusal at most medium, grouped
per caller. AWS acting (Patch Manager, maintenance windows, Automation) is not judged.
"""

from __future__ import annotations

from types import MappingProxyType

from chalicelib.events import as_dict, as_str
from chalicelib.findings import Severity
from chalicelib.identity.resolve import INSTANCE_PROFILE
from chalicelib.rules._instance_access import caller_group, grade, instance_arn, operator_details
from chalicelib.rules.base import Context, Rule, Verdict, failed_suffix
from chalicelib.rules.registry import register

SOURCE = "ssm.amazonaws.com"  # Athena has a StartSession too (a notebook), never judged here
SHOWN = 10  # instance ids named in a reason; the details hold them all
ASSOCIATIONS = frozenset({"CreateAssociation", "CreateAssociationBatch", "UpdateAssociation"})
# AWS-owned documents that run no command the caller chooses (Patch Manager's scan/install, inventory, agent update).
# An UpdateAssociation that names no document changes what runs, or where, only through these.
RUNS = frozenset({"parameters", "targets", "instanceId", "documentVersion", "targetLocations", "targetMaps",
                  "automationTargetParameterName"})
# (eventSource, eventName) → what another service's call opens, and the request field naming where.
SHELLS = MappingProxyType({
    ("ecs.amazonaws.com", "ExecuteCommand"): ("opened a shell in a container of ECS task", "task"),
    ("sagemaker.amazonaws.com", "CreatePresignedNotebookInstanceUrl"): (
        "opened Jupyter (with its terminal) on SageMaker notebook instance", "notebookInstanceName"),
    ("sagemaker.amazonaws.com", "CreatePresignedDomainUrl"): (
        "opened SageMaker Studio (its terminals run as the profile's execution role) as user profile",
        "userProfileName"),
})
# Shells that are also a person's everyday IDE (SageMaker's notebook and Studio URLs): low for a declared human.
IDE_SOURCES = frozenset({"sagemaker.amazonaws.com"})
ROUTINE_DOCUMENTS = frozenset({"AWS-RunPatchBaseline", "AWS-RunPatchBaselineAssociation",
                               "AWS-GatherSoftwareInventory", "AWS-UpdateSSMAgent"})


@register
class SsmInstanceAccess(Rule):
    id = "ssm-instance-access"
    severity = Severity.HIGH
    title = "Commands or a shell on instances through Systems Manager"
    event_names = frozenset({"SendCommand", "StartSession"}) | ASSOCIATIONS | frozenset(n for _, n in SHELLS)
    # Quiet for another service's names, AWS acting (userIdentity), and a declared operator's refusal
    # (its outcome: errorCode, or a "Failure" under responseElements.<eventName>, as failed reads it).
    memo_fields = (("eventSource",), ("errorCode",))
    memo_fields_by_name = MappingProxyType({n: (("responseElements", n),)
                                            for n in ("SendCommand", "StartSession", *(n for _, n in SHELLS))})
    reference = "https://docs.aws.amazon.com/systems-manager/latest/userguide/monitoring-cloudtrail-logs.html"

    @staticmethod
    def volatile(ctx: Context) -> bool:
        """An association's verdict reads its document names (``name``, or a batch's ``entries``): rare calls,
        judged in full rather than widening every line's memo key."""
        return ctx.event.event_name in ASSOCIATIONS
    runbook = (
        "Ask the caller what it ran and why. If nobody knows: read the command's output (`aws ssm "
        "list-command-invocations --command-id ID --details`) or the session log, treat the instances and "
        "their role's credentials as compromised (rotate what the role can read, review its calls since), "
        "and the caller's credentials too. An ECS shell: stop the task (`aws ecs stop-task --cluster C --task T`) "
        "and rotate what its task role reads. A SageMaker URL: stop the notebook (`aws sagemaker "
        "stop-notebook-instance --notebook-instance-name NB`) or delete the Studio user's app (`aws sagemaker "
        "delete-app --domain-id D --user-profile-name U --app-type JupyterLab --app-name default`), and treat its "
        "execution role's credentials as compromised. Declare routine operators with `operates_instances: true`."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev = ctx.event
        if (ev.event_source, ev.event_name) in SHELLS:
            return _shell(ctx)
        if ev.event_source != SOURCE:
            return None
        if ev.event_name in ASSOCIATIONS:
            return self._association(ctx)
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

    def _association(self, ctx: Context) -> Verdict | None:
        """A State Manager association: its documents run on the targets now and on every schedule after."""
        ev = ctx.event
        entries = _association_entries(ev.request_parameters, ev.event_name)
        if ev.event_name == "UpdateAssociation" and not ev.param("name"):
            if not RUNS.intersection(ev.request_parameters):
                return None  # its schedule, name, output or compliance: nothing new runs, nowhere new
            # The association's document, as the response describes it: the caller did not choose it.
            described = as_str(as_dict(ev.response_elements.get("associationDescription")).get("name"))
            entries = [{**ev.request_parameters, "name": described}] if described else entries
        documents = list(dict.fromkeys(d for e in entries if (d := as_str(e.get("name")))))
        if entries and all(as_str(e.get("name")) in ROUTINE_DOCUMENTS for e in entries):
            return None  # Patch Manager, inventory, the agent's update: no command of the caller's
        graded = grade(ctx)
        if graded is None:
            return None
        severity, why = graded
        targets = list(dict.fromkeys(t for e in entries for t in _targets(e, ev.event_name)))
        tagged = list(dict.fromkeys(t for e in entries for t in _tag_targets(e)))
        schedules = list(dict.fromkeys(s for e in entries if (s := as_str(e.get("scheduleExpression")))))
        named = [t for t in targets if t != "*"]
        shown = ", ".join(named[:SHOWN]) + (f" and {len(named) - SHOWN} more" if len(named) > SHOWN else "")
        if "*" in targets:
            shown = "every managed instance of the account and Region (InstanceIds *)"
        where = shown or (f"the instances matching {', '.join(tagged)}" if tagged else "the association's targets")
        verb = "changed a State Manager association" if ev.event_name == "UpdateAssociation" else \
            "created a State Manager association"
        running = f"running {', '.join(documents)}" if documents else \
            f"(association {ev.param('associationId') or '?'}, document not named in the record)"
        when = f" on schedule {', '.join(schedules)}" if schedules else ""
        return Verdict(
            reason=f"{ctx.actor.describe()} {verb} {running} on {where}{when}: it runs again on every schedule and "
                   f"on instances the targets later match (persistence). {why}{failed_suffix(ctx)}",
            severity=severity,
            target_arn=instance_arn(ctx, targets[0]) if len(targets) == 1 else None,
            group_key=caller_group("ssm-access", ctx),
            details={"instance_ids": targets, "target_selectors": tagged, "document_names": documents,
                     "schedules": schedules, "association_id": ev.param("associationId"), **operator_details(ctx)},
        )


def _shell(ctx: Context) -> Verdict | None:
    """Another service's shell on a machine that runs as a role (a container's task role, a notebook's role)."""
    ev = ctx.event
    graded = grade(ctx)
    if graded is None:
        return None
    severity, why = graded
    p = ctx.actor.principal
    if ev.event_source in IDE_SOURCES and p is not None and p.kind == "human" and ctx.actor.auth != INSTANCE_PROFILE:
        severity, why = Severity.LOW, (f"principal '{p.id}' is a person, and opening a notebook or Studio is how "
                                       "people use SageMaker (the console's Open button makes this call).")
    what, field = SHELLS[(ev.event_source or "", ev.event_name or "")]
    where = ev.param(field)
    container = ev.param("container")
    inside = f" (container '{container}')" if container else ""
    return Verdict(
        reason=f"{ctx.actor.describe()} {what} {where or '?'}{inside}, acting as its role from inside: {why}"
               f"{failed_suffix(ctx)}",
        severity=severity,
        target_arn=where if where and where.startswith("arn:") else None,
        group_key=caller_group("ssm-access", ctx),
        details={"target": where, "container": container, "service": (ev.event_source or "?").split(".")[0],
                 **operator_details(ctx)},
    )


def _association_entries(params: dict[str, object], name: str) -> list[dict[str, object]]:
    """The associations a call makes: the request itself, or a batch's ``entries``."""
    if name != "CreateAssociationBatch":
        return [params]
    entries = params.get("entries")
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def _targets(params: dict[str, object], name: str) -> list[str]:
    """Instance ids the call names: StartSession's ``target``; SendCommand's ``instanceIds``, an
    association's ``instanceId``, and any ``targets`` selector on ``InstanceIds`` (``*``: every instance)."""
    if name == "StartSession":
        target = as_str(params.get("target"))
        return [target] if target else []
    ids = params.get("instanceIds")
    out = [i for i in ids if isinstance(i, str) and i] if isinstance(ids, list) else []
    single = as_str(params.get("instanceId"))
    if single:
        out.append(single)
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
