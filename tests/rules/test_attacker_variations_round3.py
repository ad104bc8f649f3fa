"""Issue 10, third audit: where a missing field, or a name an account owner picks, still decided who acted.

Each case is a real-shaped record (tests/fixtures/records/); delivery in prod is
tests/deploy/test_attacker_routing_round3.py.
"""

from __future__ import annotations

import pytest

from chalicelib.findings import Severity
from chalicelib.identity import IdentityModel
from chalicelib.identity.resolve import FEDERATED, resolve_actor

from .conftest import DROP, Replace, finding, identity_of, judge, record, replay_twice, rules_of, to_event

ROOT_FEDERATION = "root-federation-session-authorize-ingress.json"


# A federation token made with root's keys: AWS records its issuer as type Root, whose userName is the
# account alias (anyone allowed iam:CreateAccountAlias picks it), never an IAM user.

def test_a_root_federation_session_is_root_use():
    f = finding(record(ROOT_FEDERATION), "root-api-use")
    assert f is not None and f.severity is Severity.CRITICAL
    assert "federation token" in f.reason


def test_an_account_alias_named_like_the_ci_user_does_not_make_root_the_ci_user(bundled_model: IdentityModel) -> None:
    actor = resolve_actor(to_event(record(ROOT_FEDERATION)), bundled_model)
    assert actor.is_root and actor.principal is None and actor.auth == FEDERATED
    assert "identity-auth-mismatch" not in rules_of(judge(record(ROOT_FEDERATION)))


def test_a_root_federation_session_without_an_alias_is_still_root_use():
    rec = record(ROOT_FEDERATION, userIdentity={"sessionContext": {"sessionIssuer": {"userName": DROP}}})
    assert finding(rec, "root-api-use") is not None


def test_an_iam_users_federation_session_is_not_root_use(bundled_model: IdentityModel) -> None:
    rec = record(ROOT_FEDERATION, userIdentity={"sessionContext": {"sessionIssuer": {
        "type": "IAMUser", "principalId": "AIDAZ7TW0CIUSER00001",
        "arn": "arn:aws:iam::630287363158:user/github-actions-aws-deployer"}}})
    assert finding(rec, "root-api-use") is None
    actor = resolve_actor(to_event(rec), bundled_model)
    assert actor.kind == "federated" and actor.principal_id == "github-actions"


def test_a_federation_session_whose_issuer_gives_only_its_arn_is_that_user():
    rec = record(ROOT_FEDERATION, userIdentity={"sessionContext": {"sessionIssuer": {
        "type": "IAMUser", "userName": DROP, "arn": "arn:aws:iam::630287363158:user/ops/intruder"}}})
    f = finding(rec, "identity-undeclared-principal")
    assert f is not None and f.severity is Severity.HIGH and "intruder" in f.reason


def test_a_federation_session_whose_issuer_is_missing_is_still_an_unlisted_static_credential():
    rec = record(ROOT_FEDERATION, userIdentity={"sessionContext": {"sessionIssuer": DROP}})
    f = finding(rec, "identity-undeclared-principal")
    assert f is not None and f.severity is Severity.HIGH


# userIdentity fields AWS usually sets but a record may lack: the ARN (also AWS's) says the same.

CI_CALL = "iam-user-access-key-call.json"


def test_an_iam_user_record_without_user_name_is_named_from_its_arn():
    rec = record(CI_CALL, userIdentity={"userName": DROP,
                                        "arn": "arn:aws:iam::630287363158:user/build/intruder"})
    f = finding(rec, "identity-undeclared-principal")
    assert f is not None and f.severity is Severity.HIGH and "intruder" in f.reason


def test_the_declared_ci_user_without_user_name_is_still_declared(bundled_model: IdentityModel) -> None:
    rec = record(CI_CALL, userIdentity={"userName": DROP})
    assert resolve_actor(to_event(rec), bundled_model).principal_id == "github-actions"
    assert finding(rec, "identity-undeclared-principal") is None


def test_a_role_of_another_account_without_account_id_is_not_the_declared_role(bundled_model: IdentityModel) -> None:
    rec = record("role-session-call.json", userIdentity={
        "accountId": DROP, "arn": "arn:aws:sts::402918375610:assumed-role/paperclip-agent/run-1",
        "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::402918375610:role/paperclip-agent",
                                             "accountId": "402918375610"}}})
    actor = resolve_actor(to_event(rec), bundled_model)
    assert actor.account == "402918375610" and actor.principal is None


def test_replay_judges_root_federation_sessions_the_same_with_and_without_the_memo(tmp_path, capsys):
    # A refused sign-in step by the same session first (quiet for root-api-use), then the same step succeeding.
    refused = [record(ROOT_FEDERATION, eventSource="signin.amazonaws.com", eventName="GetSigninToken", readOnly=False,
                      errorCode="AccessDenied", eventID=f"refused-{i}") for i in range(40)]
    taken = record(ROOT_FEDERATION, eventSource="signin.amazonaws.com", eventName="GetSigninToken", readOnly=False,
                   eventID="taken")
    with_memo, without = replay_twice([*refused, taken], tmp_path, capsys)
    assert with_memo == without and "taken" in with_memo


# A web identity's role ARN is the request's text (STS finds the role by its name, whatever path is written):
# a service-linked path there vouches for nothing, and no OIDC token can enter a real service-linked role.

OIDC = "oidc-assume-role-with-web-identity.json"
UNDECLARED_VIA_SERVICE_PATH = "arn:aws:iam::630287363158:role/aws-service-role/ops.amazonaws.com/shadow-deploy"


def test_an_oidc_entry_into_an_undeclared_role_written_under_a_service_linked_path_is_undeclared():
    rec = record(OIDC, requestParameters={"roleArn": UNDECLARED_VIA_SERVICE_PATH}, responseElements={
        "assumedRoleUser": {"arn": "arn:aws:sts::630287363158:assumed-role/shadow-deploy/GitHubActions"}})
    f = finding(rec, "identity-undeclared-principal")
    assert f is not None and "shadow-deploy" in f.reason


def test_a_service_linked_roles_own_session_is_still_not_undeclared():
    rec = record("role-session-call.json", userIdentity={
        "arn": "arn:aws:sts::630287363158:assumed-role/AWSServiceRoleForSupport/support-session",
        "sessionContext": {"sessionIssuer": {
            "arn": "arn:aws:iam::630287363158:role/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport",
            "userName": "AWSServiceRoleForSupport"}}})
    assert finding(rec, "identity-undeclared-principal") is None


# A successful AssumeRole under a service-linked path whose record lacks the issued session: the name
# the request ends with is the role STS found, so it decides (only AWS services assume service-linked roles).

SERVICE_PATH = "assume-role-service-role-path-declared-role.json"


def test_a_declared_role_under_a_service_linked_path_without_the_issued_session_is_judged():
    rec = record(SERVICE_PATH, responseElements={"assumedRoleUser": DROP})
    f = finding(rec, "sts-assume-role-unexpected")
    assert f is not None and f.severity is Severity.HIGH and "paperclip-agent" in f.reason


def test_a_service_linked_role_requested_without_the_issued_session_is_still_not_judged():
    slr = "arn:aws:iam::630287363158:role/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport"
    rec = record(SERVICE_PATH, requestParameters={"roleArn": slr}, responseElements={"assumedRoleUser": DROP})
    assert finding(rec, "sts-assume-role-unexpected") is None


# IAM finds an AWS managed policy by its ARN in any case (awslabs/mcp#4101): the text the caller sent is what
# CloudTrail records, so 'administratoraccess' must be read as AdministratorAccess.

LOWER_ADMIN = "arn:aws:iam::aws:policy/administratoraccess"


def test_attaching_administrator_access_spelled_in_lower_case_is_a_privilege_grant():
    f = finding(record("attach-user-policy.json", requestParameters={"policyArn": LOWER_ADMIN}),
                "iam-privilege-granted")
    assert f is not None and f.severity >= Severity.MEDIUM


def test_an_own_boundary_replaced_with_administrator_access_in_other_case_is_judged():
    rec = record("iam-put-role-permissions-boundary.json", requestParameters={
        "roleName": "paperclip-agent", "permissionsBoundary": "ARN:AWS:IAM::AWS:POLICY/ADMINISTRATORACCESS"})
    assert finding(rec, "iam-permissions-boundary-removed") is not None


def test_a_read_only_managed_policy_in_other_case_is_still_quiet():
    rec = record("attach-user-policy.json", requestParameters={"policyArn": "arn:aws:iam::aws:policy/readonlyaccess"})
    assert finding(rec, "iam-privilege-granted") is None


# A policy's resources name their partition: iam:PassRole on every role of GovCloud is every role there.

GOV_PASSROLE = "iam-put-role-policy-govcloud-passrole-every-role.json"


def test_passrole_on_every_govcloud_role_is_a_privilege_grant():
    f = finding(record(GOV_PASSROLE), "iam-privilege-granted")
    assert f is not None and "PassRole" in f.reason


def test_passrole_on_one_govcloud_role_is_quiet():
    doc = ('%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action'
           '%22%3A%22iam%3APassRole%22%2C%22Resource%22%3A%22arn%3Aaws-us-gov%3Aiam%3A%3A119283746502%3Arole%2F'
           'report-export-lambda%22%7D%5D%7D')
    assert finding(record(GOV_PASSROLE, requestParameters={"policyDocument": doc}), "iam-privilege-granted") is None


def test_a_console_session_from_roots_federation_token_is_a_root_sign_in():
    rec = record("federated-user-console-signin.json", userIdentity={"sessionContext": {"sessionIssuer": {
        "type": "Root", "principalId": "630287363158", "arn": "arn:aws:iam::630287363158:root"}}})
    found = judge(rec)
    assert "root-signin" in rules_of(found)
    assert "sts-session-from-static-key" not in rules_of(found)  # no IAM user's key made it


# aws:PrincipalOrgID (or a layer's or bus's organization id) is the caller's text: the thief's own organization
# is as good as ours to AWS, and the model declares accounts, not an organization id (as lambda-exposed, round 2).

ANY_ORG = "s3-put-bucket-policy-any-organization.json"
POLICY_RULE = "resource-policy-outside"


def test_a_bucket_opened_to_an_organization_the_caller_names_is_not_low():
    f = finding(record(ANY_ORG), POLICY_RULE)
    assert f is not None and f.severity is Severity.MEDIUM and "o-7k2m9q4x1z" in f.reason


def test_an_iam_manager_opening_a_bucket_to_an_organization_is_low():
    f = finding(record(ANY_ORG, userIdentity=identity_of("put-role-policy.json")), POLICY_RULE)
    assert f is not None and f.severity is Severity.LOW


def test_a_resource_share_aws_keeps_inside_the_organization_is_still_low():
    rec = record("ram-create-resource-share.json", requestParameters={"allowExternalPrincipals": False},
                 responseElements={"resourceShare": {"allowExternalPrincipals": False}})
    f = finding(rec, POLICY_RULE)
    assert f is not None and f.severity is Severity.LOW


# A management selector that filters on what the monitor does not evaluate (another operator, another field such as
# userIdentity.arn, which picks whose calls the trail keeps) cannot be shown to keep everything: tampering.

SELECTORS = "cloudtrail-put-advanced-event-selectors.json"


def _management(*fields: dict[str, object]) -> dict[str, object]:
    return {"advancedEventSelectors": Replace([{"name": "Management events", "fieldSelectors": [
        {"field": "eventCategory", "equals": ["Management"]}, *fields]}])}


def test_a_selector_leaving_out_one_roles_calls_is_trail_tampering():
    rec = record(SELECTORS, requestParameters=_management(
        {"field": "userIdentity.arn", "notStartsWith": ["arn:aws:sts::630287363158:assumed-role/ops-automation/"]}))
    f = finding(rec, "monitor-trail-tampered")
    assert f is not None and f.severity is Severity.CRITICAL and "userIdentity.arn" in f.reason


def test_a_selector_leaving_out_sources_by_prefix_is_trail_tampering():
    rec = record(SELECTORS, requestParameters=_management({"field": "eventSource", "notStartsWith": ["iam."]}))
    assert finding(rec, "monitor-trail-tampered") is not None


def test_a_selector_keeping_every_management_event_is_still_quiet():
    assert finding(record(SELECTORS, requestParameters=_management()), "monitor-trail-tampered") is None


# The trail's own bucket opened to an organization the caller names: every log file readable by that organization.
# Not lowered for a principal allowed to manage monitoring (the organization id is the caller's text).

TRAIL_BUCKET = "acme-cloudtrail-logs-630287363158"


def _trail_bucket_policy(org: str) -> dict[str, object]:
    statement = {"Sid": "OrgRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                 "Resource": f"arn:aws:s3:::{TRAIL_BUCKET}/*",
                 "Condition": {"StringEquals": {"aws:PrincipalOrgID": org}}}
    terraform = {"arn": "arn:aws:sts::630287363158:assumed-role/terraform-deploy/apply-1842",
                 "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::630287363158:role/terraform-deploy",
                                                      "userName": "terraform-deploy"}}}
    return record("s3-put-bucket-policy-trail-bucket.json", userIdentity=terraform,
                  requestParameters={"bucketPolicy": Replace({"Version": "2012-10-17", "Statement": [statement]})})


def _archive_finding(doc: dict[str, object]):
    from chalicelib.engine import Engine
    from chalicelib.identity import load_model
    from chalicelib.rules.monitor_trail_tampered import MonitorTrailTampered
    from chalicelib.watch.own import OwnResources

    own = OwnResources.from_env({"TRAILWARDEN_STAGE": "prod", "TRAILWARDEN_TRAIL_BUCKETS": TRAIL_BUCKET})
    found = Engine(load_model(None), rules=[MonitorTrailTampered(own=own)]).judge(to_event(doc))
    return found[0] if found else None


def test_the_trail_bucket_opened_to_a_named_organization_is_high_even_for_a_monitoring_manager():
    f = _archive_finding(_trail_bucket_policy("o-7k2m9q4x1z"))
    assert f is not None and f.severity is Severity.HIGH and "o-7k2m9q4x1z" in f.reason


def test_a_monitoring_managers_trail_bucket_policy_letting_nobody_outside_in_is_low():
    doc = _trail_bucket_policy("o-7k2m9q4x1z")
    doc["requestParameters"]["bucketPolicy"]["Statement"][0]["Principal"] = {"AWS": "arn:aws:iam::630287363158:root"}
    del doc["requestParameters"]["bucketPolicy"]["Statement"][0]["Condition"]
    f = _archive_finding(doc)
    assert f is not None and f.severity is Severity.LOW


# The quarantine AWS put on a leaked key, lifted by naming its policy in another case (IAM finds it all the same).

@pytest.mark.parametrize(("name", "params"), [
    ("DetachUserPolicy", {"userName": "github-actions-aws-deployer",
                          "policyArn": "arn:aws:iam::aws:policy/awscompromisedkeyquarantinev3"}),
    ("DetachRolePolicy", {"roleName": "paperclip-agent", "policyArn": "ARN:AWS:IAM::AWS:POLICY/AWSDENYALL"}),
    ("DeleteUserPolicy", {"userName": "u", "policyName": "awsexposedcredentialpolicy_do_not_remove"}),
    ("DeleteRolePolicy", {"roleName": "paperclip-agent", "policyName": "awsrevokeoldersessions"}),
])
def test_a_quarantine_lifted_by_a_name_in_other_case_is_still_lifted(name, params):
    rec = record("iam-detach-user-policy-quarantine.json", eventName=name, requestParameters=Replace(params))
    assert finding(rec, "credential-quarantine-lifted") is not None


def test_another_aws_policy_detached_in_lower_case_is_not_a_lifted_quarantine():
    rec = record("iam-detach-user-policy-quarantine.json", requestParameters=Replace({
        "userName": "github-actions-aws-deployer", "policyArn": "arn:aws:iam::aws:policy/readonlyaccess"}))
    assert finding(rec, "credential-quarantine-lifted") is None
