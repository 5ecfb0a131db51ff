"""What a saved matplotlib figure shows (axes, labels, series, values), and Markdown tables, for tests.

``record_savefig(log)`` wraps ``Figure.savefig`` so every saved figure is described (once per file
stem) in ``log``, a list, or appended as a JSON line to a file: tests then check the figures a
report or a notebook made without looking at pixels.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def _floats(values) -> list[float]:
    return [float(v) for v in np.ma.filled(np.ma.asarray(values, dtype=float), np.nan).ravel()]


def describe_axes(ax) -> dict:
    """Title, labels, tick labels, lines, bars (with error-bar ends), images and legend of one axes."""
    from matplotlib.container import BarContainer, ErrorbarContainer

    legend = ax.get_legend()
    bars = []
    for c in ax.containers:
        if isinstance(c, BarContainer):
            ends = []
            if c.errorbar is not None and c.errorbar.lines[2]:
                ends = [[float(seg[0][1]), float(seg[1][1])] for seg in c.errorbar.lines[2][0].get_segments()]
            bars.append(
                {
                    "label": c.get_label(),
                    "x": [float(p.get_x() + p.get_width() / 2) for p in c.patches],
                    "heights": [float(p.get_height()) for p in c.patches],
                    "err": ends,
                }
            )
    errorbars = [  # errorbar() series: the label is the container's, the data line is lines[0]
        {"label": c.get_label(), "x": _floats(c.lines[0].get_xdata()), "y": _floats(c.lines[0].get_ydata())}
        for c in ax.containers
        if isinstance(c, ErrorbarContainer) and c.lines[0] is not None
    ]
    return {
        "title": ax.get_title(),
        "xlabel": ax.get_xlabel(),
        "ylabel": ax.get_ylabel(),
        "xticklabels": [t.get_text() for t in ax.get_xticklabels()],
        "lines": [
            {"label": line.get_label(), "x": _floats(line.get_xdata()), "y": _floats(line.get_ydata())}
            for line in ax.get_lines()
        ],
        "bars": bars,
        "errorbars": errorbars,
        "images": [list(np.shape(im.get_array())) for im in ax.get_images()],
        "collections": len(ax.collections),
        "legend": [t.get_text() for t in legend.get_texts()] if legend is not None else [],
        "axis_on": bool(ax.axison),
    }


def describe_figure(fig) -> dict:
    """:func:`describe_axes` of every axes, in order, and the figure's suptitle."""
    suptitle = fig._suptitle.get_text() if getattr(fig, "_suptitle", None) is not None else ""
    return {"suptitle": suptitle, "axes": [describe_axes(ax) for ax in fig.axes]}


def record_savefig(log: list | str | Path):
    """Wrap ``matplotlib.figure.Figure.savefig`` to describe each saved figure; returns the original."""
    from matplotlib.figure import Figure

    original = Figure.savefig
    seen: set[str] = set()

    def savefig(fig, fname, *args, **kwargs):
        # atomic writes save to a hidden temporary name: .fig_means.png.k2j1x.png -> fig_means
        stem = Path(fname).name.lstrip(".").split(".")[0] if isinstance(fname, (str, Path)) else "<buffer>"
        if stem not in seen:
            seen.add(stem)
            entry = {"stem": stem, **describe_figure(fig)}
            if isinstance(log, list):
                log.append(entry)
            else:
                with open(log, "a") as fh:
                    fh.write(json.dumps(entry) + "\n")
        return original(fig, fname, *args, **kwargs)

    Figure.savefig = savefig
    return original


def markdown_tables(md: str) -> dict[str, list[dict[str, str]]]:
    """The pipe tables of a Markdown text, keyed by the heading above each (rows as dicts of cells)."""
    tables: dict[str, list[dict[str, str]]] = {}
    heading, lines = "", md.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        if (
            line.startswith("|")
            and i + 1 < len(lines)
            and set(lines[i + 1].replace("|", "").strip()) <= set(":- ")
        ):
            header = [c.strip() for c in line.strip("|").split("|")]
            rows, i = [], i + 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(
                    dict(zip(header, (c.strip() for c in lines[i].strip("|").split("|")), strict=True))
                )
                i += 1
            tables[heading] = rows
            continue
        i += 1
    return tables
