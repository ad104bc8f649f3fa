"""Real CloudTrail samples from ../shared/cloudtrail-samples (DESIGN §9), read in place, never copied.

Every sample must load and be judged without any rule crashing; a few carry the verdict the design
card promises for them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chalicelib.engine import RULE_ERROR
from chalicelib.errors import InputError
from chalicelib.events import CloudTrailEvent
from chalicelib.findings import Finding, Severity
from chalicelib.identity import resolve_actor
from chalicelib.sources import read_source

from .conftest import judge, model_from

PROJECT = Path(__file__).resolve().parents[2]
SAMPLES = PROJECT / ".." / "shared" / "cloudtrail-samples"
FILES = sorted(p for p in SAMPLES.rglob("*.json")) if SAMPLES.is_dir() else []

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"shared samples not found at {SAMPLES.resolve()}")


def events_of(rel: str) -> list[CloudTrailEvent]:
    items = list(read_source(str(SAMPLES / rel)))
    problems = [i for i in items if isinstance(i, InputError)]
    assert not problems, f"{rel}: {[str(p) for p in problems]}"
    assert items, f"{rel} holds no event"
    return items  # type: ignore[return-value]


def the_event(rel: str) -> CloudTrailEvent:
    (event,) = events_of(rel)
    return event


def of_rule(findings: list[Finding], rule: str) -> list[Finding]:
    return [f for f in findings if f.rule == rule]


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(SAMPLES)) for p in FILES])
def test_every_sample_loads_and_is_judged_without_a_rule_error(path):
    for event in events_of(str(path.relative_to(SAMPLES))):  # fails on any InputError
        assert RULE_ERROR not in {f.rule for f in judge(event)}


# -- root ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("rel", "mfa"), [
    ("1-root-console-login/awsdoc-root-login-success-mfa.json", "YES"),
    ("1-root-console-login/flaws-root-consolelogin-success-mfa.json", "Yes"),
    ("1-root-console-login/awsdoc-root-login-success-no-mfa.json", "No"),
])
def test_root_console_login_success_is_a_critical_root_signin_reporting_mfa(rel, mfa):
    (f,) = of_rule(judge(the_event(rel)), "root-signin")
    assert f.severity is Severity.CRITICAL
    assert f.details["mfa_used"] == mfa
    assert f"MFAUsed: {mfa}" in f.reason


def test_root_signin_in_an_eventbridge_envelope_is_a_root_signin():
    (f,) = of_rule(judge(the_event("7-eventbridge/awsdoc-cwe-signin-root-consolelogin.json")), "root-signin")
    assert f.principal_arn == "arn:aws:iam::123456789012:root"


def test_root_console_login_failure_is_a_high_root_signin_failure():
    findings = judge(the_event("1-root-console-login/awsdoc-root-login-failure.json"))
    (f,) = of_rule(findings, "root-signin-failed")
    assert f.severity is Severity.HIGH
    assert not of_rule(findings, "root-signin")


def test_failed_root_external_idp_login_with_empty_arn_is_a_root_signin_failure():
    findings = judge(the_event("1-root-console-login/panther-root-externalidpdirectorylogin-failure-redacted.json"))
    (f,) = of_rule(findings, "root-signin-failed")
    assert f.principal_arn == "arn:aws:iam::redacted:root"  # arn "" → built from the (scrubbed) account
    assert not of_rule(findings, "root-api-use")


@pytest.mark.parametrize("rel", [
    "5-failed-auth/awsdoc-consolelogin-failure-hidden-username.json",
    "5-failed-auth/flaws-consolelogin-failure-hidden-username.json",
])
def test_failed_signin_with_hidden_user_name_is_no_root_finding(rel):
    rules = {f.rule for f in judge(the_event(rel))}
    assert not rules & {"root-signin", "root-signin-failed", "root-api-use"}


@pytest.mark.parametrize("rel", [
    "2-root-api-calls/ashu-root-console-describeinstances-invokedby-signin.json",
    "2-root-api-calls/ashu-root-console-gettags-invokedby-signin.json",
    "7-eventbridge/groovy-root-console-modifyimageattribute-public.json",
])
def test_root_console_session_call_invoked_by_signin_is_root_api_use(rel):
    (f,) = of_rule(judge(the_event(rel)), "root-api-use")
    assert f.severity is Severity.CRITICAL
    assert "console session" in f.reason


def test_root_calls_from_the_s3_console_without_key_or_invoked_by_are_root_api_use():
    (f,) = of_rule(judge(the_event("2-root-api-calls/flaws-root-console-s3-listbuckets-records.json")), "root-api-use")
    assert f.principal_arn == "arn:aws:iam::811596193553:root"


def test_root_password_change_is_root_api_use():
    assert of_rule(judge(the_event("2-root-api-calls/awsdoc-root-passwordupdated.json")), "root-api-use")


# -- IAM and STS ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("rel", "role"), [
    ("5-failed-auth/stratus-assumerole-accessdenied-1.json",
     "arn:aws:iam::457448411975:role/stratus-red-team-ec2-get-password-data-role"),
    ("5-failed-auth/stratus-assumerole-accessdenied-2.json",
     "arn:aws:iam::321848314756:role/stratus-red-team-get-usr-data-role"),
])
def test_stratus_assume_role_access_denied_takes_the_role_arn_from_the_message(rel, role):
    event = the_event(rel)
    assert event.request_parameters == {}
    (f,) = of_rule(judge(event), "sts-assume-role-failed")
    assert f.target_arn == role
    assert f.severity is Severity.HIGH  # the caller is not in the bundled model


def test_successful_assume_role_sample_is_not_an_assume_role_failure():
    assert not of_rule(judge(the_event("6-benign/stratus-assumerole-success-iamuser.json")), "sts-assume-role-failed")


def test_console_delete_user_by_an_undeclared_user_is_a_high_delete_user():
    (f,) = of_rule(judge(the_event("3-iam-deleteuser/beats-deleteuser-iamuser-console.json")), "iam-delete-user")
    assert f.severity is Severity.HIGH
    assert f.principal_arn == "arn:aws:iam::123456789012:user/Alice"


def test_backdoor_key_sample_is_high_and_never_shows_the_new_key():
    rel = "4-iam-createaccesskey/stratus-createaccesskey-for-other-user.json"
    event = the_event(rel)
    new_key = event.response_elements["accessKey"]["accessKeyId"]
    findings = judge(event)
    (f,) = of_rule(findings, "iam-create-access-key")
    assert f.severity is Severity.HIGH
    assert f.target_arn == "arn:aws:iam::946986569305:user/stratus-red-team-backdoor-u-user"
    assert all(new_key not in str(x.to_dict()) for x in findings)


def test_synthetic_root_self_key_is_high_and_targets_root():
    findings = judge(the_event("4-iam-createaccesskey/panther-root-createaccesskey-self-SYNTHETIC.json"))
    (f,) = of_rule(findings, "iam-create-access-key")
    assert f.severity is Severity.HIGH
    assert f.target_arn == "arn:aws:iam::123456789012:root"
    assert of_rule(findings, "root-api-use")


# -- service activity and benign samples under a model that declares them ---------------------------

@pytest.mark.parametrize("rel", [
    "6-benign/cloudsnitch-aws-internal-ecr-policyexecutionevent.json",
    "6-benign/cloudsnitch-awsservice-logs-assumerole.json",
    "6-benign/cloudsnitch-awsservice-spotfleet-assumerole.json",
])
def test_service_activity_is_only_ever_an_undeclared_account(rel):
    assert {f.rule for f in judge(the_event(rel))} <= {"identity-undeclared-account"}


@pytest.mark.parametrize("rel", [
    "6-benign/cloudsnitch-crossaccount-assumerole-awsaccount.json",
    "6-benign/awsdoc-assumerole-crossaccount-role-owner-side.json",
])
def test_a_role_assumed_from_an_outside_account_is_a_high_unexpected_assumption(rel):
    # AWSAccount is how the role's owner sees a caller from another account: an outsider, not a service.
    (f,) = of_rule(judge(the_event(rel)), "sts-assume-role-unexpected")
    assert f.severity is Severity.HIGH
    assert "outside account" in f.reason


def test_an_sso_named_role_whose_issuer_is_not_the_reserved_path_is_a_plain_role():
    # This sample's issuer ARN was scrubbed to an sts ARN: nothing AWS set says it is SSO.
    model = model_from(BENIGN_MODEL)
    (f,) = of_rule(judge(the_event("7-eventbridge/curbengh-apicall-sts-getcalleridentity-sso.json"), model),
                   "identity-undeclared-principal")
    assert "not under /aws-reserved/sso.amazonaws.com/" in f.reason


BENIGN_MODEL = """
    version: 1
    accounts:
      - {id: "062000000000", name: rooty0-workloads}
      - {id: "000000000000", name: rooty0-other}
      - {id: "111111111111", name: curbengh}
      - {id: "222222222222", name: cloudsnitch-org}
      - {id: "333333333333", name: cloudsnitch-member}
      - {id: "774305579662", name: cloudsnitch-ci}
      - {id: "309303190113", name: stratus}
    principals:
      - id: sso-engineers
        kind: human
        auth: sso
        sso_users: [example@domain.com, user@example.com, some@domain.com, example@example.com]
        operates_instances: true  # a refused serial console push by a declared operator is quiet
      - {id: ecs-hosts, kind: workload, auth: instance-profile, roles: [ecs-cluster-instance]}
      - {id: report-lambda, kind: workload, auth: role, roles: [my-LambdaFunctionRole-54321GFDSX]}
      - id: github-deploy
        kind: ci
        auth: oidc
        roles: [cloud-snitch-github-actio-GithubActionsRoleF5CC769F-MoeCHSu77MYt]
        oidc_subjects: ["repo:ccbrown/cloud-snitch:*"]
      - {id: stratus-ci, kind: ci, auth: access-key, iam_user: christophe}
"""
BENIGN_DECLARED = [
    "6-benign/rooty0-sso-cli-ec2-createtags.json",
    "6-benign/rooty0-sso-console-s3-createbucket-accessdenied.json",
    "6-benign/rooty0-sso-console-sendserialconsolesshpublickey-accessdenied.json",
    "6-benign/rooty0-sso-console-listnotificationhubs-accessdenied.json",
    "6-benign/cloudsnitch-ec2-instance-profile-ssm-updateinstanceinformation.json",
    "6-benign/cloudsnitch-lambda-role-kms-decrypt.json",
    "6-benign/cloudsnitch-github-actions-oidc-assumerolewithwebidentity.json",
    "6-benign/cloudsnitch-assumedrole-invokedby-spotfleet.json",
    "6-benign/stratus-iamuser-accesskey-describeinstances.json",
    "0-records-file-format/cloudsnitch-s3-logfile-orgtrail-20-records.json",
]


@pytest.mark.parametrize("rel", BENIGN_DECLARED)
def test_benign_sample_under_a_model_that_declares_its_actors_has_no_finding(rel):
    model = model_from(BENIGN_MODEL)
    for event in events_of(rel):
        assert judge(event, model) == [], f"{rel}: {event.event_name}"


def test_sso_sample_is_resolved_to_its_declared_human():
    model = model_from(BENIGN_MODEL)
    actor = resolve_actor(the_event("6-benign/rooty0-sso-cli-ec2-createtags.json"), model)
    assert (actor.auth, actor.principal_id, actor.permission_set) == ("sso", "sso-engineers", "Admins")


def test_sso_sample_with_an_undeclared_user_is_an_undeclared_principal_write():
    findings = judge(the_event("6-benign/rooty0-sso-cli-ec2-createtags.json"))
    (f,) = of_rule(findings, "identity-undeclared-principal")
    assert f.severity is Severity.MEDIUM
    assert "example@domain.com" in f.reason


def test_the_shared_samples_folder_holds_the_documented_records():
    # PROVENANCE.md documents about 90 records in 60-odd files: an emptied folder must not pass.
    assert len(FILES) >= 60
    assert sum(len(events_of(str(p.relative_to(SAMPLES)))) for p in FILES) >= 85
