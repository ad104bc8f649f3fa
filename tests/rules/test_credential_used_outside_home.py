"""credential-used-outside-home: a call by a principal that declares where it runs, made from elsewhere."""

from __future__ import annotations

import pytest

from chalicelib.findings import Severity

from .conftest import DROP, finding, identity_of, model_from, record

RULE = "credential-used-outside-home"
MODEL = model_from("""
    version: 1
    accounts: [{id: "630287363158", name: management}]
    principals:
      - id: app-servers
        kind: workload
        auth: instance-profile
        roles: [abt-app-instance-role]
        network: {cidrs: ["10.0.0.0/16", "2600:1f18:4c2a::/48"]}
      - id: github-actions
        kind: ci
        auth: access-key
        iam_user: github-actions-aws-deployer
        user_agents: ["aws-cli/*", "*terraform/*"]
      - id: paperclip-agents
        kind: agent
        auth: role
        roles: [paperclip-agent]
""")


def instance_call(source_ip: str, **overrides: object) -> dict:
    return record("instance-profile-session-call.json", sourceIPAddress=source_ip, **overrides)


def test_an_instance_session_inside_its_network_is_quiet():
    assert finding(instance_call("10.0.9.115"), RULE, MODEL) is None


def test_instance_credentials_used_from_a_public_address_outside_the_network_are_critical():
    f = finding(instance_call("45.33.32.156"), RULE, MODEL)
    assert f is not None and f.severity is Severity.CRITICAL
    assert f.details["instance_session"] and f.details["public_source"]
    assert "10.0.0.0/16" in f.reason


def test_instance_credentials_from_a_private_address_outside_the_network_are_high():
    f = finding(instance_call("172.31.4.20"), RULE, MODEL)
    assert f is not None and f.severity is Severity.HIGH


def test_a_scrubbed_mixed_case_instance_session_with_ec2_role_delivery_is_still_an_instance():
    # Stratus Red Team's ec2-steal-instance-credentials records spell the instance id i-786a3A8B5C0d92eF4.
    arn = "arn:aws:sts::630287363158:assumed-role/abt-app-instance-role/i-786a3A8B5C0d92eF4"
    pid = "AROAZ7TW0APPINSTANCE1:i-786a3A8B5C0d92eF4"
    rec = instance_call("18.236.253.47", userIdentity={"arn": arn, "principalId": pid})
    f = finding(rec, RULE, MODEL)
    assert f is not None and f.severity is Severity.CRITICAL


@pytest.mark.parametrize("source", ["AWS Internal", "ssm.amazonaws.com", "cloudformation.amazonaws.com"])
def test_a_call_an_aws_service_made_for_the_principal_is_neither_inside_nor_outside(source):
    assert finding(instance_call(source), RULE, MODEL) is None


def test_a_service_acting_for_the_principal_from_a_public_address_is_not_outside():
    rec = instance_call("45.33.32.156", userIdentity={"invokedBy": "eks.amazonaws.com"})
    assert finding(rec, RULE, MODEL) is None


@pytest.mark.parametrize(("source", "severity"), [
    ("075.050.255.67", Severity.CRITICAL),  # refused by ipaddress; read as 75.50.255.67, public
    ("010.000.009.115", Severity.HIGH),  # would read as inside 10.0.0.0/16, but is never inside
    ("not-an-address", Severity.HIGH),
    ("::ffff:10.0.9.115", Severity.HIGH),  # IPv4-mapped IPv6 is not inside an IPv4 range
    ("2a05:d018:1:2::7", Severity.CRITICAL),  # public IPv6 outside the declared IPv6 range
])
def test_an_address_that_is_not_a_plain_ip_inside_a_range_is_outside(source, severity):
    f = finding(instance_call(source), RULE, MODEL)
    assert f is not None and f.severity is severity


def test_an_ipv6_address_inside_a_declared_ipv6_range_is_inside():
    assert finding(instance_call("2600:1f18:4c2a:9e00::15"), RULE, MODEL) is None


def test_a_record_without_a_source_address_is_not_judged_for_network():
    assert finding(record("instance-profile-session-call.json", sourceIPAddress=DROP), RULE, MODEL) is None


def test_a_static_key_used_with_an_undeclared_user_agent_is_high():
    rec = record("iam-user-access-key-call.json", userAgent="python-requests/2.32.3")
    f = finding(rec, RULE, MODEL)
    assert f is not None and f.severity is Severity.HIGH
    assert f.details["outside_user_agents"] and not f.details["outside_network"]


@pytest.mark.parametrize("agent", ["aws-cli/2.15.30 Python/3.11.8", "APN/1.0 HashiCorp/1.0 Terraform/1.9.8"])
def test_a_declared_user_agent_matches_its_glob_ignoring_case(agent):
    assert finding(record("iam-user-access-key-call.json", userAgent=agent), RULE, MODEL) is None


def test_a_principal_that_declares_no_home_is_never_judged():
    rec = record("role-session-call.json", sourceIPAddress="45.33.32.156")
    assert finding(rec, RULE, MODEL) is None


def test_a_failed_call_from_outside_still_shows_the_credential_is_elsewhere():
    f = finding(instance_call("45.33.32.156", errorCode="AccessDenied", errorMessage="denied"), RULE, MODEL)
    assert f is not None and f.severity is Severity.CRITICAL and "attempt" in f.reason


def test_an_undeclared_caller_from_anywhere_is_not_this_rule():
    rec = record("iam-user-access-key-call.json", userIdentity=identity_of("root-cli-call.json"))
    assert finding(rec, RULE, MODEL) is None
