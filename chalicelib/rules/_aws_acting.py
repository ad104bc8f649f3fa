"""Whether AWS itself made a call, which a rule leaves to the call that asked for it.

Three answers, because rules need different ones; each reads only what AWS sets (the caller's
type, its issuer's IAM path, ``invokedBy``), never a name the caller picks:

* ``aws_applied``: AWS under its own identity or a service-linked role only its service can
  assume (IAM Identity Center provisioning a permission set's role). A relaying ``invokedBy``
  is not this: CloudFormation making a call with the caller's credentials is the caller acting.
  Nor is a service-managed StackSet's role in a member account: it creates whatever template
  the management account (or a delegated administrator) gives it.
* ``service_acting``: AWS acting for itself or relaying (Backup, DLM, EBS, RDS making shares and
  grants), except CloudFormation, which applies the caller's own template (the caller's choice,
  read by no other rule).
* ``aws_acting``: any of those (Patch Manager, maintenance windows relaying), CloudFormation again
  excepted: a stack's SSM association or password policy is the caller's template at work.
"""

from __future__ import annotations

from chalicelib.rules.base import Context, service_invoked
from chalicelib.rules.identity_undeclared_principal import is_service_role

# AWS services that apply the caller's own content (a template) rather than act for themselves.
APPLIES_CALLERS_CONTENT = frozenset({"cloudformation.amazonaws.com"})
# The same, as the IAM path of a service-linked role (AWS sets it; no customer role can live there).
CONTENT_ROLE_PATHS = ("/aws-service-role/member.org.stacksets.cloudformation.amazonaws.com/",)
AWS_APPLIED = ("AWS made the call itself, through a service-linked role only its service can assume (IAM Identity "
               "Center provisioning a permission set, say): the change that asked for it is judged where it was made "
               "(sso-assignment-changed for a permission set).")


def aws_applied(ctx: Context) -> bool:
    """An AWS service under its own identity or a service-linked role, unless the role applies the
    caller's template."""
    role = ctx.actor.role_arn
    return ctx.actor.is_service or (is_service_role(role) and not applies_callers_content(role))


def applies_callers_content(role_arn: str | None) -> bool:
    """A service-linked role whose service deploys a template someone chose (service-managed StackSets)."""
    return role_arn is not None and any(path in role_arn for path in CONTENT_ROLE_PATHS)


def service_acting(ctx: Context) -> bool:
    """An AWS service acting or relaying, CloudFormation applying a template excepted."""
    if ctx.actor.is_service:
        return True
    return service_invoked(ctx.event) and ctx.event.invoked_by not in APPLIES_CALLERS_CONTENT


def aws_acting(ctx: Context) -> bool:
    """An AWS service: its own identity, a service-linked role, or a call it relayed (``invokedBy``) that
    is not a template the caller gave CloudFormation."""
    return aws_applied(ctx) or service_acting(ctx)
