"""Figures and tables of the study and power reports: PNG + PDF figures, CSV + Markdown tables,
all written atomically (:mod:`gazefusion.utils.atomic`).

Plots take the long tables of :mod:`analysis.alignment` and :mod:`analysis.power`; heat maps use
the original's JET overlay (:func:`gazefusion.smaps.jet_overlay`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

PREDICTOR_LABELS = {
    "target": "target smap",
    "shuffled": "shuffled target",
    "centre": "centre bias",
    "ceiling": "inter-observer ceiling",
}


def pyplot():
    """``matplotlib.pyplot`` on the non-interactive Agg backend (files only, no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, stem: str | Path, dpi: int = 120) -> list[Path]:
    """Save ``fig`` as ``stem.png`` and ``stem.pdf``; closes it; returns both paths."""
    from gazefusion.utils.atomic import atomic_path

    stem = Path(stem)
    out = []
    for ext in ("png", "pdf"):
        path = stem.with_suffix("." + ext)
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format=ext)
        out.append(path)
    pyplot().close(fig)
    return out


def write_table(df: pd.DataFrame, stem: str | Path, floatfmt: str = ".4g") -> list[Path]:
    """Write ``df`` as ``stem.csv`` and ``stem.md`` (a Markdown table)."""
    from gazefusion.utils.atomic import atomic_write_text

    stem = Path(stem)
    atomic_write_text(stem.with_suffix(".csv"), df.to_csv(index=False))
    atomic_write_text(stem.with_suffix(".md"), df.to_markdown(index=False, floatfmt=floatfmt) + "\n")
    return [stem.with_suffix(".csv"), stem.with_suffix(".md")]


def plot_alignment(
    summary: pd.DataFrame, stem: str | Path, title: str = "gaze alignment vs controls"
) -> list[Path]:
    """Bars with 95% CIs per metric (panels) and predictor x condition (bars).

    ``summary`` has ``metric, label, mean, ci_low, ci_high`` (e.g. :func:`analysis.stats.summarize`)."""
    from analysis.bench_report import lower_is_better

    plt = pyplot()
    metrics = list(dict.fromkeys(summary["metric"]))
    fig, axes = plt.subplots(1, len(metrics), figsize=(2.4 * len(metrics) + 0.5, 3.0), squeeze=False)
    colours = plt.get_cmap("tab10")
    present = list(dict.fromkeys(summary["label"]))
    order = [*PREDICTOR_LABELS.values(), *("unguided: " + v for v in PREDICTOR_LABELS.values())]
    labels = [lab for lab in order if lab in present] + [lab for lab in present if lab not in order]
    for ax, metric in zip(axes[0], metrics, strict=True):
        sub = summary[summary["metric"] == metric].set_index("label").reindex(labels)
        err = np.vstack([sub["mean"] - sub["ci_low"], sub["ci_high"] - sub["mean"]])
        ax.bar(
            np.arange(len(labels)),
            sub["mean"],
            yerr=np.nan_to_num(np.clip(err, 0, None)),
            capsize=2,
            color=[colours(i % 10) for i in range(len(labels))],
        )
        ax.set_xticks(np.arange(len(labels)), labels, rotation=40, ha="right", fontsize=7)
        ax.set_title(metric + (" (lower = better)" if lower_is_better(metric) else ""), fontsize=9)
        ax.tick_params(axis="y", labelsize=7)
    fig.suptitle(title + " (mean and 95% CI over stimuli)", fontsize=10)
    fig.tight_layout()
    return save_figure(fig, stem)


def plot_power(curve: pd.DataFrame, stem: str | Path, target_power: float = 0.8) -> list[Path]:
    """Power vs participants, one panel per effect, one line per number of stimuli, Wilson CIs."""
    plt = pyplot()
    effects = sorted(curve["effect"].unique())
    fig, axes = plt.subplots(
        1, len(effects), figsize=(3.4 * len(effects) + 0.5, 3.0), squeeze=False, sharey=True
    )
    for ax, effect in zip(axes[0], effects, strict=True):
        for s, grp in curve[curve["effect"] == effect].groupby("stimuli"):
            grp = grp.sort_values("participants")
            ax.errorbar(
                grp["participants"],
                grp["power"],
                yerr=np.clip(
                    [grp["power"] - grp["power_ci_low"], grp["power_ci_high"] - grp["power"]], 0, None
                ),
                marker="o",
                capsize=2,
                label=f"{s} stimuli",
            )
        ax.axhline(target_power, color="grey", ls="--", lw=0.8)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("participants", fontsize=8)
        ax.set_title(f"effect {effect:g}", fontsize=9)
    axes[0][0].set_ylabel("power", fontsize=8)
    axes[0][-1].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return save_figure(fig, stem)


def plot_heatmaps(
    rows: Sequence[tuple[str, np.ndarray, np.ndarray | None, np.ndarray]],
    stem: str | Path,
    points: Sequence[np.ndarray] | None = None,
) -> list[Path]:
    """One row per stimulus: image | target smap over the image | gaze density over the image.

    ``rows`` holds (title, image uint8 (H, W, 3), target (H, W) in [0, 1] or None, gaze density
    (H, W)); the density is shown peak-normalised. ``points`` (optional, one (K, 2) array per row)
    are drawn as dots on the gaze panel.
    """
    from gazefusion.smaps import jet_overlay

    plt = pyplot()
    fig, axes = plt.subplots(len(rows), 3, figsize=(6.6, 2.2 * len(rows) + 0.3), squeeze=False)
    for r, (title, image, target, density) in enumerate(rows):
        peak = density.max()
        gaze = (density / peak if peak > 0 else density).astype(np.float32)
        panels = [
            image,
            jet_overlay(image, target.astype(np.float32)) if target is not None else None,
            jet_overlay(image, gaze),
        ]
        for c, (ax, panel) in enumerate(zip(axes[r], panels, strict=True)):
            ax.axis("off")
            if panel is not None:
                ax.imshow(panel)
            if r == 0:
                ax.set_title(["image", "target smap", "gaze (fixation map)"][c], fontsize=8)
        if points is not None and len(points[r]):
            axes[r][2].scatter(
                points[r][:, 0] - 0.5,
                points[r][:, 1] - 0.5,
                s=4,
                c="white",
                edgecolors="black",
                linewidths=0.3,
            )
        axes[r][0].text(0, -0.04, title, transform=axes[r][0].transAxes, fontsize=6, va="top")
    fig.tight_layout()
    return save_figure(fig, stem)
