"""sts-root-session-assumed: ``sts:AssumeRoot`` (centralized root access, 2024) gave someone in the
management or delegated-admin account a root session in a member account. The session's own calls
are root use (``root-api-use``); this names who obtained it, for which account and which task.

A root session is root use, which the model never calls routine, so every success is a finding:
critical for an account whose root is ``never`` (or one the model does not declare), and for the
task that sets a root password (``IAMCreateRootUserPassword``: a way back in that outlives the
session); high for a ``break-glass`` account. The clean-up AWS recommends is graded by who runs it:
an IAM manager auditing root's credentials is low (anyone else medium), deleting them medium.
"""

from __future__ import annotations

import re

from chalicelib.events import as_dict, as_str
from chalicelib.findings import Severity
from chalicelib.rules.base import Context, Rule, Verdict, failed_suffix
from chalicelib.rules.registry import register

ACCOUNT = re.compile(r"(?:^|:)(\d{12})(?::|$)")
PERSISTENT_TASKS = frozenset({"IAMCreateRootUserPassword"})
# Tasks of the centralized root access clean-up AWS recommends, which an IAM manager runs across member
# accounts: reading whether root has credentials, and deleting them (which can also deactivate root's MFA).
AUDIT_TASKS = frozenset({"IAMAuditRootUserCredentials"})
CLEANUP_TASKS = frozenset({"IAMDeleteRootUserCredentials"})


@register
class StsRootSessionAssumed(Rule):
    id = "sts-root-session-assumed"
    severity = Severity.CRITICAL
    title = "Root session obtained in a member account (AssumeRoot)"
    event_names = frozenset({"AssumeRoot"})
    memo_fields = (("eventSource",),)  # every AssumeRoot from STS is a finding
    reference = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user-privileged-task.html"
    runbook = (
        "Confirm with the actor which privileged task was needed. Look for the session's calls in the target "
        "account (root-api-use findings, the access key in responseElements). If it set a root password or "
        "nobody asked for it: reset the root credentials through centralized root access "
        "(IAMDeleteRootUserCredentials), and review who may call sts:AssumeRoot in the management account."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev, actor = ctx.event, ctx.actor
        if ev.event_source != "sts.amazonaws.com":
            return None
        target = ev.param("targetPrincipal")
        m = ACCOUNT.search(target or "")
        account = m.group(1) if m else None
        task_arn = as_str(as_dict(ev.request_parameters.get("taskPolicyArn")).get("arn"))
        task = task_arn.rsplit("/", 1)[-1] if task_arn else None
        spec = ctx.model.accounts.get(account or "")
        if task in PERSISTENT_TASKS:
            severity, why = Severity.CRITICAL, "the task sets a root password: a way in that outlives the session."
        elif spec is None:
            severity, why = Severity.CRITICAL, "the model does not declare that account."
        elif spec.root == "never":
            severity, why = Severity.CRITICAL, f"the model says root is never used in '{spec.name}'."
        else:
            severity, why = Severity.HIGH, f"'{spec.name}' declares root for break-glass only: confirm the emergency."
        if task in AUDIT_TASKS:
            severity, why = ((Severity.LOW, "a read-only audit of root's credentials by an IAM manager.")
                             if actor.manages_iam else
                             (Severity.MEDIUM, "a read-only audit of root's credentials, by someone not declared "
                                               "as allowed to manage IAM."))
        elif task in CLEANUP_TASKS and actor.manages_iam:
            severity, why = Severity.MEDIUM, ("an IAM manager deleting root's credentials (the clean-up AWS "
                                              "recommends); it can also deactivate root's MFA: confirm it was planned.")
        if ev.failed:
            severity = min(severity, Severity.MEDIUM)
        return Verdict(
            reason=f"{actor.describe()} obtained a root session in account {account or target or '?'} for task "
                   f"{task or '?'} (AssumeRoot): {why}{failed_suffix(ctx)}",
            severity=severity,
            target_arn=f"arn:{ev.partition}:iam::{account}:root" if account else None,
            group_key=f"assume-root:{account or '?'}",
            details={"target_account": account, "task_policy": task_arn,
                     "break_glass_contacts": list(spec.break_glass_contacts) if spec else []},
        )
