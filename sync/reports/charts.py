"""Charts as inline SVG (matplotlib, no display needed): bars stacked per series, lines over them."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # before pyplot: no display, no GUI toolkit

import matplotlib.pyplot as plt

from sync.reports.model import Chart

PALETTE = {
    "Green": "#2e7d32",
    "Yellow": "#f9a825",
    "Orange": "#ef6c00",
    "Red": "#c62828",
    "(not set)": "#9e9e9e",
}


def svg(chart: Chart) -> str:
    """The chart as an ``<svg>`` element (text drawn as paths, so the page needs no font)."""
    with plt.rc_context({"svg.fonttype": "path", "svg.hashsalt": chart.name}):
        figure, axes = plt.subplots(figsize=(7.5, 3.6))
        try:
            positions = list(range(len(chart.x)))
            bottom = [0.0] * len(chart.x)
            for series in chart.series:
                values = [v for v in series.values]
                if series.style == "bar":
                    heights = [v or 0.0 for v in values]
                    axes.bar(
                        positions, heights, bottom=bottom, label=series.label, color=PALETTE.get(series.label)
                    )
                    bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
                else:
                    points = [(p, v) for p, v in zip(positions, values, strict=True) if v is not None]
                    axes.plot(
                        [p for p, _ in points],
                        [v for _, v in points],
                        marker="o",
                        linestyle="-" if series.style == "line" else "none",
                        label=series.label,
                        color="#1f3a93",
                    )
            axes.set_xticks(
                positions,
                list(chart.x),
                rotation=30 if len(chart.x) > 6 else 0,
                ha="right" if len(chart.x) > 6 else "center",
            )
            axes.set_title(chart.title)
            axes.set_xlabel(chart.x_label)
            axes.set_ylabel(chart.y_label)
            if len(chart.series) > 1:
                axes.legend(fontsize="small")
            axes.grid(axis="y", alpha=0.3)
            figure.tight_layout()
            out = io.StringIO()
            figure.savefig(out, format="svg", metadata={"Date": None})
        finally:
            plt.close(figure)
    text = out.getvalue()
    return text[text.index("<svg") :]
