"""The timeline as inline SVG: incidents per day (week, month…) stacked by severity.

Plain SVG with presentation attributes, so it draws the same inside the report page, on its
own, or printed; hovering a bar shows its ``<title>`` (the day and its counts). No script.
"""

from __future__ import annotations

import math
from html import escape

from chalicelib.report.summary import UNKNOWN, Timeline

# Fill colours, also used by the page for tiles and badges; each has >= 4.5:1 contrast with white text.
COLORS: dict[str, str] = {
    "critical": "#b91c1c",
    "high": "#c2410c",
    "medium": "#8a6100",
    "low": "#1d4ed8",
    "info": "#4b5563",
    UNKNOWN: "#6b21a8",
}
_AXIS = "#374151"
_GRID = "#e5e7eb"
_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"

WIDTH, HEIGHT = 960, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 44, 20, 58
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
MAX_BAR_W = 56
LABEL_SPACING = 80  # px per x-axis label, at most
_TICK_FORMAT = {"day": "%Y-%m-%d", "week": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}
_X_TITLE = {
    "day": "day of first seen (UTC)",
    "week": "week of first seen (UTC, weeks start Monday)",
    "month": "month of first seen (UTC)",
    "year": "year of first seen (UTC)",
}


def _y_step(peak: int) -> int:
    """A 1-2-5 step giving at most about five gridlines."""
    raw = max(peak, 1) / 4
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    return next(int(m * magnitude) for m in (1, 2, 5, 10) if m * magnitude >= raw)


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _describe(timeline: Timeline) -> str:
    unit = timeline.granularity
    total = sum(b.total for b in timeline.buckets)
    busiest = timeline.busiest
    if busiest is None:
        text = "No dated incidents in this period."
    else:
        text = (
            f"{_plural(total, 'incident')} over {_plural(len(timeline.buckets), unit)} "
            f"({timeline.bars} with incidents); the most, {busiest.total}, {timeline.when(busiest)}."
        )
    if timeline.undated:
        text += f" {_plural(timeline.undated, 'incident')} without a readable first-seen time are not charted."
    return text


def _bar(timeline: Timeline, index: int, slot: float, scale: float) -> list[str]:
    bucket = timeline.buckets[index]
    width = max(min(slot * 0.78, MAX_BAR_W), min(slot, 1.0))
    x = LEFT + index * slot + (slot - width) / 2
    parts = [f"{sev} {bucket.counts[sev]}" for sev in timeline.severities if bucket.counts.get(sev)]
    title = f"{bucket.label}: {_plural(bucket.total, 'incident')} ({', '.join(parts)})"
    out = [
        f'<g class="bar" data-bucket="{escape(bucket.start.isoformat())}" data-total="{bucket.total}">'
        f"<title>{escape(title)}</title>"
    ]
    base = TOP + PLOT_H
    for sev in timeline.severities:
        n = bucket.counts.get(sev, 0)
        if not n:
            continue
        height = n * scale
        base -= height
        out.append(
            f'<rect class="seg sev-{escape(sev)}" x="{_num(x)}" y="{_num(base)}" width="{_num(width)}" '
            f'height="{_num(height)}" fill="{COLORS.get(sev, COLORS[UNKNOWN])}"/>'
        )
    if slot >= 18:
        out.append(
            f'<text x="{_num(x + width / 2)}" y="{_num(base - 4)}" text-anchor="middle" font-size="11" '
            f'fill="{_AXIS}">{bucket.total}</text>'
        )
    out.append("</g>")
    return out


def _y_axis(top: int, step: int) -> list[str]:
    out = []
    for value in range(0, top + 1, step):
        y = TOP + PLOT_H - value * PLOT_H / top
        out.append(
            f'<line x1="{LEFT}" x2="{LEFT + PLOT_W}" y1="{_num(y)}" y2="{_num(y)}" stroke="{_GRID}"/>'
            f'<text x="{LEFT - 8}" y="{_num(y + 4)}" text-anchor="end" font-size="12" fill="{_AXIS}">{value}</text>'
        )
    middle = TOP + PLOT_H / 2
    out.append(
        f'<text x="14" y="{_num(middle)}" transform="rotate(-90 14 {_num(middle)})" text-anchor="middle" '
        f'font-size="12" fill="{_AXIS}">incidents</text>'
    )
    return out


def _x_axis(timeline: Timeline, slot: float) -> list[str]:
    n = len(timeline.buckets)
    every = max(1, math.ceil(n / max(1, PLOT_W // LABEL_SPACING)))
    fmt = _TICK_FORMAT[timeline.granularity]
    base = TOP + PLOT_H
    out = [f'<line x1="{LEFT}" x2="{LEFT + PLOT_W}" y1="{base}" y2="{base}" stroke="{_AXIS}"/>']
    for index in range(0, n, every):
        x = LEFT + (index + 0.5) * slot
        out.append(
            f'<line x1="{_num(x)}" x2="{_num(x)}" y1="{base}" y2="{base + 5}" stroke="{_AXIS}"/>'
            f'<text x="{_num(x)}" y="{base + 19}" text-anchor="middle" font-size="12" fill="{_AXIS}">'
            f"{escape(timeline.buckets[index].start.strftime(fmt))}</text>"
        )
    out.append(
        f'<text x="{LEFT + PLOT_W / 2:.0f}" y="{HEIGHT - 8}" text-anchor="middle" font-size="12" '
        f'fill="{_AXIS}">{escape(_X_TITLE[timeline.granularity])}</text>'
    )
    return out


def render_timeline(timeline: Timeline, *, element_id: str = "timeline") -> str:
    """The chart as one ``<svg>`` element; one ``<g class="bar">`` (with a ``<title>``) per non-empty bucket."""
    ident = escape(element_id)
    peak = timeline.peak
    step = _y_step(peak)
    top = max(step, math.ceil(peak / step) * step)
    # keep headroom for the count printed above the tallest bar
    if peak and top - peak < top * 0.08:
        top += step
    out = [
        f'<svg id="{ident}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" preserveAspectRatio="xMidYMid meet" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" font-family="{escape(_FONT)}">',
        f'<title id="{ident}-title">Incidents per {escape(timeline.granularity)} by severity</title>',
        f'<desc id="{ident}-desc">{escape(_describe(timeline))}</desc>',
        *_y_axis(top, step),
    ]
    if timeline.buckets:
        slot = PLOT_W / len(timeline.buckets)
        out.extend(_x_axis(timeline, slot))
        for index, bucket in enumerate(timeline.buckets):
            if bucket.total:
                out.extend(_bar(timeline, index, slot, PLOT_H / top))
    else:
        out.append(f'<line x1="{LEFT}" x2="{LEFT + PLOT_W}" y1="{TOP + PLOT_H}" y2="{TOP + PLOT_H}" stroke="{_AXIS}"/>')
    if not peak:
        out.append(
            f'<text x="{LEFT + PLOT_W / 2:.0f}" y="{TOP + PLOT_H / 2:.0f}" text-anchor="middle" font-size="16" '
            f'fill="{_AXIS}">No incidents in this period</text>'
        )
    out.append("</svg>")
    return "\n".join(out)
