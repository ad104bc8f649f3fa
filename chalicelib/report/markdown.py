"""The auditors' report as a Markdown summary (for a ticket, a pull request or a wiki page).

Same counts as the HTML page (both come from :func:`summarize`). Incident text is escaped
so that a ``|`` cannot split a table cell, a newline cannot end a row, and markup or raw
HTML in a CloudTrail field shows as text instead of being rendered.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from chalicelib.report.summary import (
    DEFAULT_TITLE,
    MISSING,
    Summary,
    build_timeline,
    describe_moment,
    format_time,
    plural,
    report_title,
    summarize,
    text,
)
from chalicelib.report.triage import ChainFacts, describe_dates, duration, response_of, summarize_responses

# Characters with a meaning in GitHub-flavoured Markdown inline text or tables.
_SPECIAL = re.compile(r"([\\`*_\[\]|~#!])")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_BREAKS = re.compile(r"[\r\n\t\v\f\u2028\u2029]+")


def md_escape(value: Any) -> str:
    """One table cell's (or line's) worth of text: single-line, ``|`` and markup escaped, ``-`` if missing."""
    raw = text(value)
    if raw == MISSING:
        return MISSING
    raw = _BREAKS.sub(" ", raw)
    raw = "".join(_HTML.get(ch, ch) for ch in raw)
    return _SPECIAL.sub(r"\\\1", raw)


def _table(head: Sequence[str], align: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    sep = {"l": "---", "r": "---:", "c": ":---:"}
    return [
        "| " + " | ".join(head) + " |",
        "|" + "|".join(sep[a] for a in align) + "|",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def _overview(summary: Summary, incidents: Sequence[Mapping[str, Any]], since: datetime | None,
              until: datetime | None) -> list[str]:  # fmt: skip
    timeline = build_timeline(incidents, since=since, until=until)
    lines = [
        f"**{plural(summary.total_incidents, 'incident')}** standing for "
        f"**{plural(summary.total_events, 'event')}**, from {plural(summary.principal_count, 'principal')} "
        f"under {plural(len(summary.by_rule), 'rule')}."
    ]
    busiest = timeline.busiest
    if busiest is not None:
        lines[0] += (
            f" They began {'on' if timeline.granularity == 'day' else 'in'} "
            f"{plural(timeline.bars, 'different ' + timeline.granularity)}; the most, "
            f"{busiest.total}, {md_escape(timeline.when(busiest))}."
        )
    if timeline.undated:
        lines[0] += f" {plural(timeline.undated, 'incident')} had no readable first-seen time."
    return lines


def _severity_section(summary: Summary) -> list[str]:
    rows = [(t.key, f"{t.incidents:,}", f"{t.events:,}") for t in summary.by_severity]
    return ["## By severity", "", *_table(("Severity", "Incidents", "Events"), "lrr", rows)]


def _rule_section(summary: Summary) -> list[str]:
    if not summary.by_rule:
        return ["## By rule", "", "No rules fired."]
    rows = [(f"{md_escape(t.key)}", f"{t.incidents:,}", f"{t.events:,}", t.worst) for t in summary.by_rule]
    return ["## By rule", "", *_table(("Rule", "Incidents", "Events", "Highest severity"), "lrrl", rows)]


def _principal_section(summary: Summary) -> list[str]:
    if not summary.top_principals:
        return ["## Top principals", "", "No principals to rank."]
    rows = [
        (str(rank), md_escape(t.key), f"{t.events:,}", f"{t.incidents:,}", t.worst, md_escape(", ".join(t.rules)))
        for rank, t in enumerate(summary.top_principals, start=1)
    ]
    out = ["## Top principals", "", "By events (the sum of incident counts).", ""]
    out += _table(("#", "Principal ARN", "Events", "Incidents", "Highest severity", "Rules"), "rlrrll", rows)
    more = summary.principal_count - len(summary.top_principals)
    if more > 0:
        out += ["", f"{plural(more, 'more principal')} not shown."]
    return out


def _incident_section(summary: Summary) -> list[str]:
    if not summary.rows:
        return ["## Incidents", "", "No incidents in this period."]
    rows = []
    for incident in summary.rows:
        place = f"{text(incident.get('account'))}/{text(incident.get('region'))}"
        rows.append((
            md_escape(incident.get("severity")),
            md_escape(incident.get("rule")),
            md_escape(incident.get("principal_arn")),
            md_escape(incident.get("event_name")),
            md_escape(format_time(incident.get("first_seen") or incident.get("event_time"))),
            md_escape(format_time(incident.get("last_seen"))),
            md_escape(incident.get("count")),
            md_escape(place if place != f"{MISSING}/{MISSING}" else None),
            md_escape(incident.get("incident_id")),
            *_response_cells(incident),
        ))  # fmt: skip
    head = ("Severity", "Rule", "Principal ARN", "Event", "First seen (UTC)", "Last seen (UTC)", "Count",
            "Account/region", "Incident", "Status", "Acknowledged by", "To ack", "Resolved by", "To resolve")
    return ["## Incidents", "", "Most severe first, then by first seen.", "",
            *_table(head, "llllllrllllrlr", rows)]  # fmt: skip


def _response_cells(incident: Mapping[str, Any]) -> tuple[str, ...]:
    r = response_of(incident)
    status = f"{r.status} ({r.resolution})" if r.status == "resolved" and r.resolution else r.status
    resolved = r.resolved_by if r.status == "resolved" else None
    return (md_escape(status), md_escape(r.acknowledged_by), md_escape(duration(r.time_to_ack)),
            md_escape(resolved), md_escape(duration(r.time_to_resolve) if resolved else None))


def _response_section(incidents: Sequence[Mapping[str, Any]]) -> list[str]:
    s = summarize_responses(incidents)
    rows = [("Open critical", f"{s.open_critical:,}"), ("Open high", f"{s.open_high:,}"),
            ("Never acknowledged", f"{s.never_acknowledged:,}"),
            ("Median time to acknowledge", duration(s.median_time_to_ack)),
            ("90th percentile time to acknowledge", duration(s.p90_time_to_ack)),
            ("Resolved", f"{s.resolved:,}"), ("Suppressed (never alerted)", f"{s.suppressed:,}")]
    return ["## Response", "", "From when an incident began to its first acknowledgement; suppressed ones left out.",
            "", *_table(("Measure", "Value"), "lr", rows)]  # fmt: skip


def render_markdown(
    incidents: Sequence[Mapping[str, Any]],
    *,
    since: datetime | None,
    until: datetime | None,
    generated_at: datetime,
    title: str = DEFAULT_TITLE,
    verify_summary: str | None = None,
    chain: ChainFacts | None = None,
) -> str:
    """The report as GitHub-flavoured Markdown: period, counts, top principals, a compact incident table."""
    summary = summarize(incidents)
    heading = md_escape(report_title(title))
    lines = [
        f"# {heading}",
        "",
        f"- **Period:** {md_escape(describe_dates(incidents, since, until))}",
        f"- **Generated:** {md_escape(describe_moment(generated_at))}",
    ]
    if verify_summary is not None:
        lines.append(f"- **Chain verification:** {md_escape(verify_summary)}")
    if chain is not None:
        lines.append(f"- **Chain head:** seq {chain.head_seq:,}, hash `{chain.head_hash}`")
        if chain.model_version:
            lines.append(f"- **Identity model now:** `{chain.model_version}`")
    lines += ["", *_overview(summary, incidents, since, until), "", *_response_section(incidents)]
    for section in (_severity_section, _rule_section, _principal_section, _incident_section):
        lines += ["", *section(summary)]
    return "\n".join(lines) + "\n"
