"""A report as terminal tables (rich), JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table as RichTable

from sync.reports.model import Report


def cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def as_text(report: Report, width: int = 140) -> str:
    """Plain-text tables (no colour codes), one per section, headed by the report and its period."""
    out = io.StringIO()
    console = Console(file=out, width=width, no_color=True, color_system=None, highlight=False)
    console.print(f"{report.title} · {report.period}")
    for table in report.tables:
        rich = RichTable(title=table.title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
        for index, column in enumerate(table.columns):
            numeric = index > 0 and all(isinstance(r[index], int | float | None) for r in table.rows)
            rich.add_column(column, justify="right" if numeric else "left")
        for row in table.rows:
            rich.add_row(*(cell(v) for v in row))
        if not table.rows:
            rich.add_row("(none)", *[""] * (len(table.columns) - 1))
        console.print(rich)
    return "\n".join(line.rstrip() for line in out.getvalue().splitlines()).strip() + "\n"


def as_json(report: Report) -> str:
    return json.dumps(report.as_dict(), indent=2, default=str)


def as_csv(report: Report) -> str:
    """Every section in one CSV: a ``table`` column names the section; each section has its header."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for index, table in enumerate(report.tables):
        if index:
            writer.writerow([])
        writer.writerow(["table", *table.columns])
        for row in table.rows:
            writer.writerow([table.name, *("" if v is None else v for v in row)])
    return out.getvalue()
