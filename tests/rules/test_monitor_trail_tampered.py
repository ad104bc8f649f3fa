"""monitor-trail-tampered: the trail stopped, deleted or narrowed; read from requestParameters."""

from __future__ import annotations

import pytest

from chalicelib.findings import Severity

from .conftest import DROP, Replace, finding, identity_of, model_from, record

RULE = "monitor-trail-tampered"
OPS_ARN = "arn:aws:sts::630287363158:assumed-role/ops-automation/nightly-cleanup"
MONITORING_MODEL = """
version: 1
accounts: [{id: "630287363158", name: management}]
principals:
  - id: ops
    kind: workload
    auth: role
    roles: [ops-automation]
    manages_monitoring: true
"""


def test_stop_logging_by_an_undeclared_role_is_critical_and_names_the_arn_and_what_is_lost():
    f = finding(record("cloudtrail-stop-logging.json"), RULE)
    assert f is not None and f.severity is Severity.CRITICAL
    assert f.principal_arn == OPS_ARN and OPS_ARN in f.reason
    assert f.target_arn == "arn:aws:cloudtrail:us-east-1:630287363158:trail/management-events"
    assert "trail 'management-events'" in f.details["control"]
    assert "no CloudTrail event reaches Trailwarden" in f.breaks


def test_a_trail_named_by_name_is_the_target_in_the_calls_region_and_fills_the_runbook():
    f = finding(record("cloudtrail-stop-logging.json", requestParameters=Replace({"name": "org-trail"})), RULE)
    assert f is not None and f.target_arn == "arn:aws:cloudtrail:us-east-1:630287363158:trail/org-trail"
    assert "aws cloudtrail start-logging --name org-trail" in f.runbook


def test_stop_logging_by_a_principal_allowed_to_manage_monitoring_is_low_and_still_reported():
    f = finding(record("cloudtrail-stop-logging.json"), RULE, model=model_from(MONITORING_MODEL))
    assert f is not None and f.severity is Severity.LOW
    assert f.details["actor_manages_monitoring"] is True


def test_a_failed_stop_logging_is_reported_one_step_lower():
    rec = record("cloudtrail-stop-logging.json", errorCode="AccessDenied", errorMessage="not authorized")
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.HIGH and "attempt" in f.reason


def test_deleting_a_trail_is_critical():
    f = finding(record("cloudtrail-stop-logging.json", eventName="DeleteTrail"), RULE)
    assert f is not None and f.severity is Severity.CRITICAL and "deleted trail" in f.reason


def test_deleting_an_event_data_store_is_critical():
    rec = record("cloudtrail-stop-logging.json", eventName="DeleteEventDataStore", requestParameters=Replace(
        {"eventDataStore": "arn:aws:cloudtrail:us-east-1:630287363158:eventdatastore/EXAMPLE-f852-4e8f-8bd1"}))
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.CRITICAL and "event data store" in f.reason


def test_update_trail_turning_off_multi_region_names_the_regions_lost():
    f = finding(record("cloudtrail-update-trail.json"), RULE)
    assert f is not None and f.severity is Severity.CRITICAL
    assert f.breaks == "management events of every region but us-east-1"


def test_update_trail_moving_the_bucket_is_reported():
    rec = record("cloudtrail-update-trail.json", requestParameters=Replace(
        {"name": "management-events", "s3BucketName": "exfil-bucket-4411"}))
    f = finding(rec, RULE)
    assert f is not None and "exfil-bucket-4411" in f.breaks


def test_update_trail_dropping_global_service_events_is_reported():
    rec = record("cloudtrail-update-trail.json", requestParameters=Replace(
        {"name": "management-events", "includeGlobalServiceEvents": "false"}))
    f = finding(rec, RULE)
    assert f is not None and "global service events" in f.breaks


def test_update_trail_to_a_kms_key_of_another_account_is_critical_and_names_that_account():
    f = finding(record("cloudtrail-update-trail-kms-key.json"), RULE)
    assert f is not None and f.severity is Severity.CRITICAL
    assert "another account (999988887777)" in f.breaks and f.details["changed"]["kmsKeyId"].endswith("9c2e")


def test_update_trail_dropping_its_kms_key_says_the_logs_are_sse_s3_only():
    rec = record("cloudtrail-update-trail-kms-key.json", requestParameters=Replace(
        {"name": "management-events", "kmsKeyId": ""}))
    f = finding(rec, RULE)
    assert f is not None and "SSE-S3 only" in f.breaks


def test_update_trail_to_a_key_by_a_principal_allowed_to_manage_monitoring_is_low():
    rec = record("cloudtrail-update-trail-kms-key.json")
    f = finding(rec, RULE, model=model_from(MONITORING_MODEL))
    assert f is not None and f.severity is Severity.LOW


def test_update_trail_that_only_turns_on_log_validation_is_not_a_finding():
    rec = record("cloudtrail-update-trail.json", requestParameters=Replace(
        {"name": "management-events", "enableLogFileValidation": True, "isMultiRegionTrail": True}))
    assert finding(rec, RULE) is None


def test_successful_update_trail_with_null_request_parameters_is_still_tampering():
    f = finding(record("cloudtrail-update-trail.json", requestParameters=None), RULE)
    assert f is not None and f.severity is Severity.CRITICAL and "does not say what changed" in f.reason


def test_write_only_selectors_lose_read_only_management_events():
    f = finding(record("cloudtrail-put-event-selectors.json"), RULE)
    assert f is not None and f.severity is Severity.CRITICAL
    assert f.breaks.startswith("read-only management events")


def test_selectors_that_still_record_all_management_events_are_not_a_finding():
    rec = record("cloudtrail-put-event-selectors.json", requestParameters={"eventSelectors": Replace([
        {"readWriteType": "All", "includeManagementEvents": True, "dataResources": [
            {"type": "AWS::S3::Object", "values": ["arn:aws:s3"]}]}])})
    assert finding(rec, RULE) is None


def test_advanced_selectors_with_only_data_events_lose_every_management_event():
    f = finding(record("cloudtrail-put-advanced-event-selectors.json"), RULE)
    assert f is not None and f.severity is Severity.CRITICAL and f.breaks.startswith("every management event")


def test_advanced_selectors_keeping_management_events_are_not_a_finding():
    rec = record("cloudtrail-put-advanced-event-selectors.json", requestParameters={"advancedEventSelectors": Replace([
        {"name": "Management", "fieldSelectors": [{"field": "eventCategory", "equals": ["Management"]}]},
        {"name": "S3", "fieldSelectors": [{"field": "eventCategory", "equals": ["Data"]},
                                          {"field": "resources.type", "equals": ["AWS::S3::Object"]}]}])})
    assert finding(rec, RULE) is None


def test_excluding_kms_events_is_a_medium_finding_naming_the_source():
    rec = record("cloudtrail-put-event-selectors.json", requestParameters={"eventSelectors": Replace([
        {"readWriteType": "All", "includeManagementEvents": True,
         "excludeManagementEventSources": ["kms.amazonaws.com"]}])})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.MEDIUM and "kms.amazonaws.com" in f.breaks


@pytest.mark.parametrize("selectors", [
    "All", 7, [None], [{"readWriteType": "Sometimes"}], [{"includeManagementEvents": "maybe"}],
    [{"excludeManagementEventSources": "kms.amazonaws.com"}],
])
def test_a_malformed_selector_list_on_a_successful_call_is_still_tampering(selectors):
    rec = record("cloudtrail-put-event-selectors.json", requestParameters={"eventSelectors": Replace(selectors)})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.CRITICAL and "could not be read" in f.breaks


def test_put_event_selectors_with_null_request_parameters_is_still_tampering():
    f = finding(record("cloudtrail-put-event-selectors.json", requestParameters=None), RULE)
    assert f is not None and f.severity is Severity.CRITICAL


def test_the_same_call_from_another_service_is_not_a_trail_change():
    rec = record("cloudtrail-stop-logging.json", eventSource="example.amazonaws.com")
    assert finding(rec, RULE) is None


def test_a_record_without_user_identity_is_judged_without_a_crash():
    f = finding(record("cloudtrail-stop-logging.json", userIdentity=DROP), RULE)
    assert f is not None and f.severity is Severity.CRITICAL


def test_the_root_user_stopping_logging_is_critical():
    f = finding(record("cloudtrail-stop-logging.json", userIdentity=identity_of("root-cli-call.json")), RULE)
    assert f is not None and f.severity is Severity.CRITICAL and f.principal_arn.endswith(":root")
