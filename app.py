"""Chalice wiring for Trailwarden: which CloudTrail events reach which handler, and the auditor API.

Wiring only (DESIGN §3): every handler hands its event to ``chalicelib.runtime``. Importing
this module stays cheap because Lambda pays for it on every cold start: no boto3 client, no
model load, and no X-Ray SDK (the Tracer is built on the first invocation: chalicelib/observability.py).

The EventBridge patterns below are the deployed contract. Rule *state*, retries and
dead-letter queues cannot be expressed through Chalice; ``deploy/build_merge_template.py``
adds them to the packaged template (DESIGN §8).
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from chalice import Chalice, IAMAuthorizer, Rate, Response
from chalice.app import CloudWatchEvent

from chalicelib import deadline, observability, runtime
from chalicelib.errors import ConfigError
from chalicelib.event_names import (  # noqa: F401 - re-exported: the routing tests read them as app.X
    DEVICE_CODE_GRANT,
    EXPOSURE_WRITES,  # in SERVICE_IDENTITY_WRITES too
    HOME_UNSET,
    IAM_WRITES,
    IDENTITY_STORE_WRITES,
    INSTANCE_ACCESS_WRITES,
    LAMBDA_EXPOSURE_WRITES,
    PASSROLE_WRITES,
    POD_IDENTITY_INVOKER,
    ROLES_ANYWHERE_WRITES,
    ROUTED_ELSEWHERE,
    ROUTINE_READS,
    SECRET_VALUES,
    SENSITIVE_SOURCES,
    SERVICE_IDENTITY_WRITES,
    SESSION_TOKENS,
    SSO_ISSUER_ARNS,
    SSO_TOKEN_SOURCES,
    SSO_WRITES,
)
from chalicelib.settings import is_on
from chalicelib.watch.routing import blinding_pattern, pipeline_pattern
from chalicelib.writes_pattern import writes_pattern

SERVICE = "trailwarden"
API_CALL = "AWS API Call via CloudTrail"

# Only AWS itself may publish a source starting with "aws." (PutEvents rejects it), so
# pinning the source keeps forged custom events out of the incident log.
PATTERNS: dict[str, dict[str, Any]] = {
    # Root API calls (read-only too) and root console sign-ins: no source or detail-type pin
    # beyond "from AWS", because root use anywhere must be loud.
    "root": {
        "source": [{"prefix": "aws."}],
        "detail": {"userIdentity": {"type": ["Root"]}},
    },
    # Identity changes, all writes (state ENABLED): IAM's credential, privilege, trust, MFA and
    # federation calls, IAM Identity Center's assignments and permission sets, IAM Roles Anywhere's
    # trust anchors, the calls that pass a role to a service (PASSROLE_WRITES: Lambda, EC2,
    # CloudFormation, Glue, SageMaker, CodeBuild, ECS) and Lambda's resource policy and function
    # URLs (LAMBDA_EXPOSURE_WRITES), Identity Center's directory (IDENTITY_STORE_WRITES), and the
    # calls that run code on an instance as its role (INSTANCE_ACCESS_WRITES: user data, SSM commands
    # and sessions, EC2 Instance Connect keys), and grants outside the model (EXPOSURE_WRITES: snapshot,
    # AMI and RDS snapshot sharing, bucket, secret and repository policies, KMS grants). Always on,
    # whatever TRAILWARDEN_WATCH_WRITES says.
    # No detail-type pin: it delivers these names whole, so the writes family can leave them out.
    "iam": {
        # Any AWS source (each branch names its eventSource): a list of them would not fit the quota.
        "source": [{"prefix": "aws."}],
        "detail": {
            "$or": [
                {"eventSource": ["iam.amazonaws.com"], "eventName": IAM_WRITES},
                {"eventSource": ["sso.amazonaws.com"], "eventName": SSO_WRITES},
                # A token issued through the device-code grant (sso-device-code-token); not the polls
                # before approval, nor the refreshes every CLI makes (those reach writes, in prod).
                {"eventSource": SSO_TOKEN_SOURCES, "eventName": ["CreateToken"],
                 "requestParameters": {"grantType": [DEVICE_CODE_GRANT]}, "errorCode": [{"exists": False}]},
                # One branch for all these services (the pattern quota): a name of one service from
                # another (SageMaker's CreateProject) is delivered too, and left out of writes alike.
                {"eventSource": list(SERVICE_IDENTITY_WRITES),
                 "eventName": sorted({n for names in SERVICE_IDENTITY_WRITES.values() for n in names})},
            ],
        },
    },
    # AssumeRole, AssumeRoleWithSAML, AssumeRoleWithWebIdentity: every refusal, and every success
    # except an AWS service taking on its own role (Lambda, ECS, EC2 do so all day). A success
    # is judged against may_assume and teaches who holds the new session (chalicelib/history.py).
    # deploy/build_merge_template.py leaves out a declared IAM user's or role's assumptions of the
    # one role its may_assume names (the CI user entering its deploy role on every run). AssumeRoot
    # (a root session in a member account) and the session tokens have branches never narrowed.
    "sts": {
        "source": ["aws.sts"],
        "detail-type": [API_CALL],
        "detail": {
            "eventSource": ["sts.amazonaws.com"],
            "eventName": [{"prefix": "AssumeRole"}, *SESSION_TOKENS, "AssumeRoot"],
            "$or": [
                # Never narrowed (the builder leaves branches that name events alone).
                {"eventName": SESSION_TOKENS, "userIdentity": {"type": ["IAMUser"]}},
                # A root session in a member account (sts-root-session-assumed), by anyone.
                {"eventName": ["AssumeRoot"]},
                # EKS Pod Identity taking a pod's role itself (eks-pod-identity-role-unexpected).
                {"eventName": ["AssumeRole"], "errorCode": [{"exists": False}],
                 "userIdentity": {"type": ["AWSService"], "invokedBy": [POD_IDENTITY_INVOKER]}},
                {"errorCode": [{"exists": True}]},
                {"userIdentity": {"type": [{"anything-but": ["AWSService", "IAMUser", "AssumedRole"]}]}},
                {"userIdentity": {"type": ["IAMUser"]}},
                {"userIdentity": {"type": ["AssumedRole"]}},
            ],
        },
    },
    # Secret reads (only with decryption: without it a SecureString stays ciphertext) and
    # deletions. GetParameterHistory returns old values too, so it counts as a read.
    # Secrets Manager's value reads always return plaintext, so every one by a caller that is not
    # an AWS service is judged (declared readers included: the rule checks who may read what).
    # deploy/build_merge_template.py narrows them to the secrets the packaged model declares
    # (undeclared callers' reads of any secret still reach the reads family).
    "ssm": {
        "source": ["aws.ssm", "aws.secretsmanager"],
        "detail-type": [API_CALL],
        "detail": {
            "$or": [
                {
                    "eventSource": ["ssm.amazonaws.com"],
                    "eventName": ["GetParameter", "GetParameters", "GetParametersByPath", "GetParameterHistory"],
                    "requestParameters": {"withDecryption": [True]},
                },
                {"eventSource": ["ssm.amazonaws.com"], "eventName": ["DeleteParameter", "DeleteParameters"]},
                {"eventSource": ["secretsmanager.amazonaws.com"], "eventName": SECRET_VALUES,
                 "userIdentity": {"type": [{"anything-but": ["AWSService"]}]}},
            ],
        },
    },
    # Not the detail-type: AWS spells the sign-in detail-type two ways (DESIGN §8). Every console
    # sign-in; a role session's console sign-in token (role-session-console-signin) when not recorded
    # as a write (a write reaches prod through writes, and its ConsoleLogin comes here in every stage);
    # the Identity Center portal's role credentials (sso-role-credentials-unexpected), an AwsServiceEvent
    # recorded read-only. Pinned to readOnly, those two cost the writes pattern nothing (its quota).
    "signin": {
        "source": ["aws.signin", "aws.sso"],
        "detail": {"$or": [
            {"eventSource": ["signin.amazonaws.com"], "eventName": ["ConsoleLogin"]},
            {"eventSource": ["signin.amazonaws.com"], "eventName": ["GetSigninToken"], "readOnly": [True]},
            {"eventSource": ["signin.amazonaws.com"], "eventName": ["GetSigninToken"], "readOnly": [{"exists": False}]},
            {"eventSource": ["sso.amazonaws.com"], "eventName": ["GetRoleCredentials"], "readOnly": [True]},
        ]},
    },
    # Reads the model-correlation rules need (the writes family below carries no read): any call
    # made with an IAM user's own static key (an unlisted key, or a human's), and reads of the
    # identity, secret and key services by callers that are not AWS services. Calls the sts and
    # ssm families take, and KMS's data-plane crypto (services call it all day), are left out,
    # except a Decrypt of an SSM parameter's ciphertext made directly (not by SSM for a caller).
    # deploy/build_merge_template.py narrows the static-key branch to the users the bundled
    # model does not declare as access-key principals (their reads are routine and costly).
    "reads": {
        "source": [{"prefix": "aws."}],
        "detail-type": [API_CALL],
        "detail": {
            "readOnly": [True],
            "$or": [
                {"eventName": [{"anything-but": ROUTED_ELSEWHERE}],
                 "userIdentity": {"type": ["IAMUser"], "accessKeyId": [{"prefix": "AKIA"}]}},
                # The same key's session credentials (GetSessionToken): an IAM user's ASIA key that
                # is not a console session is judged like its static key.
                {"eventName": [{"anything-but": ROUTED_ELSEWHERE}], "sessionCredentialFromConsole": [{"exists": False}],
                 "userIdentity": {"type": ["IAMUser"], "accessKeyId": [{"prefix": "ASIA"}]}},
                # A federation token's session (GetFederationToken) is made from a static key, so
                # every call it makes is judged: an undeclared user's, or a declared one's wrong auth.
                {"eventName": [{"anything-but": ROUTED_ELSEWHERE}], "userIdentity": {"type": ["FederatedUser"]}},
                {"eventSource": SENSITIVE_SOURCES, "eventName": [{"anything-but": [*ROUTED_ELSEWHERE, *ROUTINE_READS]}],
                 "userIdentity": {"type": [{"anything-but": ["AWSService", "Root", "AssumedRole", "IAMUser"]}],
                                  "invokedBy": [{"exists": False}]}},
                {"eventSource": SENSITIVE_SOURCES, "eventName": [{"anything-but": [*ROUTED_ELSEWHERE, *ROUTINE_READS]}],
                 "userIdentity": {"type": ["IAMUser"], "accessKeyId": [{"anything-but": {"prefix": "AKIA"}}],
                                  "invokedBy": [{"exists": False}]}},
                {"eventSource": SENSITIVE_SOURCES, "eventName": [{"anything-but": [*ROUTED_ELSEWHERE, *ROUTINE_READS]}],
                 "userIdentity": {"type": ["AssumedRole"], "invokedBy": [{"exists": False}],
                                  "sessionContext": {"sessionIssuer": {"arn": [{"anything-but": {
                                      "wildcard": SSO_ISSUER_ARNS}}]}}}},
                # SSO sessions: the builder leaves out the declared SSO users' (in their accounts).
                {"eventSource": SENSITIVE_SOURCES, "eventName": [{"anything-but": [*ROUTED_ELSEWHERE, *ROUTINE_READS]}],
                 "userIdentity": {"type": ["AssumedRole"], "invokedBy": [{"exists": False}],
                                  "sessionContext": {"sessionIssuer": {"arn": [{"wildcard": SSO_ISSUER_ARNS}]}}}},
                # A Windows instance's administrator password (ec2-password-data-read), by anyone but AWS
                # services, root (the root family has it) and Identity Center sessions (vouched for by it).
                # The role branch's type is a prefix so the builder's narrowing of roles leaves it whole.
                {"eventSource": ["ec2.amazonaws.com"], "eventName": ["GetPasswordData"],
                 "userIdentity": {"type": [{"anything-but": ["AWSService", "AssumedRole", "Root"]}]}},
                {"eventSource": ["ec2.amazonaws.com"], "eventName": ["GetPasswordData"],
                 "userIdentity": {"type": [{"prefix": "AssumedRole"}], "sessionContext": {"sessionIssuer": {
                     "arn": [{"anything-but": {"wildcard": SSO_ISSUER_ARNS}}]}}}},
                # IAM Roles Anywhere issuing a certificate role credentials (rolesanywhere-session-unexpected),
                # whoever the record names as caller; recorded read-only, as STS's AssumeRole is (a write
                # reaches prod through writes).
                {"eventSource": ["rolesanywhere.amazonaws.com"], "eventName": ["CreateSession"]},
                # ReEncrypt re-wraps that ciphertext under a key the caller names: the same read, taken elsewhere.
                {"eventSource": ["kms.amazonaws.com"], "eventName": ["Decrypt", "ReEncrypt"],
                 "requestParameters": {"$or": [{"encryptionContext": {"PARAMETER_ARN": [{"exists": True}]}},
                                               {"sourceEncryptionContext": {"PARAMETER_ARN": [{"exists": True}]}}]},
                 "userIdentity": {"type": [{"anything-but": ["AWSService", "Root"]}],
                                  "invokedBy": [{"exists": False}]}},
            ],
        },
    },
    # Every call, read or write, by a principal the model says runs somewhere (``network`` or
    # ``user_agents``): credential-used-outside-home judges any of them, in every stage.
    # deploy/build_merge_template.py fills in those principals from the packaged model; left as
    # is (no such principal, or a model on S3) it matches nothing.
    "home": {
        "source": [{"prefix": "aws."}],
        # One "$or" branch (a list, so the packaged template's branches replace it whole).
        "detail": {"$or": [{"userIdentity": {"userName": [HOME_UNSET]}}]},
    },
    # Blinding the monitor (chalicelib/watch/routing.py): trails, other detectors, leaving the
    # organization; and changes to Trailwarden's own resources, with its heartbeat. Always on,
    # whatever TRAILWARDEN_WATCH_WRITES says; all are writes, so state ENABLED suffices.
    "blinding": blinding_pattern(),
    "pipeline": pipeline_pattern(),
}
# Every write by anyone: the model-correlation rules (undeclared principal, auth mismatch) need
# them. The loudest family by far, so it is switchable per stage. Writes the iam, blinding and
# signin families deliver whole are left to them (chalicelib/writes_pattern.py): one invocation
# each, not two.
PATTERNS["writes"] = writes_pattern([PATTERNS["iam"], PATTERNS["blinding"], PATTERNS["signin"]])


# Read at import on purpose: `chalice package` exports the stage's environment_variables
# before importing this module, and Lambda sets the same variables, so the template and the
# running code always agree on whether the writes handler exists.
WATCH_WRITES = is_on(os.environ.get("TRAILWARDEN_WATCH_WRITES", ""))
FAMILIES: tuple[str, ...] = tuple(f for f in PATTERNS if f != "writes" or WATCH_WRITES)

app = Chalice(app_name=SERVICE)
logger = Logger(service=SERVICE)
metrics = Metrics(namespace="Trailwarden", service=SERVICE)
iam_authorizer = IAMAuthorizer()


# Powertools logging, metrics and tracing around every handler (chalicelib/observability.py).
observability.install(app, logger, metrics, SERVICE)


def _judge(event: CloudWatchEvent, family: str) -> dict[str, Any]:
    logger.append_keys(family=family)
    metrics.add_dimension(name="family", value=family)
    metrics.add_metric(name="CloudTrailEvents", unit=MetricUnit.Count, value=1)
    with deadline.within(getattr(event, "context", None)):  # Slack never waits past the invocation (README)
        return runtime.handle_cloudtrail(event.to_dict(), family)


# --- CloudTrail handlers: one Lambda function and one rule per family -----------------


@app.on_cw_event(PATTERNS["root"], name="root")
def root(event: CloudWatchEvent) -> dict[str, Any]:
    return _judge(event, "root")


@app.on_cw_event(PATTERNS["iam"], name="iam")
def iam(event: CloudWatchEvent) -> dict[str, Any]:
    return _judge(event, "iam")


@app.on_cw_event(PATTERNS["sts"], name="sts")
def sts(event: CloudWatchEvent) -> dict[str, Any]:
    return _judge(event, "sts")


@app.on_cw_event(PATTERNS["ssm"], name="ssm")
def ssm(event: CloudWatchEvent) -> dict[str, Any]:
    return _judge(event, "ssm")


@app.on_cw_event(PATTERNS["signin"], name="signin")
def signin(event: CloudWatchEvent) -> dict[str, Any]:
    return _judge(event, "signin")


@app.on_cw_event(PATTERNS["reads"], name="reads")
def reads(event: CloudWatchEvent) -> dict[str, Any]:
    return _judge(event, "reads")


@app.on_cw_event(PATTERNS["home"], name="home")
def home(event: CloudWatchEvent) -> dict[str, Any]:
    return _judge(event, "home")


def writes(event: CloudWatchEvent) -> dict[str, Any]:
    return _judge(event, "writes")


if WATCH_WRITES:
    writes = app.on_cw_event(PATTERNS["writes"], name="writes")(writes)


@app.on_cw_event(PATTERNS["blinding"], name="blinding")
def blinding(event: CloudWatchEvent) -> dict[str, Any]:
    return _judge(event, "blinding")


@app.on_cw_event(PATTERNS["pipeline"], name="pipeline")
def pipeline(event: CloudWatchEvent) -> dict[str, Any]:
    return _judge(event, "pipeline")


@app.schedule(Rate(15, unit=Rate.MINUTES), name="liveness", description="Trailwarden: heartbeat check")
def liveness(event: CloudWatchEvent) -> dict[str, Any]:
    return runtime.run_liveness_check()


@app.schedule(Rate(1, unit=Rate.DAYS), name="daily_audit", description="Trailwarden daily credential inventory")
def daily_audit(event: CloudWatchEvent) -> dict[str, Any]:
    metrics.add_metric(name="AuditRuns", unit=MetricUnit.Count, value=1)
    return runtime.run_scheduled_audit()


@app.schedule(Rate(1, unit=Rate.HOURS), name="close_groups", description="Trailwarden: grouped incidents final count")
def close_groups(event: CloudWatchEvent) -> dict[str, Any]:
    return runtime.close_groups()


# Organization mode (issue 14): the handlers listen on the custom bus members forward to (the
# builder sets EventBusName on their rules), and every account and region is checked daily.
ORGANIZATION = (os.environ.get("TRAILWARDEN_EVENT_BUS") or "").strip() not in ("", "default")


def coverage(event: CloudWatchEvent) -> dict[str, Any]:
    return runtime.run_coverage_check()


if ORGANIZATION:
    coverage = app.schedule(Rate(1, unit=Rate.DAYS), name="coverage",
                            description="Trailwarden: organization coverage check")(coverage)


@app.lambda_function(name="backfill_worker")
def backfill_worker(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """One Distributed Map batch of trail objects (backfill on Step Functions, chalicelib/backfill)."""
    from chalicelib.backfill.worker import handle

    return handle(event)


# --- auditor API: IAM (SigV4) auth on every route ---------------------------------------


def _error(status: int, code: str, message: str) -> Response:
    metrics.add_metric(name="ApiClientErrors", unit=MetricUnit.Count, value=1)
    return Response(body={"error": code, "message": message}, status_code=status,
                    headers={"Content-Type": "application/json"})


@app.route("/incidents", methods=["GET"], authorizer=iam_authorizer)
def list_incidents() -> Any:
    query = app.current_request.query_params or {}
    repeated = sorted(k for k in query if len(query.getlist(k)) > 1)
    if repeated:
        return _error(400, "bad_filter", f"give each filter once: {', '.join(repeated)} repeated")
    try:
        return runtime.list_incidents({k: query[k] for k in query})
    except ConfigError as err:
        return _error(400, "bad_filter", str(err))


@app.route("/incidents/{incident_id}", methods=["GET"], authorizer=iam_authorizer)
def get_incident(incident_id: str) -> Any:
    incident = runtime.get_incident(incident_id)
    if incident is None:
        return _error(404, "not_found", f"no incident with id {incident_id!r}")
    return incident


@app.route("/incidents/{incident_id}/triage", methods=["POST"], authorizer=iam_authorizer)
def triage_incident(incident_id: str) -> Any:
    """Responders only (IAM); recorded as the signing identity (chalicelib/incidents/triage_api.py)."""
    request = app.current_request
    answer = runtime.triage_incident(incident_id, request.raw_body, request.context)
    if answer.status != 200:
        return _error(answer.status, answer.body["error"], answer.body["message"])
    return answer.body


# --- Slack interactivity: authenticated by Slack's request signature, not IAM -------------
@app.route("/slack/interactions", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
def slack_interactions() -> Any:
    """Triage buttons (chalicelib/notify/slack_interactions.py): unsigned, bad, stale or replayed → 401."""
    request = app.current_request
    answer = runtime.slack_interaction(dict(request.headers), request.raw_body)
    return Response(body=answer.body, status_code=answer.status, headers={"Content-Type": "application/json"})
