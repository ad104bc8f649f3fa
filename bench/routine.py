"""Routine record kinds a real management-event trail is made of, for ``bench/gen.py``.

The story and the shared samples were picked for being interesting, so they lack the bulk of
a real trail: AWS services assuming function, task and instance roles; KMS calls services
make (directly, or for a caller as ``invokedBy``); role and CI reads. Without these the
generated trail has far too many writes, and the Lambda-invocation figure
(``bench/invocations.py``) would price a trail nobody has. Written for this project, shaped
like current CloudTrail records (eventVersion 1.08-1.10); the generator replaces the actor,
account, ids, time, region and source IP of each, as it does for the other templates.

``KINDS`` maps a generator class to its templates; ``BURSTS`` names the classes that come as
a run of consecutive calls by one actor (a Terraform plan), with its length range.
"""

from __future__ import annotations

from typing import Any

ACCOUNT = "630287363158"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/6f1c8a52-0b7e-4d2a-9c35-1e2f3a4b5c6d"
BURSTS = {"ci-plan": (20, 80)}
SDK = "Boto3/1.35.60 md/Botocore#1.35.60 ua/2.0 os/linux#5.10.227-219.884.amzn2.x86_64 md/arch#x86_64 " \
      "lang/python#3.12.7 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.35.60"
TERRAFORM = "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.76.0 " \
            "(+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.4 ua/2.1 os/linux " \
            "lang/go#1.23.2 md/GOOS#linux md/GOARCH#amd64 api/{api}#1.0 m/E"


def service(invoked_by: str) -> dict[str, Any]:
    return {"type": "AWSService", "invokedBy": invoked_by}


def role(invoked_by: str | None = None) -> dict[str, Any]:
    """A placeholder role session; the generator swaps in one of the model's (keeping invokedBy)."""
    ui: dict[str, Any] = {
        "type": "AssumedRole", "principalId": "AROAZ7EXAMPLEROLE001:session",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/app-role/session", "accountId": ACCOUNT,
        "accessKeyId": "ASIAZ7EXAMPLESESS001",
        "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAZ7EXAMPLEROLE001",
                                             "arn": f"arn:aws:iam::{ACCOUNT}:role/app-role", "accountId": ACCOUNT,
                                             "userName": "app-role"},
                           "attributes": {"creationDate": "2026-11-20T09:00:00Z", "mfaAuthenticated": "false"}},
    }
    if invoked_by:
        ui["invokedBy"] = invoked_by
    return ui


def ci_user() -> dict[str, Any]:
    """A CI user calling with its long-lived (AKIA) key; the generator picks which user."""
    return {"type": "IAMUser", "principalId": "AIDAZ7EXAMPLECIUSER1",
            "arn": f"arn:aws:iam::{ACCOUNT}:user/github-actions-aws-deployer", "accountId": ACCOUNT,
            "accessKeyId": "AKIAZ7EXAMPLECIKEY01", "userName": "github-actions-aws-deployer"}


def call(source: str, name: str, ui: dict[str, Any], *, read_only: bool = True, request: dict[str, Any] | None = None,
         response: dict[str, Any] | None = None, resources: list[dict[str, str]] | None = None,
         agent: str = SDK, **extra: Any) -> dict[str, Any]:
    """One management API call. Calls a service makes itself come from the service's name,
    not an IP, and carry no TLS details (as AWS writes them)."""
    by = ui.get("invokedBy")
    rec: dict[str, Any] = {
        "eventVersion": "1.10", "userIdentity": ui, "eventTime": "2026-11-20T10:00:00Z", "eventSource": source,
        "eventName": name, "awsRegion": "us-east-1", "sourceIPAddress": by or "203.0.113.24",
        "userAgent": by or agent, "requestParameters": request, "responseElements": response,
        "requestID": "00000000-0000-4000-a000-000000000000", "eventID": "00000000-0000-4000-a000-000000000001",
        "readOnly": read_only,
    }
    if resources:
        rec["resources"] = resources
    rec.update({"eventType": "AwsApiCall", "managementEvent": True, "recipientAccountId": ACCOUNT,
                "eventCategory": "Management", **extra})
    if not by:
        rec["tlsDetails"] = {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                             "clientProvidedHostHeader": source.replace(".amazonaws.com", ".us-east-1.amazonaws.com")}
    return rec


def assume(ui: dict[str, Any], role_name: str, session: str, **extra: Any) -> dict[str, Any]:
    """A successful sts:AssumeRole (AWS writes the credentials, minus the secret)."""
    arn = f"arn:aws:iam::{ACCOUNT}:role/{role_name}"
    return call("sts.amazonaws.com", "AssumeRole", ui, request={"roleArn": arn, "roleSessionName": session},
                response={"credentials": {"accessKeyId": "ASIAZ7EXAMPLESESS002", "sessionToken": "REDACTED",
                                          "expiration": "Nov 20, 2026, 11:00:00 AM"},
                          "assumedRoleUser": {"assumedRoleId": f"AROAZ7EXAMPLEROLE002:{session}",
                                              "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role_name}/{session}"}},
                resources=[{"accountId": ACCOUNT, "type": "AWS::IAM::Role", "ARN": arn}],
                sharedEventID="11111111-2222-4333-a444-555555555555", **extra)


def kms(name: str, ui: dict[str, Any], context: dict[str, str] | None, **request: Any) -> dict[str, Any]:
    params = {"keyId": KEY_ARN, **request, "encryptionAlgorithm": "SYMMETRIC_DEFAULT"}
    if context is not None:
        params["encryptionContext"] = context
    if name == "GenerateDataKey":
        params = {"keyId": KEY_ARN, "keySpec": "AES_256", **({"encryptionContext": context} if context else {})}
    return call("kms.amazonaws.com", name, ui, request=params,
                resources=[{"accountId": ACCOUNT, "type": "AWS::KMS::Key", "ARN": KEY_ARN}])


def _service_assume() -> list[dict[str, Any]]:
    return [
        assume(service("lambda.amazonaws.com"), "report-generator-lambda", "awslambda_812_20261120100000123"),
        assume(service("ecs-tasks.amazonaws.com"), "ingest-pipeline-task", "4f0c9d2e8b1a4c6e9f3d2b1a0c9e8d7f"),
        assume(service("ec2.amazonaws.com"), "abt-app-instance-role", "i-0abc1234def567890"),
    ]


def _kms_calls() -> dict[str, list[dict[str, Any]]]:
    param = f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/app/db-password"
    secret = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:app/stripe-AbCdEf"
    bucket = f"arn:aws:s3:::abt-reports-{ACCOUNT}"
    trail = f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/org-trail"
    return {
        # CloudTrail and CloudWatch Logs encrypting with a customer key, as themselves.
        "service-kms": [
            kms("GenerateDataKey", service("cloudtrail.amazonaws.com"), {"aws:cloudtrail:arn": trail}),
            kms("GenerateDataKey", service("logs.amazonaws.com"),
                {"aws:logs:arn": f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/report-generator"}),
            kms("Decrypt", service("logs.amazonaws.com"),
                {"aws:logs:arn": f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/report-generator"}),
        ],
        # The Decrypt SSM makes for a caller's GetParameter(WithDecryption) of a SecureString.
        "ssm-kms": [kms("Decrypt", role("ssm.amazonaws.com"), {"PARAMETER_ARN": param})],
        # S3 (SSE-KMS) and Secrets Manager using the key for the caller.
        "role-kms": [
            kms("GenerateDataKey", role("s3.amazonaws.com"), {"aws:s3:arn": bucket}),
            kms("Decrypt", role("s3.amazonaws.com"), {"aws:s3:arn": bucket}),
            kms("Decrypt", role("secretsmanager.amazonaws.com"),
                {"SecretARN": secret, "SecretVersionId": "8d1c2b3a-4e5f-4a6b-9c7d-0e1f2a3b4c5d"}),
        ],
        # Rare: an application decrypting its own ciphertext with the SDK.
        "kms-direct": [kms("Decrypt", role(), None)],
    }


def _reads() -> list[dict[str, Any]]:
    """What workload and human roles call all day: describes, lists and gets."""
    r = role
    return [
        call("ec2.amazonaws.com", "DescribeInstances", r(), request={"instancesSet": {}, "filterSet": {}}),
        call("ec2.amazonaws.com", "DescribeSecurityGroups", r(), request={"securityGroupSet": {}, "filterSet": {}}),
        call("ecs.amazonaws.com", "DescribeServices", r(),
             request={"cluster": "ingest", "services": ["ingest-pipeline"]}),
        call("ecr.amazonaws.com", "GetAuthorizationToken", r(), request={"registryIds": [ACCOUNT]}),
        call("logs.amazonaws.com", "DescribeLogStreams", r(),
             request={"logGroupName": "/aws/lambda/report-generator", "descending": True, "limit": 1}),
        call("s3.amazonaws.com", "ListBuckets", r(), request={"Host": "s3.amazonaws.com"}),
        call("dynamodb.amazonaws.com", "DescribeTable", r(), request={"tableName": "paperclip-jobs"}),
        call("monitoring.amazonaws.com", "DescribeAlarms", r(), request={"maxRecords": 100}),
        call("autoscaling.amazonaws.com", "DescribeAutoScalingGroups", r(), request={"maxRecords": 50}),
        call("elasticloadbalancing.amazonaws.com", "DescribeTargetHealth", r(),
             request={"targetGroupArn": f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:targetgroup/web/0a1b2c"}),
        call("secretsmanager.amazonaws.com", "GetSecretValue", r(),
             request={"secretId": f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:app/stripe-AbCdEf"}),
        call("ssm.amazonaws.com", "ListInstanceAssociations", r(), request={"instanceId": "i-0abc1234def567890",
                                                                             "maxResults": 20},
             agent="aws-sdk-go/1.55.5 (go1.22.8; linux; amd64) amazon-ssm-agent/3.3.1142.0"),
    ]


def _ci_plan() -> list[dict[str, Any]]:
    """`terraform plan` in CI: a refresh reads every managed resource, across services."""
    u = ci_user

    def tf(source: str, name: str, api: str, request: dict[str, Any]) -> dict[str, Any]:
        return call(source, name, u(), request=request, agent=TERRAFORM.format(api=api))

    return [
        tf("sts.amazonaws.com", "GetCallerIdentity", "sts", {}),
        tf("ec2.amazonaws.com", "DescribeVpcs", "ec2", {"vpcSet": {"items": [{"vpcId": "vpc-0a1b2c3d"}]}}),
        tf("ec2.amazonaws.com", "DescribeSubnets", "ec2", {"subnetSet": {"items": [{"subnetId": "subnet-0a1b"}]}}),
        tf("ec2.amazonaws.com", "DescribeSecurityGroups", "ec2", {"securityGroupIdSet": {"items": [
            {"groupId": "sg-0a1b2c3d"}]}}),
        tf("iam.amazonaws.com", "GetRole", "iam", {"roleName": "report-generator-lambda"}),
        tf("iam.amazonaws.com", "ListAttachedRolePolicies", "iam", {"roleName": "report-generator-lambda"}),
        tf("iam.amazonaws.com", "GetRolePolicy", "iam", {"roleName": "report-generator-lambda",
                                                         "policyName": "reports"}),
        tf("s3.amazonaws.com", "GetBucketPolicy", "s3", {"bucketName": f"abt-reports-{ACCOUNT}", "policy": "",
                                                         "Host": f"abt-reports-{ACCOUNT}.s3.amazonaws.com"}),
        tf("s3.amazonaws.com", "GetBucketVersioning", "s3", {"bucketName": f"abt-reports-{ACCOUNT}", "versioning": "",
                                                             "Host": f"abt-reports-{ACCOUNT}.s3.amazonaws.com"}),
        tf("lambda.amazonaws.com", "GetFunction20150331v2", "lambda", {"functionName": "report-generator"}),
        tf("logs.amazonaws.com", "DescribeLogGroups", "cloudwatchlogs", {"logGroupNamePrefix": "/aws/lambda/"}),
        tf("kms.amazonaws.com", "DescribeKey", "kms", {"keyId": KEY_ARN}),
        tf("kms.amazonaws.com", "GetKeyPolicy", "kms", {"keyId": KEY_ARN, "policyName": "default"}),
        tf("dynamodb.amazonaws.com", "DescribeTable", "dynamodb", {"tableName": "paperclip-jobs"}),
        # The aws_ssm_parameter data source decrypts by default (the generator varies the flag).
        tf("ssm.amazonaws.com", "GetParameter", "ssm", {"name": "/app/db-password", "withDecryption": True}),
    ]


def kinds() -> dict[str, list[dict[str, Any]]]:
    """Generator class → templates (see ``gen.WEIGHTS`` for each class's share of records)."""
    return {
        "service-assume": _service_assume(),
        **_kms_calls(),
        "role-read": _reads(),
        "caller-identity": [call("sts.amazonaws.com", "GetCallerIdentity", role()),
                            call("sts.amazonaws.com", "GetCallerIdentity", ci_user())],
        # Role chaining (a deploy role into a workload account) and CI assuming its deploy role.
        "role-assume": [assume(role(), "OrganizationAccountAccessRole", "terraform-apply"),
                        assume(ci_user(), "terraform-deploy", "terraform-ci")],
        "ci-plan": _ci_plan(),
        "role-write": [
            call("logs.amazonaws.com", "CreateLogStream", role(), read_only=False,
                 request={"logGroupName": "/aws/lambda/report-generator",
                          "logStreamName": "2026/11/20/[$LATEST]0a1b2c3d4e5f60718293a4b5c6d7e8f9"}),
            call("ecs.amazonaws.com", "RunTask", role("events.amazonaws.com"), read_only=False,
                 request={"cluster": "ingest", "taskDefinition": "ingest-nightly:14", "count": 1,
                          "launchType": "FARGATE"}),
        ],
    }
