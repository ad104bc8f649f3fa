"""credential-used-outside-home: a declared principal's credential used from where it does not run.

A principal may declare where it runs: ``network: {cidrs: [...]}`` (VPC ranges, NAT and Elastic
IPs, office egress) and/or ``user_agents: [globs]`` (the tools it calls with). Any call made
from elsewhere means someone else holds the credential: high. An instance-profile session
used from a public address outside its ranges is GuardDuty's
``InstanceCredentialExfiltration.OutsideAWS`` without the ML, from the model: critical.

Addresses that are not plain IPs are classified in chalicelib/identity/network.py: a call an
AWS service made for the principal (``invokedBy``, ``AWS Internal``, ``*.amazonaws.com``) says
nothing about where the credential is and is not judged; an address that cannot be placed
(zero-padded octets, another host name) is never inside a declared range.
"""

from __future__ import annotations

import re

from chalicelib.events import as_dict, as_str
from chalicelib.findings import Severity
from chalicelib.identity.network import ABSENT, SERVICE_KIND, agent_matches, classify, inside
from chalicelib.identity.resolve import INSTANCE_PROFILE
from chalicelib.rules.base import Context, Rule, Verdict, breaks_of, failed_suffix, service_invoked
from chalicelib.rules.registry import register

# Published (scrubbed) records spell instance ids in mixed case; AWS writes lower case.
INSTANCE_SESSION = re.compile(r"^i-[0-9a-fA-F]{8,17}$")
ENDPOINT_ACCOUNT = "vpcEndpointAccountId"
ACCOUNT_ID = re.compile(r"^\d{12}$")


def instance_session(ctx: Context) -> bool:
    """An EC2 instance's role session: IMDS delivered it (``ec2RoleDelivery``, set by AWS), and
    the session is named after the instance."""
    if ctx.actor.auth == INSTANCE_PROFILE:
        return True
    delivered = as_dict(ctx.event.user_identity.get("sessionContext")).get("ec2RoleDelivery") is not None
    return delivered and bool(ctx.actor.session and INSTANCE_SESSION.match(ctx.actor.session))


@register
class CredentialUsedOutsideHome(Rule):
    id = "credential-used-outside-home"
    severity = Severity.HIGH
    title = "Credential used outside where its principal runs"
    event_names = None  # any call by a principal that declares where it runs
    # Quiet for every principal that declares no home whatever the address; for one that does,
    # quiet because of the address, agent and VPC endpoint's owner: volatile, remembered with those
    # fields. (The memo's deeper key is one union for every volatile rule, so these also widen the key of
    # identity-undeclared-principal's volatile events: 5,800 more of the bench trail's 200,000
    # events are judged in full. Without them, a home principal's calls would never be skipped.)
    memo_fields = ()
    volatile_fields = (("sourceIPAddress",), ("userAgent",), (ENDPOINT_ACCOUNT,))
    reference = ("https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-iam.html"
                 "#unauthorizedaccess-iam-instancecredentialexfiltrationoutsideaws")
    runbook = (
        "Someone else holds this principal's credential. For a role or instance session: revoke its "
        "active sessions (IAM console 'Revoke active sessions', a deny on `aws:TokenIssueTime`), then look "
        "for how the credential left (SSRF to IMDS, a compromised host; require IMDSv2). For a static key: "
        "deactivate it (`aws iam update-access-key --user-name USER --access-key-id KEY --status Inactive`), "
        "issue a new one where the key lives, "
        "and review every call made from this source. If the source is legitimate, add it to the "
        "principal's `network.cidrs` or `user_agents` in the model."
    )

    @staticmethod
    def volatile(ctx: Context) -> bool:
        p = ctx.actor.principal
        return p is not None and p.declares_home

    def evaluate(self, ctx: Context) -> Verdict | None:
        actor = ctx.actor
        p = actor.principal
        if p is None or not p.declares_home or actor.is_service:
            return None
        ev = ctx.event
        if service_invoked(ev):  # a service acted for the principal: the address is the service's
            return None  # (a console session's signin.amazonaws.com is the person, from the person's address)
        source = classify(ev.source_ip)
        if source.kind == SERVICE_KIND:
            return None
        networks = ctx.model.networks.get(p.id)
        off_network = networks is not None and source.kind != ABSENT and not inside(source, networks)
        foreign = foreign_endpoint(ctx) if networks is not None and not off_network and source.kind != ABSENT else None
        off_network = off_network or foreign is not None
        agent = ev.user_agent
        off_agent = bool(p.user_agents) and agent is not None and not agent_matches(agent, tuple(p.user_agents))
        if not (off_network or off_agent):
            return None
        instance = instance_session(ctx)
        critical = off_network and instance and (source.public or foreign is not None)
        parts = []
        if foreign is not None:
            parts.append(f"from {source.describe()} through VPC endpoint {ev.raw.get('vpcEndpointId') or '?'} of "
                         f"account {foreign}, which the model does not declare (a private address is that VPC's "
                         "owner's to pick: it says nothing about being inside the declared ranges)")
        elif off_network:
            assert p.network is not None
            parts.append(f"from {source.describe()}, outside its declared ranges ({', '.join(p.network.cidrs)})")
        if off_agent:
            parts.append(f"with user agent '{agent}', which matches none of {', '.join(p.user_agents)}")
        what = f"instance session '{actor.session}'" if instance else actor.describe()
        exfil = (" Instance credentials used from a public address outside the instance's network have left "
                 "the instance." if critical and foreign is None else
                 " Instance credentials used from another account's VPC have left the instance." if critical else "")
        return Verdict(
            severity=Severity.CRITICAL if critical else Severity.HIGH,
            reason=f"{what} of principal '{p.id}' called {ev.event_name} {' and '.join(parts)}.{exfil}"
                   f"{failed_suffix(ctx)}",
            breaks=breaks_of(p),
            group_key=f"outside-home:{p.id}:{source.text if off_network else agent}",
            details={"source_ip": ev.source_ip, "user_agent": agent, "outside_network": off_network,
                     "outside_user_agents": off_agent, "instance_session": instance,
                     "public_source": source.public, "source_kind": source.kind, "vpc_endpoint_account": foreign},
        )


def foreign_endpoint(ctx: Context) -> str | None:
    """The account owning the VPC endpoint a call came through, when the model does not declare it.

    A call through an interface endpoint carries the caller's private address in its VPC, and whoever
    owns a VPC numbers it as it likes: a thief's VPC can use the declared range. ``vpcEndpointAccountId``
    (set by AWS; an AWS service's name when a service called) says whose endpoint it was."""
    owner = as_str(ctx.event.raw.get(ENDPOINT_ACCOUNT))
    if owner is None or not ACCOUNT_ID.match(owner):
        return None
    return None if ctx.model.declares_account(owner, ctx.event.account) else owner
