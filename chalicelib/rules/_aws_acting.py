"""Whether AWS itself made a call, which a rule leaves to the call that asked for it.

Three answers, because rules need different ones; each reads only what AWS sets (the caller's
type, its issuer's IAM path, ``invokedBy``), never a name the caller picks:

* ``aws_applied``: AWS under its own identity or a service-linked role only its service can
  assume (IAM Identity Center provisioning a permission set's role). A relaying ``invokedBy``
  is not this: CloudFormation making a call with the caller's credentials is the caller acting.
* ``service_acting``: AWS acting for itself or relaying (Backup, DLM, EBS, RDS making shares and
  grants), except CloudFormation, which applies the caller's own template (the caller's choice,
  read by no other rule).
* ``aws_acting``: any of those, a relay included (Patch Manager, maintenance windows).
"""

from __future__ import annotations

from chalicelib.rules.base import Context, service_invoked
from chalicelib.rules.identity_undeclared_principal import is_service_role

# AWS services that apply the caller's own content (a template) rather than act for themselves.
APPLIES_CALLERS_CONTENT = frozenset({"cloudformation.amazonaws.com"})
AWS_APPLIED = ("AWS made the call itself, through a service-linked role only its service can assume (IAM Identity "
               "Center provisioning a permission set, say): the change that asked for it is judged where it was made "
               "(sso-assignment-changed for a permission set).")


def aws_applied(ctx: Context) -> bool:
    """An AWS service under its own identity or a service-linked role."""
    return ctx.actor.is_service or is_service_role(ctx.actor.role_arn)


def service_acting(ctx: Context) -> bool:
    """An AWS service acting or relaying, CloudFormation applying a template excepted."""
    if ctx.actor.is_service:
        return True
    return service_invoked(ctx.event) and ctx.event.invoked_by not in APPLIES_CALLERS_CONTENT


def aws_acting(ctx: Context) -> bool:
    """An AWS service: its own identity, a call it relayed (``invokedBy``), or a service-linked role."""
    return aws_applied(ctx) or service_invoked(ctx.event)
