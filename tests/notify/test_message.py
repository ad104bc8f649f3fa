"""Message building: what on-call reads in Slack and SNS, with secrets masked."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

from chalicelib.findings import Finding, Severity
from chalicelib.notify.message import (
    SNS_SUBJECT_MAX,
    AlertContext,
    console_url,
    fallback_text,
    redact,
    slack_payload,
    sns_attributes,
    sns_message,
    sns_subject,
)

KEY = "AKIAIOSFODNN7EXAMPLE"
TEMP_KEY = "ASIAY34FZKBOKMUTVV7A"

MakeFinding = Callable[..., Finding]


def test_redact_masks_an_akia_key_to_its_last_four_characters() -> None:
    assert redact(f"key {KEY} was created") == "key …MPLE was created"


def test_redact_masks_a_temporary_asia_key_glued_to_other_text() -> None:
    assert redact(f"id={TEMP_KEY}.") == "id=…VV7A."


def test_redact_leaves_text_without_keys_unchanged() -> None:
    text = "AKIA is a prefix; AKIA1234 is too short; arn:aws:iam::630287363158:user/ci"
    assert redact(text) == text


def test_redact_hides_a_slack_webhook_url() -> None:
    text = "posting to https://hooks.slack.com/services/T1/B2/abcdef failed"
    assert redact(text) == "posting to <slack-webhook-url> failed"


def test_fallback_text_names_the_offending_arn_the_severity_and_what_breaks(make_finding: MakeFinding) -> None:
    text = fallback_text(make_finding())
    assert "arn:aws:iam::630287363158:root" in text
    assert "[CRITICAL]" in text
    assert "Breaks: Paperclip agents lose API access" in text


def test_fallback_text_says_nothing_is_declared_when_breaks_is_missing(make_finding: MakeFinding) -> None:
    text = fallback_text(make_finding(breaks=None))
    assert "Breaks: nothing declared in the identity model" in text


def test_slack_payload_carries_the_fallback_text_and_every_field_on_call_needs(make_finding: MakeFinding) -> None:
    finding = make_finding()
    payload = slack_payload(finding, AlertContext(account_name="management"))
    assert payload["text"] == fallback_text(finding, AlertContext(account_name="management"))
    rendered = json.dumps(payload["blocks"])
    for expected in (
        "critical",
        "root-api-use",
        "arn:aws:iam::630287363158:root",
        "parameter/paperclip-app/api-key",
        "management (630287363158)",
        "us-east-1",
        "203.0.113.7",
        "aws-cli/2.15.0",
        "2026-11-20T10:01:02Z",
        "the model says root is never used",
        "Paperclip agents lose API access",
        "rotate root credentials",
    ):
        assert expected in rendered, expected


def test_slack_payload_masks_a_key_found_anywhere_in_the_finding(make_finding: MakeFinding) -> None:
    finding = make_finding(reason=f"new key {KEY}", user_agent=f"boto3 {TEMP_KEY}", details={"key": KEY})
    rendered = json.dumps(slack_payload(finding), ensure_ascii=False)
    assert KEY not in rendered and TEMP_KEY not in rendered
    assert "…MPLE" in rendered


def test_slack_payload_links_the_event_in_the_cloudtrail_console(make_finding: MakeFinding) -> None:
    finding = make_finding(region="eu-west-1", event_id="abc-123")
    link = "https://eu-west-1.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-1#/events/abc-123"
    assert console_url(finding) == link
    assert link in json.dumps(slack_payload(finding))


def test_slack_payload_has_no_console_link_without_an_event_id(make_finding: MakeFinding) -> None:
    finding = make_finding(event_id=None)
    assert console_url(finding) is None
    assert "console.aws.amazon.com" not in json.dumps(slack_payload(finding))


def test_console_link_is_omitted_without_a_usable_region(make_finding: MakeFinding) -> None:
    assert console_url(make_finding(region=None)) is None
    assert console_url(make_finding(region="evil.example.com/x")) is None


def test_slack_payload_escapes_mrkdwn_control_characters(make_finding: MakeFinding) -> None:
    payload = slack_payload(make_finding(reason="<!channel> & <http://x|click>"))
    rendered = json.dumps(payload["blocks"])
    assert "&lt;!channel&gt; &amp; &lt;http://x|click&gt;" in rendered
    assert "<!channel>" not in rendered


def test_slack_header_stays_within_the_block_kit_limit_for_a_very_long_title(make_finding: MakeFinding) -> None:
    header = slack_payload(make_finding(title="x" * 500))["blocks"][0]
    assert header["type"] == "header"
    assert len(header["text"]["text"]) <= 150


def test_slack_payload_shows_grouping_when_an_incident_was_seen_more_than_once(make_finding: MakeFinding) -> None:
    context = AlertContext(
        count=3,
        first_seen=datetime(2026, 11, 20, 10, 0, tzinfo=UTC),
        last_seen="2026-11-20T10:05:00Z",
        incident_id="inc-42",
    )
    rendered = json.dumps(slack_payload(make_finding(), context))
    assert "incident inc-42, seen 3 times, first 2026-11-20T10:00:00Z, last 2026-11-20T10:05:00Z" in rendered


def test_slack_payload_shows_no_grouping_for_a_single_event(make_finding: MakeFinding) -> None:
    assert "seen 1 time" not in json.dumps(slack_payload(make_finding()))


def test_sns_subject_stays_within_limit_and_ascii_for_a_very_long_title(make_finding: MakeFinding) -> None:
    title = "Root — used “everywhere” → café\r\nline two\t" + "word " * 60
    subject = sns_subject(make_finding(title=title), AlertContext(count=12))
    assert len(subject) <= SNS_SUBJECT_MAX <= 100
    assert subject.isascii() and subject.isprintable()
    assert "\n" not in subject and "\r" not in subject and "\t" not in subject
    assert subject.startswith('[CRITICAL] root-api-use: Root - used "everywhere" -> cafe line two')
    assert subject.endswith("... (x12)")


def test_sns_subject_keeps_a_short_title_whole(make_finding: MakeFinding) -> None:
    subject = sns_subject(make_finding(severity=Severity.HIGH, rule="iam-delete-user", title="CI user deleted"))
    assert subject == "[HIGH] iam-delete-user: CI user deleted"


def test_sns_subject_masks_a_key_in_the_title(make_finding: MakeFinding) -> None:
    subject = sns_subject(make_finding(title=f"key {KEY} created"))
    assert KEY not in subject
    assert "...MPLE" in subject


def test_sns_message_is_the_finding_dict_plus_grouping_fields(make_finding: MakeFinding) -> None:
    finding = make_finding()
    context = AlertContext(count=2, first_seen="a", last_seen="b", incident_id="inc-1", account_name="management")
    body = json.loads(sns_message(finding, context))
    for name, value in finding.to_dict().items():
        assert body[name] == value, name
    assert (body["count"], body["first_seen"], body["last_seen"]) == (2, "a", "b")
    assert (body["incident_id"], body["account_name"]) == ("inc-1", "management")
    assert body["console_url"].endswith("#/events/3f1c6a3e-9d2b-4a0e-8f4e-2c1d0b9a8e7f")


def test_sns_message_masks_keys_inside_details(make_finding: MakeFinding) -> None:
    text = sns_message(make_finding(details={"accessKeyId": KEY, "nested": [TEMP_KEY]}))
    assert KEY not in text and TEMP_KEY not in text
    assert json.loads(text)["details"] == {"accessKeyId": "…MPLE", "nested": ["…VV7A"]}


def test_sns_message_drops_oversized_details_to_fit_the_sns_limit(make_finding: MakeFinding) -> None:
    text = sns_message(make_finding(details={"blob": "x" * 300_000}))
    assert len(text.encode()) < 256 * 1024
    assert json.loads(text)["details"] == {"truncated": True}


def test_sns_attributes_carry_severity_rule_and_account(make_finding: MakeFinding) -> None:
    assert sns_attributes(make_finding()) == {"severity": "critical", "rule": "root-api-use", "account": "630287363158"}


def test_sns_attributes_leave_out_an_empty_account(make_finding: MakeFinding) -> None:
    assert "account" not in sns_attributes(make_finding(account=None))
