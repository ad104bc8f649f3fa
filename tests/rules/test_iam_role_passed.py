"""iam-role-passed: a role handed to a service (PassRole) is judged by whose role it is and who handed it."""

from __future__ import annotations

import pytest

from chalicelib.errors import ModelError
from chalicelib.findings import Severity

from .conftest import DROP, Replace, finding, identity_of, model_from, record

RULE = "iam-role-passed"
ACCOUNT = "630287363158"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/"
MODEL = f"""
version: 1
accounts: [{{id: "{ACCOUNT}", name: management}}]
principals:
  - id: deployer
    kind: ci
    auth: role
    roles: [terraform-deploy]
    passes_roles: [app-*, Paperclip-Agent]
  - id: agents
    kind: agent
    auth: role
    roles: [paperclip-agent, app-worker]
"""


def test_the_ci_key_handing_the_deploy_role_to_a_new_function_is_critical():
    f = finding(record("lambda-create-function.json"), RULE)
    assert f is not None and f.severity is Severity.CRITICAL
    assert "terraform-deploy" in f.reason and "change logging and the monitor" in f.reason
    assert f.target_arn == f"{ROLE}terraform-deploy"


def test_an_instance_started_with_another_principals_profile_is_high_and_says_what_breaks():
    f = finding(record("ec2-run-instances.json"), RULE)
    assert f is not None and f.severity is Severity.HIGH
    assert f.breaks == "the application servers"
    assert f.details["target_principal"] == "app-servers"


def test_attaching_the_deploy_roles_profile_to_a_running_instance_is_critical():
    f = finding(record("ec2-associate-iam-instance-profile.json"), RULE)
    assert f is not None and f.severity is Severity.CRITICAL


def test_replacing_an_instances_profile_is_read_from_its_own_request_shape():
    rec = record("ec2-associate-iam-instance-profile.json", eventName="ReplaceIamInstanceProfileAssociation",
                 requestParameters=Replace({"ReplaceIamInstanceProfileAssociationRequest": {
                     "AssociationId": "iip-assoc-0e7736511a163c209",
                     "IamInstanceProfile": {"Arn": f"arn:aws:iam::{ACCOUNT}:instance-profile/terraform-deploy"}}}))
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.CRITICAL


@pytest.mark.parametrize(("source", "name", "params"), [
    ("cloudformation.amazonaws.com", "CreateStack", {"stackName": "s", "roleARN": f"{ROLE}terraform-deploy"}),
    ("cloudformation.amazonaws.com", "CreateChangeSet", {"stackName": "s", "changeSetName": "cdk-deploy-change-set",
                                                         "roleARN": f"{ROLE}terraform-deploy"}),
    ("glue.amazonaws.com", "CreateDevEndpoint", {"endpointName": "e", "roleArn": f"{ROLE}terraform-deploy"}),
    ("glue.amazonaws.com", "CreateJob", {"name": "j", "role": "terraform-deploy"}),
    ("sagemaker.amazonaws.com", "CreateNotebookInstance", {"notebookInstanceName": "n",
                                                           "roleArn": f"{ROLE}terraform-deploy"}),
    ("codebuild.amazonaws.com", "CreateProject", {"name": "b", "serviceRole": f"{ROLE}terraform-deploy"}),
    ("ecs.amazonaws.com", "RegisterTaskDefinition", {"family": "t", "executionRoleArn": f"{ROLE}x",
                                                     "taskRoleArn": f"{ROLE}terraform-deploy"}),
])
def test_every_service_that_takes_a_role_names_it_where_its_api_does(source, name, params):
    rec = record("lambda-create-function.json", eventSource=source, eventName=name,
                 requestParameters=Replace(params), responseElements=None)
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.CRITICAL


def test_an_aws_created_organization_admin_role_is_critical():
    rec = record("lambda-create-function.json",
                 requestParameters={"role": f"{ROLE}OrganizationAccountAccessRole"})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.CRITICAL


def test_a_declared_principal_passing_an_undeclared_role_is_medium():
    rec = record("lambda-create-function.json", requestParameters={"role": f"{ROLE}ops-sync-role"})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.MEDIUM


def test_an_undeclared_caller_passing_an_undeclared_role_is_high():
    rec = record("lambda-create-function.json", requestParameters={"role": f"{ROLE}ops-sync-role"},
                 userIdentity={"arn": f"arn:aws:iam::{ACCOUNT}:user/mallory", "userName": "mallory",
                               "principalId": "AIDAZ7TW0MALLORY0001", "accessKeyId": "AKIAZ7TW0MALL0RY0001"})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.HIGH


def test_an_iam_manager_passing_a_role_is_low():
    rec = record("lambda-create-function.json", userIdentity=identity_of("delete-user.json"))
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.LOW


def test_a_role_the_deployer_declares_under_passes_roles_is_low_and_globs_ignore_case():
    deployer = identity_of("role-session-call.json").value
    deployer["arn"] = f"arn:aws:sts::{ACCOUNT}:assumed-role/terraform-deploy/tf-run"
    deployer["sessionContext"]["sessionIssuer"].update(arn=f"{ROLE}terraform-deploy", userName="terraform-deploy")
    model = model_from(MODEL)
    for role in ("app-worker", "paperclip-agent"):
        rec = record("lambda-create-function.json", userIdentity=Replace(deployer),
                     requestParameters={"role": ROLE + role})
        f = finding(rec, RULE, model)
        assert f is not None and f.severity is Severity.LOW, role


def test_a_role_outside_the_deployers_passes_roles_is_still_judged():
    deployer = identity_of("role-session-call.json").value
    deployer["sessionContext"]["sessionIssuer"].update(arn=f"{ROLE}terraform-deploy", userName="terraform-deploy")
    rec = record("lambda-create-function.json", userIdentity=Replace(deployer),
                 requestParameters={"role": f"{ROLE}OrganizationAccountAccessRole"})
    f = finding(rec, RULE, model_from(MODEL))
    assert f is not None and f.severity is Severity.CRITICAL


def test_a_session_handing_over_its_own_role_gains_nothing():
    rec = record("lambda-create-function.json", userIdentity=identity_of("role-session-call.json"),
                 requestParameters={"role": f"{ROLE}paperclip-agent"})
    assert finding(rec, RULE) is None


def test_an_instance_started_without_a_profile_passes_no_role():
    rec = record("ec2-run-instances.json", requestParameters={"iamInstanceProfile": DROP})
    assert finding(rec, RULE) is None


def test_a_configuration_change_without_a_role_or_layers_is_quiet():
    rec = record("lambda-create-function.json", eventName="UpdateFunctionConfiguration20150331v2",
                 requestParameters=Replace({"functionName": "ops-sync", "timeout": 30}))
    assert finding(rec, RULE) is None


def test_an_aws_service_launching_for_someone_is_not_judged():
    rec = record("ec2-run-instances.json", userIdentity={"invokedBy": "autoscaling.amazonaws.com"})
    assert finding(rec, RULE) is None


def test_a_function_created_by_a_cloudformation_stack_is_left_to_the_stack_call():
    rec = record("lambda-create-function.json", userIdentity={"invokedBy": "cloudformation.amazonaws.com"},
                 requestParameters={"role": f"{ROLE}paperclip-agent"})
    assert finding(rec, RULE) is None


def test_a_stack_handing_over_a_privileged_role_with_the_callers_credentials_is_still_critical():
    rec = record("lambda-create-function.json", userIdentity={"invokedBy": "cloudformation.amazonaws.com"})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.CRITICAL and "came through cloudformation" in f.reason


def test_a_console_session_marked_invoked_by_signin_is_still_judged():
    rec = record("lambda-create-function.json", userIdentity={"invokedBy": "signin.amazonaws.com"})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.CRITICAL


def test_the_same_name_in_another_service_is_not_a_pass():
    rec = record("lambda-create-function.json", eventSource="s3control.amazonaws.com", eventName="CreateJob",
                 requestParameters=Replace({"roleArn": f"{ROLE}terraform-deploy", "role": f"{ROLE}terraform-deploy"}))
    assert finding(rec, RULE) is None


def test_a_change_set_without_a_role_passes_none():
    rec = record("lambda-create-function.json", eventSource="cloudformation.amazonaws.com",
                 eventName="CreateChangeSet", requestParameters=Replace({"stackName": "s", "changeSetName": "c"}),
                 responseElements=None)
    assert finding(rec, RULE) is None


def test_a_refused_pass_is_at_most_medium():
    rec = record("lambda-create-function.json", errorCode="AccessDeniedException", responseElements=None,
                 errorMessage="User is not authorized to perform: iam:PassRole")
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.MEDIUM and "attempt" in f.reason


@pytest.mark.parametrize("value", [["bad role!"], "app-*", [""]])
def test_passes_roles_must_be_a_list_of_role_names_or_globs(value):
    text = MODEL.replace("passes_roles: [app-*, Paperclip-Agent]", f"passes_roles: {value!r}".replace("'", '"'))
    with pytest.raises(ModelError, match="passes_roles"):
        model_from(text)


def _code_update(role: str, **overrides: object) -> dict:
    """Stratus Red Team's lambda-overwrite-code shape: the function's role is in the response only."""
    return record("lambda-create-function.json", eventName="UpdateFunctionCode20150331v2",
                  requestParameters=Replace({"functionName": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:ops-sync",
                                             "publish": True, "dryRun": False}),
                  responseElements=Replace({"functionName": "ops-sync", "role": ROLE + role,
                                            "handler": "index.handler", "codeSize": 211}), **overrides)


def test_new_code_in_a_function_running_as_another_principals_role_is_high():
    f = finding(_code_update("paperclip-agent"), RULE)
    assert f is not None and f.severity is Severity.HIGH
    assert "new code in a function that runs as role 'paperclip-agent'" in f.reason
    assert f.breaks == "Paperclip agents"


def test_new_code_in_a_function_running_as_the_deploy_role_is_critical():
    f = finding(_code_update("terraform-deploy"), RULE)
    assert f is not None and f.severity is Severity.CRITICAL


def test_a_role_updating_the_code_of_its_own_function_gains_nothing():
    rec = _code_update("paperclip-agent", userIdentity=identity_of("role-session-call.json"))
    assert finding(rec, RULE) is None


def test_layers_added_to_a_function_are_new_code_running_as_its_role():
    rec = record("lambda-create-function.json", eventName="UpdateFunctionConfiguration20150331v2",
                 requestParameters=Replace({"functionName": "ops-sync", "environment": {},
                                            "layers": [f"arn:aws:lambda:us-east-1:{ACCOUNT}:layer:ext:1"]}),
                 responseElements={"role": f"{ROLE}paperclip-agent"})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.HIGH and "new layers" in f.reason


def test_a_refused_code_update_names_no_role_and_is_quiet():
    rec = {**_code_update("paperclip-agent", errorCode="AccessDeniedException"), "responseElements": None}
    assert finding(rec, RULE) is None


def test_a_privileged_role_put_into_an_instance_profile_is_critical_and_names_the_profile():
    rec = record("attach-user-policy.json", eventName="AddRoleToInstanceProfile",
                 requestParameters=Replace({"instanceProfileName": "web", "roleName": "terraform-deploy"}))
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.CRITICAL and "instance profile 'web'" in f.reason


def test_new_code_under_lambdas_first_api_spelling_is_judged_too():
    rec = _code_update("terraform-deploy")
    rec["eventName"] = "UpdateFunctionCode20150331"
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.CRITICAL


def test_a_role_set_under_lambdas_first_configuration_spelling_is_judged_too():
    rec = record("lambda-create-function.json", eventName="UpdateFunctionConfiguration20150331")
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.CRITICAL


@pytest.mark.parametrize("partition", ["aws-cn", "aws-us-gov"])
def test_a_role_arn_of_another_partition_with_a_path_names_the_same_role(partition):
    rec = record("lambda-create-function.json",
                 requestParameters={"role": f"arn:{partition}:iam::{ACCOUNT}:role/service-role/terraform-deploy"})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.CRITICAL


@pytest.mark.parametrize("params", [None, [], "role", {"role": None}, {"role": {}}, {"role": ["x"]}])
def test_a_request_of_the_wrong_shape_passes_no_role(params):
    rec = record("lambda-create-function.json", requestParameters=Replace(params), responseElements=Replace(None))
    assert finding(rec, RULE) is None


def _batch_service_role(source_ip: str) -> dict:
    """AWS Batch registering a task definition with the account's own (non service-linked) service role."""
    issuer = f"arn:aws:iam::{ACCOUNT}:role/service-role/AWSBatchServiceRole"
    return record("lambda-create-function.json", eventSource="ecs.amazonaws.com", eventName="RegisterTaskDefinition",
                  sourceIPAddress=source_ip, userAgent="batch.amazonaws.com",
                  userIdentity=Replace({"type": "AssumedRole", "principalId": "AROAZ7TW0BATCHSVC0001:aws-batch",
                                        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/AWSBatchServiceRole/aws-batch",
                                        "accountId": ACCOUNT, "sessionContext": {"sessionIssuer": {
                                            "type": "Role", "arn": issuer, "userName": "AWSBatchServiceRole"}}}),
                  requestParameters=Replace({"family": "job", "executionRoleArn": f"{ROLE}app-worker"}),
                  responseElements=Replace(None))


def test_a_service_acting_with_the_accounts_own_service_role_is_left_to_the_call_that_asked_it():
    assert finding(_batch_service_role("batch.amazonaws.com"), RULE) is None


def test_the_same_service_role_calling_from_an_address_is_judged():
    f = finding(_batch_service_role("198.51.100.23"), RULE)
    assert f is not None and f.severity is Severity.HIGH


def test_a_service_made_pass_does_not_make_the_same_call_from_an_address_quiet_in_replay(tmp_path):
    from .test_quiet_memo import twice

    model = model_from(MODEL + "  - {id: batch, kind: agent, auth: role, roles: [AWSBatchServiceRole]}\n")
    quiet, judged = _batch_service_role("batch.amazonaws.com"), _batch_service_role("198.51.100.23")
    assert twice(tmp_path, quiet, judged, model) == ["none", "findings"]
