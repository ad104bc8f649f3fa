"""The auditors' report: the incident log rendered as one HTML page or a Markdown summary.

Pure rendering: the caller queries the store, passes the incidents (DESIGN §6 mappings plus
``incident_id``, ``count``, ``first_seen``, ``last_seen``) and writes the returned text
wherever it likes. Both renderers count through :func:`summarize`, so they always agree.
"""

from __future__ import annotations

from chalicelib.report.html import render_html
from chalicelib.report.markdown import md_escape, render_markdown
from chalicelib.report.summary import Summary, Tally, Timeline, build_timeline, summarize

__all__ = ["Summary", "Tally", "Timeline", "build_timeline", "md_escape", "render_html", "render_markdown", "summarize"]
