"""DynamoDB faults under the monitor (moto table, faults on the store's and the state's client).

Expected behaviour (README, Reliability): a store failure fails the invocation before anything
is alerted, and the retry stores once and alerts once; a cancelled transaction or a lost head
race is retried within the invocation; a concurrent writer of the same event makes this one a
duplicate that sends nothing; a timeout after the write landed is re-read, found stored, and
alerted in the same invocation; the alert ledger failing after the alert went out does not fail
the invocation (a retry would send the alert again).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chalicelib.errors import StoreError
from chalicelib.incidents.dynamodb import DynamoDBIncidentStore
from chalicelib.incidents.state import ALERTED, DynamoDBStateStore
from chalicelib.monitor import LEDGER_ATTEMPTS, alert_key

from .conftest import REGION, SESSION, TABLE, Rig, fake_aws, make_rig, redelivered, story
from .faults import CountingSlack, Fault, FaultyClient, client_error, fail_with, timeout_after_success


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    with fake_aws():
        yield make_rig("dynamodb", tmp_path)


def faulty() -> FaultyClient:
    return FaultyClient(SESSION.client("dynamodb", region_name=REGION))


def root_signin() -> dict:
    return story("01-root-console-signin.eventbridge.json")


def sent(slack: CountingSlack, rig: Rig) -> tuple[int, int]:
    return len(slack.delivered), len(rig.topic.received())


def stored(rig: Rig) -> int:
    return len(rig.open_store().iter_all())


def test_a_throttled_write_fails_the_invocation_before_any_alert(rig: Rig) -> None:
    client, slack = faulty(), CountingSlack()
    client.add("transact_write_items", fail_with(client_error("ProvisionedThroughputExceededException",
                                                              "TransactWriteItems")))
    with pytest.raises(StoreError, match=r"ProvisionedThroughputExceeded|throughput"):
        rig.monitor(slack, store=DynamoDBIncidentStore(TABLE, client=client)).process_envelope(root_signin())
    assert (stored(rig), *sent(slack, rig)) == (0, 0, 0)


def test_the_retry_after_a_throttled_write_stores_once_and_alerts_once(rig: Rig) -> None:
    client, slack = faulty(), CountingSlack()
    client.add("transact_write_items", fail_with(client_error("ProvisionedThroughputExceededException",
                                                              "TransactWriteItems")))
    store = DynamoDBIncidentStore(TABLE, client=client)
    with pytest.raises(StoreError):
        rig.monitor(slack, store=store).process_envelope(root_signin())
    rig.monitor(slack, store=store).process_envelope(redelivered(root_signin()))
    assert (stored(rig), *sent(slack, rig)) == (1, 1, 1)


def test_a_throttled_read_fails_the_invocation_naming_the_table(rig: Rig) -> None:
    client = faulty().add("get_item", fail_with(client_error("ProvisionedThroughputExceededException", "GetItem")))
    with pytest.raises(StoreError, match=TABLE):
        rig.monitor(CountingSlack(), store=DynamoDBIncidentStore(TABLE, client=client)).process_envelope(root_signin())


def test_cancelled_transactions_are_retried_within_the_invocation(rig: Rig) -> None:
    client, slack = faulty(), CountingSlack()
    throttled = ("None", "None", "None", "ThrottlingError")
    client.add("transact_write_items", fail_with(client.canceled(*throttled)), fail_with(client.canceled(*throttled)))
    result = rig.monitor(slack, store=DynamoDBIncidentStore(TABLE, client=client)).process_envelope(root_signin())
    assert ([h.outcome.status for h in result.handled], stored(rig), *sent(slack, rig)) == (["new"], 1, 1, 1)


def test_a_concurrent_writer_of_the_same_event_makes_this_delivery_a_silent_duplicate(rig: Rig) -> None:
    client, slack = faulty(), CountingSlack()
    other = rig.monitor(slack)  # another container, handling a duplicate delivery of the same event
    client.add("transact_write_items", Fault(before=lambda: other.process_envelope(redelivered(root_signin()))))
    result = rig.monitor(slack, store=DynamoDBIncidentStore(TABLE, client=client)).process_envelope(root_signin())
    assert ([h.outcome.status for h in result.handled], stored(rig), *sent(slack, rig)) == (["duplicate"], 1, 1, 1)


def test_a_timeout_after_the_write_landed_is_found_stored_and_alerted_in_the_same_invocation(rig: Rig) -> None:
    client, slack = faulty(), CountingSlack()
    client.add("transact_write_items", timeout_after_success())
    rig.monitor(slack, store=DynamoDBIncidentStore(TABLE, client=client)).process_envelope(root_signin())
    assert (stored(rig), *sent(slack, rig)) == (1, 1, 1)


def test_a_redelivery_after_a_timeout_after_the_write_sends_nothing_more(rig: Rig) -> None:
    client, slack = faulty(), CountingSlack()
    client.add("transact_write_items", timeout_after_success())
    rig.monitor(slack, store=DynamoDBIncidentStore(TABLE, client=client)).process_envelope(root_signin())
    rig.clock.advance(seconds=120)
    rig.monitor(slack).process_envelope(redelivered(root_signin()))
    assert (stored(rig), *sent(slack, rig)) == (1, 1, 1)


def throttled_put() -> Fault:
    return fail_with(client_error("ProvisionedThroughputExceededException", "PutItem"))


def test_a_ledger_write_failing_after_the_alert_went_out_does_not_fail_the_invocation(rig: Rig) -> None:
    client, slack = faulty(), CountingSlack()
    client.add("put_item", Fault(), *(throttled_put() for _ in range(LEDGER_ATTEMPTS)))  # the claim lands
    state = DynamoDBStateStore(TABLE, client=client)
    result = rig.monitor(slack, state=state).process_envelope(root_signin())
    assert ([h.delivery.delivered for h in result.handled], *sent(slack, rig)) == ([("slack", "sns")], 1, 1)


def test_a_ledger_write_failing_once_is_tried_again_and_marks_the_alert_sent(rig: Rig) -> None:
    client = faulty().add("put_item", Fault(), throttled_put())
    state = DynamoDBStateStore(TABLE, client=client)
    (handled,) = rig.monitor(CountingSlack(), state=state).process_envelope(root_signin()).handled
    assert state.get(ALERTED, alert_key(handled.outcome.incident)) is not None


def test_a_throttled_alert_claim_fails_the_invocation_and_the_retry_alerts_once(rig: Rig) -> None:
    client, slack = faulty(), CountingSlack()
    client.add("put_item", fail_with(client_error("ProvisionedThroughputExceededException", "PutItem")))
    with pytest.raises(StoreError):
        rig.monitor(slack, state=DynamoDBStateStore(TABLE, client=client)).process_envelope(root_signin())
    rig.monitor(slack).process_envelope(redelivered(root_signin()))
    assert (stored(rig), *sent(slack, rig)) == (1, 1, 1)
