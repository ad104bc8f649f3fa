"""The auditors' report as one self-contained HTML page.

Inline CSS and an inline SVG chart; no script, no fonts, images or styles fetched from
anywhere (a Content-Security-Policy meta tag forbids it, should anything slip through).
Every value that came from an incident is HTML-escaped: CloudTrail fields such as the user
agent are chosen by whoever made the call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from html import escape
from typing import Any

from chalicelib.report.chart import COLORS, render_timeline
from chalicelib.report.incident_table import TABLE_CSS, incident_table, response_section
from chalicelib.report.summary import (
    DEFAULT_TITLE,
    UNKNOWN,
    Summary,
    Tally,
    as_utc,
    build_timeline,
    describe_moment,
    plural,
    report_title,
    summarize,
    text,
)
from chalicelib.report.triage import ChainFacts, describe_dates, principal_label, summarize_responses

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
_SEVERITY_CSS = "\n".join(f".sev-{name}{{background:{color};color:#fff}}" for name, color in COLORS.items())
_CSS = """
:root{--fg:#111827;--muted:#4b5563;--line:#d1d5db;--head:#f3f4f6;--alt:#f9fafb}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;color:var(--fg);background:#fff;
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
header{background:#111827;color:#fff;padding:20px 32px}
header h1{margin:0 0 6px;font-size:24px;line-height:1.2}
header p{margin:2px 0;color:#e5e7eb}
header .verify{margin-top:8px;color:#fff;font-weight:600}
main{padding:4px 32px 40px}
section{margin-top:28px}
h2{font-size:18px;margin:0 0 10px;padding-bottom:4px;border-bottom:2px solid var(--line)}
.facts{margin:0 0 14px;color:var(--muted)}
.facts strong{color:var(--fg)}
.tiles{display:flex;flex-wrap:wrap;gap:12px;list-style:none;padding:0;margin:0}
.tile{min-width:140px;padding:10px 16px;border-radius:8px;border:2px solid transparent}
.tile .n{display:block;font-size:30px;font-weight:700;line-height:1.1}
.tile .events{display:block;font-size:12px}
.tile.none{background:#fff;color:var(--muted);border-color:var(--line)}
.columns{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,460px),1fr));gap:28px}
.columns section{margin-top:0}
table{border-collapse:collapse;width:100%}
caption{caption-side:top;text-align:left;padding:0 0 8px;color:var(--muted)}
th,td{padding:6px 8px;text-align:left;vertical-align:top;border-bottom:1px solid var(--line)}
thead th{background:var(--head);border-bottom:2px solid #9ca3af;vertical-align:bottom}
tbody tr:nth-child(even){background:var(--alt)}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
code{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace}
.wrap{overflow-wrap:anywhere;word-break:break-word}
.nowrap{white-space:nowrap}
.badge{display:inline-block;padding:1px 8px;border-radius:999px;font-weight:600;font-size:12px}
.muted{color:var(--muted)}
.sub{display:block;color:var(--muted);font-size:12px;margin-top:2px}
figure{margin:0 0 20px}
#timeline{display:block;max-width:1100px;height:auto}
.legend{display:flex;flex-wrap:wrap;gap:6px 18px;list-style:none;padding:0;margin:4px 0 0}
.legend .swatch{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:6px;vertical-align:-1px}
.scroll{overflow-x:auto}
.head{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
.empty{padding:16px;border:1px dashed var(--line);border-radius:8px;color:var(--muted)}
footer{padding:16px 32px;color:var(--muted);border-top:1px solid var(--line);font-size:12px}
@media print{header{background:none;color:#000;padding:0}header p,header .verify{color:#000}
main{padding:0}.scroll{overflow:visible}#incidents{font-size:10px}details{display:block}
#incidents code{font-size:9.5px}thead{display:table-header-group}
tr{break-inside:avoid}.badge,.tile,.swatch,rect{print-color-adjust:exact;-webkit-print-color-adjust:exact}}
"""


def _e(value: Any) -> str:
    """Escaped display text of any field value (``-`` when missing)."""
    return escape(text(value), quote=True)


def _badge(label: str) -> str:
    return f'<span class="badge sev-{escape(label)}">{escape(label)}</span>'




def _header(title: str, period: str, generated: datetime, verify: str | None, chain: ChainFacts | None) -> str:
    lines = [
        "<header>",
        f"<h1>{escape(title)}</h1>",
        f"<p>Period: {escape(period)}</p>",
        f'<p>Generated: <time datetime="{as_utc(generated):%Y-%m-%dT%H:%M:%SZ}">'
        f"{escape(describe_moment(generated))}</time></p>",
    ]
    if verify is not None:
        lines.append(f'<p class="verify">Chain verification: {_e(verify)}</p>')
    if chain is not None:
        lines.append(f'<p>Chain head: seq {chain.head_seq:,}, hash <span class="head" id="chain-head">'
                     f"{_e(chain.head_hash)}</span></p>")
        if chain.model_version:
            lines.append(f'<p>Identity model now: <code id="model-version">{_e(chain.model_version)}</code> '
                         "(each incident names the model that judged it)</p>")
    lines.append("</header>")
    return "\n".join(lines)


def _severity_tiles(summary: Summary) -> str:
    items = []
    for tally in summary.by_severity:
        css = f"tile sev-{escape(tally.key)}" if tally.incidents else "tile none"
        items.append(
            f'<li class="{css}" data-severity="{escape(tally.key)}" data-incidents="{tally.incidents}" '
            f'data-events="{tally.events}"><span class="n">{tally.incidents:,}</span>{escape(tally.key)}'
            f'<span class="events">{plural(tally.events, "event")}</span></li>'
        )
    facts = (
        f'<p class="facts"><strong>{plural(summary.total_incidents, "incident")}</strong> standing for '
        f"<strong>{plural(summary.total_events, 'event')}</strong>, from "
        f"<strong>{plural(summary.principal_count, 'principal')}</strong> under "
        f"<strong>{plural(len(summary.by_rule), 'rule')}</strong>.</p>"
    )
    return (
        '<section id="by-severity" aria-labelledby="by-severity-h"><h2 id="by-severity-h">Incidents by severity</h2>'
        f'{facts}<ul class="tiles">{"".join(items)}</ul></section>'
    )


def _rule_table(summary: Summary) -> str:
    if not summary.by_rule:
        body = '<p class="empty">No incidents, so no rules fired.</p>'
    else:
        rows = "".join(
            f'<tr data-rule="{_e(t.key)}"><th scope="row"><code>{_e(t.key)}</code></th>'
            f'<td class="num">{t.incidents:,}</td><td class="num">{t.events:,}</td><td>{_badge(t.worst)}</td></tr>'
            for t in summary.by_rule
        )
        body = (
            '<table id="by-rule-table"><caption>Incidents per rule, most first.</caption><thead><tr>'
            '<th scope="col">Rule</th><th scope="col" class="num">Incidents</th>'
            '<th scope="col" class="num">Events</th><th scope="col">Highest severity</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>"
        )
    return f'<section id="by-rule" aria-labelledby="by-rule-h"><h2 id="by-rule-h">By rule</h2>{body}</section>'


def _principal_rows(tallies: Sequence[Tally]) -> str:
    return "".join(
        f'<tr data-principal="{_e(t.key)}"><td class="num">{rank}</td>'
        f'<th scope="row" class="wrap"><abbr title="{_e(t.key)}">{escape(principal_label(t.key, None))}</abbr></th>'
        f'<td class="num">{t.events:,}</td><td class="num">{t.incidents:,}</td><td>{_badge(t.worst)}</td>'
        f'<td class="wrap">{escape(", ".join(t.rules))}</td></tr>'
        for rank, t in enumerate(tallies, start=1)
    )


def _principals_table(summary: Summary) -> str:
    if not summary.top_principals:
        body = '<p class="empty">No principals to rank.</p>'
    else:
        shown = len(summary.top_principals)
        more = summary.principal_count - shown
        note = f" {plural(more, 'more principal')} not shown." if more > 0 else ""
        body = (
            f'<table id="top-principals"><caption>The {shown} principal ARNs with the most events '
            f"(the sum of incident counts).{escape(note)}</caption><thead><tr>"
            '<th scope="col" class="num">#</th><th scope="col">Principal ARN</th>'
            '<th scope="col" class="num">Events</th><th scope="col" class="num">Incidents</th>'
            '<th scope="col">Highest severity</th><th scope="col">Rules</th></tr></thead>'
            f"<tbody>{_principal_rows(summary.top_principals)}</tbody></table>"
        )
    return (
        '<section id="principals" aria-labelledby="principals-h"><h2 id="principals-h">Top principals</h2>'
        f"{body}</section>"
    )


def _timeline(incidents: Sequence[Mapping[str, Any]], since: datetime | None, until: datetime | None) -> str:
    timeline = build_timeline(incidents, since=since, until=until)
    legend = "".join(
        f'<li><span class="swatch" style="background:{COLORS.get(sev, COLORS[UNKNOWN])}"></span>{escape(sev)}</li>'
        for sev in timeline.severities
    )
    return (
        '<section id="timeline-section" aria-labelledby="timeline-h">'
        f'<h2 id="timeline-h">Timeline: incidents per {escape(timeline.granularity)}</h2>'
        f'<figure>{render_timeline(timeline)}<figcaption><ul class="legend" aria-label="Severity colours">'
        f"{legend}</ul></figcaption></figure></section>"
    )



def render_html(
    incidents: Sequence[Mapping[str, Any]],
    *,
    since: datetime | None,
    until: datetime | None,
    generated_at: datetime,
    title: str = DEFAULT_TITLE,
    verify_summary: str | None = None,
    chain: ChainFacts | None = None,
) -> str:
    """The whole report as one HTML document (a ``str``); the caller decides where it goes."""
    summary = summarize(incidents)
    page_title = report_title(title)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="referrer" content="no-referrer">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="color-scheme" content="light">',
        '<meta name="generator" content="Trailwarden">',
        f"<title>{escape(page_title)}</title>",
        f"<style>{_CSS}{TABLE_CSS}{_SEVERITY_CSS}\n</style>",
        "</head>",
        "<body>",
        _header(page_title, describe_dates(incidents, since, until), generated_at, verify_summary, chain),
        "<main>",
        _severity_tiles(summary),
        response_section(summarize_responses(incidents)),
        _timeline(incidents, since, until),
        f'<div class="columns">{_rule_table(summary)}{_principals_table(summary)}</div>',
        incident_table(summary),
        "</main>",
        f"<footer>Trailwarden incident report, generated {escape(describe_moment(generated_at))}. "
        "Self-contained: this page loads nothing from anywhere.</footer>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"
