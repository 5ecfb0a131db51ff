"""The benchmark report: tables, statistics and figures from a ``gazefusion bench run`` result.

:func:`write_bench_report` writes a folder with ``report.md``, ``report.html`` (the same content),
``summary.csv``, ``paired.csv``, ``gap.csv`` and PNG figures:

- mean and 95% bootstrap CI of every metric x scorer x condition (``fig_means.png``);
- the paired difference GazeFusion minus baseline (same prompt, smap and seed) with its CI, paired
  t and Wilcoxon tests, Cohen's d_z and the rank-biserial correlation (Holm-adjusted p over the
  table);
- the aligned-vs-shuffled gap (each GazeFusion image scored against its own smap minus against
  the deranged smap) with the same statistics: alignment read against chance;
- the control-strength sweep when several strengths were run (``fig_sweep.png``);
- example grids: smap | generated image | scorer's prediction over the image (JET overlay), and
  the same for the baseline image (``examples.png``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.figures import plot_bench_examples, plot_bench_means, plot_bench_sweep
from analysis.stats import holm, paired_by_group, summarize
from metrics.registry import lower_is_better

PAIR_ON = ("prompt_id", "smap", "seed")


def condition_labels(df: pd.DataFrame) -> pd.Series:
    """A readable label per row: ``GazeFusion (c=1)``, ``shuffled target (c=1)`` or ``baseline``."""
    scale = df["control_scale"].map(lambda c: f"{c:g}")
    gf = np.where(
        df["target"] == "shuffled", "shuffled target (c=" + scale + ")", "GazeFusion (c=" + scale + ")"
    )
    return pd.Series(np.where(df["condition"] == "baseline", "baseline", gf), index=df.index)


def _fmt(x: float, digits: int = 3) -> str:
    return "nan" if x is None or not np.isfinite(x) else f"{x:.{digits}f}"


def _fmt_p(p: float) -> str:
    if p is None or not np.isfinite(p):
        return "nan"
    return "<0.001" if p < 1e-3 else f"{p:.3f}"


def _ci(mean: float, lo: float, hi: float) -> str:
    return f"{_fmt(mean)} [{_fmt(lo)}, {_fmt(hi)}]"


def _stat_table(stats_df: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "metric": stats_df["metric"],
            "scorer": stats_df["scorer"],
            "n": stats_df["n"],
            "mean diff [95% CI]": [
                _ci(m, lo, hi)
                for m, lo, hi in zip(
                    stats_df["mean_diff"], stats_df["ci_low"], stats_df["ci_high"], strict=True
                )
            ],
            "t": stats_df["t"].map(_fmt),
            "p (t)": stats_df["p_t"].map(_fmt_p),
            "p (Wilcoxon)": stats_df["p_wilcoxon"].map(_fmt_p),
            "p (t, Holm)": stats_df["p_holm"].map(_fmt_p),
            "d_z": stats_df["dz"].map(_fmt),
            "rank-biserial": stats_df["rank_biserial"].map(_fmt),
        }
    )
    return out


def paired_tables(df: pd.DataFrame, main_scale: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(GazeFusion minus baseline, aligned minus shuffled) statistics per metric x scorer at ``main_scale``."""
    by = ["metric", "scorer"]
    gf = df[(df["condition"] == "gazefusion") & (df["control_scale"] == main_scale)]
    aligned_gf = gf[gf["target"] == "aligned"]
    base = df[(df["condition"] == "baseline") & (df["target"] == "aligned")]
    versus = paired_by_group(
        pd.concat([aligned_gf, base]), "condition", "gazefusion", "baseline", pair_on=PAIR_ON, by=by
    )
    gap = paired_by_group(gf, "target", "aligned", "shuffled", pair_on=PAIR_ON, by=by)
    for table in (versus, gap):
        table["p_holm"] = holm(table["p_t"].to_numpy()) if len(table) else []
    return versus, gap


def write_bench_report(
    results: str | os.PathLike | pd.DataFrame,
    out_dir: str | os.PathLike,
    bench_dir: str | os.PathLike | None = None,
    n_examples: int = 4,
    example_scorer: str | None = None,
) -> Path:
    """Write the report folder for ``results`` (a bench output folder, its Parquet, or the table).

    ``bench_dir`` is the bench output folder holding images, predictions, smaps and ``bench.json``
    (default: ``results`` itself if it is a folder, else the Parquet file's folder); without it the
    example grid and the configuration section are left out. Returns the path of ``report.md``.
    """
    from gazefusion.bench.results import read_results
    from gazefusion.errors import UserInputError
    from gazefusion.utils.atomic import atomic_write_text

    if isinstance(results, pd.DataFrame):
        df = results.copy()
    else:
        df = read_results(results)
        if bench_dir is None:
            p = Path(results)
            bench_dir = p if p.is_dir() else p.parent
    if df.empty:
        raise UserInputError("RESULTS: the result table has no rows")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    bench = Path(bench_dir) if bench_dir is not None else None
    config = _read_config(bench)
    df["label"] = condition_labels(df)
    scales = sorted(df.loc[df["condition"] == "gazefusion", "control_scale"].unique())
    main_scale = (
        float(config["control_scales"][0]) if config else (1.0 if 1.0 in scales else float(scales[0]))
    )

    summary = summarize(df, ["metric", "scorer", "label"])
    versus, gap = paired_tables(df, main_scale)
    for name, table in (("summary", summary), ("paired", versus), ("gap", gap)):
        atomic_write_text(out / f"{name}.csv", table.to_csv(index=False))

    figures = [plot_bench_means(summary, out / "fig_means.png")]
    if len(scales) > 1:
        figures.append(plot_bench_sweep(df, out / "fig_sweep.png"))
    if bench is not None and n_examples > 0:
        grid = plot_bench_examples(df, bench, out / "examples.png", n_examples, example_scorer, main_scale)
        if grid is not None:
            figures.append(grid)

    md = _markdown(df, config, summary, versus, gap, main_scale, figures)
    atomic_write_text(out / "report.md", md)
    atomic_write_text(out / "report.html", _html(md))
    return out / "report.md"


def _read_config(bench: Path | None) -> dict | None:
    if bench is None or not (bench / "bench.json").is_file():
        return None
    return json.loads((bench / "bench.json").read_text())


def _markdown(
    df: pd.DataFrame,
    config: dict | None,
    summary: pd.DataFrame,
    versus: pd.DataFrame,
    gap: pd.DataFrame,
    main_scale: float,
    figures: list[Path],
) -> str:
    lines = ["# GazeFusion benchmark report", ""]
    if config:
        model = str(config.get("model", "?"))
        if "tiny" in model.lower():
            lines += [
                "> **Tiny random model**: these numbers test the toolkit, they say nothing about "
                "GazeFusion. Run `gazefusion bench run --model PATH` with real weights.",
                "",
            ]
        lines += [
            f"- model: {model}",
            f"- prompts: {len(config['prompts'])}, smaps: {len(config['smap_ids'])} "
            f"({', '.join(config['smap_ids'])}), seeds: {', '.join(map(str, config['seeds']))}",
            f"- size: {config['size'][0]}x{config['size'][1]} px, steps: {config['steps']}, guidance: "
            f"{config['guidance_scale']}, control strengths: {', '.join(f'{c:g}' for c in config['control_scales'])}",
            f"- scorers: {', '.join(config['scorers'])}; metrics: {', '.join(config['metrics'])}",
            f"- fixation metrics: {config['n_fixations']} pseudo-fixations per smap drawn from the smap "
            f"as a density (seed {config['target_seed']}); sAUC negatives from up to {config['n_other']} "
            "other smaps; shuffled control: seeded derangement of the smaps "
            f"(seed {config['shuffle_seed']})",
            "",
        ]
    lower = sorted(m for m in set(df["metric"]) if lower_is_better(m))
    lines += [
        f"Rows: {len(df)}; images: {df['image'].nunique()}. Higher is better for every metric"
        + (f" except {', '.join(lower)} (lower is better)." if lower else "."),
        "",
    ]

    lines += [
        "## Mean and 95% CI per metric, scorer and condition",
        "",
        "Bootstrap (BCa, 10,000 resamples) over images; baseline images are scored against every "
        "smap of the set.",
        "",
    ]
    table = summary.assign(
        cell=[
            _ci(m, lo, hi)
            for m, lo, hi in zip(summary["mean"], summary["ci_low"], summary["ci_high"], strict=True)
        ]
    )
    wide = table.pivot_table(index=["metric", "scorer"], columns="label", values="cell", aggfunc="first")
    lines += [wide.reset_index().to_markdown(index=False), ""]

    lines += [f"## GazeFusion (c={main_scale:g}) minus baseline, paired by prompt, smap and seed", ""]
    lines += [_stat_table(versus).to_markdown(index=False) if len(versus) else "_no baseline pairs_", ""]
    lines += [
        f"## Aligned minus shuffled target (GazeFusion, c={main_scale:g})",
        "",
        "Each image scored against its own smap minus against another smap of the set: the "
        "alignment above chance.",
        "",
    ]
    lines += [_stat_table(gap).to_markdown(index=False) if len(gap) else "_no shuffled-target rows_", ""]
    lines += [
        "Tests: paired t-test and Wilcoxon signed-rank (two-sided); d_z = mean/SD of the "
        "differences; rank-biserial in [-1, 1]; Holm adjustment over the rows of each table. The unit "
        "is the (prompt, smap, seed) image; images sharing a prompt or an smap are not independent, so "
        "treat the CIs and p-values as descriptive, or fit a mixed model on `results.parquet`.",
        "",
    ]
    lines += ["## Figures", ""]
    lines += [f"![{f.stem}]({f.name})" for f in figures]
    lines += ["", "Tables as CSV: `summary.csv`, `paired.csv`, `gap.csv`.", ""]
    return "\n".join(lines)


def _html(md: str) -> str:
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark").enable("table").render(md)
    style = (
        "body{font-family:sans-serif;max-width:1200px;margin:auto;padding:1em}"
        "table{border-collapse:collapse;font-size:90%}td,th{border:1px solid #ccc;padding:2px 6px}"
        "img{max-width:100%}"
    )
    return (
        f"<!doctype html>\n<html><head><meta charset='utf-8'><title>GazeFusion benchmark report</title>"
        f"<style>{style}</style></head><body>\n{body}</body></html>\n"
    )
