"""credential-quarantine-lifted: the policy that held a compromised credential back was taken off, so the
credential works again: AWS's quarantine of a leaked key (``AWSCompromisedKeyQuarantine``/V2/V3 managed,
``AWSExposedCredentialPolicy_DO_NOT_REMOVE`` inline: credential-quarantined reports it being put on), the
``AWSDenyAll`` policy an incident responder attaches, and the ``AWSRevokeOlderSessions`` inline policy the
console's "Revoke active sessions" writes on a role (deleting it revives every stolen session of the role).

These names are AWS's (its managed policies' ARNs under ``arn:aws:iam::aws:policy/``, and the inline names
AWS itself writes), never a name the caller picks. The inline quarantine rewritten in place (``PutUserPolicy``
of the same name) is lifted too; a role's ``AWSRevokeOlderSessions`` written (``PutRolePolicy``) is the revocation
itself when it denies every action to sessions issued before about the call's own time (AWS's ``eventTime``),
and lifted when its cut-off lies earlier or it denies nothing (the role's revoked sessions are valid again).
Critical when the actor is not declared to manage IAM (the quarantined key lifting its own quarantine is
the usual case); low by ``manages_iam`` (the runbook's last step, after rotation); refused attempts at
most medium.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

from chalicelib.findings import Severity
from chalicelib.identity import policy
from chalicelib.rules._aws_acting import aws_applied
from chalicelib.rules.base import Context, Rule, Verdict, breaks_of, failed_suffix
from chalicelib.rules.credential_quarantined import EXPOSED, QUARANTINE
from chalicelib.rules.registry import register

AWS_POLICY = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/", re.IGNORECASE)  # IAM reads it in any case
DENY_ALL = "AWSDenyAll"
REVOKED_SESSIONS = "AWSRevokeOlderSessions"
# eventName → (the kind of identity, its request key)
TARGETS = {"DetachUserPolicy": ("user", "userName"), "DeleteUserPolicy": ("user", "userName"),
           "DetachRolePolicy": ("role", "roleName"), "DeleteRolePolicy": ("role", "roleName"),
           "DetachGroupPolicy": ("group", "groupName"),
           # The inline quarantine's text replaced in place (same name): AWS's deny is gone without a delete.
           "PutUserPolicy": ("user", "userName"), "PutRolePolicy": ("role", "roleName")}
REWRITE, REVOCATION_WRITE = "PutUserPolicy", "PutRolePolicy"
# How far before the call a written revocation's cut-off may lie and still be the console's "revoke now".
REVOCATION_SLACK = timedelta(minutes=5)


@register
class CredentialQuarantineLifted(Rule):
    id = "credential-quarantine-lifted"
    severity = Severity.CRITICAL
    title = "Quarantine of a compromised credential lifted"
    event_names = frozenset(TARGETS)
    # Quiet for any other policy (its ARN or inline name) and another service.
    memo_fields = (("eventSource",), ("requestParameters", "policyArn"), ("requestParameters", "policyName"))
    # A written AWSRevokeOlderSessions is quiet only when its cut-off is about the call's own time.
    memo_fields_by_name = MappingProxyType({REVOCATION_WRITE: (("requestParameters", "policyDocument"),
                                                               ("eventTime",))})
    reference = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html"
    runbook = (
        "Put the policy back at once (`aws iam attach-user-policy --user-name USER --policy-arn "
        "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3`, or AWSDenyAll; for a role, revoke its sessions "
        "again from the console), then deactivate the compromised keys (`aws iam update-access-key --user-name "
        "USER --access-key-id KEY --status Inactive`), and treat the actor as compromised: review everything the "
        "credential did since."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev, actor = ctx.event, ctx.actor
        if ev.event_source != "iam.amazonaws.com" or aws_applied(ctx):
            return None  # another service's name; AWS (Support's role) tidying its own quarantine
        lifted = _lifted(ev.event_name or "", ev.param("policyArn"), ev.param("policyName"))
        if lifted is None:
            return None
        cutoff = None
        if ev.event_name == REVOCATION_WRITE:
            kept, cutoff = _revocation_kept(ev.request_parameters.get("policyDocument"), ev.event_time)
            if kept:
                return None  # the console's "Revoke active sessions": the revocation itself
        kind, key = TARGETS[ev.event_name or ""]
        name = ev.param(key)
        target = (ctx.model.iam_user(name, ev.account) if kind == "user" else
                  ctx.model.role(name, ev.account) if kind == "role" else None)
        if actor.manages_iam:
            severity, why = Severity.LOW, "the actor may manage IAM (the last step after rotating the credential)."
        else:
            severity, why = Severity.CRITICAL, "the actor is not declared to manage IAM: the credential works again."
        if ev.failed:
            severity = min(severity, Severity.MEDIUM)
        what = ("the role's revoked sessions are valid again" if lifted == REVOKED_SESSIONS
                else "its credentials are no longer held back")
        owner = f" (principal '{target.id}')" if target is not None else ""
        done = (f"replaced the text of {lifted} on" if ev.event_name == REWRITE else f"removed {lifted} from")
        if ev.event_name == REWRITE:
            what = "AWS's deny is gone and the credential may do whatever the new text allows"
        elif ev.event_name == REVOCATION_WRITE:
            done = f"rewrote {lifted} on"
            what = (f"it now denies only sessions issued before {cutoff}, earlier than the call: sessions revoked "
                    "since that time are valid again" if cutoff else
                    "it no longer denies every earlier session: the role's revoked sessions are valid again")
        return Verdict(
            reason=f"{actor.describe()} {done} {kind} '{name or '?'}'{owner}: {what}; {why}"
                   f"{failed_suffix(ctx)}",
            severity=severity,
            target_arn=f"arn:{ev.partition}:iam::{ev.account}:{kind}/{name}" if name and ev.account else None,
            breaks=breaks_of(target),
            group_key=f"quarantine:{ev.account}:{(name or '?').casefold()}",
            details={"policy": lifted, "target": name, "target_kind": kind,
                     "target_principal": target.id if target else None, "actor_manages_iam": actor.manages_iam},
        )


def _lifted(event_name: str, arn: str | None, inline: str | None) -> str | None:
    """The quarantine policy the call removes, or None for any other policy."""
    if event_name.startswith("Detach"):
        if not arn or not AWS_POLICY.match(arn):
            return None  # a customer policy of the same name is not AWS's quarantine
        name = policy.managed_policy_name(arn)
        return name if name and (QUARANTINE.match(name) or _same(name, DENY_ALL)) else None
    if _same(inline, EXPOSED) and event_name in ("DeleteUserPolicy", REWRITE):
        return inline
    if _same(inline, REVOKED_SESSIONS) and event_name in ("DeleteRolePolicy", REVOCATION_WRITE):
        return inline
    return None


def _same(name: str | None, policy_name: str) -> bool:
    """IAM names a policy without ASCII case (a non-ASCII look-alike is another name)."""
    return name is not None and name.isascii() and name.lower() == policy_name.lower()


def _revocation_kept(document: object, event_time: str | None) -> tuple[bool, str | None]:
    """(whether a written AWSRevokeOlderSessions still denies everything to sessions issued up to about the call's
    time, as the console writes it; the cut-off it names). A document that cannot be read keeps nothing."""
    try:
        doc = policy.decode(document)
    except policy.PolicyError:
        return False, None
    raw = doc.get("Statement") if isinstance(doc, dict) else None
    called = _moment(event_time)
    latest: str | None = None
    for st in [raw] if isinstance(raw, dict) else raw if isinstance(raw, list) else []:
        if not isinstance(st, dict) or st.get("Effect") != "Deny" or not _every(st.get("Action")) \
                or not _every(st.get("Resource", "*")):
            continue
        condition = st.get("Condition")
        dates = condition.get("DateLessThan") if isinstance(condition, dict) else None
        issued = next((v for k, v in dates.items() if k.lower() == "aws:tokenissuetime"), None) \
            if isinstance(dates, dict) and len(condition) == 1 else None
        cutoff = _moment(issued if isinstance(issued, str) else None)
        if cutoff is None:
            continue
        latest = issued if latest is None or cutoff > (_moment(latest) or cutoff) else latest
        if called is not None and cutoff >= called - REVOCATION_SLACK:
            return True, issued
    return False, latest


def _every(value: object) -> bool:
    """An Action or Resource that is every one (``*``, alone or in a list)."""
    return value == "*" or (isinstance(value, list) and "*" in value)


def _moment(value: str | None) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00")) if value else None
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment and moment.tzinfo else moment.replace(tzinfo=UTC) if moment else None
