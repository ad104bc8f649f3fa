"""iam-role-passed: a role handed to code the caller controls (iam:PassRole), the privilege
escalation path of Rhino Security Labs' list, Pacu and CloudGoat: a Lambda function, an EC2
instance, a CloudFormation stack, a Glue dev endpoint or job, a SageMaker notebook or job, a
CodeBuild project or an ECS task now runs as that role, whatever the caller's own permissions.

CloudTrail never records PassRole itself; the role is a parameter of the call that uses it.
Judged against the model: passing the role of a privileged principal (one that may manage IAM
or the monitor) or of an AWS-created organization admin role is critical; another declared
principal's role is high (the new code reads its secrets and acts as it); the declared way of
deploying (``passes_roles``) and IAM managers are low.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from types import MappingProxyType

from chalicelib.events import CloudTrailEvent, as_dict, as_str
from chalicelib.findings import Severity
from chalicelib.identity.model import fold
from chalicelib.identity.schema import PrincipalSpec
from chalicelib.rules.base import Context, Rule, Verdict, breaks_of, failed_suffix, service_invoked
from chalicelib.rules.identity_undeclared_principal import SERVICE_ROLE
from chalicelib.rules.registry import register

Path = tuple[str, ...]
_RP = "requestParameters"
_EC2_PROFILE = {"RunInstances": ("iamInstanceProfile", "arn", "name"),
                "AssociateIamInstanceProfile": ("AssociateIamInstanceProfileRequest", "IamInstanceProfile",
                                                "Arn", "Name"),
                "ReplaceIamInstanceProfileAssociation": ("ReplaceIamInstanceProfileAssociationRequest",
                                                         "IamInstanceProfile", "Arn", "Name"),
                # The profile named in a launch template (RunInstances from it names only the template)
                # or a Spot request: the same hand-over, made before the instance exists.
                "CreateLaunchTemplate": ("CreateLaunchTemplateRequest", "LaunchTemplateData", "IamInstanceProfile",
                                         "Arn", "Name"),
                "CreateLaunchTemplateVersion": ("CreateLaunchTemplateVersionRequest", "LaunchTemplateData",
                                                "IamInstanceProfile", "Arn", "Name"),
                "RequestSpotInstances": ("launchSpecification", "iamInstanceProfile", "arn", "name")}
_STUDIO_DOMAIN = ((_RP, "defaultUserSettings", "executionRole"), (_RP, "defaultSpaceSettings", "executionRole"))
# (eventSource, eventName) → where the call names the role it hands over (a role ARN or name).
ROLE_PATHS: dict[tuple[str, str], tuple[Path, ...]] = {
    ("lambda.amazonaws.com", "CreateFunction20150331"): ((_RP, "role"),),
    ("lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2"): ((_RP, "role"),),
    # The 2015-03-31 API's first spelling, still in older trails (routed by the writes family).
    ("lambda.amazonaws.com", "UpdateFunctionConfiguration20150331"): ((_RP, "role"),),
    ("iam.amazonaws.com", "AddRoleToInstanceProfile"): ((_RP, "roleName"),),
    ("cloudformation.amazonaws.com", "CreateStack"): ((_RP, "roleARN"),),
    ("cloudformation.amazonaws.com", "UpdateStack"): ((_RP, "roleARN"),),
    # A change set carries the role (CDK and most pipelines deploy this way); ExecuteChangeSet names none.
    ("cloudformation.amazonaws.com", "CreateChangeSet"): ((_RP, "roleARN"),),
    ("glue.amazonaws.com", "CreateDevEndpoint"): ((_RP, "roleArn"),),
    ("glue.amazonaws.com", "CreateJob"): ((_RP, "role"),),
    ("glue.amazonaws.com", "UpdateJob"): ((_RP, "jobUpdate", "role"),),
    ("sagemaker.amazonaws.com", "CreateNotebookInstance"): ((_RP, "roleArn"),),
    ("sagemaker.amazonaws.com", "UpdateNotebookInstance"): ((_RP, "roleArn"),),
    ("sagemaker.amazonaws.com", "CreateTrainingJob"): ((_RP, "roleArn"),),
    ("sagemaker.amazonaws.com", "CreateProcessingJob"): ((_RP, "roleArn"),),
    ("codebuild.amazonaws.com", "CreateProject"): ((_RP, "serviceRole"),),
    ("codebuild.amazonaws.com", "UpdateProject"): ((_RP, "serviceRole"),),
    # A build or task started with another role than its project's or task definition's: the same hand-over
    # without touching the project or definition (a call without an override names no role and is quiet).
    ("codebuild.amazonaws.com", "StartBuild"): ((_RP, "serviceRoleOverride"),),
    ("codebuild.amazonaws.com", "StartBuildBatch"): ((_RP, "serviceRoleOverride"),),
    ("ecs.amazonaws.com", "RegisterTaskDefinition"): ((_RP, "taskRoleArn"), (_RP, "executionRoleArn")),
    ("ecs.amazonaws.com", "RunTask"): ((_RP, "overrides", "taskRoleArn"), (_RP, "overrides", "executionRoleArn")),
    ("ecs.amazonaws.com", "StartTask"): ((_RP, "overrides", "taskRoleArn"), (_RP, "overrides", "executionRoleArn")),
    # Code that runs later as the role, on a schedule or an event (persistence as well as escalation): a Step
    # Functions state machine, an EventBridge Scheduler schedule, a pipeline, an App Runner service's instances,
    # a self-managed StackSet's administration role (which deploys to every target account).
    ("states.amazonaws.com", "CreateStateMachine"): ((_RP, "roleArn"),),
    ("states.amazonaws.com", "UpdateStateMachine"): ((_RP, "roleArn"),),
    ("scheduler.amazonaws.com", "CreateSchedule"): ((_RP, "target", "roleArn"),),
    ("scheduler.amazonaws.com", "UpdateSchedule"): ((_RP, "target", "roleArn"),),
    ("codepipeline.amazonaws.com", "CreatePipeline"): ((_RP, "pipeline", "roleArn"),),
    ("codepipeline.amazonaws.com", "UpdatePipeline"): ((_RP, "pipeline", "roleArn"),),
    ("apprunner.amazonaws.com", "CreateService"): ((_RP, "instanceConfiguration", "instanceRoleArn"),),
    ("apprunner.amazonaws.com", "UpdateService"): ((_RP, "instanceConfiguration", "instanceRoleArn"),),
    ("cloudformation.amazonaws.com", "CreateStackSet"): ((_RP, "administrationRoleARN"),),
    ("cloudformation.amazonaws.com", "UpdateStackSet"): ((_RP, "administrationRoleARN"),),
    ("eks.amazonaws.com", "CreateNodegroup"): ((_RP, "nodeRole"),),
    # A Kubernetes service account bound to the role (EKS Pod Identity): every pod using it runs as the role.
    ("eks.amazonaws.com", "CreatePodIdentityAssociation"): ((_RP, "roleArn"),),
    ("eks.amazonaws.com", "UpdatePodIdentityAssociation"): ((_RP, "roleArn"),),
    # An AWS Batch job definition's job and execution roles (Rhino's batch:RegisterJobDefinition path).
    ("batch.amazonaws.com", "RegisterJobDefinition"): ((_RP, "containerProperties", "jobRoleArn"),
                                                        (_RP, "containerProperties", "executionRoleArn")),
    # A Glue interactive session: the caller's code runs as the role, as in a dev endpoint or a job.
    ("glue.amazonaws.com", "CreateSession"): ((_RP, "role"),),
    # SageMaker Studio's execution role (a domain's default, a user profile's own, a space's): every terminal and
    # notebook opened as the profile (CreatePresignedDomainUrl, ssm-instance-access) runs as it.
    ("sagemaker.amazonaws.com", "CreateDomain"): _STUDIO_DOMAIN,
    ("sagemaker.amazonaws.com", "UpdateDomain"): _STUDIO_DOMAIN,
    ("sagemaker.amazonaws.com", "CreateUserProfile"): ((_RP, "userSettings", "executionRole"),),
    ("sagemaker.amazonaws.com", "UpdateUserProfile"): ((_RP, "userSettings", "executionRole"),),
}
# Calls naming roles in a list: for each list, (where it is, where each item names a role; () for the item itself).
# EventBridge targets run as their roleArn (an SSM Run Command or a Step Functions target, on every event
# the rule matches); Systems Manager Automation runs its steps as the AutomationAssumeRole parameter
# (Rhino's ssm:StartAutomationExecution path); an AWS Batch job definition on ECS properties or with several
# node ranges names its roles per task or per range (``containerProperties`` above is the single form).
LIST_PATHS: dict[tuple[str, str], tuple[tuple[Path, tuple[Path, ...]], ...]] = {
    ("events.amazonaws.com", "PutTargets"): (((_RP, "targets"), (("roleArn",),)),),
    ("ssm.amazonaws.com", "StartAutomationExecution"): (((_RP, "parameters", "AutomationAssumeRole"), ((),)),),
    ("batch.amazonaws.com", "RegisterJobDefinition"): (
        ((_RP, "ecsProperties", "taskProperties"), (("taskRoleArn",), ("executionRoleArn",))),
        ((_RP, "nodeProperties", "nodeRangeProperties"), (("container", "jobRoleArn"),
                                                          ("container", "executionRoleArn")))),
}
# EC2 names an instance profile, not a role: the record does not say which role it holds, so
# the profile is matched to a declared role by name (the usual convention, and the CLI's).
PROFILE_PATHS: dict[tuple[str, str], tuple[Path, ...]] = {
    ("ec2.amazonaws.com", name): tuple((_RP, *spec[:-2], leaf) for leaf in spec[-2:])
    for name, spec in _EC2_PROFILE.items()
}
# The same hand-over by an Auto Scaling launch configuration (every instance the group starts) and an EMR
# cluster's instances (jobFlowRole is an instance profile name).
PROFILE_PATHS[("autoscaling.amazonaws.com", "CreateLaunchConfiguration")] = ((_RP, "iamInstanceProfile"),)
PROFILE_PATHS[("elasticmapreduce.amazonaws.com", "RunJobFlow")] = ((_RP, "jobFlowRole"),)
# Calls that put new code into a function that already runs as a role (Rhino's lambda:UpdateFunctionCode
# escalation; Stratus Red Team's lambda-overwrite-code and lambda-layer-extension): no PassRole is
# needed, and the response names the role. A configuration change counts when it sets layers.
_RESPONSE_ROLE: tuple[Path, ...] = (("responseElements", "role"),)
CODE_PATHS: dict[tuple[str, str], tuple[Path, ...]] = {
    ("lambda.amazonaws.com", "UpdateFunctionCode20150331v2"): _RESPONSE_ROLE,
    ("lambda.amazonaws.com", "UpdateFunctionCode20150331"): _RESPONSE_ROLE,
}
LAYERS = ("requestParameters", "layers")
# A CodeBuild build or project given new build commands without a role of its own (a buildspec override, a new
# source): the commands run as the project's role, which the response names (Bishop Fox iam-vulnerable's
# codebuild StartBuild / UpdateProject paths: no PassRole needed).
BUILDSPEC: dict[tuple[str, str], tuple[Path, Path, Path]] = {
    # (eventSource, eventName): (what says new commands, the role the call would name, where the response has it)
    ("codebuild.amazonaws.com", "StartBuild"): ((_RP, "buildspecOverride"), (_RP, "serviceRoleOverride"),
                                                ("responseElements", "build", "serviceRole")),
    ("codebuild.amazonaws.com", "StartBuildBatch"): ((_RP, "buildspecOverride"), (_RP, "serviceRoleOverride"),
                                                     ("responseElements", "buildBatch", "serviceRole")),
    ("codebuild.amazonaws.com", "UpdateProject"): ((_RP, "source"), (_RP, "serviceRole"),
                                                   ("responseElements", "project", "serviceRole")),
}
SOURCES: dict[str, frozenset[str]] = {}
for _source, _name in (*ROLE_PATHS, *PROFILE_PATHS, *CODE_PATHS, *LIST_PATHS):
    SOURCES[_source] = SOURCES.get(_source, frozenset()) | {_name}
# Roles AWS creates with AdministratorAccess in member accounts (Organizations, Control Tower,
# service-managed StackSets): whoever gets code running as one owns the account.
ORG_ADMIN_ROLES = frozenset(fold(r) for r in ("OrganizationAccountAccessRole", "AWSControlTowerExecution",
                                              "AWSCloudFormationStackSetExecutionRole"))
# Where a call comes from when an AWS service made it with a role of the account (Elastic Beanstalk's
# or Batch's service role): CloudTrail writes the service's name, never a caller's address, there.
SERVICE_SOURCE = re.compile(r"^[a-z0-9-]+(?:\.[a-z0-9-]+)*\.amazonaws\.com(?:\.cn)?$")
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):(role|instance-profile)/(?:.*/)?([^/]+)$")


def _get(record: dict[str, object], path: Path) -> str | None:
    node: object = record
    for step in path:
        node = as_dict(node).get(step)
    return as_str(node)


def _listed(record: dict[str, object], key: tuple[str, str]) -> list[str]:
    """The role of each item of a listed call (PutTargets' targets, Automation's role parameter)."""
    values: list[str] = []
    for where, leaves in LIST_PATHS.get(key, ()):
        node: object = record
        for step in where:
            node = as_dict(node).get(step)
        for item in node if isinstance(node, list) else [node]:
            for leaf in leaves:
                value = item
                for step in leaf:
                    value = as_dict(value).get(step)
                if as_str(value):
                    values.append(as_str(value))
    return [v for v in values if v]


def _paths(ev: CloudTrailEvent, key: tuple[str, str]) -> tuple[tuple[Path, ...], str]:
    """Where this call names a role, and how the caller gets to act as it."""
    if key in CODE_PATHS:
        return CODE_PATHS[key], "code"
    if key in BUILDSPEC:
        commands, named, answered = BUILDSPEC[key]
        node: object = ev.raw
        for step in commands:
            node = as_dict(node).get(step)
        if node and not _get(ev.raw, named):
            return (answered,), "buildspec"
    paths = ROLE_PATHS.get(key) or PROFILE_PATHS.get(key) or ()
    if key[1].startswith("UpdateFunctionConfiguration") and not _get(ev.raw, (_RP, "role")) \
            and as_dict(ev.raw.get(_RP)).get("layers"):
        return _RESPONSE_ROLE, "layers"
    return paths, "handed"


def passed(ev: CloudTrailEvent) -> Iterator[tuple[str, str | None, str, str]]:
    """(name, account or None, "role" / "instance profile", how) for each role the caller gets to act
    as: ``handed`` to a service, or a function's own role behind new ``code`` or ``layers``."""
    key = (ev.event_source or "", ev.event_name or "")
    kind = "instance profile" if key in PROFILE_PATHS else "role"
    paths, how = _paths(ev, key)
    seen = set()
    for value in [*(_get(ev.raw, path) for path in paths), *_listed(ev.raw, key)]:
        if not value:
            continue
        m = ROLE_ARN.match(value)
        name, account = (m.group(3), m.group(1)) if m else (value.rsplit("/", 1)[-1], None)
        if fold(name) not in seen:
            seen.add(fold(name))
            yield name, account, kind, how


def may_pass(principal: PrincipalSpec | None, role: str) -> bool:
    """Whether ``passes_roles`` (case-insensitive globs, as IAM role names are) lets it pass ``role``."""
    return principal is not None and any(fnmatch.fnmatchcase(fold(role), fold(g)) for g in principal.passes_roles)


@register
class IamRolePassed(Rule):
    id = "iam-role-passed"
    severity = Severity.HIGH
    title = "Role handed to code the caller controls (PassRole)"
    event_names = frozenset(name for _, name in (*ROLE_PATHS, *PROFILE_PATHS, *CODE_PATHS, *LIST_PATHS))
    # The service (CreateJob and CreateProject exist in many), whether it failed, whether a service made
    # it (its source), and the role fields.
    # Auto Scaling's string ``iamInstanceProfile`` is left out: RunInstances' object of that name is in the key,
    # and a string where the key wants an object gives no key (the record is judged in full).
    memo_fields = (("eventSource",), ("errorCode",), ("sourceIPAddress",),
                   *dict.fromkeys(p for paths in (*ROLE_PATHS.values(), *PROFILE_PATHS.values(), _RESPONSE_ROLE)
                                  for p in paths if p != (_RP, "iamInstanceProfile")), LAYERS,
                   *dict.fromkeys(p for paths in BUILDSPEC.values() for p in (paths[0], paths[2])))
    # A list or object is in no memo key (such a record is always judged in full): only for the calls that have
    # one. The list's parent object for Automation: other rules read ``requestParameters.parameters`` whole,
    # and a field wanted both whole and in part turns the memo off (chalicelib/quiet.py).
    memo_fields_by_name = MappingProxyType({name: tuple(where[:3] for where, _ in specs)
                                            for (_, name), specs in LIST_PATHS.items()})
    reference = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html"
    runbook = (
        "Find what now runs as the role (the function, instance, stack, endpoint, notebook, project or task "
        "named in the event) and whether anyone asked for it. If not: stop or delete it (for an instance, "
        "`aws ec2 disassociate-iam-instance-profile` first), revoke the role's active sessions, review what it "
        "did since, and take iam:PassRole on that role away from the caller."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev, actor = ctx.event, ctx.actor
        if ev.event_name not in SOURCES.get(ev.event_source or "", ()):
            return None
        if actor.is_service or SERVICE_ROLE.match(actor.role_arn or ""):
            return None  # an AWS service acting as itself (Auto Scaling's service-linked role)
        # A service relaying the call (a stack made without a stack role creates its functions with the caller's
        # own credentials) is left to the call that asked it, which names the role only when it is the service's
        # own (CreateStack's roleARN): a template's roles are visible here alone, so a privileged one is judged.
        source = as_str(ev.raw.get("sourceIPAddress")) or ""
        relayed = ev.invoked_by if service_invoked(ev) else source if SERVICE_SOURCE.match(source) else None
        worst: tuple[Severity, str, str, str | None, PrincipalSpec | None] | None = None
        for name, account, kind, how in passed(ev):
            if account is not None and account != ev.account and ev.account is not None:
                account_note = f" of account {account}"
            else:
                account_note = ""
            target = ctx.model.role(name, account or ev.account)
            if actor.kind == "assumed-role" and actor.name and fold(actor.name) == fold(name):
                continue  # its own role: nothing gained
            if target is not None and actor.principal is not None and target.id == actor.principal.id:
                continue
            severity, why = self._grade(ctx, name, target)
            what = f"{kind} '{name}'{account_note}"
            if ev.event_name == "AddRoleToInstanceProfile":
                what = f"{what} (into instance profile '{ev.param('instanceProfileName') or '?'}': its instances)"
            if how == "code":
                what = f"new code in a function that runs as {what}"
            elif how == "buildspec":
                what = f"new build commands in a CodeBuild project that runs as {what}"
            elif how == "layers":
                what = f"new layers (code) in a function that runs as {what}"
            if worst is None or severity > worst[0]:
                arn = (f"arn:{ev.partition}:iam::{account or ev.account}:"
                       f"{'instance-profile' if kind != 'role' else 'role'}/{name}"
                       if (account or ev.account) else None)
                worst = (severity, what, why, arn, target)
        if worst is None or (relayed and worst[0] < Severity.CRITICAL):
            return None
        severity, what, why, arn, target = worst
        if relayed:
            why += (f" It came through {relayed} (the call that asked it, a stack or template, does not name this "
                    "role; the caller needed iam:PassRole on it all the same).")
        if ev.failed:
            severity = min(severity, Severity.MEDIUM)
        service = (ev.event_source or "?").split(".")[0]
        code = what.startswith("new ")
        return Verdict(
            reason=f"{actor.describe()} {'put' if code else 'handed'} {what} {'into' if code else 'to'} {service} "
                   f"({ev.event_name}): {why}{failed_suffix(ctx)}",
            severity=severity,
            target_arn=arn,
            breaks=breaks_of(target),
            details={"passed": what, "service": service, "target_principal": target.id if target else None,
                     "actor_manages_iam": actor.manages_iam},
        )

    @staticmethod
    def _grade(ctx: Context, name: str, target: PrincipalSpec | None) -> tuple[Severity, str]:
        actor = ctx.actor
        owner = f"the role of principal '{target.id}'" if target else "a role the model does not declare"
        if may_pass(actor.principal, name):
            return Severity.LOW, f"{owner}, which the actor's passes_roles allows (the declared way of deploying)."
        if actor.manages_iam:
            return Severity.LOW, f"{owner}; the actor may manage IAM."
        if fold(name) in ORG_ADMIN_ROLES:
            return Severity.CRITICAL, ("an AWS-created organization admin role (AdministratorAccess): whatever "
                                       "runs there owns the account.")
        if target is not None and (target.manages_iam or target.manages_monitoring):
            power = "manage IAM" if target.manages_iam else "change logging and the monitor"
            return Severity.CRITICAL, (f"{owner}, which may {power}: code the actor controls now acts with "
                                       "that power, beyond the actor's own.")
        if target is not None:
            return Severity.HIGH, (f"{owner}: code the actor controls now acts as it (its secrets and "
                                   "permissions), outside the model.")
        if actor.principal is None:
            return Severity.HIGH, f"{owner}, by a caller the model does not declare."
        return Severity.MEDIUM, (f"{owner}; the model does not say this principal hands roles to services "
                                 "(declare it under passes_roles if it does).")
