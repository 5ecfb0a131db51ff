"""Figures and tables of the study, power and bench reports: PNG + PDF figures, CSV + Markdown tables,
all written atomically (:mod:`gazefusion.utils.atomic`).

Plots take the long tables of :mod:`analysis.alignment` and :mod:`analysis.power`; heat maps use
the original's JET overlay (:func:`gazefusion.smaps.jet_overlay`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

PREDICTOR_LABELS = {
    "target": "target smap",
    "shuffled": "shuffled target",
    "centre": "centre bias",
    "ceiling": "inter-observer ceiling",
}


def metric_title(metric: str) -> str:
    """A panel title for ``metric``, saying when lower is better (KLD, EMD)."""
    from metrics.registry import lower_is_better

    return metric + (" (lower is better)" if lower_is_better(metric) else "")


def _ci_yerr(
    rows: pd.DataFrame, value: str = "mean", low: str = "ci_low", high: str = "ci_high"
) -> np.ndarray:
    """Error-bar lengths below and above ``value`` to the 95% CI (columns ``low``, ``high``); 0 where
    NaN (no CI) and never negative (matplotlib refuses negative lengths)."""
    err = np.vstack([rows[value] - rows[low], rows[high] - rows[value]])
    return np.nan_to_num(np.clip(err, 0, None))


def _ci_lines(ax: Any, data: pd.DataFrame, by: str, x: str, y: str, label: str = "{}", **ci: str) -> None:
    """One line per value of column ``by``: ``y`` over ``x`` (sorted) with 95% CI error bars
    (:func:`_ci_yerr`, column names ``ci``); legend labels ``label.format(value)``."""
    for key, rows in data.groupby(by):
        rows = rows.sort_values(x)
        ax.errorbar(
            rows[x], rows[y], yerr=_ci_yerr(rows, y, **ci), marker="o", capsize=2, label=label.format(key)
        )


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
    plt = pyplot()
    metrics = list(dict.fromkeys(summary["metric"]))
    fig, axes = plt.subplots(1, len(metrics), figsize=(2.4 * len(metrics) + 0.5, 3.0), squeeze=False)
    colours = plt.get_cmap("tab10")
    present = list(dict.fromkeys(summary["label"]))
    order = [*PREDICTOR_LABELS.values(), *("unguided: " + v for v in PREDICTOR_LABELS.values())]
    labels = [lab for lab in order if lab in present] + [lab for lab in present if lab not in order]
    for ax, metric in zip(axes[0], metrics, strict=True):
        sub = summary[summary["metric"] == metric].set_index("label").reindex(labels)
        ax.bar(
            np.arange(len(labels)),
            sub["mean"],
            yerr=_ci_yerr(sub),
            capsize=2,
            color=[colours(i % 10) for i in range(len(labels))],
        )
        ax.set_xticks(np.arange(len(labels)), labels, rotation=40, ha="right", fontsize=7)
        ax.set_title(metric_title(metric), fontsize=9)
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
        panel = curve[curve["effect"] == effect]
        _ci_lines(
            ax,
            panel,
            "stimuli",
            "participants",
            "power",
            "{} stimuli",
            low="power_ci_low",
            high="power_ci_high",
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


# -- the bench report's figures (analysis.bench_report) -----------------------------------
def _save(fig, path: Path) -> Path:
    """Save ``fig`` as PNG and PDF beside each other (analysis.figures); return the PNG path."""
    return save_figure(fig, path, dpi=110)[0]


def plot_bench_means(summary: pd.DataFrame, path: Path) -> Path:
    """The bench report's means: one panel per metric, bars per scorer x condition with 95% CIs."""
    plt = pyplot()

    metrics = list(dict.fromkeys(summary["metric"]))
    scorers = list(dict.fromkeys(summary["scorer"]))
    labels = list(dict.fromkeys(summary["label"]))
    fig, axes = plt.subplots(1, len(metrics), figsize=(3.2 * len(metrics) + 1, 3.2), squeeze=False)
    width = 0.8 / max(1, len(labels))
    for ax, metric in zip(axes[0], metrics, strict=True):
        sub = summary[summary["metric"] == metric]
        for k, label in enumerate(labels):
            rows = sub[sub["label"] == label].set_index("scorer").reindex(scorers)
            x = np.arange(len(scorers)) + (k - (len(labels) - 1) / 2) * width
            ax.bar(x, rows["mean"], width, yerr=_ci_yerr(rows), capsize=2, label=label)
        ax.set_xticks(np.arange(len(scorers)), scorers, rotation=30, ha="right", fontsize=8)
        ax.set_title(metric_title(metric), fontsize=9)
    axes[0][-1].legend(fontsize=7, loc="best")
    fig.suptitle("mean and 95% CI", fontsize=10)
    return _save(fig, path)


def plot_bench_sweep(df: pd.DataFrame, path: Path) -> Path:
    """The bench report's control-strength sweep: aligned-target means per scorer over control scale."""
    from analysis.stats import summarize

    plt = pyplot()

    aligned = df[df["target"] == "aligned"]
    summary = summarize(aligned, ["metric", "scorer", "control_scale"])
    metrics = list(dict.fromkeys(summary["metric"]))
    fig, axes = plt.subplots(1, len(metrics), figsize=(3.2 * len(metrics) + 1, 3.0), squeeze=False)
    for ax, metric in zip(axes[0], metrics, strict=True):
        _ci_lines(ax, summary[summary["metric"] == metric], "scorer", "control_scale", "mean")
        ax.set_xlabel("control strength (0 = baseline)", fontsize=8)
        ax.set_title(metric, fontsize=9)
    axes[0][-1].legend(fontsize=7)
    return _save(fig, path)


def plot_bench_examples(
    df: pd.DataFrame, bench: Path, path: Path, n: int, scorer: str | None, main_scale: float
) -> Path | None:
    plt = pyplot()

    from gazefusion.smaps import jet_overlay
    from gazefusion.utils.images import read_gray, read_rgb

    # default: the first scorer that looks at the image (a centre-bias map is the same for every image)
    scorer = (
        scorer
        or sorted(df["scorer"].unique(), key=lambda name: ("centre" in name or "center" in name, name))[0]
    )
    rows = df[
        (df["condition"] == "gazefusion")
        & (df["target"] == "aligned")
        & (df["scorer"] == scorer)
        & (df["control_scale"] == main_scale)
    ].drop_duplicates("item")
    # spread the examples over smaps first, then prompts
    rows = rows.assign(_rank=rows.groupby("smap").cumcount()).sort_values(["_rank", "smap"]).head(n)
    base = df[(df["condition"] == "baseline") & (df["scorer"] == scorer)].drop_duplicates("item")
    base = base.set_index(["prompt_id", "seed"])
    if rows.empty or not (bench / rows["image"].iloc[0]).is_file():
        return None
    cols = ["smap", "GazeFusion", f"{scorer} on GazeFusion", "baseline", f"{scorer} on baseline"]
    fig, axes = plt.subplots(len(rows), len(cols), figsize=(2.0 * len(cols), 2.1 * len(rows)), squeeze=False)
    for r, (_, row) in enumerate(rows.iterrows()):
        smap = read_gray(bench / "smaps" / f"{row['smap']}.png")
        image = read_rgb(bench / row["image"])
        panels = [
            np.repeat((smap * 255).astype(np.uint8)[..., None], 3, axis=2),
            image,
            jet_overlay(image, read_gray(bench / row["prediction"])),
        ]
        key = (row["prompt_id"], row["seed"])
        if key in base.index:
            b = base.loc[key]
            b = b.iloc[0] if isinstance(b, pd.DataFrame) else b
            b_img = read_rgb(bench / b["image"])
            panels += [b_img, jet_overlay(b_img, read_gray(bench / b["prediction"]))]
        for c, ax in enumerate(axes[r]):
            ax.axis("off")
            if c < len(panels):
                ax.imshow(panels[c])
            if r == 0:
                ax.set_title(cols[c], fontsize=8)
        text = row["prompt"] if len(row["prompt"]) <= 48 else row["prompt"][:45] + "..."
        axes[r][0].text(
            0,
            -0.08,
            f"{row['smap']}, seed {row['seed']}: {text}",
            transform=axes[r][0].transAxes,
            fontsize=6,
            va="top",
        )
    return _save(fig, path)
