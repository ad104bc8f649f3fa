"""The monitor end to end on both backends: judged, stored once, alerted once — even under retries."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.errors import DeliveryError
from chalicelib.incidents import IncidentQuery
from chalicelib.incidents.state import ALERTED, LAST_SEEN
from chalicelib.monitor import alert_key

from .conftest import (
    ROOT_ARN,
    Rig,
    ScriptedSlack,
    ci_activity,
    denied_assume_roles,
    envelope,
    redelivered,
    sso_admin_creates_ci_key,
    story,
)


def root_signin() -> dict:
    return story("01-root-console-signin.eventbridge.json")


def incidents(rig: Rig, **query) -> list:
    return rig.open_store().iter_all(IncidentQuery(limit=1000, **query))


# -- at-least-once delivery ---------------------------------------------------------------------
def test_the_same_event_delivered_twice_is_one_incident(rig: Rig) -> None:
    mon = rig.monitor(ScriptedSlack())
    first = mon.process_envelope(root_signin())
    second = mon.process_envelope(redelivered(root_signin()))
    assert [h.outcome.status for h in first.handled] == ["new"]
    assert [h.outcome.status for h in second.handled] == ["duplicate"]
    stored = incidents(rig)
    assert [(i.rule, i.count, i.principal_arn) for i in stored] == [("root-signin", 1, ROOT_ARN)]
    assert second.handled[0].outcome.incident.incident_id == stored[0].incident_id


def test_the_same_event_delivered_twice_posts_to_slack_once(rig: Rig) -> None:
    slack = ScriptedSlack()
    mon = rig.monitor(slack)
    mon.process_envelope(root_signin())
    mon.process_envelope(redelivered(root_signin()))
    assert slack.attempts == 1
    assert len(slack.delivered) == 1 and "root-signin" in slack.texts[0] and ROOT_ARN in slack.texts[0]


def test_the_same_event_delivered_twice_publishes_one_sns_message(rig: Rig) -> None:
    mon = rig.monitor(ScriptedSlack())
    mon.process_envelope(root_signin())
    mon.process_envelope(redelivered(root_signin()))
    notes = rig.topic.received()
    assert len(notes) == 1
    body = notes[0]["body"]
    assert (body["rule"], body["severity"], body["principal_arn"]) == ("root-signin", "critical", ROOT_ARN)
    assert body["incident_id"] == incidents(rig)[0].incident_id
    assert notes[0]["MessageAttributes"]["rule"]["Value"] == "root-signin"


def test_a_redelivery_to_another_container_does_not_alert_again(rig: Rig) -> None:
    slack = ScriptedSlack()
    rig.monitor(slack).process_envelope(root_signin())
    rig.monitor(slack).process_envelope(redelivered(root_signin()))  # fresh store and state objects
    assert len(slack.delivered) == 1 and len(rig.topic.received()) == 1


# -- one channel down ---------------------------------------------------------------------------
def test_a_slack_failure_still_publishes_to_sns(rig: Rig) -> None:
    mon = rig.monitor(ScriptedSlack(down=True))
    mon.process_envelope(root_signin())  # does not raise: SNS got it
    notes = rig.topic.received()
    assert [n["body"]["rule"] for n in notes] == ["root-signin"]


def test_a_slack_failure_shows_in_the_delivery_report(rig: Rig) -> None:
    result = rig.monitor(ScriptedSlack(down=True)).process_envelope(root_signin())
    report = result.handled[0].delivery
    assert report.delivered == ("sns",)
    assert set(report.failed) == {"slack"} and "503" in report.failed["slack"]
    assert result.summary()["findings"][0]["alerted"] == ["sns"]


def test_an_alert_delivered_to_sns_only_is_not_repeated_on_redelivery(rig: Rig) -> None:
    slack = ScriptedSlack(down=True)
    mon = rig.monitor(slack)
    mon.process_envelope(root_signin())
    slack.down = False
    mon.process_envelope(redelivered(root_signin()))
    assert slack.delivered == [] and len(rig.topic.received()) == 1


# -- every channel down: the retry completes the alert ------------------------------------------
def test_when_every_channel_fails_processing_raises_delivery_error(rig: Rig) -> None:
    rig.topic.take_down()
    mon = rig.monitor(ScriptedSlack(down=True))
    with pytest.raises(DeliveryError, match="alerts failed for event 9a1b7e55-3a53-4f2e-9a1e-0c6f4f1a0001"):
        mon.process_envelope(root_signin())


def test_when_every_channel_fails_the_incident_is_still_stored(rig: Rig) -> None:
    rig.topic.take_down()
    with pytest.raises(DeliveryError):
        rig.monitor(ScriptedSlack(down=True)).process_envelope(root_signin())
    assert [i.rule for i in incidents(rig)] == ["root-signin"]


def test_the_retry_after_every_channel_failed_alerts_the_stored_incident(rig: Rig) -> None:
    slack = ScriptedSlack(down=True)
    mon = rig.monitor(slack)
    rig.topic.take_down()
    with pytest.raises(DeliveryError):
        mon.process_envelope(root_signin())
    slack.down = False
    rig.topic.restore()
    retry = mon.process_envelope(root_signin())  # Lambda retries the same envelope
    assert retry.handled[0].outcome.status == "duplicate"
    assert retry.summary()["findings"][0]["alerted"] == ["slack", "sns"]
    assert len(slack.delivered) == 1 and len(rig.topic.received()) == 1
    assert len(incidents(rig)) == 1


def test_after_a_successful_retry_a_third_delivery_does_not_alert_again(rig: Rig) -> None:
    slack = ScriptedSlack(down=True)
    mon = rig.monitor(slack)
    rig.topic.take_down()
    with pytest.raises(DeliveryError):
        mon.process_envelope(root_signin())
    slack.down = False
    rig.topic.restore()
    mon.process_envelope(root_signin())
    third = mon.process_envelope(redelivered(root_signin()))
    assert third.summary()["findings"][0]["alerted"] == []
    assert len(slack.delivered) == 1 and len(rig.topic.received()) == 1


def test_a_retry_alerts_only_the_finding_whose_alert_failed(rig: Rig) -> None:
    # Root deleting the CI user is two findings (iam-delete-user, root-api-use); SNS is not configured
    # and Slack rejects only the delete-user message, so only that alert failed on every channel.
    slack = ScriptedSlack(fails=lambda payload: "iam-delete-user" in payload["text"])
    mon = rig.monitor(slack, sns=None)
    delete_user = story("04-root-deletes-ci-user.eventbridge.json")
    with pytest.raises(DeliveryError, match="iam-delete-user"):
        mon.process_envelope(delete_user)
    assert [t.split(":")[0] for t in slack.texts] == ["[CRITICAL] root-api-use"]
    slack.fails = lambda payload: False
    mon.process_envelope(redelivered(delete_user))
    assert [t.split(":")[0] for t in slack.texts] == ["[CRITICAL] root-api-use", "[HIGH] iam-delete-user"]


def test_the_alert_ledger_marks_an_incident_only_once_it_was_delivered(rig: Rig) -> None:
    state = rig.open_state()
    rig.topic.take_down()
    with pytest.raises(DeliveryError):
        rig.monitor(ScriptedSlack(down=True), state=state).process_envelope(root_signin())
    key = alert_key(incidents(rig)[0])
    assert state.get(ALERTED, key) is None
    rig.monitor(ScriptedSlack(), state=state).process_envelope(root_signin())
    assert rig.open_state().get(ALERTED, key) == rig.clock.now


# -- malformed input ----------------------------------------------------------------------------
def test_an_envelope_whose_detail_is_not_an_object_is_skipped_with_a_reason(rig: Rig) -> None:
    bad = {**root_signin(), "id": "5b0a6c9e-bad0-4d8e-9b6c-00000000dead", "detail": "ConsoleLogin"}
    result = rig.monitor(ScriptedSlack()).process_envelope(bad)
    assert result.handled == ()
    assert "expected a JSON object" in result.skipped and "5b0a6c9e-bad0-4d8e-9b6c-00000000dead" in result.skipped
    assert result.summary()["skipped"] == result.skipped


def test_documents_that_are_not_envelopes_are_skipped_without_raising(rig: Rig) -> None:
    mon = rig.monitor(ScriptedSlack())
    for payload in (None, [], "not json", {"detail-type": "AWS API Call via CloudTrail", "detail": {}}):
        result = mon.process_envelope(payload)
        assert result.skipped and result.handled == (), payload


def test_the_next_valid_envelope_after_a_malformed_one_is_processed(rig: Rig) -> None:
    slack = ScriptedSlack()
    mon = rig.monitor(slack)
    mon.process_envelope({**root_signin(), "detail": ["not", "a", "record"]})
    result = mon.process_envelope(root_signin())
    assert [h.outcome.status for h in result.handled] == ["new"]
    assert len(slack.delivered) == 1 and [i.rule for i in incidents(rig)] == ["root-signin"]


# -- grouping -----------------------------------------------------------------------------------
def test_a_redelivered_member_of_a_group_neither_counts_nor_alerts_again(rig: Rig) -> None:
    slack = ScriptedSlack()
    mon = rig.monitor(slack)
    burst = denied_assume_roles(3)
    for env in burst:
        mon.process_envelope(env)
    mon.process_envelope(redelivered(burst[1]))
    assert [i.count for i in incidents(rig)] == [3]
    assert len(slack.delivered) == 1


# -- last seen ----------------------------------------------------------------------------------
def test_activity_by_a_declared_principal_records_when_it_was_last_seen(rig: Rig) -> None:
    mon = rig.monitor(ScriptedSlack())
    result = mon.process_envelope(ci_activity("ci-put-0001", "2026-11-20T11:05:00Z"))
    assert result.handled == ()  # routine: no finding
    assert rig.open_state().get(LAST_SEEN, "github-actions") == datetime(2026, 11, 20, 11, 5, tzinfo=UTC)


def test_last_seen_is_not_rewritten_within_the_hour(rig: Rig) -> None:
    mon = rig.monitor(ScriptedSlack())
    mon.process_envelope(ci_activity("ci-put-0001", "2026-11-20T11:05:00Z"))
    mon.process_envelope(ci_activity("ci-put-0002", "2026-11-20T11:35:00Z"))
    assert rig.open_state().get(LAST_SEEN, "github-actions") == datetime(2026, 11, 20, 11, 5, tzinfo=UTC)


def test_last_seen_is_not_rewritten_within_the_hour_by_another_container(rig: Rig) -> None:
    rig.monitor(ScriptedSlack()).process_envelope(ci_activity("ci-put-0001", "2026-11-20T11:05:00Z"))
    other = rig.open_state()  # a second Lambda container: no in-process cache, the store's condition decides
    rig.monitor(ScriptedSlack(), state=other).process_envelope(ci_activity("ci-put-0002", "2026-11-20T12:04:59Z"))
    assert other.get(LAST_SEEN, "github-actions") == datetime(2026, 11, 20, 11, 5, tzinfo=UTC)


def test_last_seen_moves_forward_once_the_hour_has_passed(rig: Rig) -> None:
    mon = rig.monitor(ScriptedSlack())
    mon.process_envelope(ci_activity("ci-put-0001", "2026-11-20T11:05:00Z"))
    mon.process_envelope(ci_activity("ci-put-0002", "2026-11-20T12:06:00Z"))
    assert rig.open_state().get(LAST_SEEN, "github-actions") == datetime(2026, 11, 20, 12, 6, tzinfo=UTC)


def test_an_older_event_arriving_late_does_not_move_last_seen_back(rig: Rig) -> None:
    mon = rig.monitor(ScriptedSlack())
    mon.process_envelope(ci_activity("ci-put-0002", "2026-11-20T18:00:00Z"))
    mon.process_envelope(ci_activity("ci-put-0001", "2026-11-18T09:00:00Z"))
    assert rig.open_state().get(LAST_SEEN, "github-actions") == datetime(2026, 11, 20, 18, 0, tzinfo=UTC)


def test_root_activity_records_no_principal_as_seen(rig: Rig) -> None:
    rig.monitor(ScriptedSlack()).process_envelope(root_signin())
    assert rig.open_state().all(LAST_SEEN) == {}


# -- routing ------------------------------------------------------------------------------------
def test_a_low_severity_finding_is_stored(rig: Rig) -> None:
    result = rig.monitor(ScriptedSlack()).process_envelope(sso_admin_creates_ci_key())
    assert [(f["rule"], f["severity"], f["status"]) for f in result.summary()["findings"]] == [
        ("iam-create-access-key", "low", "new")]
    assert [(i.rule, i.principal) for i in incidents(rig)] == [("iam-create-access-key", "jared")]


def test_a_low_severity_finding_is_not_alerted_by_default(rig: Rig) -> None:
    slack = ScriptedSlack()
    rig.monitor(slack).process_envelope(sso_admin_creates_ci_key())
    assert slack.attempts == 0 and rig.topic.received() == []


def test_a_records_file_delivered_at_once_stores_every_record(rig: Rig) -> None:
    # 02 is an S3 log file: three root calls of one CLI session → one grouped root-api-use incident.
    slack = ScriptedSlack()
    result = rig.monitor(slack).process_envelope(story("02-root-cli-session.records.json"))
    assert [h.outcome.status for h in result.handled] == ["new", "grouped", "grouped"]
    assert [(i.rule, i.count) for i in incidents(rig)] == [("root-api-use", 3)]
    assert len(slack.delivered) == 1


def test_a_bare_record_wrapped_like_eventbridge_is_judged_like_the_file(rig: Rig) -> None:
    result = rig.monitor(ScriptedSlack()).process_envelope(envelope(story("03-root-reads-agent-secret.json")))
    assert {f["rule"] for f in result.summary()["findings"]} == {"root-api-use", "secret-read-undeclared"}


# -- records without an eventID (DESIGN §8: some lack it) ---------------------------------------
def delete_user_without_event_id(user: str) -> dict:
    env = story("04-root-deletes-ci-user.eventbridge.json")
    del env["detail"]["eventID"]
    env["detail"]["requestParameters"] = {"userName": user}
    return env


def test_two_different_events_without_an_event_id_are_two_incidents(rig: Rig) -> None:
    slack = ScriptedSlack()
    mon = rig.monitor(slack)
    mon.process_envelope(delete_user_without_event_id("github-actions-aws-deployer"))
    mon.process_envelope(delete_user_without_event_id("terraform-deployer"))
    deleted = {i.target_arn.rsplit("/", 1)[-1] for i in incidents(rig, rule="iam-delete-user")}
    assert deleted == {"github-actions-aws-deployer", "terraform-deployer"}
    assert len([t for t in slack.texts if "iam-delete-user" in t]) == 2


def test_the_same_event_without_an_event_id_delivered_twice_is_one_incident(rig: Rig) -> None:
    slack = ScriptedSlack()
    mon = rig.monitor(slack)
    mon.process_envelope(delete_user_without_event_id("terraform-deployer"))
    mon.process_envelope(redelivered(delete_user_without_event_id("terraform-deployer")))
    assert len(incidents(rig, rule="iam-delete-user")) == 1
    assert len([t for t in slack.texts if "iam-delete-user" in t]) == 1
