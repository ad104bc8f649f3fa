"""Second red-team of attacker-chosen fields, continued (tests/rules/test_attacker_variations_round2.py has the
first half): the monitor blinded without touching what it watches, roles and memberships relayed through
CloudFormation, ciphertext re-wrapped, boundaries replaced, console sessions, trail prefixes, Config narrowed."""

from __future__ import annotations

from chalicelib.findings import Severity

from .conftest import Replace, finding, identity_of, model_from, record, replay_twice

PIPELINE = "monitor-pipeline-tampered"
DETECTOR = "detector-disabled"
PASSED = "iam-role-passed"
HOME = "credential-used-outside-home"
SECRET = "secret-read-undeclared"


# The incident table switched off without touching it: a resource policy denying everyone.

def test_a_deny_resource_policy_on_the_incident_table_is_critical_pipeline_tampering():
    f = finding(record("dynamodb-put-resource-policy-incidents-table.json"), PIPELINE)
    assert f is not None and f.severity is Severity.CRITICAL
    assert "resource policy" in f.reason and "trailwarden-prod-incidents" in f.reason


def test_a_resource_policy_on_another_teams_table_is_not_trailwardens():
    rec = record("dynamodb-put-resource-policy-incidents-table.json",
                 requestParameters={"resourceArn": "arn:aws:dynamodb:us-east-1:630287363158:table/orders"})
    assert finding(rec, PIPELINE) is None


# A template hands the role over: CloudFormation relays the caller's own CreateFunction (the stack names no role).

def test_a_privileged_role_handed_over_through_a_stack_with_the_callers_credentials_is_critical():
    f = finding(record("lambda-create-function-through-cloudformation.json"), PASSED)
    assert f is not None and f.severity is Severity.CRITICAL
    assert "terraform-deploy" in f.reason and "came through cloudformation.amazonaws.com" in f.reason


def test_an_undeclared_role_handed_over_through_a_stack_is_left_to_the_stack_call():
    rec = record("lambda-create-function-through-cloudformation.json",
                 requestParameters={"role": "arn:aws:iam::630287363158:role/ops-stack-SyncRole-1X2Y3Z"})
    assert finding(rec, PASSED) is None


# A service relaying the caller's call is not Identity Center syncing its directory.

def test_a_group_membership_added_through_a_stack_with_the_callers_credentials_is_high():
    f = finding(record("identitystore-create-group-membership-through-cloudformation.json"),
                "sso-group-membership-added")
    assert f is not None and f.severity is Severity.HIGH and "came through cloudformation" in f.reason


# A parameter's ciphertext re-wrapped under a key the caller names (kms:ReEncrypt), to decrypt elsewhere.

def test_reencrypting_a_declared_parameters_ciphertext_to_an_outside_key_is_a_read():
    f = finding(record("kms-reencrypt-parameter-to-outside-key.json"), SECRET)
    assert f is not None and f.severity is Severity.HIGH
    assert "kms:ReEncrypt" in f.reason and "402918375610" in f.reason and "/paperclip-app/api-key" in f.reason


def test_reencrypting_other_data_is_not_a_secret_read():
    rec = record("kms-reencrypt-parameter-to-outside-key.json",
                 requestParameters={"sourceEncryptionContext": Replace({"app": "reporting"})})
    assert finding(rec, SECRET) is None


# A boundary replaced, not deleted: the same ceiling lifted.

BOUNDARY = "iam-permissions-boundary-removed"
OWN_BOUNDARY = "iam-put-user-permissions-boundary-own-admin.json"


def test_the_ci_key_setting_its_own_boundary_to_administrator_access_is_critical():
    f = finding(record(OWN_BOUNDARY), BOUNDARY)
    assert f is not None and f.severity is Severity.CRITICAL
    assert "set its own boundary to arn:aws:iam::aws:policy/AdministratorAccess" in f.reason


def test_a_non_manager_giving_another_role_an_admin_boundary_is_high():
    rec = record(OWN_BOUNDARY, eventName="PutRolePermissionsBoundary", requestParameters=Replace(
        {"roleName": "paperclip-agent", "permissionsBoundary": "arn:aws:iam::aws:policy/AdministratorAccess"}))
    f = finding(rec, BOUNDARY)
    assert f is not None and f.severity is Severity.HIGH


def test_another_principal_given_a_narrower_boundary_is_quiet():
    rec = record(OWN_BOUNDARY, eventName="PutRolePermissionsBoundary", requestParameters=Replace(
        {"roleName": "paperclip-agent", "permissionsBoundary": "arn:aws:iam::630287363158:policy/agents-ceiling"}))
    assert finding(rec, BOUNDARY) is None


def test_replay_judges_boundary_replacements_the_same_with_and_without_the_memo(tmp_path, capsys):
    narrower = [record(OWN_BOUNDARY, eventID=f"n-{i}", requestParameters=Replace(
        {"userName": "backup-bot", "permissionsBoundary": "arn:aws:iam::630287363158:policy/ceiling"}))
        for i in range(40)]
    with_memo, without = replay_twice([*narrower, record(OWN_BOUNDARY)], tmp_path, capsys)
    assert with_memo == without and "set its own boundary" in with_memo


# The alerts topic silenced without touching its policy: a data protection policy that denies every message.

def test_a_data_protection_policy_on_the_alerts_topic_is_critical_pipeline_tampering():
    f = finding(record("sns-put-data-protection-policy-alerts-topic.json"), PIPELINE)
    assert f is not None and f.severity is Severity.CRITICAL and "data protection policy" in f.reason


def test_a_data_protection_policy_on_another_topic_is_not_trailwardens():
    rec = record("sns-put-data-protection-policy-alerts-topic.json",
                 requestParameters={"resourceArn": "arn:aws:sns:us-east-1:630287363158:orders"})
    assert finding(rec, PIPELINE) is None


# GuardDuty left on but told to look away: a suppression filter that archives everything it matches.

SUPPRESS = "guardduty-create-filter-archive-everything.json"


def test_a_guardduty_filter_archiving_every_finding_is_a_finding():
    f = finding(record(SUPPRESS), DETECTOR)
    assert f is not None and f.severity is Severity.MEDIUM
    assert "suppression filter 'suppress-noise'" in f.reason


def test_a_saved_filter_that_only_labels_findings_is_quiet():
    assert finding(record(SUPPRESS, requestParameters={"action": "NOOP"}), DETECTOR) is None


def test_a_trusted_ip_list_activated_is_a_finding_and_an_inactive_one_is_quiet():
    params = {"detectorId": "12abc34d567e8fa901bc2d34e56789f0", "name": "office", "format": "TXT",
              "location": "https://s3.amazonaws.com/ops-lists/ips.txt", "activate": True}
    on = record(SUPPRESS, eventName="CreateIPSet", requestParameters=Replace(params))
    assert finding(on, DETECTOR) is not None
    off = record(SUPPRESS, eventName="CreateIPSet", requestParameters=Replace({**params, "activate": False}))
    assert finding(off, DETECTOR) is None


def test_replay_judges_guardduty_filters_the_same_with_and_without_the_memo(tmp_path, capsys):
    agent = identity_of("get-parameter.json")
    saved = [record(SUPPRESS, userIdentity=agent, eventID=f"noop-{i}", requestParameters={"action": "NOOP"})
             for i in range(40)]
    with_memo, without = replay_twice([*saved, record(SUPPRESS, userIdentity=agent)], tmp_path, capsys)
    assert with_memo == without and "suppress-noise" in with_memo


# A console session's invokedBy signin.amazonaws.com is the person acting from the person's address.

OFFICE_MODEL = model_from("""
    version: 1
    accounts: [{id: "630287363158", name: main}]
    principals:
      - id: jared
        kind: human
        auth: sso
        sso_users: [jared@example.com]
        network: {cidrs: ["198.51.100.0/24"]}
""")


def test_a_console_call_from_outside_the_declared_office_is_outside_home():
    f = finding(record("sso-console-call-invoked-by-signin.json"), HOME, OFFICE_MODEL)
    assert f is not None and f.severity is Severity.HIGH and "91.219.236.18" in f.reason


def test_a_call_an_aws_service_made_for_the_principal_is_still_not_judged_on_its_address():
    rec = record("sso-console-call-invoked-by-signin.json", userIdentity={"invokedBy": "cloudformation.amazonaws.com"})
    assert finding(rec, HOME, OFFICE_MODEL) is None


# The trail's log files moved under another prefix of the same bucket: replay reads where they no longer are.

def test_a_trail_update_moving_its_log_files_to_another_prefix_is_trail_tampering():
    f = finding(record("cloudtrail-update-trail-key-prefix.json"), "monitor-trail-tampered")
    assert f is not None and f.severity is Severity.CRITICAL and "prefix 'archive-2019'" in f.reason


# A permission set given a customer managed policy by name: what it grants is not in the record.

def test_a_customer_managed_policy_attached_to_a_permission_set_is_not_quiet():
    f = finding(record("sso-attach-customer-managed-policy-reference.json"), "sso-assignment-changed")
    assert f is not None and f.severity is Severity.MEDIUM
    assert "customer managed policy /ReadOnlyHelper" in f.reason and "does not show" in f.reason


# AWS Config left running but told to record one resource type: the recorder narrowed, not stopped.

RECORDER = "config-put-configuration-recorder-narrowed.json"


def test_a_config_recorder_narrowed_to_one_resource_type_is_a_finding():
    f = finding(record(RECORDER), DETECTOR)
    assert f is not None and f.severity is Severity.MEDIUM and "1 resource type (AWS::S3::Bucket)" in f.reason


def test_a_recorder_excluding_resource_types_is_a_finding_naming_them():
    group = {"allSupported": False, "exclusionByResourceTypes": {"resourceTypes": ["AWS::IAM::Role"]},
             "recordingStrategy": {"useOnly": "EXCLUSION_BY_RESOURCE_TYPES"}}
    rec = record(RECORDER, requestParameters={"configurationRecorder": {"recordingGroup": Replace(group)}})
    f = finding(rec, DETECTOR)
    assert f is not None and "every resource type except AWS::IAM::Role" in f.reason


def test_a_recorder_recording_every_supported_type_is_quiet():
    rec = record(RECORDER, requestParameters={"configurationRecorder": {"recordingGroup": Replace(
        {"allSupported": True, "includeGlobalResourceTypes": True})}})
    assert finding(rec, DETECTOR) is None
