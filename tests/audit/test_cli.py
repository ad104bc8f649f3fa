"""The audit command's pure parts: --as-of parsing, the table, and argument errors (no AWS needed)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.audit import audit
from chalicelib.cli import main
from chalicelib.cli.audit import format_table, parse_as_of
from chalicelib.errors import ConfigError

from .builders import AS_OF, clean_snapshot, model


def test_an_iso_date_means_midnight_utc():
    assert parse_as_of("2027-05-01") == datetime(2027, 5, 1, tzinfo=UTC)


def test_a_datetime_with_z_or_an_offset_is_converted_to_utc():
    assert parse_as_of("2027-05-01T12:30:00Z") == datetime(2027, 5, 1, 12, 30, tzinfo=UTC)
    assert parse_as_of("2027-05-01T14:30:00+02:00") == datetime(2027, 5, 1, 12, 30, tzinfo=UTC)


def test_no_as_of_means_now():
    assert abs((parse_as_of(None) - datetime.now(UTC)).total_seconds()) < 5


def test_a_bad_as_of_is_a_config_error_that_shows_the_expected_format():
    with pytest.raises(ConfigError, match="2026-05-01"):
        parse_as_of("next tuesday")


def test_a_bad_as_of_exits_2_without_a_traceback(capsys):
    assert main(["audit", "--as-of", "yesterday-ish"]) == 2
    assert "error: --as-of" in capsys.readouterr().err


def test_the_table_shows_severity_rule_arn_reason_and_breaks():
    snap = clean_snapshot(roles=())
    table = format_table(audit(model(), snap, AS_OF))
    header, row, breaks = table.splitlines()
    assert header.split() == ["SEVERITY", "RULE", "ARN", "REASON"]
    assert row.startswith("high") and "inventory-missing-principal" in row
    assert "arn:aws:iam::111122223333:role/abt-app-instance-role" in row
    assert breaks.strip() == "breaks: the application servers"


def test_an_empty_table_is_empty():
    assert format_table([]) == ""
