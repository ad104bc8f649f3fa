"""Routing by severity: strict parsing, so a typo never silently drops alerts."""

from __future__ import annotations

import pytest

from chalicelib.errors import ConfigError
from chalicelib.findings import Severity
from chalicelib.notify.routing import Routing
from chalicelib.settings import Settings


def test_the_default_sends_critical_and_high_to_slack_and_sns_and_medium_to_slack() -> None:
    routing = Routing.default()
    assert routing.channels_for(Severity.CRITICAL) == ("slack", "sns")
    assert routing.channels_for(Severity.HIGH) == ("slack", "sns")
    assert routing.channels_for(Severity.MEDIUM) == ("slack",)


def test_the_default_only_logs_low_and_info() -> None:
    routing = Routing.default()
    assert routing.channels_for(Severity.LOW) == ()
    assert routing.channels_for(Severity.INFO) == ()


def test_the_settings_default_text_parses_to_the_default_routing() -> None:
    assert Routing.parse(Settings().routing).routes == Routing.default().routes


def test_parse_reads_custom_channels_case_and_space_insensitively() -> None:
    routing = Routing.parse(" Medium = SNS , slack ; low=sns ")
    assert routing.channels_for(Severity.MEDIUM) == ("slack", "sns")
    assert routing.channels_for(Severity.LOW) == ("sns",)


def test_an_empty_channel_list_means_log_only() -> None:
    assert Routing.parse("high=").channels_for(Severity.HIGH) == ()


def test_a_severity_left_out_keeps_its_default() -> None:
    assert Routing.parse("low=slack").channels_for(Severity.CRITICAL) == ("slack", "sns")


def test_blank_text_means_the_default_routing() -> None:
    assert Routing.parse("").routes == Routing.default().routes
    assert Routing.parse(None).routes == Routing.default().routes


def test_an_unknown_severity_is_a_config_error_naming_it() -> None:
    with pytest.raises(ConfigError, match="'urgent'"):
        Routing.parse("urgent=slack")


def test_an_unknown_channel_is_a_config_error_naming_it() -> None:
    with pytest.raises(ConfigError, match=r"'pagerduty' for severity high"):
        Routing.parse("high=slack,pagerduty")


def test_an_entry_without_equals_sign_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="'critical'"):
        Routing.parse("critical")


def test_a_severity_routed_twice_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="high is routed twice"):
        Routing.parse("high=slack;high=sns")


def test_config_errors_name_the_environment_variable() -> None:
    with pytest.raises(ConfigError) as caught:
        Routing.parse("high=email")
    assert str(caught.value).startswith("TRAILWARDEN_ROUTING: ")


def test_the_text_form_round_trips() -> None:
    routing = Routing.parse("medium=sns;info=slack")
    assert Routing.parse(str(routing)).routes == routing.routes
