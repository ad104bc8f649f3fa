"""The event names and sources the handler families' EventBridge patterns are built from (app.py).

Plain constants, read by the patterns in app.py and by the routing tests: which calls each
family takes, which it leaves to another, and which reads are routine. Kept apart from app.py so
the wiring module stays short; the patterns themselves (the deployed contract) stay there.
"""

from __future__ import annotations

# Reads another family already delivers (an event matching two rules is two invocations).
ROUTED_ELSEWHERE = ["AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity",
                    "GetParameter", "GetParameters", "GetParametersByPath", "GetParameterHistory",
                    "GetSessionToken", "GetFederationToken", "AssumeRoot"]
# An IAM user's static key turned into sessions (sts-session-from-static-key): GetSessionToken is
# recorded readOnly true, GetFederationToken readOnly false (Stratus Red Team's detonation).
SESSION_TOKENS = ["GetSessionToken", "GetFederationToken"]
# Secrets Manager reads that return plaintext (secret-read-undeclared), both recorded readOnly true.
SECRET_VALUES = ["GetSecretValue", "BatchGetSecretValue"]
# A placeholder no record carries: the home family matches nothing until the builder fills it in.
HOME_UNSET = "trailwarden:no-principal-declares-where-it-runs"
# Identity, credential, secret and key services: reads of these by an undeclared caller matter.
SENSITIVE_SOURCES = ["iam.amazonaws.com", "sts.amazonaws.com", "ssm.amazonaws.com", "secretsmanager.amazonaws.com",
                     "kms.amazonaws.com"]
# IAM Identity Center's roles: the IAM path is reserved for AWS (a role merely *named* like one
# lives elsewhere). Declared SSO users are vouched for by Identity Center; their reads are not
# routed (their writes and role assumptions are), an undeclared SSO user's sensitive reads are.
SSO_ISSUER_ARNS = "arn:aws*:iam::*:role/aws-reserved/sso.amazonaws.com/*"
# Reads that reveal nothing and that SDKs, the SSM agent and KMS clients make all day: whoami,
# the agent's polling, and KMS's data-plane crypto (a parameter's Decrypt has its own branch).
ROUTINE_READS = ["GetCallerIdentity", "ListInstanceAssociations", "DescribeInstanceAssociationsStatus",
                 "DescribeEffectiveInstanceAssociations", "GetDocument", "DescribeDocument", "GetManifest",
                 "GetDeployablePatchSnapshotForInstance", "Decrypt", "Encrypt", "GenerateDataKey",
                 "GenerateDataKeyWithoutPlaintext", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext",
                 "ReEncrypt", "Sign", "Verify", "GenerateMac", "VerifyMac", "GenerateRandom"]
# The identity writes the detections judge (issue 13: persistence and privilege escalation).
IAM_WRITES = ["DeleteUser", "CreateAccessKey", "DeleteAccessKey", "UpdateAccessKey", "DeleteLoginProfile",
              "CreateUser", "CreateLoginProfile", "UpdateLoginProfile", "CreateRole", "UpdateAssumeRolePolicy",
              "AttachUserPolicy", "AttachRolePolicy", "AttachGroupPolicy", "PutUserPolicy", "PutRolePolicy",
              "PutGroupPolicy", "CreatePolicy", "CreatePolicyVersion", "SetDefaultPolicyVersion", "AddUserToGroup",
              "DeactivateMFADevice", "DeleteVirtualMFADevice", "CreateSAMLProvider", "UpdateSAMLProvider",
              "DeleteSAMLProvider", "CreateOpenIDConnectProvider", "AddClientIDToOpenIDConnectProvider",
              "UpdateOpenIDConnectProviderThumbprint", "UploadSSHPublicKey", "CreateServiceSpecificCredential",
              "ResetServiceSpecificCredential", "UploadSigningCertificate", "UpdateSSHPublicKey",
              "UpdateServiceSpecificCredential", "UpdateSigningCertificate", "DeleteUserPermissionsBoundary",
              "DeleteRolePermissionsBoundary", "PutUserPermissionsBoundary", "PutRolePermissionsBoundary",
              "AddRoleToInstanceProfile",
              # MFA enrolled on a user (iam-mfa-device-enrolled), password policy (iam-password-policy-weakened).
              "EnableMFADevice", "ResyncMFADevice", "UpdateAccountPasswordPolicy", "DeleteAccountPasswordPolicy"]
SSO_WRITES = ["CreateAccountAssignment", "DeleteAccountAssignment", "PutInlinePolicyToPermissionSet",
              "AttachManagedPolicyToPermissionSet", "AttachCustomerManagedPolicyReferenceToPermissionSet",
              "CreatePermissionSet"]
ROLES_ANYWHERE_WRITES = ["CreateTrustAnchor", "UpdateTrustAnchor", "CreateProfile"]
# An IAM Identity Center token issued through the OAuth device-code grant (sso-device-code-token): a
# write, recorded by the OIDC service as sso-oauth (older records: sso) in the Identity Center's region.
SSO_TOKEN_SOURCES = ["sso-oauth.amazonaws.com", "sso.amazonaws.com"]
DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
# EKS Pod Identity's own sts:AssumeRole for a pod (eks-pod-identity-role-unexpected): readOnly true, by
# the AWS service itself (the sts family otherwise leaves AWS services' assumptions out).
POD_IDENTITY_INVOKER = "pods.eks.amazonaws.com"
# Calls that hand a role to code the caller controls (iam:PassRole, never recorded itself): the
# role is a parameter of these writes, or (new Lambda code) in their response (iam-role-passed).
# eventSource → eventNames.
PASSROLE_WRITES = {
    "lambda.amazonaws.com": ["CreateFunction20150331", "UpdateFunctionConfiguration20150331v2",
                             "UpdateFunctionCode20150331v2"],
    "ec2.amazonaws.com": ["RunInstances", "AssociateIamInstanceProfile", "ReplaceIamInstanceProfileAssociation",
                          "CreateLaunchTemplate", "CreateLaunchTemplateVersion", "RequestSpotInstances"],
    "cloudformation.amazonaws.com": ["CreateStack", "UpdateStack", "CreateChangeSet"],
    "glue.amazonaws.com": ["CreateDevEndpoint", "CreateJob", "UpdateJob"],
    "sagemaker.amazonaws.com": ["CreateNotebookInstance", "UpdateNotebookInstance", "CreateTrainingJob",
                                "CreateProcessingJob"],
    "codebuild.amazonaws.com": ["CreateProject", "UpdateProject", "StartBuild", "StartBuildBatch"],
    "ecs.amazonaws.com": ["RegisterTaskDefinition", "RunTask", "StartTask"],
}
# Lambda resource-policy statements and function URLs, which can open a function to callers
# outside the model (lambda-exposed).
LAMBDA_EXPOSURE_WRITES = ["AddPermission20150331v2", "AddPermission20150331", "CreateFunctionUrlConfig20211031",
                          "UpdateFunctionUrlConfig20211031"]
# IAM Identity Center's directory: a new user, a user added to a group (the identity store API and
# the console's spelling); iam-user-created, sso-group-membership-added.
IDENTITY_STORE_WRITES = {"identitystore.amazonaws.com": ["CreateUser", "CreateGroupMembership"],
                         "sso-directory.amazonaws.com": ["CreateUser", "AddMemberToGroup"]}
# Calls that run the caller's code on an instance, as its role: a stopped instance's user data
# (ec2-user-data-modified; ModifyInstanceAttribute is routed whole, the rule reads the attribute),
# SSM commands and sessions (ssm-instance-access), EC2 Instance Connect keys (ec2-instance-connect-key-sent).
# (State Manager associations, the same access on a schedule, reach prod through writes only: each name here
# lengthens the writes pattern's anything-but list, which is at its quota.)
INSTANCE_ACCESS_WRITES = {"ec2.amazonaws.com": ["ModifyInstanceAttribute"],
                          "ssm.amazonaws.com": ["SendCommand", "StartSession"],
                          "ec2-instance-connect.amazonaws.com": ["SendSSHPublicKey", "SendSerialConsoleSSHPublicKey"]}
# eventSource → eventNames the iam family takes from services other than IAM and Identity Center.
SERVICE_IDENTITY_WRITES = {**{source: [*names, *(LAMBDA_EXPOSURE_WRITES if source == "lambda.amazonaws.com" else [])]
                              for source, names in PASSROLE_WRITES.items()}, **IDENTITY_STORE_WRITES,
                           "rolesanywhere.amazonaws.com": ROLES_ANYWHERE_WRITES}
for _source, _names in INSTANCE_ACCESS_WRITES.items():
    SERVICE_IDENTITY_WRITES[_source] = [*SERVICE_IDENTITY_WRITES.get(_source, []), *_names]
# Grants to identities outside the model, delivered in every stage: a snapshot, AMI or RDS snapshot
# shared (snapshot-shared-outside), a bucket policy or ACL (resource-policy-outside): Stratus Red Team's
# exfiltration techniques. They join SERVICE_IDENTITY_WRITES's one branch (a source the iam family took in
# two branches would get a branch of its own in writes: EC2's alone is 1,200 characters). The rest of
# resource-policy-outside (KMS CreateGrant, Secrets Manager, ECR, SNS, SQS, Glacier, CreateKey) reaches prod
# through writes: each source here costs the writes pattern two more entries, and it stays within three
# rules of the quota. KMS PutKeyPolicy reaches pipeline, which delivers it whole, in every stage. S3 access
# point, EFS, Backup, Glue and OpenSearch policies reach prod through writes too (even a name added to S3's
# list here costs the writes pattern ~140 characters: it is at its quota).
EXPOSURE_WRITES = {"ec2.amazonaws.com": ["ModifySnapshotAttribute", "ModifyImageAttribute"],
                   "rds.amazonaws.com": ["ModifyDBSnapshotAttribute", "ModifyDBClusterSnapshotAttribute"],
                   "s3.amazonaws.com": ["PutBucketPolicy", "PutBucketAcl"]}
for _source, _names in EXPOSURE_WRITES.items():
    SERVICE_IDENTITY_WRITES[_source] = [*SERVICE_IDENTITY_WRITES.get(_source, []), *_names]
