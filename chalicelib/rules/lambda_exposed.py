"""lambda-exposed: a Lambda function opened to callers outside the model, a persistence backdoor
(Stratus Red Team's aws.persistence.lambda-backdoor-function; the Unit 42 extortion campaign):
a resource policy statement letting in ``*`` or another account, or a function URL with no auth.

The function runs with its own role, so whoever may now invoke it acts with that role, without
any credential of this account. Judged against the model: an account the model declares, an AWS
service (S3, SNS, EventBridge triggers) is routine and quiet. An organization-wide grant names an
organization id the caller picks (its own organization, or anyone's): medium, low by an IAM manager.
An IAM manager opening a function (a webhook's public URL, a partner's account) is medium.
"""

from __future__ import annotations

from chalicelib.events import CloudTrailEvent
from chalicelib.findings import Severity
from chalicelib.identity.grants import ACCOUNT, SERVICE, account_of, outsider
from chalicelib.rules.base import Context, Rule, Verdict, failed_suffix
from chalicelib.rules.registry import register

PERMISSIONS = frozenset({"AddPermission20150331v2", "AddPermission20150331"})
URLS = frozenset({"CreateFunctionUrlConfig20211031", "UpdateFunctionUrlConfig20211031"})


def _outsider(ctx: Context, account: str | None) -> bool:
    return outsider(ctx.model, account, ctx.event.account)


def judge_permission(ctx: Context) -> tuple[Severity, str] | None:
    """(severity, what) for an AddPermission statement, or None when it lets in no outsider."""
    ev = ctx.event
    principal = ev.param("principal") or ""
    if SERVICE.match(principal):
        source = ev.param("sourceAccount") or account_of(ev.param("sourceArn"))
        if _outsider(ctx, source):
            return Severity.HIGH, f"{principal} on behalf of account {source}, which the model does not declare"
        return None  # a trigger from a service of this account (or one it cannot pin: the service's own)
    m = ACCOUNT.match(principal)
    if m:
        account = m.group(1)
        return (Severity.CRITICAL, f"account {account}, which the model does not declare") \
            if _outsider(ctx, account) else None
    if principal == "*":
        org = ev.param("principalOrgID")
        if org:  # the caller names the organization: its own, or any other (the model declares no org id)
            return (Severity.LOW if ctx.actor.manages_iam else Severity.MEDIUM,
                    f"any principal of organization {org} (principalOrgID), which the model cannot confirm is "
                    "yours (it declares accounts, not an organization id)")
        source = ev.param("sourceAccount") or account_of(ev.param("sourceArn"))
        if source and not _outsider(ctx, source):
            return None
        return Severity.CRITICAL, "anyone (\"*\")" + (f" from account {source}" if source else "")
    if principal:
        return Severity.HIGH, f"principal {principal!r}, which is not an account the model declares"
    return None


def _function(ev: CloudTrailEvent) -> str:
    return (ev.param("functionName") or "?").rsplit(":function:", 1)[-1]


@register
class LambdaExposed(Rule):
    id = "lambda-exposed"
    severity = Severity.CRITICAL
    title = "Lambda function opened to callers outside the model"
    event_names = PERMISSIONS | URLS
    memo_fields = (("errorCode",), *(("requestParameters", f) for f in (
        "principal", "sourceAccount", "sourceArn", "principalOrgID", "authType")))
    reference = "https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html"
    runbook = (
        "Read the function's policy (`aws lambda get-policy --function-name NAME`) and URL config. If nobody "
        "expected the grant: remove the statement (`aws lambda remove-permission --function-name NAME "
        "--statement-id ID`) or set "
        "the URL's auth to AWS_IAM / delete it, then check what the function ran since (its logs) and what its "
        "role can do."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev, actor = ctx.event, ctx.actor
        if ev.event_name in URLS:
            if (ev.param("authType") or "").upper() != "NONE":
                return None
            severity, what = Severity.HIGH, "anyone on the internet, through a function URL with no auth"
        else:
            judged = judge_permission(ctx)
            if judged is None:
                return None
            severity, what = judged
        why = ""
        if actor.manages_iam and severity >= Severity.HIGH:  # "*", an outside account, a URL with no auth alike
            severity, why = Severity.MEDIUM, " The actor may manage IAM; still a way in from outside, worth a look."
        if ev.failed:
            severity = min(severity, Severity.MEDIUM)
        function = _function(ev)
        action = ev.param("action") or "lambda:InvokeFunctionUrl"
        return Verdict(
            reason=f"{actor.describe()} let {what} call {action} on Lambda function '{function}' "
                   f"({ev.event_name}): it runs with the function's role.{why}{failed_suffix(ctx)}",
            severity=severity,
            target_arn=(f"arn:{ev.partition}:lambda:{ev.region}:{ev.account}:function:{function}"
                        if ev.account and ev.region and function != "?" else None),
            group_key=f"lambda-exposed:{ev.account}:{function}",
            details={"function": function, "granted_to": what, "statement_id": ev.param("statementId"),
                     "actor_manages_iam": actor.manages_iam},
        )
