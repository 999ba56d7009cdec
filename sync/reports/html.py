"""A report as one self-contained HTML page: inline CSS and SVG charts, nothing fetched."""

from __future__ import annotations

from html import escape

from sync.reports.model import Report
from sync.reports.render import cell

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
h1 { font-size: 1.4rem; margin-bottom: 0; } p.period { color: #555; margin-top: .2rem; }
table { border-collapse: collapse; margin: .5rem 0 1.5rem; }
caption { text-align: left; font-weight: 600; padding: .3rem 0; }
th, td { border-bottom: 1px solid #ddd; padding: .25rem .6rem; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1rem 0 2rem; } figure svg { max-width: 100%; height: auto; }
"""


def as_html(report: Report, charts: bool = True, page: bool = True) -> str:
    """The whole page; ``page=False`` gives the tables alone (an email body part, no charts)."""
    parts = []
    if page:
        parts += [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{escape(report.title)} · {escape(report.period)}</title>",
            f"<style>{STYLE}</style></head><body>",
            f"<h1>{escape(report.title)}</h1>",
            f'<p class="period">{escape(report.period)} · generated {escape(report.generated_at.isoformat())}</p>',
        ]
    if charts and report.charts:
        from sync.reports.charts import svg  # matplotlib loads only for a page with charts
    for chart in report.charts if charts else ():
        parts.append(
            f'<figure class="chart" id="{escape(chart.name)}">{svg(chart)}'
            f"<figcaption>{escape(chart.title)}</figcaption></figure>"
        )
    for table in report.tables:
        parts.append(f'<table id="{escape(table.name)}"><caption>{escape(table.title)}</caption><thead><tr>')
        parts.extend(f"<th>{escape(c)}</th>" for c in table.columns)
        parts.append("</tr></thead><tbody>")
        for row in table.rows:
            parts.append("<tr>")
            for value in row:
                numeric = isinstance(value, int | float) and not isinstance(value, bool)
                parts.append(f"<td{' class=num' if numeric else ''}>{escape(cell(value))}</td>")
            parts.append("</tr>")
        parts.append("</tbody></table>")
    if page:
        parts.append("</body></html>")
    return "\n".join(parts)
