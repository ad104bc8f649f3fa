"""CloudTrail's key layout: what a key is, and which folders a filter lets the listing enter."""

from __future__ import annotations

from datetime import date

import pytest

from chalicelib.errors import ConfigError
from chalicelib.trailbucket.layout import (
    OTHER,
    TrailFilter,
    classify,
    folders_after_marker,
    parse_accounts,
    parse_day,
    parse_regions,
)

LOG = ("AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/eu-west-1/2026/02/28/"
       "111122223333_CloudTrail_eu-west-1_20260228T2355Z_x1Y2.json.gz")
ACCOUNT_LOG = ("x/AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/01/"
               "111122223333_CloudTrail_us-east-1_20260301T0005Z_Q.json.gz")
WINTER = TrailFilter(since=date(2026, 2, 1), until=date(2026, 2, 28))


def test_an_organization_trail_key_is_a_log_of_its_account_region_and_day() -> None:
    key = classify(LOG)
    assert (key.kind, key.account, key.region, key.day) == ("log", "111122223333", "eu-west-1", date(2026, 2, 28))


def test_an_account_trail_key_under_a_custom_prefix_is_a_log() -> None:
    assert classify(ACCOUNT_LOG).kind == "log"


def test_a_digest_key_is_a_digest_file() -> None:
    key = LOG.replace("/CloudTrail/", "/CloudTrail-Digest/").replace("_CloudTrail_", "_CloudTrail-Digest_")
    assert classify(key).kind == "digest file"


def test_an_object_outside_cloudtrails_naming_is_not_cloudtrail() -> None:
    assert classify(LOG.rsplit("/", 1)[0] + "/export.csv").kind == OTHER
    assert classify("README.txt").kind == OTHER


def test_a_word_ending_in_awslogs_is_not_the_marker() -> None:
    assert folders_after_marker("MyAWSLogs/111122223333/") is None


def test_the_filter_enters_the_days_in_range_and_not_the_others() -> None:
    base = ["o-a1b2c3d4e5", "111122223333", "CloudTrail", "eu-west-1"]
    assert WINTER.admits([*base, "2026", "02", "28"])
    assert not WINTER.admits([*base, "2026", "03"])
    assert not WINTER.admits([*base, "2025"])
    assert WINTER.admits([*base, "2026"])


def test_the_filter_enters_only_the_accounts_and_regions_asked_for() -> None:
    filt = TrailFilter(accounts=frozenset({"111122223333"}), regions=frozenset({"eu-west-1"}))
    assert filt.admits(["111122223333", "CloudTrail", "eu-west-1"])
    assert not filt.admits(["444455556666"])
    assert not filt.admits(["111122223333", "CloudTrail", "us-east-1"])


def test_the_filter_never_enters_another_services_logs() -> None:
    assert not TrailFilter().admits(["111122223333", "elasticloadbalancing"])


def test_a_number_of_days_counts_back_from_today() -> None:
    assert parse_day("90d", date(2026, 3, 31), "--since") == date(2025, 12, 31)


def test_a_date_that_is_neither_form_is_refused_naming_the_option() -> None:
    with pytest.raises(ConfigError, match="--since"):
        parse_day("last tuesday", date(2026, 3, 31), "--since")


def test_since_after_until_is_refused() -> None:
    with pytest.raises(ConfigError, match="after"):
        TrailFilter(since=date(2026, 3, 2), until=date(2026, 3, 1))


def test_an_account_id_that_is_not_twelve_digits_is_refused() -> None:
    assert parse_accounts("111122223333, 444455556666") == {"111122223333", "444455556666"}
    with pytest.raises(ConfigError, match="1234"):
        parse_accounts("111122223333,1234")


def test_a_region_name_that_is_not_one_is_refused() -> None:
    assert parse_regions("us-east-1,eu-west-1") == ("us-east-1", "eu-west-1")
    with pytest.raises(ConfigError, match="Ireland"):
        parse_regions("Ireland")


def test_a_json_object_with_another_name_in_a_log_folder_is_read_as_replay_dir_would() -> None:
    assert classify(LOG.rsplit("/", 1)[0] + "/exported-by-hand.json.gz").kind == "log"


def test_any_o_folder_is_an_organization_id() -> None:
    key = classify(LOG.replace("o-a1b2c3d4e5", "o-x1"))
    assert (key.kind, key.account) == ("log", "111122223333")


def test_a_timestamp_counts_as_its_utc_day() -> None:
    assert parse_day("2026-03-01T23:30:00-02:00", date(2026, 3, 31), "--since") == date(2026, 3, 2)


def test_a_region_shaped_name_that_does_not_exist_is_refused_not_read_as_nothing() -> None:
    with pytest.raises(ConfigError, match="'eu-westt-1' is not an AWS region name"):
        parse_regions("eu-west-1,eu-westt-1")
