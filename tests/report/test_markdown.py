"""The Markdown summary: same counts as the page, and cells that cannot break their table."""

from __future__ import annotations

from typing import Any

from chalicelib.report import md_escape, render_markdown
from tests.report.conftest import GENERATED_AT, SINCE, UNTIL, build_incident


def markdown(incidents: list[dict[str, Any]], **kwargs: Any) -> str:
    args: dict[str, Any] = {"since": SINCE, "until": UNTIL, "generated_at": GENERATED_AT} | kwargs
    return render_markdown(incidents, **args)


def section(text: str, heading: str) -> list[str]:
    """The table lines under one ``## heading``."""
    lines = text.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0].splitlines()
    return [line for line in lines if line.startswith("|")]


def cells(line: str) -> list[str]:
    """Split a table row on unescaped pipes, as a GFM renderer does."""
    parts, current, escaped = [], "", False
    for ch in line.strip()[1:-1]:
        if ch == "|" and not escaped:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
        escaped = ch == "\\" and not escaped
    return [*parts, current.strip()]


def test_the_summary_names_the_period_and_generation_time() -> None:
    text = markdown([])
    assert "**Period:** 2026-11-11 00:00 UTC → 2026-11-21 00:00 UTC" in text
    assert "**Generated:** 2026-11-21 08:30:00 UTC" in text


def test_an_empty_list_renders_with_zero_counts_and_no_incident_table() -> None:
    text = markdown([])
    assert "| critical | 0 | 0 |" in text
    assert "No incidents in this period." in text
    assert section(text, "Incidents") == []


def test_severity_counts_are_a_table_of_incidents_and_events() -> None:
    text = markdown([build_incident(severity="high", count=4), build_incident(severity="high"), build_incident()])
    rows = [cells(line) for line in section(text, "By severity")[2:]]
    assert rows == [["critical", "1", "1"], ["high", "2", "5"], ["medium", "0", "0"], ["low", "0", "0"],
                    ["info", "0", "0"]]  # fmt: skip


def test_rule_counts_are_a_table() -> None:
    text = markdown([build_incident(rule="iam-delete-user", severity="high"), build_incident()])
    rows = [cells(line) for line in section(text, "By rule")[2:]]
    assert ["iam-delete-user", "1", "1", "high"] in rows


def test_top_principals_are_ranked_by_summed_count() -> None:
    text = markdown([build_incident(principal_arn="arn:a"), build_incident(principal_arn="arn:b", count=3)])
    rows = [cells(line) for line in section(text, "Top principals")[2:]]
    assert [(r[0], r[1], r[2]) for r in rows] == [("1", "arn:b", "3"), ("2", "arn:a", "1")]


def test_a_pipe_in_incident_text_cannot_add_a_column() -> None:
    text = markdown([build_incident(principal_arn="arn:x|injected|cells", event_name="Get|Parameter")])
    rows = section(text, "Incidents")
    assert {len(cells(line)) for line in rows} == {14}
    assert r"arn:x\|injected\|cells" in rows[2]


def test_a_newline_in_incident_text_cannot_end_the_row() -> None:
    text = markdown([build_incident(incident_id="inc-1\n| forged | row |\n")])
    assert len(section(text, "Incidents")) == 3


def test_html_and_markup_in_incident_text_show_as_text() -> None:
    assert md_escape("<script>*x*</script> [a](b)") == r"&lt;script&gt;\*x\*&lt;/script&gt; \[a\](b)"


def test_missing_fields_render_as_a_dash() -> None:
    rows = section(markdown([{"rule": "root-api-use", "severity": "low"}]), "Incidents")
    assert cells(rows[2])[2:9] == ["-", "-", "-", "-", "-", "-", "-"]
    assert cells(rows[2])[9:] == ["open", "-", "-", "-", "-"]


def test_the_verification_summary_is_escaped_too() -> None:
    assert r"**Chain verification:** ok \| forged" in markdown([], verify_summary="ok | forged")
