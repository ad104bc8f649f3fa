"""The central stack in organization mode: a custom bus whose policy admits the organization only."""

from __future__ import annotations

import pytest

from chalicelib.errors import ConfigError
from chalicelib.org import names
from chalicelib.org.template import central_wiring


def test_default_bus_adds_nothing_to_the_central_stack() -> None:
    wiring = central_wiring({}, [])
    assert not wiring.custom and wiring.resources == {} and wiring.bus_ref is None


def test_custom_bus_gets_a_policy_allowing_put_events_to_the_organization_only() -> None:
    wiring = central_wiring({"TRAILWARDEN_EVENT_BUS": "trailwarden-org"}, [])
    policy = wiring.resources["TrailwardenEventBusPolicy"]["Properties"]["Statement"]
    assert policy["Action"] == "events:PutEvents" and policy["Effect"] == "Allow"
    assert policy["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": {"Ref": "OrganizationId"}}}
    assert wiring.resources["TrailwardenEventBus"]["Properties"]["Name"] == "trailwarden-org"
    assert wiring.rule_path("trailwarden-org-root") == "trailwarden-org/trailwarden-org-root"


def test_organization_parameter_only_accepts_an_o_id() -> None:
    import re

    pattern = central_wiring({"TRAILWARDEN_EVENT_BUS": "b"}, []).parameters["OrganizationId"]["AllowedPattern"]
    assert re.match(pattern, "o-a1b2c3d4e5") and not re.match(pattern, "r-a1b2") and not re.match(pattern, "")


def test_a_packaged_organization_id_that_is_not_o_is_refused_in_one_line() -> None:
    with pytest.raises(ConfigError) as err:
        central_wiring({"TRAILWARDEN_EVENT_BUS": "b", "TRAILWARDEN_ORG_ID": "org-123"}, [])
    assert str(err.value).startswith("TRAILWARDEN_ORG_ID: 'org-123' is not an organization id") and "\n" not in str(
        err.value)


def test_a_region_name_that_does_not_exist_is_refused() -> None:
    with pytest.raises(ConfigError, match="'eu-westt-1' is not an AWS region name"):
        names.regions("eu-west-1,eu-westt-1")


def test_a_packaged_region_that_does_not_exist_is_refused_in_one_line() -> None:
    with pytest.raises(ConfigError) as err:
        central_wiring({"TRAILWARDEN_EVENT_BUS": "b", "TRAILWARDEN_REGIONS": "us-east-1,eu-westt-1"}, [])
    assert str(err.value).startswith("TRAILWARDEN_REGIONS: 'eu-westt-1' is not an AWS region name")
    assert "\n" not in str(err.value)


def test_regions_always_include_us_east_1_first() -> None:
    assert names.regions("eu-west-1, eu-west-1") == ("us-east-1", "eu-west-1")


def test_bus_arn_is_split_into_region_account_and_name() -> None:
    assert names.bus_arn("arn:aws:events:eu-west-1:111122223333:event-bus/trailwarden-org") == (
        "eu-west-1", "111122223333", "trailwarden-org")
    with pytest.raises(ConfigError, match="is not an event bus ARN"):
        names.bus_arn("")


def test_the_model_bucket_is_versioned_encrypted_and_writable_only_by_the_deployer() -> None:
    resources = central_wiring({"TRAILWARDEN_EVENT_BUS": "b"}, []).resources
    bucket = resources["ModelBucket"]["Properties"]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    rule = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert rule["SSEAlgorithm"] == "aws:kms"
    deny = resources["ModelBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert deny["Effect"] == "Deny" and "s3:PutObject" in deny["Action"]
    assert deny["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": {"Fn::GetAtt": ["ModelDeployerRole", "Arn"]}}}


def test_an_empty_member_template_parameter_is_refused_in_one_line() -> None:
    from chalicelib.org.sandbox import check_parameters
    from chalicelib.org.template import member_template

    template = member_template({"root": ({"source": ["aws.iam"]}, "ENABLED")}, "t")
    with pytest.raises(ConfigError) as err:
        check_parameters(template, {"CentralEventBusArn": ""})
    assert str(err.value) == "member template parameter CentralEventBusArn is empty"


def test_a_member_template_parameter_declared_with_an_empty_default_may_stay_empty() -> None:
    from chalicelib.org.sandbox import check_parameters
    from chalicelib.org.template import AUDITOR_ROLES, member_template

    template = member_template({"root": ({"source": ["aws.iam"]}, "ENABLED")}, "t")
    assert template["Parameters"][AUDITOR_ROLES]["Default"] == ""
    bus = "arn:aws:events:us-east-1:111111111111:event-bus/trailwarden-org"
    check_parameters(template, {"CentralEventBusArn": bus})  # AuditorRoleArns left out: no error


def test_a_split_rule_serves_its_family_handler() -> None:
    assert names.handler_of("reads-2") == "reads" and names.handler_of("reads") == "reads"
