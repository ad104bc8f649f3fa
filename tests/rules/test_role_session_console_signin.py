"""role-session-console-signin: a role session exchanged for a console sign-in (GetSigninToken, then
ConsoleLogin) is judged on what the model says of the role: only a person's role may use the console."""

from __future__ import annotations

from chalicelib.findings import Severity

from .conftest import DROP, Replace, finding, identity_of, model_from, record

RULE = "role-session-console-signin"
TOKEN = "signin-get-signin-token-role.json"
INSTANCE = {"type": "AssumedRole", "principalId": "AROAZ7TW0APPINST00001:i-0abc1234def567890",
            "arn": "arn:aws:sts::630287363158:assumed-role/abt-app-instance-role/i-0abc1234def567890",
            "accountId": "630287363158", "accessKeyId": "ASIAZ7TW0APPINST0001",
            "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAZ7TW0APPINST00001",
                                                 "arn": "arn:aws:iam::630287363158:role/abt-app-instance-role",
                                                 "accountId": "630287363158", "userName": "abt-app-instance-role"},
                               "ec2RoleDelivery": "2.0"}}


def _role(name: str, session: str = "s1") -> Replace:
    return Replace({"type": "AssumedRole", "principalId": f"AROAZ7TW0EXAMPLE00001:{session}",
                    "arn": f"arn:aws:sts::630287363158:assumed-role/{name}/{session}", "accountId": "630287363158",
                    "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAZ7TW0EXAMPLE00001",
                                                         "arn": f"arn:aws:iam::630287363158:role/{name}",
                                                         "accountId": "630287363158", "userName": name}}})


def test_an_agents_role_getting_a_console_sign_in_token_is_high():
    f = finding(record(TOKEN), RULE)
    assert f is not None and f.severity is Severity.HIGH
    assert "paperclip-agents" in f.reason and "never uses the console" in f.reason


def test_instance_credentials_taken_to_the_console_are_high():
    f = finding(record(TOKEN, userIdentity=Replace(INSTANCE)), RULE)
    assert f is not None and "instance credentials" in f.reason


def test_an_undeclared_role_taken_to_the_console_is_high():
    f = finding(record(TOKEN, userIdentity=_role("shadow-admin")), RULE)
    assert f is not None and f.details["principal"] is None


def test_the_console_login_that_follows_is_judged_and_grouped_with_the_token():
    token = finding(record(TOKEN), RULE)
    login = finding(record(TOKEN, eventName="ConsoleLogin", responseElements=Replace({"ConsoleLogin": "Success"})),
                    RULE)
    assert token is not None and login is not None and login.group_key == token.group_key


def test_identity_centers_own_console_sign_in_is_quiet():
    assert finding(record("sso-console-signin.json"), RULE) is None
    assert finding(record(TOKEN, userIdentity=identity_of("sso-console-signin.json")), RULE) is None


def test_a_refused_token_is_quiet():
    assert finding(record(TOKEN, responseElements=Replace({"GetSigninToken": "Failure"})), RULE) is None


def test_an_iam_users_console_sign_in_is_left_to_other_rules():
    assert finding(record("iam-user-console-signin.json"), RULE) is None


def test_a_record_without_a_session_issuer_is_judged_without_a_crash():
    f = finding(record(TOKEN, userIdentity={"sessionContext": DROP}), RULE)
    assert f is not None


def test_a_persons_declared_role_using_a_console_broker_is_quiet():
    model = model_from("""
        version: 1
        accounts:
          - {id: "630287363158", name: prod}
        principals:
          - {id: oncall, kind: human, auth: role, roles: [oncall-admin]}
          - {id: deploy, kind: ci, auth: role, roles: [deploy-role]}
        """)
    assert finding(record(TOKEN, userIdentity=_role("oncall-admin")), RULE, model) is None
    assert finding(record(TOKEN, userIdentity=_role("deploy-role")), RULE, model) is not None


SAML = "saml-console-signin-role.json"  # an IdP posting to signin.aws.amazon.com/saml: AWS names the provider


def test_a_saml_console_sign_in_of_an_undeclared_role_is_left_to_the_identity_rules():
    assert finding(record(SAML), RULE) is None


def test_the_same_console_sign_in_without_a_saml_provider_is_high():
    f = finding(record(SAML, additionalEventData={"SamlProviderArn": DROP}), RULE)
    assert f is not None and f.severity is Severity.HIGH


def test_the_replay_memo_keys_the_outcome_of_the_token(tmp_path):
    from .memo_replay import twice

    refused = record(TOKEN, responseElements=Replace({"GetSigninToken": "Failure"}))
    assert twice(tmp_path, refused, refused) == ["none", "quiet"]
    assert twice(tmp_path, refused, record(TOKEN)) == ["none", "findings"]

