"""Rendering: terminal tables, CSV and JSON carry the same numbers; the HTML page is self-contained with
its charts, and renders in a headless browser when one is installed."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from datetime import UTC
from pathlib import Path
from xml.etree import ElementTree

import pytest

from sync.reports.html import as_html
from sync.reports.loop import loop_report
from sync.reports.nps import nps_document
from sync.reports.render import as_csv, as_json, as_text
from sync.reports.sli import sli_report
from sync.reports.window import between, iso_week
from tests.reports.seed import NOW, at, detractors, slis


def test_text_csv_and_json_carry_the_same_numbers() -> None:
    report = sli_report(slis(), iso_week("2026-W48", UTC), NOW)
    text = as_text(report)
    assert text.startswith("Service Level Interventions · 2026-W48")
    assert "C - Rude" in text and "\x1b[" not in text
    data = json.loads(as_json(report))
    assert data["tables"]["overdue"] == [
        {
            "sli": "C - Rude",
            "office": "Miami",
            "region": "South",
            "incident": "2026-10-20",
            "days since incident": 41,
        }
    ]
    rows = list(csv.reader(io.StringIO(as_csv(report))))
    assert ["table", "sli", "office", "region", "incident", "days since incident"] in rows
    assert ["overdue", "C - Rude", "Miami", "South", "2026-10-20", "41"] in rows


def _pages() -> dict[str, str]:
    window = between(at(2), at(30), UTC)
    return {
        "sli": as_html(sli_report(slis(), iso_week("2026-W48", UTC), NOW)),
        "loop": as_html(loop_report(detractors(), window, NOW)),
        "nps": as_html(nps_document(detractors(), window, NOW, period="week", by=None, zone=UTC)),
    }


def test_the_html_page_is_self_contained_with_its_charts() -> None:
    charts = {"sli": "sli_colours_by_region", "loop": "time_to_follow_up", "nps": "nps_trend"}
    for kind, page in _pages().items():
        assert page.startswith("<!DOCTYPE html>")
        assert not re.search(r'(src|href)="(?!#)', page)  # nothing fetched (namespace URIs are names)
        assert "<script" not in page and "<link" not in page and "<img" not in page
        figure = page.index(f'<figure class="chart" id="{charts[kind]}">')
        svg = page[page.index("<svg", figure) : page.index("</svg>", figure) + len("</svg>")]
        root = ElementTree.fromstring(svg)  # well-formed SVG
        assert len(root.findall(".//{http://www.w3.org/2000/svg}path")) > 10  # drawn, not empty
        assert "<table" in page


@pytest.mark.skipif(
    not (shutil.which("chromium") or shutil.which("chromium-browser")),
    reason="no headless chromium installed",
)
def test_the_html_page_renders_in_a_headless_browser(tmp_path: Path) -> None:
    """Chromium loads the page and lays out each chart at a real size (read back from its DOM)."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    assert browser is not None
    for kind, page in _pages().items():
        path = tmp_path / f"{kind}.html"
        probe = (
            "<script>window.onload=()=>{document.title=[...document.querySelectorAll('figure svg')]"
            ".map(s=>{const r=s.getBoundingClientRect();return Math.round(r.width)+'x'+Math.round(r.height)})"
            ".join(',')+'|'+document.querySelectorAll('table').length}</script>"
        )
        path.write_text(page.replace("</body>", probe + "</body>"))
        dom = subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--virtual-time-budget=2000",
                "--dump-dom",
                path.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout
        title = dom[dom.index("<title>") + 7 : dom.index("</title>")]
        sizes, tables = title.split("|")
        width, height = (int(n) for n in sizes.split(",")[0].split("x"))
        assert width > 300 and height > 100, (kind, title)
        assert int(tables) >= 1
        shot = tmp_path / f"{kind}.png"
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                f"--screenshot={shot}",
                "--window-size=1000,900",
                path.as_uri(),
            ],
            capture_output=True,
            timeout=120,
            check=True,
        )
        assert shot.stat().st_size > 5000
