"""Issue 10, second red-team: more of what an attacker chooses, each a real-shaped record
(tests/fixtures/records/) that must still be judged on what AWS sets.

Delivery of the same variations with the packaged prod rules: tests/deploy/test_attacker_routing_round2.py.
"""

from __future__ import annotations

from chalicelib.findings import Severity

from .conftest import DROP, Replace, finding, identity_of, model_from, record, replay_twice

PIPELINE = "monitor-pipeline-tampered"


# IAM finds a role by any ASCII case of its name: the handler's role in other case is still Trailwarden's.

def test_deleting_a_handler_roles_policy_named_in_other_case_is_critical_pipeline_tampering():
    f = finding(record("iam-delete-role-policy-handler-role-other-case.json"), PIPELINE)
    assert f is not None and f.severity is Severity.CRITICAL
    assert "TrailWarden-Prod-IAM" in f.reason


def test_a_role_name_that_only_folds_onto_a_handler_role_through_unicode_is_not_trailwardens():
    rec = record("iam-delete-role-policy-handler-role-other-case.json",
                 requestParameters={"roleName": "trailwarden-prod-\u0131am"})  # dotless i: not ASCII
    assert finding(rec, PIPELINE) is None


# A private address is the VPC owner's to number: the declared range, reached through another account's endpoint.

FOREIGN_ENDPOINT = "instance-session-read-through-foreign-vpc-endpoint.json"
HOME = "credential-used-outside-home"


def test_instance_credentials_used_through_another_accounts_vpc_endpoint_are_critical():
    f = finding(record(FOREIGN_ENDPOINT), HOME)
    assert f is not None and f.severity is Severity.CRITICAL
    assert "402918375610" in f.reason and "vpce-0c4a7e91d2b3f5a68" in f.reason
    assert f.details["vpc_endpoint_account"] == "402918375610"


def test_the_same_private_address_through_the_accounts_own_vpc_endpoint_is_home():
    assert finding(record(FOREIGN_ENDPOINT, vpcEndpointAccountId="630287363158"), HOME) is None


def test_a_record_that_predates_the_endpoint_owner_field_is_judged_on_the_address_alone():
    assert finding(record(FOREIGN_ENDPOINT, vpcEndpointAccountId=DROP), HOME) is None


def test_replay_judges_the_foreign_endpoint_the_same_with_and_without_the_memo(tmp_path, capsys):
    # More than one replay batch (32 lines) of the account's own endpoint first, so the memo has learnt its key.
    own = [record(FOREIGN_ENDPOINT, vpcEndpointAccountId="630287363158", eventID=f"own-{i}") for i in range(40)]
    with_memo, without = replay_twice([*own, record(FOREIGN_ENDPOINT, eventID="foreign")], tmp_path, capsys)
    assert with_memo == without
    assert "402918375610" in with_memo


# Parameter Store's /aws/reference/secretsmanager/ path returns a Secrets Manager secret: the same read.

SECRET = "secret-read-undeclared"
SM_MODEL = model_from("""
    version: 1
    accounts: [{id: "630287363158", name: management}]
    principals:
      - {id: paperclip-agents, kind: agent, auth: role, roles: [paperclip-agent]}
      - {id: app-servers, kind: workload, auth: instance-profile, roles: [abt-app-instance-role]}
    secrets:
      - {name: "prod/db-*", store: secretsmanager, readers: [app-servers], breaks: "the app's database login"}
""")
SM_REFERENCE_READ = "get-parameter-secretsmanager-reference.json"


def test_a_non_reader_reading_a_secrets_manager_secret_through_parameter_store_is_high():
    f = finding(record(SM_REFERENCE_READ), SECRET, SM_MODEL)
    assert f is not None and f.severity is Severity.HIGH
    assert f.breaks == "the app's database login" and "/aws/reference/secretsmanager/" in f.reason


def test_the_reference_path_in_a_parameter_arn_or_a_batch_read_is_the_same_read():
    arn = "arn:aws:ssm:us-east-1:630287363158:parameter/aws/reference/secretsmanager/prod/db-password"
    assert finding(record(SM_REFERENCE_READ, requestParameters={"name": arn}), SECRET, SM_MODEL) is not None
    batch = record(SM_REFERENCE_READ, eventName="GetParameters", requestParameters=Replace(
        {"names": ["/paperclip-app/region", "/aws/reference/secretsmanager/prod/db-password"], "withDecryption": True}))
    assert finding(batch, SECRET, SM_MODEL) is not None


def test_a_reader_of_the_secret_reading_it_through_parameter_store_is_quiet():
    rec = record(SM_REFERENCE_READ, userIdentity=identity_of("instance-profile-session-call.json"))
    assert finding(rec, SECRET, SM_MODEL) is None


def test_an_undeclared_secret_behind_the_reference_path_is_not_this_rules():
    rec = record(SM_REFERENCE_READ, requestParameters={"name": "/aws/reference/secretsmanager/staging/db-password"})
    assert finding(rec, SECRET, SM_MODEL) is None


# A key made usable again is a new way in: UpdateAccessKey to Active instead of CreateAccessKey.

KEY_RULE = "iam-create-access-key"
REACTIVATION = "update-access-key-reactivate-ci-key.json"


def test_the_ci_key_reactivating_its_deactivated_key_from_a_new_address_is_high():
    f = finding(record(REACTIVATION), KEY_RULE)
    assert f is not None and f.severity is Severity.HIGH
    assert "reactivated a deactivated key of IAM user 'github-actions-aws-deployer'" in f.reason
    assert "Key …Y007." in f.reason  # masked to its last 4 characters


def test_an_undeclared_users_key_reactivated_by_a_non_manager_is_high():
    rec = record(REACTIVATION, requestParameters={"userName": "backup-bot"})
    f = finding(rec, KEY_RULE)
    assert f is not None and f.severity is Severity.HIGH and "does not declare" in f.reason


def test_deactivating_a_key_is_not_a_reactivation():
    assert finding(record(REACTIVATION, requestParameters={"status": "Inactive"}), KEY_RULE) is None


# GuardDuty left on with its protection plans off: UpdateDetector without enable=false.

DETECTOR = "detector-disabled"
PLANS_OFF = "guardduty-update-detector-plans-disabled.json"


def test_switching_guardduty_protection_plans_off_is_a_finding_naming_them():
    f = finding(record(PLANS_OFF), DETECTOR)
    assert f is not None and f.severity is Severity.MEDIUM
    assert "S3_DATA_EVENTS" in f.reason and "RUNTIME_MONITORING/EC2_AGENT_MANAGEMENT" in f.reason


def test_the_older_data_sources_spelling_of_a_plan_switched_off_is_the_same():
    rec = record(PLANS_OFF, requestParameters=Replace({"detectorId": "12abc34d567e8fa901bc2d34e56789f0",
                                                       "dataSources": {"s3Logs": {"enable": False},
                                                                       "kubernetes": {"auditLogs": {"enable": True}}}}))
    f = finding(rec, DETECTOR)
    assert f is not None and "s3Logs" in f.reason and "kubernetes" not in f.reason


def test_switching_protection_plans_on_is_quiet():
    rec = record(PLANS_OFF, requestParameters=Replace({"detectorId": "12abc34d567e8fa901bc2d34e56789f0",
                                                       "features": [{"name": "S3_DATA_EVENTS", "status": "ENABLED"}]}))
    assert finding(rec, DETECTOR) is None


def test_replay_judges_protection_plans_the_same_with_and_without_the_memo(tmp_path, capsys):
    agent = identity_of("get-parameter.json")  # a declared role: its quiet calls teach the memo
    on = record(PLANS_OFF, userIdentity=agent, requestParameters=Replace(
        {"detectorId": "12abc34d567e8fa901bc2d34e56789f0", "findingPublishingFrequency": "SIX_HOURS"}))
    lines = [{**on, "eventID": f"on-{i}"} for i in range(40)] + [record(PLANS_OFF, userIdentity=agent)]
    with_memo, without = replay_twice(lines, tmp_path, capsys)
    assert with_memo == without and "S3_DATA_EVENTS" in with_memo


# principalOrgID is the caller's string: the thief's own organization is as good as ours to Lambda.

def test_a_function_opened_to_an_organization_the_caller_names_is_not_quiet():
    f = finding(record("lambda-add-permission-any-organization.json"), "lambda-exposed")
    assert f is not None and f.severity is Severity.MEDIUM
    assert "o-7x3kq9w2mzab" in f.reason and "cannot confirm" in f.reason


# PassRole through a sibling call: a run's override, a build's override, a launch template.

PASSED = "iam-role-passed"


def test_a_task_run_with_the_deploy_role_as_its_override_is_a_pass():
    f = finding(record("ecs-run-task-role-override.json"), PASSED)
    assert f is not None and f.severity is Severity.CRITICAL and "terraform-deploy" in f.reason


def test_a_task_run_without_an_override_names_no_role_and_is_quiet():
    rec = record("ecs-run-task-role-override.json", requestParameters={"overrides": Replace({})})
    assert finding(rec, PASSED) is None


def test_a_build_started_with_the_deploy_role_as_its_service_role_override_is_a_pass():
    f = finding(record("codebuild-start-build-role-override.json"), PASSED)
    assert f is not None and f.severity is Severity.CRITICAL and "StartBuild" in f.reason


def test_a_launch_template_naming_the_deploy_roles_profile_is_a_pass():
    f = finding(record("ec2-create-launch-template-profile.json"), PASSED)
    assert f is not None and f.severity is Severity.CRITICAL and "instance profile 'terraform-deploy'" in f.reason


# A customer managed policy: created with an admin document, attached later by ARN alone.

GRANTED = "iam-privilege-granted"
CREATE_POLICY = "iam-create-policy-admin-equivalent.json"


def test_the_ci_key_creating_an_admin_equivalent_managed_policy_is_high():
    f = finding(record(CREATE_POLICY), GRANTED)
    assert f is not None and f.severity is Severity.HIGH
    assert "ReadOnlyHelper" in f.reason and "NotAction" in f.reason
    assert f.target_arn == "arn:aws:iam::630287363158:policy/ReadOnlyHelper"


def test_attaching_that_customer_policy_later_names_only_its_arn_so_the_creation_is_where_it_is_seen():
    attach = record("attach-user-policy.json",
                    requestParameters={"policyArn": "arn:aws:iam::630287363158:policy/ReadOnlyHelper"})
    assert finding(attach, GRANTED) is None  # why CreatePolicy is judged


def test_an_iam_manager_creating_one_is_medium():
    f = finding(record(CREATE_POLICY, userIdentity=identity_of("delete-user.json")), GRANTED)
    assert f is not None and f.severity is Severity.MEDIUM


def test_a_managed_policy_that_grants_less_than_admin_is_quiet():
    doc = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}'
    assert finding(record(CREATE_POLICY, requestParameters={"policyDocument": doc}), GRANTED) is None


# A dormant CodeCommit/Keyspaces/Bedrock credential made active again: the same way back in as a new one.

ALTERNATE = "iam-alternate-credential-created"
ALTERNATE_ACTIVE = "iam-update-service-specific-credential-active.json"


def test_the_ci_users_service_credential_made_active_again_is_critical():
    f = finding(record(ALTERNATE_ACTIVE), ALTERNATE)
    assert f is not None and f.severity is Severity.CRITICAL
    assert "made active again a service-specific credential" in f.reason
    assert f.details["credential_id"] == "ACCAZ7TW0CRED0000001"


def test_a_credential_made_inactive_is_quiet():
    assert finding(record(ALTERNATE_ACTIVE, requestParameters={"status": "Inactive"}), ALTERNATE) is None


def test_replay_judges_credential_reactivations_the_same_with_and_without_the_memo(tmp_path, capsys):
    off = [record(ALTERNATE_ACTIVE, requestParameters={"status": "Inactive"}, eventID=f"off-{i}") for i in range(40)]
    with_memo, without = replay_twice([*off, record(ALTERNATE_ACTIVE)], tmp_path, capsys)
    assert with_memo == without and "ACCAZ7TW0CRED0000001" in with_memo


# The path in a requested role ARN is the caller's text: the issued session says which role it is.

UNEXPECTED = "sts-assume-role-unexpected"
SERVICE_PATH = "assume-role-service-role-path-declared-role.json"


def test_a_declared_role_requested_under_a_service_linked_path_is_judged_as_that_role():
    f = finding(record(SERVICE_PATH), UNEXPECTED)
    assert f is not None and f.severity is Severity.HIGH and "paperclip-agent" in f.reason


def test_a_real_service_linked_roles_session_is_still_not_judged():
    slr = "AWSServiceRoleForSupport"
    rec = record(SERVICE_PATH, requestParameters={
        "roleArn": f"arn:aws:iam::630287363158:role/aws-service-role/support.amazonaws.com/{slr}"},
        responseElements={"assumedRoleUser": {"arn": f"arn:aws:sts::630287363158:assumed-role/{slr}/maint"}})
    assert finding(rec, UNEXPECTED) is None


def test_replay_judges_a_service_linked_path_the_same_with_and_without_the_memo(tmp_path, capsys):
    # The same request without an issued session (quiet: the path's word stands) must not vouch for the one with.
    bare = [record(SERVICE_PATH, eventID=f"bare-{i}", responseElements=Replace({"credentials": {}})) for i in range(40)]
    with_memo, without = replay_twice([*bare, record(SERVICE_PATH)], tmp_path, capsys)
    assert with_memo == without and "paperclip-agent" in with_memo
