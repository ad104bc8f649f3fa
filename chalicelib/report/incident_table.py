"""The report's incident table and its response summary (HTML fragments, every value escaped).

Seven fixed-width columns that fit a 1280 px window without scrolling: who is named by the
model's principal name (the ARN on hover), the reason carries the runbook and, for grouped
incidents, the sequence of member events (time, event, source IP) in ``<details>``, and the
response column says who acknowledged and resolved it and how long each took.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from chalicelib.report.summary import MISSING, UNKNOWN, Summary, format_time, parse_time, plural, severity_key, text
from chalicelib.report.triage import ResponseSummary, duration, principal_label, response_of

TABLE_CSS = """
#incidents{table-layout:fixed;width:100%;font-size:13px}
#incidents th,#incidents td{padding:5px 6px;overflow-wrap:anywhere}
#incidents code{font-size:12px}
#incidents details{margin-top:4px}
#incidents summary{cursor:pointer;color:var(--muted);font-size:12px}
.seq{border-collapse:collapse;width:100%;margin-top:4px;font-size:12px}
.seq td,.seq th{padding:2px 4px;border-bottom:1px solid var(--line)}
.status{display:block;margin-top:4px;font-size:12px;font-weight:600}
.status-open{color:#b91c1c}.status-acknowledged{color:#92400e}.status-resolved{color:#166534}
.status-suppressed{color:var(--muted)}
abbr[title]{text-decoration:underline dotted;cursor:help}
.responses{display:flex;flex-wrap:wrap;gap:12px;list-style:none;padding:0;margin:0}
.responses li{min-width:150px;padding:8px 14px;border:1px solid var(--line);border-radius:8px}
.responses .n{display:block;font-size:24px;font-weight:700}
"""
_WIDTHS = (9, 13, 14, 11, 12, 26, 15)  # percent, in column order; they sum to 100
_COLUMNS = ("Severity / status", "Rule / incident", "Principal", "Event", "When (UTC)", "Reason, runbook, events",
            "Response")


def _e(value: Any) -> str:
    return escape(text(value), quote=True)


def _sub(label: str, value: Any) -> str:
    return f'<span class="sub">{label} {_e(value)}</span>' if text(value) != MISSING else ""


def _time(value: Any) -> str:
    moment = parse_time(value)
    if moment is None:
        return escape(format_time(value))
    return f'<time datetime="{moment:%Y-%m-%dT%H:%M:%SZ}">{moment:%Y-%m-%d %H:%M:%S}</time>'


def _severity(incident: Mapping[str, Any], status: str, reopened: bool) -> str:
    key = severity_key(incident.get("severity"))
    shown = key if key != UNKNOWN else text(incident.get("severity"))
    badge = f'<span class="badge sev-{escape(key)}">{escape(shown)}</span>' if shown != MISSING else MISSING
    label = f"{status} (reopened)" if reopened and status == "open" else status
    return f'{badge}<span class="status status-{escape(status)}">{escape(label)}</span>'


def _principal(incident: Mapping[str, Any]) -> str:
    arn = text(incident.get("principal_arn"))
    name = escape(principal_label(incident.get("principal_arn"), incident.get("principal")))
    who = f'<abbr title="{escape(arn, quote=True)}">{name}</abbr>' if arn != MISSING else name
    agent = text(incident.get("user_agent"))
    short = agent.split(" ", 1)[0][:40]
    tool = f'<span class="sub">agent <abbr title="{escape(agent, quote=True)}">{escape(short)}</abbr></span>' \
        if agent != MISSING else ""
    return f"{who}{_sub('from', incident.get('source_ip'))}{tool}"


def _event(incident: Mapping[str, Any]) -> str:
    source, target = text(incident.get("event_source")), text(incident.get("target_arn"))
    hover = f' title="{escape(source, quote=True)}"' if source != MISSING else ""
    place = " / ".join(v for v in (text(incident.get("account")), text(incident.get("region"))) if v != MISSING)
    aimed = f'<span class="sub">on <abbr title="{escape(target, quote=True)}">{escape(target.rsplit("/", 1)[-1])}' \
            "</abbr></span>" if target != MISSING else ""
    return f"<code{hover}>{_e(incident.get('event_name'))}</code>{aimed}{_sub('in', place or None)}"


def _when(incident: Mapping[str, Any]) -> str:
    first = incident.get("first_seen") or incident.get("event_time")
    last, count = incident.get("last_seen"), incident.get("count")
    out = _time(first)
    if isinstance(count, int) and not isinstance(count, bool) and count > 1:
        out += f'<span class="sub">to {_time(last)}</span><span class="sub">{count:,} events</span>'
    return out


def _members(incident: Mapping[str, Any]) -> str:
    details = incident.get("details")
    members = details.get("members") if isinstance(details, Mapping) else None
    if not isinstance(members, list) or len(members) < 2:
        return ""
    rows = "".join(
        f"<tr><td>{_time(m.get('event_time'))}</td><td><code>{_e(m.get('event_name'))}</code></td>"
        f"<td><code>{_e(m.get('source_ip'))}</code></td></tr>"
        for m in members if isinstance(m, Mapping)
    )
    return (f"<details class=\"members\"><summary>{plural(len(members), 'event')} in sequence</summary>"
            '<table class="seq"><thead><tr><th scope="col">Time</th><th scope="col">Event</th>'
            f'<th scope="col">Source IP</th></tr></thead><tbody>{rows}</tbody></table></details>')


def _reason(incident: Mapping[str, Any]) -> str:
    runbook = text(incident.get("runbook"))
    book = f'<details class="runbook"><summary>Runbook</summary>{escape(runbook)}</details>' \
        if runbook != MISSING else ""
    return f"{_e(incident.get('reason'))}{_sub('breaks', incident.get('breaks'))}{book}{_members(incident)}"


def _response(incident: Mapping[str, Any]) -> str:
    r = response_of(incident)
    if r.suppressed_by is not None:
        s = r.suppressed_by
        return (f"suppressed: {_e(s.get('reason'))}<span class=\"sub\">owner {_e(s.get('owner'))}, until "
                f"{_e(s.get('expires'))}</span>")
    parts = []
    if r.acknowledged_by:
        parts.append(f"acknowledged by {escape(r.acknowledged_by)} <span class=\"sub\">after "
                     f"{escape(duration(r.time_to_ack))}</span>")
    if r.status == "resolved" and r.resolved_by:
        parts.append(f"resolved <strong>{_e(r.resolution)}</strong> by {escape(r.resolved_by)} "
                     f"<span class=\"sub\">after {escape(duration(r.time_to_resolve))}</span>")
    if r.note:
        parts.append(f'<span class="sub">note: {escape(r.note)}</span>')
    return "".join(f"<div>{p}</div>" for p in parts) or '<span class="muted">never acknowledged</span>'


def incident_row(incident: Mapping[str, Any]) -> str:
    r = response_of(incident)
    details = incident.get("details")
    version = details.get("model_version") if isinstance(details, Mapping) else None
    cells = (
        _severity(incident, r.status, r.reopened),
        f"<code>{_e(incident.get('rule'))}</code>{_sub('id', incident.get('incident_id'))}"
        f"{_sub('model', version)}",
        _principal(incident), _event(incident), _when(incident), _reason(incident), _response(incident),
    )
    sev = escape(severity_key(incident.get("severity")))
    return (f'<tr class="incident" data-severity="{sev}" data-status="{escape(r.status)}" '
            f'data-incident="{_e(incident.get("incident_id"))}">{"".join(f"<td>{c}</td>" for c in cells)}</tr>')


def incident_table(summary: Summary) -> str:
    cols = "".join(f'<col style="width:{w}%">' for w in _WIDTHS)
    heads = "".join(f'<th scope="col">{escape(n)}</th>' for n in _COLUMNS)
    if summary.rows:
        rows = "\n".join(incident_row(incident) for incident in summary.rows)
    else:
        rows = f'<tr><td colspan="{len(_COLUMNS)}" class="muted">No incidents in this period.</td></tr>'
    return (
        '<section id="all-incidents" aria-labelledby="all-incidents-h"><h2 id="all-incidents-h">All incidents</h2>'
        f'<table id="incidents"><caption>{plural(summary.total_incidents, "incident")}, most severe first, then by '
        "first seen. Times are UTC; hover a principal for its ARN.</caption>"
        f"<colgroup>{cols}</colgroup><thead><tr>{heads}</tr></thead><tbody>\n{rows}\n</tbody></table></section>"
    )


def response_section(responses: ResponseSummary) -> str:
    facts = (
        ("open critical", responses.open_critical), ("open high", responses.open_high),
        ("never acknowledged", responses.never_acknowledged),
        ("median time to acknowledge", duration(responses.median_time_to_ack)),
        ("90th percentile time to acknowledge", duration(responses.p90_time_to_ack)),
        ("resolved", responses.resolved), ("suppressed (never alerted)", responses.suppressed),
    )
    items = "".join(f'<li data-fact="{escape(label)}"><span class="n">{escape(str(value))}</span>{escape(label)}</li>'
                    for label, value in facts)
    return ('<section id="responses" aria-labelledby="responses-h"><h2 id="responses-h">Response</h2>'
            '<p class="facts">Times run from when an incident began to its first acknowledgement (a resolution '
            "without one counts as it); the 90th percentile is the time at least 90 % of acknowledged incidents "
            f'met. Suppressed incidents are left out.</p><ul class="responses">{items}</ul></section>')


__all__: Sequence[str] = ("TABLE_CSS", "incident_row", "incident_table", "response_section")
