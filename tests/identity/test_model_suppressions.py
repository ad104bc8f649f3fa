"""``suppressions:`` in the model: validated with file:line errors, and matched against findings by time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from chalicelib.cli import main
from chalicelib.errors import ModelError
from chalicelib.findings import Finding, Severity
from chalicelib.identity import parse_model
from chalicelib.identity.suppressions import Suppressions

HEAD = """\
version: 1
accounts:
  - id: "630287363158"
    name: management
principals: []
suppressions:
"""
SCANNER = "arn:aws:iam::630287363158:role/VendorScanner"


def entry(expires: str, *, rule: str = "sts-assume-role-failed", who: str = f'principal: "{SCANNER}*"') -> str:
    return f"  - rule: {rule}\n    {who}\n    reason: nightly scan\n    owner: jared\n    expires: {expires}\n"


def in_days(days: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


def errors_of(text: str) -> list[str]:
    with pytest.raises(ModelError) as caught:
        parse_model(text, source="model.yaml")
    return caught.value.errors


def finding(principal_arn: str = f"{SCANNER}/i-0abc", rule: str = "sts-assume-role-failed") -> Finding:
    return Finding(rule=rule, severity=Severity.HIGH, title="t", principal_arn=principal_arn, principal=None,
                   target_arn=None, event_id="e1", event_name="AssumeRole", event_source="sts.amazonaws.com",
                   event_time="2026-11-20T10:00:00Z", account="630287363158", region="us-east-1",
                   source_ip=None, user_agent=None, breaks=None, runbook="r", reason="x")


def test_a_valid_entry_loads_with_its_date() -> None:
    model = parse_model(HEAD + entry(in_days(90)))
    assert model.spec.suppressions[0].expires == date.fromisoformat(in_days(90))


def test_expires_is_required_and_named_with_its_line() -> None:
    text = HEAD + "  - rule: root-signin\n    account: \"630287363158\"\n    reason: drill\n    owner: jared\n"
    assert errors_of(text) == ["model.yaml:7: suppressions[0].expires: required key is missing"]


def test_expires_more_than_a_year_ahead_is_refused() -> None:
    [error] = errors_of(HEAD + entry(in_days(400)))
    assert error.startswith("model.yaml:11: suppressions[0].expires:") and "more than a year ahead" in error


def test_an_unknown_rule_is_refused() -> None:
    [error] = errors_of(HEAD + entry(in_days(10), rule="root-sign-in"))
    assert error.startswith("model.yaml:7: suppressions[0].rule: unknown rule 'root-sign-in'")


def test_a_misspelt_rule_gets_a_did_you_mean_hint() -> None:
    [error] = errors_of(HEAD + entry(in_days(10), rule="sts-assume-role-faild"))
    assert error.endswith("unknown rule 'sts-assume-role-faild' (did you mean 'sts-assume-role-failed'?)")


def test_a_rule_like_no_known_id_gets_examples_instead() -> None:
    [error] = errors_of(HEAD + entry(in_days(10), rule="zzz"))
    assert "unknown rule 'zzz' (a detection or audit check id, e.g. " in error
    assert "did you mean" not in error


def test_an_entry_needs_a_principal_or_an_account() -> None:
    [error] = errors_of(HEAD + entry(in_days(10), who="event_name: AssumeRole"))
    assert "needs 'principal' and/or 'account'" in error


def test_it_matches_until_the_day_it_expires() -> None:
    rules = Suppressions(tuple(parse_model(HEAD + entry("2026-12-20")).spec.suppressions))
    assert rules.match(finding(), datetime(2026, 12, 19, 23, 59, tzinfo=UTC)) is not None
    assert rules.match(finding(), datetime(2026, 12, 20, 0, 0, tzinfo=UTC)) is None


def test_it_does_not_match_another_principal_or_rule() -> None:
    rules = Suppressions(tuple(parse_model(HEAD + entry(in_days(10))).spec.suppressions))
    now = datetime.now(UTC)
    assert rules.match(finding("arn:aws:iam::630287363158:role/Other"), now) is None
    assert rules.match(finding(rule="root-signin"), now) is None


def test_model_check_lists_suppressions_expiring_within_30_days(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "model.yaml"
    path.write_text(HEAD + entry(in_days(10)) + entry(in_days(90), rule="root-signin"), encoding="utf-8")
    assert main(["model", "check", "--offline", "--model", str(path)]) == 0
    err = capsys.readouterr().err
    assert f"suppression 0 (sts-assume-role-failed, principal {SCANNER}*) expires {in_days(10)}: owner jared" in err
    assert "suppression 1" not in err
