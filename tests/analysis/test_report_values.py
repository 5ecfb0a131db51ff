"""The bench report's numbers and figures against a recomputation from the Parquet it was made from.

Tables (summary.csv, paired.csv, gap.csv and the Markdown tables of report.md) are recomputed here
with pandas and scipy from ``results.parquet``; the figures are read back as matplotlib objects at
the moment they are saved (axes, titles, tick labels, legend, bar heights, error bars, lines).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from scipy import stats
from testsupport.figures import markdown_tables, record_savefig

from analysis.bench_report import write_bench_report

from .test_bench_report import synthetic_results

PAIR = ["prompt_id", "smap", "seed"]
SCALES = (1.0, 0.5)


def label(row) -> str:
    if row.condition == "baseline":
        return "baseline"
    kind = "shuffled target" if row.target == "shuffled" else "GazeFusion"
    return f"{kind} (c={row.control_scale:g})"


def holm_by_hand(p: np.ndarray) -> np.ndarray:
    order = np.argsort(p)
    adjusted = np.maximum.accumulate((len(p) - np.arange(len(p))) * p[order]).clip(max=1.0)
    out = np.empty_like(p)
    out[order] = adjusted
    return out


def paired_by_hand(raw: pd.DataFrame, a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for (metric, scorer), left in a.groupby(["metric", "scorer"]):
        right = b[(b.metric == metric) & (b.scorer == scorer)]
        joined = (
            left.set_index(PAIR)["value"]
            .to_frame("a")
            .join(right.set_index(PAIR)["value"].rename("b"), how="inner")
        )
        d = joined["a"] - joined["b"]
        t = stats.ttest_rel(joined["a"], joined["b"])
        rows.append(
            {
                "metric": metric,
                "scorer": scorer,
                "n": len(d),
                "mean_diff": d.mean(),
                "t": t.statistic,
                "p_t": t.pvalue,
                "p_wilcoxon": stats.wilcoxon(joined["a"], joined["b"]).pvalue,
                "dz": d.mean() / d.std(ddof=1),
            }
        )
    out = pd.DataFrame(rows)
    out["p_holm"] = holm_by_hand(out["p_t"].to_numpy())
    return out


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """A report from a Parquet of 2 scorers x 2 metrics x 2 control strengths; its figures as saved."""
    folder = tmp_path_factory.mktemp("bench")
    df = pd.concat(
        [synthetic_results(scales=SCALES), synthetic_results(scales=SCALES, seed=1).assign(scorer="n")],
        ignore_index=True,
    )
    df.to_parquet(folder / "results.parquet")
    figures: list[dict] = []
    original = record_savefig(figures)
    try:
        md = write_bench_report(folder / "results.parquet", folder / "report").read_text()
    finally:
        Figure.savefig = original
    raw = pd.read_parquet(folder / "results.parquet")
    raw["label"] = [label(r) for r in raw.itertuples()]
    return raw, folder / "report", md, {f["stem"]: f for f in figures}


def test_summary_csv_and_markdown_means(report):
    raw, out, md, _ = report
    means = raw.groupby(["metric", "scorer", "label"])["value"].agg(["mean", "count", "std"])
    summary = pd.read_csv(out / "summary.csv").set_index(["metric", "scorer", "label"])
    assert sorted(summary.index) == sorted(means.index)
    np.testing.assert_allclose(summary["mean"], means.loc[summary.index, "mean"], rtol=1e-12)
    assert (summary["n"] == means.loc[summary.index, "count"]).all()
    # the 95% bootstrap CI is close to the normal-theory one (mean ± t·SE) for these near-normal values
    se = means.loc[summary.index, "std"] / np.sqrt(means.loc[summary.index, "count"])
    half = (summary["ci_high"] - summary["ci_low"]) / 2
    np.testing.assert_allclose(half, 2.11 * se, rtol=0.35)

    table = markdown_tables(md)["Mean and 95% CI per metric, scorer and condition"]
    assert len(table) == 4  # 2 metrics x 2 scorers
    for row in table:
        for lab in raw["label"].unique():
            cell = row[lab]
            mean, lo, hi = (float(v) for v in cell.replace("[", "").replace("]", "").replace(",", "").split())
            assert mean == pytest.approx(means.loc[(row["metric"], row["scorer"], lab), "mean"], abs=5e-4), (
                cell
            )
            assert lo <= mean <= hi
    assert f"Rows: {len(raw)}; images: {raw['image'].nunique()}." in md


@pytest.mark.parametrize("table", ["paired", "gap"])
def test_paired_tables_equal_scipy_on_the_parquet(report, table):
    raw, out, md, _ = report
    main = raw[(raw.condition == "gazefusion") & (raw.control_scale == 1.0)]
    if table == "paired":
        a, b = main[main.target == "aligned"], raw[raw.condition == "baseline"]
        heading = "GazeFusion (c=1) minus baseline, paired by prompt, smap and seed"
    else:
        a, b = main[main.target == "aligned"], main[main.target == "shuffled"]
        heading = "Aligned minus shuffled target (GazeFusion, c=1)"
    expected = paired_by_hand(raw, a, b).set_index(["metric", "scorer"])
    csv = pd.read_csv(out / f"{table}.csv").set_index(["metric", "scorer"]).loc[expected.index]
    assert (csv["n"] == expected["n"]).all() and (expected["n"] == 18).all()
    for col in ("mean_diff", "t", "p_t", "p_wilcoxon", "dz", "p_holm"):
        np.testing.assert_allclose(csv[col], expected[col], rtol=1e-9, err_msg=col)

    for row in markdown_tables(md)[heading]:
        ref = expected.loc[(row["metric"], row["scorer"])]
        assert int(row["n"]) == ref["n"]
        assert float(row["mean diff [95% CI]"].split()[0]) == pytest.approx(ref["mean_diff"], abs=5e-4)
        assert float(row["t"]) == pytest.approx(ref["t"], abs=5e-4)
        assert float(row["d_z"]) == pytest.approx(ref["dz"], abs=5e-4)
        for col, key in (("p (t)", "p_t"), ("p (Wilcoxon)", "p_wilcoxon"), ("p (t, Holm)", "p_holm")):
            if ref[key] < 1e-3:
                assert row[col] == "<0.001", col
            else:  # tabulate may print 0.100 as 0.1
                assert float(row[col]) == pytest.approx(ref[key], abs=5e-4), col


def test_means_figure_shows_every_condition_per_scorer(report):
    raw, out, _, figures = report
    fig = figures["fig_means"]
    summary = pd.read_csv(out / "summary.csv").set_index(["metric", "scorer", "label"])
    labels = [
        "baseline",
        "GazeFusion (c=0.5)",
        "GazeFusion (c=1)",
        "shuffled target (c=0.5)",
        "shuffled target (c=1)",
    ]
    assert [ax["title"] for ax in fig["axes"]] == ["cc", "kld (lower is better)"]
    for ax, metric in zip(fig["axes"], ["cc", "kld"], strict=True):
        assert ax["xticklabels"] == ["m", "n"]
        assert sorted(b["label"] for b in ax["bars"]) == sorted(labels)
        for bars in ax["bars"]:
            means = (
                raw[(raw.metric == metric) & (raw.label == bars["label"])].groupby("scorer")["value"].mean()
            )
            np.testing.assert_allclose(bars["heights"], means.loc[["m", "n"]], rtol=1e-9)
            ci = summary.loc[[(metric, s, bars["label"]) for s in ("m", "n")], ["ci_low", "ci_high"]]
            np.testing.assert_allclose(bars["err"], ci.to_numpy(), rtol=1e-9)
    assert sorted(fig["axes"][-1]["legend"]) == sorted(labels)


def test_sweep_figure_has_one_line_per_scorer_over_control_strength(report):
    raw, _, _, figures = report
    fig = figures["fig_sweep"]
    assert [ax["title"] for ax in fig["axes"]] == ["cc", "kld"]
    aligned = raw[raw.target == "aligned"]
    for ax, metric in zip(fig["axes"], ["cc", "kld"], strict=True):
        assert ax["xlabel"] == "control strength (0 = baseline)"
        lines = {series["label"]: series for series in ax["errorbars"]}
        assert sorted(lines) == ["m", "n"]
        for scorer, line in lines.items():
            means = (
                aligned[(aligned.metric == metric) & (aligned.scorer == scorer)]
                .groupby("control_scale")["value"]
                .mean()
            )
            assert line["x"] == [0.0, 0.5, 1.0]
            np.testing.assert_allclose(line["y"], means.loc[[0.0, 0.5, 1.0]], rtol=1e-9)
    assert sorted(fig["axes"][-1]["legend"]) == ["m", "n"]
