"""The HTML report: one self-contained, escaped, accessible page."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from chalicelib.report import render_html
from chalicelib.report.triage import ChainFacts
from tests.report.conftest import GENERATED_AT, SINCE, UNTIL, build_incident
from tests.report.htmltree import Node, parse

HOSTILE_AGENT = '<script>alert("pwned")</script><img src=https://evil.example/x.png onerror=alert(1)>'
_RESOURCE_ATTRS = ("src", "href", "xlink:href", "srcset", "action", "formaction", "poster", "data", "background")


def page(incidents: list[dict[str, Any]], **kwargs: Any) -> str:
    args: dict[str, Any] = {"since": SINCE, "until": UNTIL, "generated_at": GENERATED_AT} | kwargs
    return render_html(incidents, **args)


def tree(incidents: list[dict[str, Any]], **kwargs: Any) -> Node:
    return parse(page(incidents, **kwargs))


def body_rows(doc: Node) -> list[Node]:
    return doc.by_id("incidents").find_all("tbody")[0].find_all("tr", cls="incident")


def test_the_page_is_one_complete_html_document() -> None:
    html = page([build_incident()])
    assert html.startswith("<!DOCTYPE html>")
    assert html.rstrip().endswith("</html>")


def test_an_empty_incident_list_renders_a_page_that_says_so() -> None:
    doc = tree([])
    assert body_rows(doc) == []
    assert "No incidents in this period" in doc.by_id("incidents").text
    assert doc.by_id("timeline").find_all("g", cls="bar") == []


def test_every_incident_gets_one_table_row() -> None:
    incidents = [build_incident(incident_id=f"inc-{n}") for n in range(7)]
    assert len(body_rows(tree(incidents))) == 7


def test_the_table_has_a_caption_and_column_headers_with_scope() -> None:
    table = tree([build_incident()]).by_id("incidents")
    assert table.find_all("caption")
    headers = table.find_all("thead")[0].find_all("th")
    assert len(headers) == 7
    assert all(th.attrs.get("scope") == "col" for th in headers)


def test_a_row_shows_the_incident_fields() -> None:
    incident = build_incident(breaks="Terraform CI in GitHub Actions", count=3, incident_id="inc-0042")
    row_text = body_rows(tree([incident]))[0].text
    for expected in ("critical", "root-api-use", "root (630287363158)", "api-key",
                     "GetParameter", "2026-11-20 10:01:02", "630287363158", "us-east-1",
                     "Terraform CI in GitHub Actions", "never be used", "inc-0042"):  # fmt: skip
        assert expected in row_text


def test_the_principal_is_named_with_its_arn_on_hover() -> None:
    row = body_rows(tree([build_incident(principal="github-actions")]))[0]
    names = {a.text: a.attrs.get("title") for a in row.find_all("abbr")}
    assert names["github-actions"] == "arn:aws:iam::630287363158:root"


def test_a_grouped_incident_lists_its_member_events_in_sequence() -> None:
    members = [{"event_id": f"e{n}", "event_time": f"2026-11-20T10:0{n}:00Z", "event_name": name,
                "source_ip": f"203.0.113.{n}"} for n, name in enumerate(("GetParameter", "DeleteUser"))]
    row = body_rows(tree([build_incident(count=2, details={"members": members})]))[0]
    [sequence] = row.find_all("table", cls="seq")
    lines = [[td.text for td in tr.find_all("td")] for tr in sequence.find_all("tbody")[0].find_all("tr")]
    assert lines == [["2026-11-20 10:00:00", "GetParameter", "203.0.113.0"],
                     ["2026-11-20 10:01:00", "DeleteUser", "203.0.113.1"]]


def test_the_runbook_and_the_model_version_are_in_the_row() -> None:
    row = body_rows(tree([build_incident(runbook="Rotate the root password.",
                                         details={"model_version": "m-0123456789ab"})]))[0]
    assert "Rotate the root password." in row.find_all("details", cls="runbook")[0].text
    assert "model m-0123456789ab" in row.text


def test_the_response_column_says_who_acknowledged_and_resolved_and_how_fast() -> None:
    triage = {"status": "resolved", "resolution": "expected", "acknowledged_by": "jared",
              "acknowledged_at": "2026-11-20T10:05:02Z", "resolved_by": "maria", "resolved_at": "2026-11-20T11:31:02Z"}
    row = body_rows(tree([build_incident(triage=triage)]))[0]
    text = " ".join(row.find_all("td")[6].text.split())
    assert "acknowledged by jared after 4 min" in text and "resolved expected by maria after 1 h 30 min" in text
    assert row.attrs["data-status"] == "resolved"


def test_the_full_chain_head_and_model_version_are_in_the_header() -> None:
    head = "ab" * 32
    header = tree([], chain=ChainFacts(12, head, "m-0123456789ab")).find_all("header")[0]
    assert header.by_id("chain-head").text == head and header.by_id("model-version").text == "m-0123456789ab"


def test_missing_fields_render_as_a_dash() -> None:
    bare = {"rule": "root-api-use", "severity": "high"}
    cells = body_rows(tree([bare]))[0].find_all("td")
    assert [c.text.strip() for c in cells[2:6]] == ["-"] * 4
    assert cells[6].text.strip() == "never acknowledged"


def test_a_script_in_the_user_agent_is_escaped_not_executed() -> None:
    html = page([build_incident(user_agent=HOSTILE_AGENT)])
    doc = parse(html)
    assert doc.find_all("script") == []
    assert doc.find_all("img") == []
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;" in html
    assert HOSTILE_AGENT in [a.attrs.get("title") for a in body_rows(doc)[0].find_all("abbr")]


def test_every_text_field_is_escaped() -> None:
    hostile = build_incident(**{
        name: f"<b>{name}</b>"
        for name in ("rule", "principal_arn", "target_arn", "event_name", "account", "region", "source_ip",
                     "breaks", "reason", "incident_id", "first_seen", "last_seen")
    })  # fmt: skip
    doc = tree([hostile], title="<b>title</b>", verify_summary="<b>verify</b>")
    assert doc.find_all("b") == []


def test_the_page_references_no_external_resource() -> None:
    doc = tree([build_incident(user_agent=HOSTILE_AGENT, reason="see https://attacker.example/@import url(x)")])
    for node in doc.iter():
        for attr in _RESOURCE_ATTRS:
            assert node.attrs.get(attr) is None, f"<{node.tag} {attr}=...>"
        assert "url(" not in (node.attrs.get("style") or "")
    assert not doc.find_all("link") and not doc.find_all("script") and not doc.find_all("iframe")
    styles = " ".join(s.text for s in doc.find_all("style"))
    assert "@import" not in styles and "url(" not in styles and not re.search(r"https?:", styles)


def test_links_in_incident_text_stay_plain_text() -> None:
    doc = tree([build_incident(reason="phish at https://evil.example/login")])
    assert doc.find_all("a") == []
    assert "https://evil.example/login" in body_rows(doc)[0].text


def test_a_content_security_policy_forbids_loading_anything() -> None:
    meta = [m for m in tree([]).find_all("meta") if m.attrs.get("http-equiv") == "Content-Security-Policy"]
    assert "default-src 'none'" in (meta[0].attrs.get("content") or "")


def test_the_header_shows_the_period_and_generation_time() -> None:
    header = tree([]).find_all("header")[0].text
    assert "2026-11-11 00:00 UTC → 2026-11-21 00:00 UTC" in header
    assert "2026-11-21 08:30:00 UTC" in header


def test_an_open_period_says_so() -> None:
    incidents = [build_incident(first_seen="2026-11-02T08:59:40Z", last_seen="2026-11-02T09:00:00Z"),
                 build_incident(first_seen="2026-11-20T10:01:02Z", last_seen="2026-11-20T10:09:13Z")]
    header = tree(incidents, since=None, until=None).find_all("header")[0].text
    assert "2026-11-02 08:59 UTC → 2026-11-20 10:09 UTC (the whole log" in header


def test_the_chain_verification_summary_is_shown_when_given() -> None:
    assert "Chain verification: 120 records, chain intact" in tree([], verify_summary="120 records, chain intact").text


def test_no_verification_line_appears_without_a_summary() -> None:
    assert "Chain verification" not in tree([]).text


def test_the_severity_tiles_carry_the_counts() -> None:
    incidents = [build_incident(severity="high", count=4), build_incident(severity="high"), build_incident()]
    tiles = {t.attrs["data-severity"]: (t.attrs["data-incidents"], t.attrs["data-events"])
             for t in tree(incidents).find_all("li", cls="tile")}  # fmt: skip
    assert tiles == {"critical": ("1", "1"), "high": ("2", "5"), "medium": ("0", "0"), "low": ("0", "0"),
                     "info": ("0", "0")}  # fmt: skip


def test_the_rule_table_counts_each_rule() -> None:
    incidents = [build_incident(rule="iam-delete-user"), build_incident(rule="iam-delete-user"), build_incident()]
    rows = {r.attrs["data-rule"]: r.text for r in tree(incidents).by_id("by-rule-table").find_all("tr")[1:]}
    assert rows["iam-delete-user"].startswith("iam-delete-user22")


def test_the_top_principals_table_ranks_by_summed_count() -> None:
    incidents = [build_incident(principal_arn="arn:a", count=1), build_incident(principal_arn="arn:a", count=1),
                 build_incident(principal_arn="arn:b", count=5)]  # fmt: skip
    rows = tree(incidents).by_id("top-principals").find_all("tbody")[0].find_all("tr")
    assert [r.attrs["data-principal"] for r in rows] == ["arn:b", "arn:a"]


def test_the_chart_draws_one_titled_bar_per_day_with_incidents() -> None:
    incidents = [build_incident(first_seen=f"2026-11-{day}T10:00:00Z") for day in (12, 12, 14, 20)]
    bars = tree(incidents).by_id("timeline").find_all("g", cls="bar")
    assert [b.attrs["data-bucket"] for b in bars] == ["2026-11-12", "2026-11-14", "2026-11-20"]
    assert bars[0].find_all("title")[0].text == "2026-11-12: 2 incidents (critical 2)"


def test_the_chart_stacks_one_segment_per_severity() -> None:
    incidents = [build_incident(severity=s) for s in ("critical", "high", "high", "low")]
    bar = tree(incidents).by_id("timeline").find_all("g", cls="bar")[0]
    assert [r.attrs["class"] for r in bar.find_all("rect")] == ["seg sev-critical", "seg sev-high", "seg sev-low"]


def test_the_chart_handles_a_single_day() -> None:
    chart = tree([build_incident()], since=None, until=None).by_id("timeline")
    assert len(chart.find_all("g", cls="bar")) == 1
    assert "2026-11-20" in chart.text


def test_the_chart_handles_a_whole_year_of_days() -> None:
    since, until = datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    incidents = [build_incident(first_seen=f"2026-{m:02d}-15T10:00:00Z") for m in range(1, 13)]
    chart = tree(incidents, since=since, until=until).by_id("timeline")
    assert len(chart.find_all("g", cls="bar")) == 12
    widths = [float(r.attrs["width"] or 0) for r in chart.find_all("rect")]
    assert all(0 < w < 3 for w in widths)


def test_the_chart_is_labelled_for_assistive_technology() -> None:
    chart = tree([build_incident()]).by_id("timeline")
    assert chart.attrs.get("role") == "img"
    assert chart.find_all("desc")
