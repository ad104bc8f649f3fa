"""Every identity write the escalation rules judge: (eventSource, eventName, requestParameters).

Kept apart from the per-family routing cases (``routing_cases.py``, which folds these into the iam
family's positives): the identity and pattern tests walk this list on its own, so a new rule's
event names are added here once and every routing test covers them.
"""

from __future__ import annotations

from typing import Any

from .cloudtrail import ACCOUNT

CI_USER = "github-actions-aws-deployer"


SSO_INSTANCE = "arn:aws:sso:::instance/ssoins-7223a4c6b1f8e5d2"
PERMISSION_SET = "arn:aws:sso:::permissionSet/ssoins-7223a4c6b1f8e5d2/ps-3f9b2c1d8e7a6b5c"
ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"
TRUST = ("%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22AWS%22%3A"
         "%22193672423079%22%7D%7D%5D%7D")
PASSED_ROLE = f"arn:aws:iam::{ACCOUNT}:role/terraform-deploy"
# (eventSource, eventName, requestParameters) of every identity write the escalation rules judge.
ESCALATION: list[tuple[str, str, dict[str, Any]]] = [
    ("iam.amazonaws.com", "CreateUser", {"userName": "svc-backup"}),
    ("iam.amazonaws.com", "CreateLoginProfile", {"userName": CI_USER, "passwordResetRequired": False}),
    ("iam.amazonaws.com", "UpdateLoginProfile", {"userName": CI_USER}),
    ("iam.amazonaws.com", "CreateRole", {"roleName": "x", "assumeRolePolicyDocument": TRUST}),
    ("iam.amazonaws.com", "UpdateAssumeRolePolicy", {"roleName": "terraform-deploy", "policyDocument": TRUST}),
    ("iam.amazonaws.com", "AttachUserPolicy", {"userName": CI_USER, "policyArn": ADMIN_POLICY}),
    ("iam.amazonaws.com", "AttachRolePolicy", {"roleName": "x", "policyArn": ADMIN_POLICY}),
    ("iam.amazonaws.com", "AttachGroupPolicy", {"groupName": "ops", "policyArn": ADMIN_POLICY}),
    ("iam.amazonaws.com", "PutUserPolicy", {"userName": CI_USER, "policyName": "p", "policyDocument": "%7B%7D"}),
    ("iam.amazonaws.com", "PutRolePolicy", {"roleName": "x", "policyName": "p", "policyDocument": "%7B%7D"}),
    ("iam.amazonaws.com", "PutGroupPolicy", {"groupName": "ops", "policyName": "p", "policyDocument": "%7B%7D"}),
    ("iam.amazonaws.com", "CreatePolicy", {"policyName": "p", "policyDocument": "%7B%7D"}),
    ("iam.amazonaws.com", "CreatePolicyVersion", {"policyArn": "arn:aws:iam::630287363158:policy/p",
                                                  "policyDocument": "%7B%7D", "setAsDefault": True}),
    ("iam.amazonaws.com", "SetDefaultPolicyVersion", {"policyArn": "arn:aws:iam::630287363158:policy/p",
                                                      "versionId": "v2"}),
    ("iam.amazonaws.com", "AddUserToGroup", {"groupName": "ops", "userName": CI_USER}),
    ("iam.amazonaws.com", "DeactivateMFADevice", {"userName": "maria",
                                                  "serialNumber": f"arn:aws:iam::{ACCOUNT}:mfa/maria"}),
    ("iam.amazonaws.com", "DeleteVirtualMFADevice", {"serialNumber": f"arn:aws:iam::{ACCOUNT}:mfa/maria"}),
    ("iam.amazonaws.com", "CreateSAMLProvider", {"name": "partner-idp", "sAMLMetadataDocument": "<md/>"}),
    ("iam.amazonaws.com", "UpdateSAMLProvider", {"sAMLProviderArn": f"arn:aws:iam::{ACCOUNT}:saml-provider/p"}),
    ("iam.amazonaws.com", "DeleteSAMLProvider", {"sAMLProviderArn": f"arn:aws:iam::{ACCOUNT}:saml-provider/p"}),
    ("iam.amazonaws.com", "CreateOpenIDConnectProvider", {"url": "https://idp.example.net", "clientIDList": ["x"]}),
    ("iam.amazonaws.com", "AddClientIDToOpenIDConnectProvider", {
        "openIDConnectProviderArn": f"arn:aws:iam::{ACCOUNT}:oidc-provider/idp.example.net", "clientID": "y"}),
    ("iam.amazonaws.com", "UpdateOpenIDConnectProviderThumbprint", {
        "openIDConnectProviderArn": f"arn:aws:iam::{ACCOUNT}:oidc-provider/idp.example.net", "thumbprintList": []}),
    ("sso.amazonaws.com", "CreateAccountAssignment", {
        "instanceArn": SSO_INSTANCE, "targetId": ACCOUNT, "targetType": "AWS_ACCOUNT",
        "permissionSetArn": PERMISSION_SET, "principalType": "USER", "principalId": "906771b2e0-3d4f5a6b"}),
    ("sso.amazonaws.com", "DeleteAccountAssignment", {
        "instanceArn": SSO_INSTANCE, "targetId": ACCOUNT, "targetType": "AWS_ACCOUNT",
        "permissionSetArn": PERMISSION_SET, "principalType": "USER", "principalId": "906771b2e0-3d4f5a6b"}),
    ("sso.amazonaws.com", "PutInlinePolicyToPermissionSet", {
        "instanceArn": SSO_INSTANCE, "permissionSetArn": PERMISSION_SET, "inlinePolicy": "{}"}),
    ("sso.amazonaws.com", "AttachManagedPolicyToPermissionSet", {
        "instanceArn": SSO_INSTANCE, "permissionSetArn": PERMISSION_SET, "managedPolicyArn": ADMIN_POLICY}),
    ("sso.amazonaws.com", "AttachCustomerManagedPolicyReferenceToPermissionSet", {
        "instanceArn": SSO_INSTANCE, "permissionSetArn": PERMISSION_SET,
        "customerManagedPolicyReference": {"name": "ReadOnlyHelper", "path": "/"}}),
    ("sso.amazonaws.com", "CreatePermissionSet", {"instanceArn": SSO_INSTANCE, "name": "Admin2"}),
    ("rolesanywhere.amazonaws.com", "CreateTrustAnchor", {"name": "ops-ca", "enabled": True}),
    ("rolesanywhere.amazonaws.com", "UpdateTrustAnchor", {"trustAnchorId": "3f1e2d4c", "name": "ops-ca"}),
    ("rolesanywhere.amazonaws.com", "CreateProfile", {"name": "p", "roleArns": [f"arn:aws:iam::{ACCOUNT}:role/x"]}),
    # Credentials beside the key (iam-alternate-credential-created)
    ("iam.amazonaws.com", "UploadSSHPublicKey", {"userName": CI_USER, "sSHPublicKeyBody": "ssh-rsa AAAA"}),
    ("iam.amazonaws.com", "CreateServiceSpecificCredential", {"userName": CI_USER,
                                                              "serviceName": "codecommit.amazonaws.com"}),
    ("iam.amazonaws.com", "ResetServiceSpecificCredential", {"userName": CI_USER,
                                                             "serviceSpecificCredentialId": "ACCAZ7TW0CODECOMMIT1"}),
    ("iam.amazonaws.com", "UploadSigningCertificate", {"userName": CI_USER, "certificateBody": "-----BEGIN"}),
    ("iam.amazonaws.com", "UpdateSSHPublicKey", {"userName": CI_USER, "sSHPublicKeyId": "APKAZ7TW0SSHKEY00001",
                                                 "status": "Active"}),
    ("iam.amazonaws.com", "UpdateServiceSpecificCredential", {"userName": CI_USER, "status": "Active",
                                                              "serviceSpecificCredentialId": "ACCAZ7TW0CRED0000001"}),
    ("iam.amazonaws.com", "UpdateSigningCertificate", {"userName": CI_USER, "certificateId": "3BXGNFWXLT2VWVD4LIBMDQ",
                                                       "status": "Active"}),
    # PassRole: the role handed to a service is a parameter of these calls (iam-role-passed)
    ("lambda.amazonaws.com", "CreateFunction20150331", {"functionName": "f", "role": PASSED_ROLE, "code": {}}),
    ("lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2", {"functionName": "f", "role": PASSED_ROLE}),
    ("iam.amazonaws.com", "AddRoleToInstanceProfile", {"instanceProfileName": "web", "roleName": "terraform-deploy"}),
    ("iam.amazonaws.com", "DeleteUserPermissionsBoundary", {"userName": CI_USER}),
    ("iam.amazonaws.com", "DeleteRolePermissionsBoundary", {"roleName": "paperclip-agent"}),
    ("iam.amazonaws.com", "PutUserPermissionsBoundary", {"userName": CI_USER, "permissionsBoundary": ADMIN_POLICY}),
    ("iam.amazonaws.com", "PutRolePermissionsBoundary", {"roleName": "paperclip-agent",
                                                         "permissionsBoundary": ADMIN_POLICY}),
    ("lambda.amazonaws.com", "UpdateFunctionCode20150331v2", {"functionName": "f", "publish": True}),
    ("ec2.amazonaws.com", "RunInstances", {"instancesSet": {"items": [{"imageId": "ami-0abc", "minCount": 1,
                                                                       "maxCount": 1}]},
                                           "iamInstanceProfile": {"name": "terraform-deploy"}}),
    ("ec2.amazonaws.com", "AssociateIamInstanceProfile", {"AssociateIamInstanceProfileRequest": {
        "InstanceId": "i-0a1b2c3d4e5f67890", "IamInstanceProfile": {"Name": "terraform-deploy"}}}),
    ("ec2.amazonaws.com", "ReplaceIamInstanceProfileAssociation", {"ReplaceIamInstanceProfileAssociationRequest": {
        "AssociationId": "iip-assoc-0e7736511a163c209", "IamInstanceProfile": {"Name": "terraform-deploy"}}}),
    ("cloudformation.amazonaws.com", "CreateStack", {"stackName": "s", "roleARN": PASSED_ROLE}),
    ("cloudformation.amazonaws.com", "CreateChangeSet", {"stackName": "s", "changeSetName": "cdk-deploy-change-set",
                                                         "changeSetType": "UPDATE", "roleARN": PASSED_ROLE}),
    ("glue.amazonaws.com", "CreateDevEndpoint", {"endpointName": "e", "roleArn": PASSED_ROLE}),
    ("glue.amazonaws.com", "CreateJob", {"name": "j", "role": PASSED_ROLE, "command": {"name": "glueetl"}}),
    ("sagemaker.amazonaws.com", "CreateNotebookInstance", {"notebookInstanceName": "n", "roleArn": PASSED_ROLE}),
    ("sagemaker.amazonaws.com", "CreateTrainingJob", {"trainingJobName": "t", "roleArn": PASSED_ROLE}),
    ("sagemaker.amazonaws.com", "CreateProcessingJob", {"processingJobName": "p", "roleArn": PASSED_ROLE}),
    ("codebuild.amazonaws.com", "CreateProject", {"name": "b", "serviceRole": PASSED_ROLE}),
    ("codebuild.amazonaws.com", "UpdateProject", {"name": "b", "serviceRole": PASSED_ROLE}),
    ("ecs.amazonaws.com", "RegisterTaskDefinition", {"family": "t", "taskRoleArn": PASSED_ROLE}),
    # The same hand-overs through a sibling call (a template, a Spot request, an update, a run's override)
    ("ec2.amazonaws.com", "CreateLaunchTemplate", {"CreateLaunchTemplateRequest": {
        "LaunchTemplateName": "t", "LaunchTemplateData": {"IamInstanceProfile": {"Name": "terraform-deploy"}}}}),
    ("ec2.amazonaws.com", "CreateLaunchTemplateVersion", {"CreateLaunchTemplateVersionRequest": {
        "LaunchTemplateId": "lt-0abc", "LaunchTemplateData": {"IamInstanceProfile": {"Name": "terraform-deploy"}}}}),
    ("ec2.amazonaws.com", "RequestSpotInstances", {"instanceCount": 1, "launchSpecification": {
        "imageId": "ami-0abc", "iamInstanceProfile": {"name": "terraform-deploy"}}}),
    ("glue.amazonaws.com", "UpdateJob", {"jobName": "j", "jobUpdate": {"role": PASSED_ROLE}}),
    ("sagemaker.amazonaws.com", "UpdateNotebookInstance", {"notebookInstanceName": "n", "roleArn": PASSED_ROLE}),
    ("codebuild.amazonaws.com", "StartBuild", {"projectName": "b", "serviceRoleOverride": PASSED_ROLE}),
    ("codebuild.amazonaws.com", "StartBuildBatch", {"projectName": "b", "serviceRoleOverride": PASSED_ROLE}),
    ("ecs.amazonaws.com", "RunTask", {"cluster": "c", "taskDefinition": "t:1",
                                      "overrides": {"taskRoleArn": PASSED_ROLE}}),
    ("ecs.amazonaws.com", "StartTask", {"cluster": "c", "taskDefinition": "t:1", "containerInstances": ["ci"],
                                        "overrides": {"taskRoleArn": PASSED_ROLE}}),
    # IAM Identity Center's directory: a new user, a member added to a group
    ("identitystore.amazonaws.com", "CreateUser", {"identityStoreId": "d-9067642ac7", "userName": "x"}),
    ("identitystore.amazonaws.com", "CreateGroupMembership", {"identityStoreId": "d-9067642ac7", "groupId": "g",
                                                              "memberId": {"userId": "u"}}),
    ("sso-directory.amazonaws.com", "CreateUser", {"userName": "x"}),
    ("sso-directory.amazonaws.com", "AddMemberToGroup", {"groupId": "g", "memberId": {"userId": "u"}}),
    # A Lambda function opened to outsiders (lambda-exposed)
    ("lambda.amazonaws.com", "AddPermission20150331v2", {"action": "lambda:InvokeFunction", "functionName": "f",
                                                         "principal": "*", "statementId": "backdoor"}),
    ("lambda.amazonaws.com", "AddPermission20150331", {"action": "lambda:InvokeFunction", "functionName": "f",
                                                       "principal": "193672423079", "statementId": "x"}),
    ("lambda.amazonaws.com", "CreateFunctionUrlConfig20211031", {"functionName": "f", "authType": "NONE"}),
    ("lambda.amazonaws.com", "UpdateFunctionUrlConfig20211031", {"functionName": "f", "authType": "NONE"}),
    # MFA enrolled on another user (iam-mfa-device-enrolled), the password policy (iam-password-policy-weakened)
    ("iam.amazonaws.com", "EnableMFADevice", {"userName": "maria",
                                              "serialNumber": f"arn:aws:iam::{ACCOUNT}:mfa/backup-token"}),
    ("iam.amazonaws.com", "ResyncMFADevice", {"userName": "maria",
                                              "serialNumber": f"arn:aws:iam::{ACCOUNT}:mfa/backup-token"}),
    ("iam.amazonaws.com", "UpdateAccountPasswordPolicy", {"minimumPasswordLength": 6, "requireSymbols": False}),
    ("iam.amazonaws.com", "DeleteAccountPasswordPolicy", {}),
    # Code run on an instance as its role (ec2-user-data-modified, ssm-instance-access, ec2-instance-connect-key-sent)
    ("ec2.amazonaws.com", "ModifyInstanceAttribute", {"instanceId": "i-0dd6c7b0e18f0e35f",
                                                      "userData": "<sensitiveDataRemoved>"}),
    ("ssm.amazonaws.com", "SendCommand", {"documentName": "AWS-RunShellScript", "instanceIds": ["i-00456a8d163f546ff"],
                                          "parameters": "HIDDEN_DUE_TO_SECURITY_REASONS"}),
    ("ssm.amazonaws.com", "StartSession", {"target": "i-0ea1d1296c1de3aa1"}),
    ("ec2-instance-connect.amazonaws.com", "SendSSHPublicKey", {"instanceId": "i-0fdb357cb7e99ad97",
                                                                "instanceOSUser": "ec2-user",
                                                                "sSHPublicKey": "ssh-ed25519 AAAAC3Nza"}),
    ("ec2-instance-connect.amazonaws.com", "SendSerialConsoleSSHPublicKey", {"instanceId": "i-0efcb4e480cabc4cf",
                                                                             "serialPort": 0,
                                                                             "sSHPublicKey": "ssh-ed25519 AAAAC3Nza"}),
]
