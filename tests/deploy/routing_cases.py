"""The routing cases: (id, EventBridge envelope, families that must receive it with prod's rules).

Kept apart from the record builders (``cloudtrail.py``): these are the expectations every routing
test (local matching, moto's EventBridge, the member template) checks the packaged patterns
against, positive and negative per family; the iam family's include every identity write of
``escalation_calls.py``.
"""

from __future__ import annotations

import uuid
from typing import Any

from .cloudtrail import (
    ACCOUNT,
    SIGNIN_ALT,
    api_call,
    assumed_role,
    console_login,
    envelope,
    hidden_user_login_failure,
    iam_user,
    reserved_sso_user,
    root,
    root_console,
    sso_user,
)
from .escalation_calls import CI_USER, ESCALATION, PASSED_ROLE, PERMISSION_SET, SSO_INSTANCE

WEBHOOK = "/trailwarden/prod/slack-webhook-url"
SECRET = "/paperclip-app/api-key"


def cases() -> list[tuple[str, dict[str, Any], set[str]]]:
    """Positive and negative examples per family. Expected sets include ``writes`` (on in prod)."""
    admin = sso_user("jared@example.com")
    ci = iam_user(CI_USER)
    agent = assumed_role("paperclip-agent", "paperclip-7f3a")
    instance = {**assumed_role("abt-app-instance-role", "i-0abc1234def567890"),
                "sessionContext": {**assumed_role("abt-app-instance-role", "i-0abc1234def567890")["sessionContext"],
                                   "ec2RoleDelivery": "2.0"}}
    denied = ("AccessDenied", f"User: {agent['arn']} is not authorized to perform: sts:AssumeRole on resource: "
              f"arn:aws:iam::{ACCOUNT}:role/terraform-deploy")
    return [
        # root: any call, read-only or not, and console sign-ins
        ("root-listbuckets", envelope(api_call("s3.amazonaws.com", "ListBuckets", root_console(), read_only=True,
                                               request={"Host": "s3.amazonaws.com"})), {"root"}),
        ("root-getcalleridentity", envelope(api_call("sts.amazonaws.com", "GetCallerIdentity", root(),
                                                     read_only=True)), {"root"}),
        ("root-createbucket", envelope(api_call("s3.amazonaws.com", "CreateBucket", root(), read_only=False,
                                                request={"bucketName": "tw-demo", "Host": "tw-demo.s3.amazonaws.com"})),
         {"root", "writes"}),
        ("root-secret-read", envelope(api_call("ssm.amazonaws.com", "GetParameter", root(), read_only=True,
                                               request={"name": SECRET, "withDecryption": True})), {"root", "ssm"}),
        ("root-signin-success", envelope(console_login(root(), success=True)), {"root", "signin"}),
        ("root-signin-failure", envelope(console_login(root(), success=False)), {"root", "signin"}),
        ("root-signin-alt-detail-type", envelope(console_login(root(), success=True), detail_type=SIGNIN_ALT),
         {"root", "signin"}),
        # iam: the five credential calls, not other IAM writes or reads
        *[(f"iam-{name.lower()}", envelope(api_call("iam.amazonaws.com", name, admin, read_only=False,
                                                    request=req, response=None)), {"iam"})
          for name, req in [("DeleteUser", {"userName": CI_USER}),
                            ("CreateAccessKey", {"userName": CI_USER}),
                            ("DeleteAccessKey", {"userName": CI_USER, "accessKeyId": "AKIAZ4EXAMPLEKEY0001"}),
                            ("UpdateAccessKey", {"userName": CI_USER, "accessKeyId": "AKIAZ4EXAMPLEKEY0001",
                                                 "status": "Inactive"}),
                            ("DeleteLoginProfile", {"userName": CI_USER})]],
        ("iam-denied-deleteuser", envelope(api_call("iam.amazonaws.com", "DeleteUser", agent, read_only=False,
                                                    request={"userName": CI_USER}, error=denied)), {"iam"}),
        ("iam-tagrole-is-not-iam", envelope(api_call("iam.amazonaws.com", "TagRole", admin, read_only=False,
                                                     request={"roleName": "x", "tags": []})), {"writes"}),
        # iam: persistence and privilege escalation (issue 13), from IAM, Identity Center and Roles Anywhere
        *[(f"iam-{name.lower()}", envelope(api_call(source, name, ci, read_only=False, request=req)),
           {"iam"}) for source, name, req in ESCALATION],
        ("iam-identity-center-read-is-not-iam", envelope(api_call(
            "sso.amazonaws.com", "ListAccountAssignments", admin, read_only=True,
            request={"instanceArn": SSO_INSTANCE, "accountId": ACCOUNT, "permissionSetArn": PERMISSION_SET},
            region="us-west-2")), set()),
        ("iam-identity-center-other-write-is-not-iam", envelope(api_call(
            "sso.amazonaws.com", "TagResource", admin, read_only=False,
            request={"instanceArn": SSO_INSTANCE, "resourceArn": PERMISSION_SET, "tags": []}, region="us-west-2")),
         {"writes"}),
        ("iam-roles-anywhere-read-is-not-iam", envelope(api_call(
            "rolesanywhere.amazonaws.com", "ListTrustAnchors", ci, read_only=True)), set()),
        ("iam-name-from-another-service-is-not-iam", envelope(api_call(
            "sso.amazonaws.com", "CreateUser", admin, read_only=False, request={"userName": "x"})), {"writes"}),
        ("iam-passrole-name-from-another-service-is-not-iam", envelope(api_call(
            "s3control.amazonaws.com", "CreateJob", ci, read_only=False, request={"roleArn": PASSED_ROLE})),
         {"writes"}),
        # UpdateStack also reaches pipeline, which delivers every stack update (its rule names the stack)
        ("iam-passrole-update-stack", envelope(api_call(
            "cloudformation.amazonaws.com", "UpdateStack", ci, read_only=False,
            request={"stackName": "s", "roleARN": PASSED_ROLE})), {"iam", "pipeline"}),
        ("iam-other-lambda-write-is-not-iam", envelope(api_call(
            "lambda.amazonaws.com", "TagResource", ci, read_only=False, request={"resource": "f", "tags": {}})),
         {"writes"}),
        ("iam-getuser-by-a-human-reaches-reads", envelope(api_call("iam.amazonaws.com", "GetUser", admin,
                                                                   read_only=True, request={"userName": CI_USER})),
         {"reads"}),
        # sts: failed AssumeRole* only (requestParameters is null on failure)
        ("sts-assumerole-denied", envelope(api_call("sts.amazonaws.com", "AssumeRole", agent, read_only=True,
                                                    error=denied)), {"sts"}),
        ("sts-webidentity-denied", envelope(api_call(
            "sts.amazonaws.com", "AssumeRoleWithWebIdentity",
            {"type": "WebIdentityUser", "principalId": "token.actions.githubusercontent.com:sts.amazonaws.com:"
             "repo:abt/infra:ref:refs/heads/main", "userName": "repo:abt/infra:ref:refs/heads/main",
             "identityProvider": "token.actions.githubusercontent.com"}, read_only=True,
            error=("InvalidIdentityToken", "Incorrect token audience"), region="eu-west-1")), {"sts"}),
        # A Windows instance's password, by a declared role (its other EC2 reads reach nobody)
        ("reads-password-data-by-a-declared-role", envelope(api_call(
            "ec2.amazonaws.com", "GetPasswordData", agent, read_only=True,
            request={"instanceId": "i-0b2c4d6e8f0a1c3e5"})), {"reads"}),
        ("reads-password-data-by-an-identity-center-session-reaches-nobody", envelope(api_call(
            "ec2.amazonaws.com", "GetPasswordData", reserved_sso_user("jared@example.com"), read_only=True,
            request={"instanceId": "i-0b2c4d6e8f0a1c3e5"})), set()),
        ("reads-describe-instances-by-a-declared-role-reaches-nobody", envelope(api_call(
            "ec2.amazonaws.com", "DescribeInstances", agent, read_only=True, request={"instancesSet": {}})), set()),
        # AssumeRoot: a root session in a member account, whoever asks (sts-root-session-assumed)
        ("sts-assume-root-by-a-declared-admin-reaches-sts", envelope(api_call(
            "sts.amazonaws.com", "AssumeRoot", admin, read_only=True,
            request={"targetPrincipal": "402918375610",
                     "taskPolicyArn": {"arn": "arn:aws:iam::aws:policy/root-task/IAMCreateRootUserPassword"}})),
         {"sts"}),
        ("sts-assume-root-by-the-ci-key-reaches-sts", envelope(api_call(
            "sts.amazonaws.com", "AssumeRoot", ci, read_only=True,
            request={"targetPrincipal": "402918375610",
                     "taskPolicyArn": {"arn": "arn:aws:iam::aws:policy/root-task/S3UnlockBucketPolicy"}})),
         {"sts"}),
        ("sts-ci-user-assuming-its-declared-deploy-role-reaches-nobody", envelope(api_call(
            "sts.amazonaws.com", "AssumeRole", ci, read_only=True,
            request={"roleArn": f"arn:aws:iam::{ACCOUNT}:role/terraform-deploy", "roleSessionName": "tf"},
            response={"credentials": {"accessKeyId": "ASIAZ4EXAMPLETFSESS1", "sessionToken": "",
                                      "expiration": "Nov 20, 2026, 11:01:02 AM"},
                      "assumedRoleUser": {"arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/terraform-deploy/tf"}})),
         set()),
        ("sts-ci-user-assuming-another-role-reaches-sts", envelope(api_call(
            "sts.amazonaws.com", "AssumeRole", ci, read_only=True,
            request={"roleArn": f"arn:aws:iam::{ACCOUNT}:role/paperclip-agent", "roleSessionName": "x"})),
         {"sts"}),
        ("sts-undeclared-key-assuming-the-deploy-role-reaches-sts", envelope(api_call(
            "sts.amazonaws.com", "AssumeRole", iam_user("old-deployer"), read_only=True,
            request={"roleArn": f"arn:aws:iam::{ACCOUNT}:role/terraform-deploy", "roleSessionName": "x"})),
         {"sts"}),
        ("sts-sso-session-assuming-a-role-reaches-sts", envelope(api_call(
            "sts.amazonaws.com", "AssumeRole", admin, read_only=True,
            request={"roleArn": f"arn:aws:iam::{ACCOUNT}:role/paperclip-agent", "roleSessionName": "x"})),
         {"sts"}),
        ("sts-assumerole-by-aws-service-reaches-nobody", envelope(api_call(
            "sts.amazonaws.com", "AssumeRole", {"type": "AWSService", "invokedBy": "lambda.amazonaws.com"},
            read_only=True, request={"roleArn": f"arn:aws:iam::{ACCOUNT}:role/paperclip-agent",
                                     "roleSessionName": "paperclip-fn"})), set()),
        ("sts-getcalleridentity-denied-is-not-sts", envelope(api_call(
            "sts.amazonaws.com", "GetCallerIdentity", ci, read_only=True, error=("AccessDenied", "denied"))),
         set()),
        ("reads-getcalleridentity-of-an-undeclared-static-key", envelope(api_call(
            "sts.amazonaws.com", "GetCallerIdentity", iam_user("backup-script"), read_only=True)), {"reads"}),
        # Secrets Manager value reads reach ssm only for secrets the packaged model declares (the
        # bundled model declares none: tests/deploy/test_secret_routing.py narrows for one that does);
        # an undeclared caller's reads reach reads, as before
        ("ssm-declared-role-reading-an-undeclared-secrets-manager-secret-reaches-nobody", envelope(api_call(
            "secretsmanager.amazonaws.com", "GetSecretValue", agent, read_only=True,
            request={"secretId": "paperclip/db"})), set()),
        ("reads-undeclared-role-reading-a-secrets-manager-value", envelope(api_call(
            "secretsmanager.amazonaws.com", "GetSecretValue", assumed_role("reporting-lambda", "etl"),
            read_only=True, request={"secretId": "paperclip/db"})), {"reads"}),
        ("reads-not-ssm-batch-reading-when-no-secrets-manager-secret-is-declared", envelope(api_call(
            "secretsmanager.amazonaws.com", "BatchGetSecretValue", admin, read_only=True,
            request={"filters": [{"key": "tag-key", "values": ["team"]}]})), {"reads"}),  # role outside the SSO path
        ("ssm-secrets-manager-value-read-by-a-service-is-not-ssm", envelope(api_call(
            "secretsmanager.amazonaws.com", "GetSecretValue", {"type": "AWSService", "invokedBy":
                                                               "lambda.amazonaws.com"},
            read_only=True, request={"secretId": "paperclip/db"})), set()),
        ("reads-undeclared-role-describing-secrets-is-reads", envelope(api_call(
            "secretsmanager.amazonaws.com", "DescribeSecret", assumed_role("reporting-lambda", "etl"),
            read_only=True, request={"secretId": "paperclip/db"})), {"reads"}),
        # sts: a static key turned into sessions, declared user or not (sts-session-from-static-key)
        ("sts-declared-ci-user-getsessiontoken", envelope(api_call(
            "sts.amazonaws.com", "GetSessionToken", ci, read_only=True, request={"durationSeconds": 129600})),
         {"sts"}),
        ("sts-declared-ci-user-getfederationtoken", envelope(api_call(
            "sts.amazonaws.com", "GetFederationToken", ci, read_only=False, request={"name": "backdoor"})),
         {"sts", "writes"}),
        ("sts-undeclared-user-getsessiontoken", envelope(api_call(
            "sts.amazonaws.com", "GetSessionToken", iam_user("backup-script"), read_only=True)), {"sts"}),
        ("sts-role-getsessiontoken-is-not-sts", envelope(api_call(
            "sts.amazonaws.com", "GetSessionToken", agent, read_only=True)), set()),
        # home: every call by a principal the bundled model says runs somewhere (app-servers: the VPC)
        ("home-instance-session-describing-instances", envelope(api_call(
            "ec2.amazonaws.com", "DescribeInstances", instance, read_only=True)), {"home"}),
        ("home-instance-session-writing", envelope(api_call(
            "ec2.amazonaws.com", "CreateTags", instance, read_only=False)), {"home", "writes"}),
        ("home-instance-session-assuming-a-role", envelope(api_call(
            "sts.amazonaws.com", "AssumeRole", instance, read_only=True,
            request={"roleArn": f"arn:aws:iam::{ACCOUNT}:role/paperclip-agent", "roleSessionName": "x"})),
         {"home"}),  # sts leaves out a declared role with no may_assume; home takes every call
        ("home-role-that-declares-no-home-is-not-home", envelope(api_call(
            "ec2.amazonaws.com", "CreateTags", agent, read_only=False)), {"writes"}),
        # ssm: decrypting reads and deletions only
        ("ssm-getparameter-decrypt", envelope(api_call("ssm.amazonaws.com", "GetParameter", agent, read_only=True,
                                                       request={"name": SECRET, "withDecryption": True})), {"ssm"}),
        ("ssm-getparameters-decrypt", envelope(api_call("ssm.amazonaws.com", "GetParameters", ci, read_only=True,
                                                        request={"names": [SECRET], "withDecryption": True})),
         {"ssm"}),
        ("ssm-bypath-decrypt", envelope(api_call("ssm.amazonaws.com", "GetParametersByPath", ci, read_only=True,
                                                 request={"path": "/paperclip-app", "recursive": True,
                                                          "withDecryption": True})), {"ssm"}),
        ("ssm-history-decrypt", envelope(api_call("ssm.amazonaws.com", "GetParameterHistory", ci, read_only=True,
                                                  request={"name": SECRET, "withDecryption": True})), {"ssm"}),
        ("ssm-getparameter-no-decrypt", envelope(api_call("ssm.amazonaws.com", "GetParameter", ci, read_only=True,
                                                          request={"name": SECRET, "withDecryption": False})), set()),
        ("ssm-getparameter-plain", envelope(api_call("ssm.amazonaws.com", "GetParameter", ci, read_only=True,
                                                     request={"name": "/app/region"})), set()),
        ("ssm-deleteparameter", envelope(api_call("ssm.amazonaws.com", "DeleteParameter", admin, read_only=False,
                                                  request={"name": SECRET})), {"ssm", "writes"}),
        ("ssm-deleteparameters", envelope(api_call("ssm.amazonaws.com", "DeleteParameters", admin, read_only=False,
                                                   request={"names": [SECRET]},
                                                   response={"deletedParameters": [SECRET],
                                                             "invalidParameters": []})), {"ssm", "writes"}),
        ("ssm-putparameter-is-not-ssm", envelope(api_call("ssm.amazonaws.com", "PutParameter", admin,
                                                          read_only=False, request={"name": SECRET, "type":
                                                                                   "SecureString",
                                                                                   "overwrite": True},
                                                          response={"version": 2, "tier": "Standard"})),
         {"writes"}),
        # signin: every ConsoleLogin, whoever it is
        ("signin-ci-user", envelope(console_login(ci, success=True)), {"signin"}),
        ("signin-sso-federated", envelope(console_login(admin, success=True, mfa=True)), {"signin"}),
        ("signin-hidden-user-failure", envelope(hidden_user_login_failure()), {"signin"}),
        ("signin-checkmfa-is-not-signin", envelope(api_call(  # shaped like AWS's own example: no readOnly
            "signin.amazonaws.com", "CheckMfa", iam_user("anaya", key=""), read_only=None,
            response={"CheckMfa": "Success"}, eventType="AwsConsoleSignIn",
            additionalEventData={"MfaType": "U2F MFA"})), set()),
        # writes: any successful or failed write by anyone; never read-only calls
        ("writes-ec2-createtags", envelope(api_call("ec2.amazonaws.com", "CreateTags", admin, read_only=False,
                                                    request={"resourcesSet": {"items": [{"resourceId": "i-0abc"}]}},
                                                    response={"_return": True})), {"writes"}),
        ("writes-read-only-describe", envelope(api_call("ec2.amazonaws.com", "DescribeInstances", ci,
                                                        read_only=True)), set()),
        # reads: static keys the bundled model does not declare, and sensitive services by non-services
        ("reads-static-key-of-an-undeclared-user", envelope(api_call(
            "ec2.amazonaws.com", "DescribeInstances", iam_user("backup-script"), read_only=True)), {"reads"}),
        ("reads-static-key-of-a-human-lists-secrets", envelope(api_call(
            "secretsmanager.amazonaws.com", "ListSecrets", iam_user("jared"), read_only=True)), {"reads"}),
        ("reads-declared-ci-key-reading-ec2-is-not-reads", envelope(api_call(
            "ec2.amazonaws.com", "DescribeVpcs", ci, read_only=True)), set()),
        ("reads-role-reading-ec2-is-not-reads", envelope(api_call(
            "ec2.amazonaws.com", "DescribeVpcs", agent, read_only=True)), set()),
        ("reads-service-reading-kms-is-not-reads", envelope(api_call(
            "kms.amazonaws.com", "Decrypt", {"type": "AWSService", "invokedBy": "s3.amazonaws.com"}, read_only=True,
            request={"encryptionContext": {"aws:s3:arn": "arn:aws:s3:::bucket/key"}})), set()),
        ("reads-direct-decrypt-of-a-parameter", envelope(api_call(
            "kms.amazonaws.com", "Decrypt", agent, read_only=True,
            request={"encryptionContext": {"PARAMETER_ARN": f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter{SECRET}"},
                     "encryptionAlgorithm": "SYMMETRIC_DEFAULT"})), {"reads"}),
        ("reads-decrypt-by-ssm-for-a-caller-is-not-reads", envelope(api_call(
            "kms.amazonaws.com", "Decrypt", {**agent, "invokedBy": "ssm.amazonaws.com"}, read_only=True,
            request={"encryptionContext": {"PARAMETER_ARN": f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter{SECRET}"}})),
         set()),
        ("reads-role-decrypting-its-own-data-is-not-reads", envelope(api_call(
            "kms.amazonaws.com", "Decrypt", agent, read_only=True,
            request={"encryptionContext": {"app": "paperclip"}})), set()),
        # not CloudTrail at all, or not from AWS
        ("ec2-state-change", {"version": "0", "id": str(uuid.uuid4()), "detail-type":
                              "EC2 Instance State-change Notification", "source": "aws.ec2", "account": ACCOUNT,
                              "time": "2026-11-20T10:01:02Z", "region": "us-east-1",
                              "resources": [f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/i-0abc"],
                              "detail": {"instance-id": "i-0abc", "state": "running"}}, set()),
        ("forged-custom-source-root", envelope(api_call("s3.amazonaws.com", "CreateBucket", root(), read_only=False),
                                               source="acme.forged"), set()),
    ]


# Expected families for the shared AWS/public samples (read, never copied). Old sample records
# carry no readOnly field, so the writes family (readOnly: false) does not see them.
SAMPLE_EXPECTATIONS: dict[str, set[str]] = {
    "awsdoc-cwe-apicall-root-s3-createbucket.json": {"root"},
    "awsdoc-cwe-signin-root-consolelogin.json": {"root", "signin"},
    "curbengh-apicall-sts-getcalleridentity-sso.json": set(),
    # An AMI's launch permission (snapshot-shared-outside) reaches iam in every stage; root's too.
    "groovy-root-console-modifyimageattribute-private.json": {"root", "iam"},
    "groovy-root-console-modifyimageattribute-public.json": {"root", "iam"},
    "kintail-api-lookupevents.json": set(),
    "kintail-api-testeventpattern.json": set(),
    "kintail-console-consolelogin.json": {"signin"},
}
