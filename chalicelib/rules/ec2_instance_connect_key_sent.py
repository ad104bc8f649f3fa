"""ec2-instance-connect-key-sent: an SSH public key pushed to an instance for 60 seconds through
EC2 Instance Connect (``SendSSHPublicKey``) or its serial console (``SendSerialConsoleSSHPublicKey``,
which reaches the machine whatever its network): whoever holds the private key logs in and acts
as the instance's role. Stratus Red Team's aws.lateral-movement.ec2-instance-connect and
ec2-serial-console-send-ssh-public-key. A Glue development endpoint given a new SSH key
(``UpdateDevEndpoint`` with ``publicKey`` or ``addPublicKeys``: Rhino Security Labs' glue:UpdateDevEndpoint
escalation) is the same, on a machine that runs as the endpoint's role, and lasts until removed.

Judged by who acts (chalicelib/rules/_instance_access.py): low for ``operates_instances``, medium
for an IAM manager not so declared, high otherwise; a refusal at most medium; grouped per caller.
"""

from __future__ import annotations

from types import MappingProxyType

from chalicelib.events import as_str
from chalicelib.findings import Severity
from chalicelib.rules._instance_access import caller_group, grade, instance_arn, operator_details
from chalicelib.rules.base import Context, Rule, Verdict, failed_suffix
from chalicelib.rules.registry import register

SOURCE = "ec2-instance-connect.amazonaws.com"
GLUE = "glue.amazonaws.com"
GLUE_KEYS = (("requestParameters", "publicKey"), ("requestParameters", "addPublicKeys"),
             ("responseElements", "UpdateDevEndpoint"))  # the last: how ``failed`` reads a sign-in's outcome


@register
class Ec2InstanceConnectKeySent(Rule):
    id = "ec2-instance-connect-key-sent"
    severity = Severity.HIGH
    title = "SSH key pushed to an instance (EC2 Instance Connect) or a Glue dev endpoint"
    event_names = frozenset({"SendSSHPublicKey", "SendSerialConsoleSSHPublicKey", "UpdateDevEndpoint"})
    # Quiet for AWS acting (userIdentity), another source, and a declared operator's refusal (its outcome).
    memo_fields = (("eventSource",), ("errorCode",))
    memo_fields_by_name = MappingProxyType({**{n: (("responseElements", n),)
                                               for n in ("SendSSHPublicKey", "SendSerialConsoleSSHPublicKey")},
                                            "UpdateDevEndpoint": GLUE_KEYS})
    reference = "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-instance-connect-methods.html"
    runbook = (
        "Ask the caller why it logged in. If nobody knows: look for the SSH login on the instance (its auth "
        "log, the serial console history), treat the instance and its role's credentials as compromised, "
        "and the caller's credentials too. Turn off serial console access where it is not needed "
        "(`aws ec2 disable-serial-console-access`). For a Glue development endpoint, remove the key (`aws glue "
        "update-dev-endpoint --endpoint-name NAME --delete-public-keys KEY`) or the endpoint (`aws glue "
        "delete-dev-endpoint --endpoint-name NAME`). Declare routine operators with `operates_instances: true`."
    )

    def evaluate(self, ctx: Context) -> Verdict | None:
        ev = ctx.event
        if ev.event_source == GLUE and ev.event_name == "UpdateDevEndpoint":
            return _glue(ctx)
        if ev.event_source != SOURCE:
            return None
        graded = grade(ctx)
        if graded is None:
            return None
        severity, why = graded
        instance = ev.param("instanceId")
        serial = ev.event_name == "SendSerialConsoleSSHPublicKey"
        os_user = ev.param("instanceOSUser")
        way = "the serial console of" if serial else f"OS user '{os_user or '?'}' on"
        return Verdict(
            reason=f"{ctx.actor.describe()} pushed an SSH key to {way} instance {instance or '?'}: {why}"
                   f"{failed_suffix(ctx)}",
            severity=severity,
            target_arn=instance_arn(ctx, instance),
            group_key=caller_group("instance-connect", ctx),
            details={"instance_id": instance, "serial_console": serial, "os_user": os_user,
                     **operator_details(ctx)},
        )


def _glue(ctx: Context) -> Verdict | None:
    """A Glue dev endpoint's SSH keys: a new ``publicKey`` or ``addPublicKeys`` lets the key's holder log in."""
    ev = ctx.event
    params = ev.request_parameters
    added = params.get("addPublicKeys")
    if not as_str(params.get("publicKey")) and not (isinstance(added, list) and added):
        return None  # libraries, arguments, keys removed: no new way in
    graded = grade(ctx)
    if graded is None:
        return None
    severity, why = graded
    endpoint = ev.param("endpointName")
    return Verdict(
        reason=f"{ctx.actor.describe()} added an SSH key to Glue development endpoint '{endpoint or '?'}', a machine "
               f"that runs as the endpoint's role: {why}{failed_suffix(ctx)}",
        severity=severity,
        target_arn=(f"arn:{ev.partition}:glue:{ev.region}:{ev.account}:devEndpoint/{endpoint}"
                    if endpoint and ev.region and ev.account else None),
        group_key=caller_group("instance-connect", ctx),
        details={"dev_endpoint": endpoint, **operator_details(ctx)},
    )
