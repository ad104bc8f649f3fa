"""(eventSource, eventName, requestParameters) of the calls red-team round 3 made the rules read, as
CloudTrail records them; delivered by test_redteam_round3_routing.py and listed in test_patterns.py."""

from __future__ import annotations

from typing import Any

ACCOUNT = "630287363158"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/terraform-deploy"
CLUSTER_ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
# (eventSource, eventName, requestParameters) as CloudTrail records each call.
CASES: list[tuple[str, str, dict[str, Any]]] = [
    # EKS access entries (eks-access-granted)
    ("eks.amazonaws.com", "CreateAccessEntry", {"name": "eks-cluster", "principalArn": ROLE}),
    ("eks.amazonaws.com", "UpdateAccessEntry", {"name": "eks-cluster", "principalArn": ROLE,
                                                "kubernetesGroups": ["ops"]}),
    ("eks.amazonaws.com", "AssociateAccessPolicy", {"name": "eks-cluster", "principalArn": ROLE,
                                                    "policyArn": CLUSTER_ADMIN, "accessScope": {"type": "cluster"}}),
    # A SageMaker notebook's start script (ec2-user-data-modified)
    ("sagemaker.amazonaws.com", "UpdateNotebookInstance", {"notebookInstanceName": "nb",
                                                           "lifecycleConfigName": "priv-esc-config"}),
    ("sagemaker.amazonaws.com", "UpdateNotebookInstanceLifecycleConfig", {
        "notebookInstanceLifecycleConfigName": "c", "onStart": [{"content": "HIDDEN_DUE_TO_SECURITY_REASONS"}]}),
    # Roles handed to code that runs later (iam-role-passed)
    ("states.amazonaws.com", "CreateStateMachine", {"name": "sm", "roleArn": ROLE, "definition": "{}"}),
    ("states.amazonaws.com", "UpdateStateMachine", {"stateMachineArn": "sm", "roleArn": ROLE}),
    ("scheduler.amazonaws.com", "CreateSchedule", {"name": "s", "target": {"arn": "a", "roleArn": ROLE}}),
    ("scheduler.amazonaws.com", "UpdateSchedule", {"name": "s", "target": {"arn": "a", "roleArn": ROLE}}),
    ("events.amazonaws.com", "PutTargets", {"rule": "ops-nightly", "targets": [{"id": "1", "arn": "a",
                                                                               "roleArn": ROLE}]}),
    ("ssm.amazonaws.com", "StartAutomationExecution", {"documentName": "d",
                                                       "parameters": {"AutomationAssumeRole": [ROLE]}}),
    ("codepipeline.amazonaws.com", "CreatePipeline", {"pipeline": {"name": "p", "roleArn": ROLE}}),
    ("codepipeline.amazonaws.com", "UpdatePipeline", {"pipeline": {"name": "p", "roleArn": ROLE}}),
    ("apprunner.amazonaws.com", "CreateService", {"serviceName": "s", "instanceConfiguration": {
        "instanceRoleArn": ROLE}}),
    ("apprunner.amazonaws.com", "UpdateService", {"serviceArn": "s", "instanceConfiguration": {
        "instanceRoleArn": ROLE}}),
    ("cloudformation.amazonaws.com", "CreateStackSet", {"stackSetName": "s", "administrationRoleARN": ROLE}),
    ("cloudformation.amazonaws.com", "UpdateStackSet", {"stackSetName": "s", "administrationRoleARN": ROLE}),
    ("eks.amazonaws.com", "CreateNodegroup", {"name": "c", "nodegroupName": "ng", "nodeRole": ROLE}),
    ("autoscaling.amazonaws.com", "CreateLaunchConfiguration", {"launchConfigurationName": "lc",
                                                                "iamInstanceProfile": "terraform-deploy"}),
    ("elasticmapreduce.amazonaws.com", "RunJobFlow", {"name": "c", "jobFlowRole": "terraform-deploy"}),
    # Brokers beside IAM's identity providers (federation-provider-changed)
    ("cognito-identity.amazonaws.com", "CreateIdentityPool", {"identityPoolName": "app",
                                                              "allowUnauthenticatedIdentities": True}),
    ("cognito-identity.amazonaws.com", "UpdateIdentityPool", {"identityPoolId": "us-east-1:p",
                                                              "allowUnauthenticatedIdentities": True}),
    ("cognito-identity.amazonaws.com", "SetIdentityPoolRoles", {"identityPoolId": "us-east-1:p",
                                                                "roles": {"unauthenticated": ROLE}}),
    ("sso.amazonaws.com", "CreateTrustedTokenIssuer", {"instanceArn": "arn:aws:sso:::instance/ssoins-1", "name": "x"}),
    ("sso.amazonaws.com", "UpdateTrustedTokenIssuer", {"trustedTokenIssuerArn": "arn:aws:sso::1:trustedTokenIssuer/x"}),
    ("sso-directory.amazonaws.com", "EnableExternalIdPConfigurationForDirectory", {}),
    ("sso-directory.amazonaws.com", "DisableExternalIdPConfigurationForDirectory", {}),
    ("sso-directory.amazonaws.com", "UpdateExternalIdPConfigurationForDirectory", {}),
    ("sso-directory.amazonaws.com", "ImportExternalIdPCertificate", {}),
    ("sso.amazonaws.com", "AssociateDirectory", {"directoryId": "d-9067642ac7"}),
    ("sso-directory.amazonaws.com", "AssociateDirectory", {"directoryId": "d-9067642ac7"}),
    ("sso.amazonaws.com", "DisassociateDirectory", {"directoryId": "d-9067642ac7"}),
    # Shells and SSH keys on machines running as a role (ssm-instance-access, ec2-instance-connect-key-sent)
    ("ecs.amazonaws.com", "ExecuteCommand", {"cluster": "prod", "container": "app", "command": "/bin/sh",
                                             "interactive": True, "task": "0f1e2d3c4b5a69788796a5b4c3d2e1f0"}),
    ("sagemaker.amazonaws.com", "CreatePresignedNotebookInstanceUrl", {"notebookInstanceName": "ml-research"}),
    ("sagemaker.amazonaws.com", "CreatePresignedDomainUrl", {"domainId": "d-abc123", "userProfileName": "ds"}),
    ("glue.amazonaws.com", "UpdateDevEndpoint", {"endpointName": "etl-dev", "publicKey": "ssh-rsa AAAA"}),
    # Organization guardrails (organization-guardrail-removed)
    ("organizations.amazonaws.com", "DetachPolicy", {"policyId": "p-8f3k2l1m", "targetId": "ou-ab12-cd34ef56"}),
    ("organizations.amazonaws.com", "DisablePolicyType", {"rootId": "r-ab12", "policyType": "SERVICE_CONTROL_POLICY"}),
    ("organizations.amazonaws.com", "UpdatePolicy", {"policyId": "p-8f3k2l1m", "content": "{}"}),
    ("organizations.amazonaws.com", "MoveAccount", {"accountId": "402918375610", "sourceParentId": "ou-ab12-cd34ef56",
                                                    "destinationParentId": "r-ab12"}),
    # An IAM user renamed (iam-user-created)
    ("iam.amazonaws.com", "UpdateUser", {"userName": "svc-backup", "newUserName": "github-actions-aws-deployer"}),
    # Detectors switched off that no always-on family routes (detector-disabled: WRITES_ONLY_DETECTOR_CALLS)
    ("config.amazonaws.com", "DeleteConfigRule", {"configRuleName": "cloudtrail-enabled"}),
    ("config.amazonaws.com", "DeleteConfigurationAggregator", {"configurationAggregatorName": "org"}),
    ("securityhub.amazonaws.com", "BatchDisableStandards", {"standardsSubscriptionArns": ["arn:aws:securityhub:x"]}),
    ("securityhub.amazonaws.com", "DisableImportFindingsForProduct", {"productSubscriptionArn": "arn:aws:x"}),
    ("access-analyzer.amazonaws.com", "CreateArchiveRule", {"analyzerName": "org", "ruleName": "r"}),
    ("access-analyzer.amazonaws.com", "UpdateArchiveRule", {"analyzerName": "org", "ruleName": "r",
                                                            "filter": {"isPublic": {"eq": ["true"]}}}),
    ("securityhub.amazonaws.com", "UpdateStandardsControl", {"standardsControlArn": "arn:aws:securityhub:x",
                                                              "controlStatus": "DISABLED"}),
    ("securityhub.amazonaws.com", "BatchUpdateStandardsControlAssociations", {"standardsControlAssociationUpdates": [
        {"standardsArn": "arn:aws:securityhub:x", "securityControlId": "CloudTrail.1",
         "associationStatus": "DISABLED"}]}),
    ("macie2.amazonaws.com", "DisableMacie", {}),
    ("inspector2.amazonaws.com", "Disable", {"resourceTypes": ["EC2"]}),
    ("guardduty.amazonaws.com", "DisassociateMembers", {"detectorId": "d", "accountIds": ["402918375610"]}),
    ("guardduty.amazonaws.com", "DeleteMembers", {"detectorId": "d", "accountIds": ["402918375610"]}),
    ("guardduty.amazonaws.com", "StopMonitoringMembers", {"detectorId": "d", "accountIds": ["402918375610"]}),
    ("guardduty.amazonaws.com", "DeletePublishingDestination", {"detectorId": "d", "destinationId": "x"}),
    # A permission set's boundary (sso-assignment-changed)
    ("sso.amazonaws.com", "DeletePermissionsBoundaryFromPermissionSet", {
        "instanceArn": "arn:aws:sso:::instance/ssoins-7223a4c6b1f8e5d2",
        "permissionSetArn": "arn:aws:sso:::permissionSet/ssoins-7223a4c6b1f8e5d2/ps-3f9b2c1d8e7a6b5c"}),
    ("sso.amazonaws.com", "PutPermissionsBoundaryToPermissionSet", {
        "instanceArn": "arn:aws:sso:::instance/ssoins-7223a4c6b1f8e5d2",
        "permissionSetArn": "arn:aws:sso:::permissionSet/ssoins-7223a4c6b1f8e5d2/ps-3f9b2c1d8e7a6b5c",
        "permissionsBoundary": {"managedPolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}}),
    # More roles handed over (iam-role-passed): EKS Pod Identity associations, Batch job definitions
    ("eks.amazonaws.com", "CreatePodIdentityAssociation", {"clusterName": "prod", "namespace": "default",
                                                           "serviceAccount": "app", "roleArn": ROLE}),
    ("eks.amazonaws.com", "UpdatePodIdentityAssociation", {"clusterName": "prod", "associationId": "a-1",
                                                           "roleArn": ROLE}),
    ("batch.amazonaws.com", "RegisterJobDefinition", {"jobDefinitionName": "j", "type": "container",
                                                      "containerProperties": {"image": "x", "jobRoleArn": ROLE}}),
    # A quarantine lifted (credential-quarantine-lifted)
    ("iam.amazonaws.com", "DetachUserPolicy", {"userName": "github-actions-aws-deployer",
                                               "policyArn": "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3"}),
    ("iam.amazonaws.com", "DeleteUserPolicy", {"userName": "github-actions-aws-deployer",
                                               "policyName": "AWSExposedCredentialPolicy_DO_NOT_REMOVE"}),
    ("iam.amazonaws.com", "DetachRolePolicy", {"roleName": "paperclip-agent",
                                               "policyArn": "arn:aws:iam::aws:policy/AWSDenyAll"}),
    ("iam.amazonaws.com", "DeleteRolePolicy", {"roleName": "paperclip-agent", "policyName": "AWSRevokeOlderSessions"}),
    ("iam.amazonaws.com", "DetachGroupPolicy", {"groupName": "ops", "policyArn": "arn:aws:iam::aws:policy/AWSDenyAll"}),
    # IMDSv1 allowed again (ec2-metadata-weakened)
    ("ec2.amazonaws.com", "ModifyInstanceMetadataOptions", {"ModifyInstanceMetadataOptionsRequest": {
        "InstanceId": "i-0a1b2c3d4e5f67890", "HttpTokens": "optional"}}),
    ("ec2.amazonaws.com", "ModifyInstanceMetadataDefaults", {"ModifyInstanceMetadataDefaultsRequest": {
        "HttpTokens": "optional"}}),
]
