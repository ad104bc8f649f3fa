"""ec2-user-data-modified: ``ModifyInstanceAttribute`` replaced a stopped instance's user data, a
script that runs as root at its next start, with the instance's role (Stratus Red Team's
aws.execution.ec2-user-data). CloudTrail records the value as ``<sensitiveDataRemoved>``; that the
key is there is what counts. Both request forms are read: the ``userData`` structure (SDKs, Stratus)
and ``attribute: userData`` with a ``value`` (the CLI's ``--attribute userData``).

A SageMaker notebook instance's lifecycle configuration is the same thing on another machine: a
script run as root with the notebook's execution role at every start. Stratus Red Team's
aws.execution.sagemaker-update-lifecycle-config stops a notebook, attaches a new configuration
(``UpdateNotebookInstance`` naming ``lifecycleConfigName``) and starts it again; rewriting the
script of a configuration notebooks already use (``UpdateNotebookInstanceLifecycleConfig`` with an
``onStart`` or ``onCreate`` hook) reaches every one of them. A configuration only created, or a
notebook created with one (its role is judged by iam-role-passed), is not judged here.

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
SAGEMAKER = "sagemaker.amazonaws.com"
NOTEBOOK = "UpdateNotebookInstance"
NOTEBOOK_CONFIG = "UpdateNotebookInstanceLifecycleConfig"


@register
class Ec2UserDataModified(Rule):
    id = "ec2-user-data-modified"
    severity = Severity.HIGH
    title = "Boot script of an instance or notebook replaced (runs as root at next start)"
    event_names = frozenset({"ModifyInstanceAttribute", NOTEBOOK, NOTEBOOK_CONFIG})
    # Quiet for other attributes, AWS acting (userIdentity), another source, a declared operator's refusal.
    memo_fields = (("eventSource",), ("requestParameters", "userData"), ("requestParameters", "attribute"),
                   ("errorCode",), ("responseElements", "ModifyInstanceAttribute"),
                   ("requestParameters", "lifecycleConfigName"), ("requestParameters", "onStart"),
                   ("requestParameters", "onCreate"))
    reference = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyInstanceAttribute.html"
    runbook = (
        "Read the instance's user data now (`aws ec2 describe-instance-attribute --attribute userData "
        "--instance-id ID`, base64) and restore the known one before the instance starts again. If it "
        "already started: treat the instance and its role's credentials as compromised, and the caller's "
        "credentials too. For a SageMaker notebook, read the script (`aws sagemaker "
        "describe-notebook-instance-lifecycle-config --notebook-instance-lifecycle-config-name NAME`, OnStart and "
        "OnCreate in base64) and, the notebook stopped, detach it (`aws sagemaker update-notebook-instance "
        "--notebook-instance-name NB --disassociate-lifecycle-config`) before it starts again. Declare routine "
        "operators with `operates_instances: true`."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev = ctx.event
        if ev.event_source == SAGEMAKER:
            return _notebook(ctx)
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


def _notebook(ctx: Context) -> Verdict | None:
    """A notebook's start script replaced: a configuration attached, or an attached one rewritten."""
    ev = ctx.event
    params = ev.request_parameters
    if ev.event_name == NOTEBOOK:
        config = ev.param("lifecycleConfigName")
        if not config:
            return None  # another setting (instance type, volume size; the role is iam-role-passed's)
        notebook = ev.param("notebookInstanceName")
        what = f"attached lifecycle configuration '{config}' to SageMaker notebook instance '{notebook or '?'}'"
        kind, name = "notebook-instance", notebook
    elif ev.event_name == NOTEBOOK_CONFIG:
        if params.get("onStart") is None and params.get("onCreate") is None:
            return None
        config = ev.param("notebookInstanceLifecycleConfigName")
        what = (f"rewrote the script of SageMaker lifecycle configuration '{config or '?'}' (every notebook "
                "instance using it)")
        kind, name = "notebook-instance-lifecycle-config", config
    else:
        return None
    graded = grade(ctx)
    if graded is None:
        return None
    severity, why = graded
    arn = f"arn:{ev.partition}:sagemaker:{ev.region}:{ev.account}:{kind}/{name.lower()}" \
        if name and ev.region and ev.account else None
    return Verdict(
        reason=f"{ctx.actor.describe()} {what}, a script that runs as root with the notebook's execution role at "
               f"its next start: {why}{failed_suffix(ctx)}",
        severity=severity,
        target_arn=arn,
        group_key=caller_group("user-data", ctx),
        details={"notebook_instance": ev.param("notebookInstanceName"), "lifecycle_config": config,
                 **operator_details(ctx)},
    )
