"""The shared counting behind both renderers: severities, rules, principals, order and the timeline."""

from __future__ import annotations

from datetime import UTC, date, datetime

from chalicelib.report import build_timeline, summarize
from chalicelib.report.summary import format_time, text
from tests.report.conftest import build_incident

HAND_BUILT = [
    build_incident(incident_id="a", severity="critical", rule="root-api-use", principal_arn="arn:root", count=5),
    build_incident(incident_id="b", severity="high", rule="iam-delete-user", principal_arn="arn:admin", count=1),
    build_incident(incident_id="c", severity="high", rule="iam-delete-user", principal_arn="arn:admin", count=2),
    build_incident(incident_id="d", severity="medium", rule="sts-assume-role-failed", principal_arn="arn:ci", count=9),
    build_incident(incident_id="e", severity="low", rule="iam-create-access-key", principal_arn="arn:ci", count=1),
    build_incident(incident_id="f", severity="info", rule="inventory-key-overdue", principal_arn="arn:admin", count=1),
]


def _by_key(tallies):
    return {t.key: (t.incidents, t.events) for t in tallies}


def test_severity_counts_give_incidents_and_summed_events_for_every_level() -> None:
    summary = summarize(HAND_BUILT)
    assert [t.key for t in summary.by_severity] == ["critical", "high", "medium", "low", "info"]
    assert _by_key(summary.by_severity) == {
        "critical": (1, 5), "high": (2, 3), "medium": (1, 9), "low": (1, 1), "info": (1, 1),
    }  # fmt: skip


def test_totals_count_incidents_and_the_sum_of_their_counts() -> None:
    summary = summarize(HAND_BUILT)
    assert (summary.total_incidents, summary.total_events) == (6, 19)


def test_rule_counts_list_the_busiest_rule_first() -> None:
    summary = summarize(HAND_BUILT)
    assert summary.by_rule[0].key == "iam-delete-user"
    assert _by_key(summary.by_rule)["iam-delete-user"] == (2, 3)
    assert _by_key(summary.by_rule)["sts-assume-role-failed"] == (1, 9)


def test_top_principals_are_ranked_by_the_sum_of_their_counts() -> None:
    summary = summarize(HAND_BUILT)
    assert [(t.key, t.events, t.incidents) for t in summary.top_principals] == [
        ("arn:ci", 10, 2),
        ("arn:root", 5, 1),
        ("arn:admin", 4, 3),
    ]


def test_top_principals_name_the_worst_severity_and_their_rules() -> None:
    admin = next(t for t in summarize(HAND_BUILT).top_principals if t.key == "arn:admin")
    assert admin.worst == "high"
    assert admin.rules == ("iam-delete-user", "inventory-key-overdue")


def test_top_principals_are_cut_to_the_requested_number_but_all_are_counted() -> None:
    summary = summarize(HAND_BUILT, top=2)
    assert len(summary.top_principals) == 2
    assert summary.principal_count == 3


def test_an_incident_without_a_count_stands_for_one_event() -> None:
    summary = summarize([build_incident(count=None), build_incident(count="garbage")])
    assert summary.total_events == 2


def test_an_unrecognised_severity_is_counted_as_unknown_rather_than_dropped() -> None:
    summary = summarize([build_incident(severity="urgent"), build_incident(severity=None)])
    assert _by_key(summary.by_severity)["unknown"] == (2, 2)


def test_the_unknown_severity_row_appears_only_when_needed() -> None:
    assert "unknown" not in _by_key(summarize(HAND_BUILT).by_severity)


def test_a_missing_principal_is_counted_under_a_dash() -> None:
    summary = summarize([build_incident(principal_arn=None)])
    assert summary.top_principals[0].key == "-"


def test_table_rows_are_most_severe_first_then_earliest() -> None:
    rows = [
        build_incident(incident_id="late-high", severity="high", first_seen="2026-11-20T12:00:00Z"),
        build_incident(incident_id="low", severity="low", first_seen="2026-11-01T00:00:00Z"),
        build_incident(incident_id="early-high", severity="high", first_seen="2026-11-19T12:00:00Z"),
        build_incident(incident_id="undated-high", severity="high", first_seen=None, event_time=None),
    ]
    order = [r["incident_id"] for r in summarize(rows).rows]
    assert order == ["early-high", "late-high", "undated-high", "low"]


def test_missing_values_display_as_a_dash() -> None:
    assert [text(v) for v in (None, "", "   ", [], {})] == ["-"] * 5


def test_times_display_in_utc_whatever_offset_they_carry() -> None:
    assert format_time("2026-11-20T12:01:02+02:00") == "2026-11-20 10:01:02"


def test_an_unreadable_time_displays_as_given() -> None:
    assert format_time("yesterday-ish") == "yesterday-ish"


def test_the_timeline_counts_incidents_per_day_of_first_seen_by_severity() -> None:
    rows = [
        build_incident(severity="critical", first_seen="2026-11-19T23:59:59Z"),
        build_incident(severity="high", first_seen="2026-11-20T00:00:00Z"),
        build_incident(severity="high", first_seen="2026-11-20T10:00:00Z"),
    ]
    timeline = build_timeline(rows)
    assert [(b.start, dict(b.counts)) for b in timeline.buckets] == [
        (date(2026, 11, 19), {"critical": 1}),
        (date(2026, 11, 20), {"high": 2}),
    ]


def test_the_timeline_spans_the_whole_period_with_empty_days() -> None:
    since, until = datetime(2026, 11, 11, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC)
    timeline = build_timeline([build_incident(first_seen="2026-11-15T10:00:00Z")], since=since, until=until)
    assert (len(timeline.buckets), timeline.bars) == (10, 1)


def test_the_timeline_falls_back_to_event_time_and_counts_the_undatable() -> None:
    rows = [build_incident(first_seen=None, event_time="2026-11-20T10:00:00Z"), build_incident(first_seen=None,
            event_time=None)]  # fmt: skip
    timeline = build_timeline(rows)
    assert (timeline.bars, timeline.undated) == (1, 1)


def test_the_timeline_keeps_daily_bars_for_a_year() -> None:
    since, until = datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    timeline = build_timeline([], since=since, until=until)
    assert (timeline.granularity, len(timeline.buckets)) == ("day", 365)


def test_the_timeline_switches_to_weeks_for_a_range_longer_than_it_can_draw_by_day() -> None:
    since, until = datetime(2024, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
    timeline = build_timeline([build_incident(first_seen="2025-06-04T10:00:00Z")], since=since, until=until)
    assert timeline.granularity == "week"
    assert timeline.buckets[0].start == date(2024, 1, 1)  # a Monday
    assert [b.start for b in timeline.buckets if b.total] == [date(2025, 6, 2)]
