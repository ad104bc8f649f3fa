"""identity-undeclared-account: events from an account the model does not list, one incident each (DESIGN §4)."""

from __future__ import annotations

from chalicelib.findings import Severity

from .conftest import DECLARED_ACCOUNT, UNDECLARED_ACCOUNT, finding, judge, merge, model_from, record, rules_of

RULE = "identity-undeclared-account"
U = UNDECLARED_ACCOUNT


def in_account(fixture: str, account: str, **overrides):
    return merge(record(fixture, recipientAccountId=account, userIdentity={"accountId": account}), overrides)


def test_event_from_an_undeclared_account_is_medium():
    f = finding(in_account("sso-session-call.json", U), RULE)
    assert f is not None
    assert f.severity is Severity.MEDIUM
    assert f.account == U
    assert f.details == {"account": U}
    assert DECLARED_ACCOUNT in f.reason  # says which accounts are declared


def test_undeclared_account_finding_names_the_caller_and_targets_the_account():
    # DESIGN §5: the offending ARN is the caller's; the account itself (its root ARN) is the target,
    # so an auditor's query for root incidents does not return these.
    f = finding(in_account("role-session-call.json", U), RULE)
    assert f is not None
    assert ":assumed-role/paperclip-agent/" in f.principal_arn
    assert f.target_arn == f"arn:aws:iam::{U}:root"


def test_events_from_one_undeclared_account_share_one_group_key():
    keys = {finding(in_account(name, U), RULE).group_key
            for name in ("sso-session-call.json", "root-cli-call.json", "aws-service-event.json",
                         "iam-user-access-key-call.json")}
    assert keys == {f"account:{U}"}


def test_different_undeclared_accounts_get_different_group_keys():
    first = finding(in_account("sso-session-call.json", U), RULE)
    second = finding(in_account("sso-session-call.json", "555566667777"), RULE)
    assert first is not None and second is not None
    assert first.group_key != second.group_key


def test_event_from_a_declared_account_is_not_a_finding():
    assert finding(record("sso-session-call.json"), RULE) is None


def test_service_event_from_a_declared_account_is_not_a_finding():
    assert finding(record("aws-service-event.json"), RULE) is None


def test_record_without_recipient_account_is_placed_by_its_callers_account():
    f = finding(record("record-missing-fields.json"), RULE)
    assert f is not None
    assert f.account == U
    assert f.event_id is None


def test_envelope_account_places_a_detail_that_names_none():
    rec = record("eventbridge-api-call.json", account=U, detail={"userIdentity": {"accountId": None}})
    f = finding(rec, RULE)
    assert f is not None
    assert f.account == U


def test_root_use_in_an_undeclared_account_is_still_judged():
    rules = rules_of(judge(in_account("root-cli-call.json", U, userIdentity={"arn": f"arn:aws:iam::{U}:root"})))
    assert {RULE, "root-api-use"} <= rules


def test_second_declared_account_is_not_a_finding():
    model = model_from("""
        version: 1
        accounts:
          - {id: "630287363158", name: management}
          - {id: "402918375610", name: sandbox}
    """)
    assert finding(in_account("sso-session-call.json", U), RULE, model) is None
