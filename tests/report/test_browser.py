"""The HTML report in a real headless Chromium: the DOM it builds, and a screenshot of the page.

Skipped, saying why, where no Chromium binary is installed (``apt-get install chromium``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import struct
import subprocess
import zlib
from pathlib import Path
from typing import Any

import pytest

from chalicelib.report import render_html
from tests.report.conftest import GENERATED_AT, SINCE, UNTIL, realistic_incidents
from tests.report.htmltree import Node, parse

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
CHROMIUM = next((path for name in BROWSERS if (path := shutil.which(name))), None)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason=f"no Chromium binary on PATH (looked for {', '.join(BROWSERS)})"
)

TIMEOUT = 60
WINDOW = (1440, 2000)
HOSTILE_AGENT = "<script>document.title='pwned'</script>aws-cli/2.15.0"


def run_chromium(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium with a throwaway profile; kill its whole process group on timeout."""
    command = [
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={workdir / 'profile'}", *args,
    ]  # fmt: skip
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True, cwd=workdir
    )
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"Chromium did not finish within {TIMEOUT} s: {' '.join(command)}")
    return subprocess.CompletedProcess(command, proc.returncode, out, err)


def incidents() -> list[dict[str, Any]]:
    rows = realistic_incidents()
    rows[0]["user_agent"] = HOSTILE_AGENT
    return rows


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    html = render_html(incidents(), since=SINCE, until=UNTIL, generated_at=GENERATED_AT, verify_summary="chain intact")
    path.write_text(html, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def dumped_dom(report_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Node:
    result = run_chromium(tmp_path_factory.mktemp("dom"), "--dump-dom", report_file.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    assert "<html" in result.stdout, result.stderr[-2000:]
    return parse(result.stdout)


def png_size_and_colours(data: bytes) -> tuple[int, int, int]:
    """Width, height and the number of distinct byte values in the decoded image data."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    offset, idat = 8, b""
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        if kind == b"IDAT":
            idat += data[offset + 8 : offset + 8 + length]
        offset += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


def test_the_browser_builds_one_table_row_per_incident(dumped_dom: Node) -> None:
    rows = dumped_dom.by_id("incidents").find_all("tr", cls="incident")
    assert len(rows) == len(incidents())
    assert {r.attrs["data-incident"] for r in rows} == {i["incident_id"] for i in incidents()}


def test_the_browser_builds_the_chart_with_one_titled_bar_per_day_with_incidents(dumped_dom: Node) -> None:
    days_with_incidents = {i["first_seen"][:10] for i in incidents()}
    bars = dumped_dom.by_id("timeline").find_all("g", cls="bar")
    assert len(bars) == len(days_with_incidents) == 9
    assert all(bar.find_all("title") and bar.find_all("rect") for bar in bars)


def test_the_browser_runs_no_script_from_incident_text(dumped_dom: Node) -> None:
    assert dumped_dom.find_all("script") == []
    assert dumped_dom.find_all("title")[0].text == "Trailwarden incident report"
    hovers = [a.attrs.get("title") for a in dumped_dom.by_id("incidents").find_all("abbr")]
    assert HOSTILE_AGENT in hovers


def test_the_browser_renders_a_non_trivial_screenshot(report_file: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    result = run_chromium(
        tmp_path, "--hide-scrollbars", f"--window-size={WINDOW[0]},{WINDOW[1]}", f"--screenshot={shot}",
        report_file.as_uri(),
    )  # fmt: skip
    assert result.returncode == 0 and shot.exists(), result.stderr[-2000:]
    width, height, distinct = png_size_and_colours(shot.read_bytes())
    assert (width, height) == WINDOW
    assert shot.stat().st_size > 20_000
    assert distinct > 64, "the screenshot is (nearly) blank"


# Layout: measured in the browser. The report itself runs no script (its CSP forbids it), so a
# copy without the CSP gets a probe that writes the table's geometry into the title.
PROBE = """<script>
const w = document.documentElement.clientWidth, table = document.getElementById('incidents');
const cells = [...table.querySelectorAll('thead th')].map(th => Math.round(th.getBoundingClientRect().right));
document.title = JSON.stringify({viewport: w, page: document.documentElement.scrollWidth,
  table: Math.round(table.getBoundingClientRect().right), headers: cells});
</script>"""


def measured(report_file: Path, workdir: Path, width: int) -> dict[str, Any]:
    html = report_file.read_text(encoding="utf-8")
    html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html).replace("</body>", PROBE + "</body>")
    probe = workdir / "probe.html"
    probe.write_text(html, encoding="utf-8")
    result = run_chromium(workdir, "--hide-scrollbars", f"--window-size={width},1000", "--dump-dom", probe.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(parse(result.stdout).find_all("title")[0].text)


@pytest.mark.parametrize("width", [1280, 1920])
def test_the_incident_table_fits_the_window_with_every_column_visible(report_file: Path, tmp_path: Path,
                                                                      width: int) -> None:
    geometry = measured(report_file, tmp_path, width)
    assert geometry["viewport"] == width
    assert geometry["page"] <= width, "the page scrolls sideways"
    assert geometry["table"] <= width and max(geometry["headers"]) <= width, geometry
    assert len(geometry["headers"]) == 7


@pytest.mark.parametrize("width", [1280, 1920])
def test_a_screenshot_at_common_widths_is_not_blank(report_file: Path, tmp_path: Path, width: int) -> None:
    shot = tmp_path / f"report-{width}.png"
    result = run_chromium(tmp_path, "--hide-scrollbars", f"--window-size={width},1600", f"--screenshot={shot}",
                          report_file.as_uri())  # fmt: skip
    assert result.returncode == 0 and shot.exists(), result.stderr[-2000:]
    got_width, height, distinct = png_size_and_colours(shot.read_bytes())
    assert (got_width, height) == (width, 1600) and distinct > 64
