"""The study report's numbers and figure against a recomputation from its own participant-level scores.

``scores.csv`` (one row per stimulus x participant x predictor x metric, written by the report) is
re-aggregated here with pandas and scipy: ``summary.csv`` (mean over stimuli of the
participant-averaged scores), the paired tests of ``tests.csv`` and the bars of ``fig_alignment``
(read back as matplotlib objects when saved) must equal it; report.md's tables must show the CSVs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from testsupport.figures import markdown_tables, record_savefig

from analysis.figures import PREDICTOR_LABELS
from analysis.study_report import write_study_report

METRICS = ["cc", "nss", "auc_shuffled"]
GUIDED = {"img0", "img1"}  # the tiny study's stimuli with a target smap (tests/analysis/conftest.py)


@pytest.fixture(scope="module")
def report(tiny_study, tmp_path_factory):
    from matplotlib.figure import Figure

    out = tmp_path_factory.mktemp("study_report")
    figures: list[dict] = []
    original = record_savefig(figures)
    try:
        write_study_report(tiny_study, out, metrics=METRICS, mixed=False, n_examples=2)
    finally:
        Figure.savefig = original
    return out, {f["stem"]: f for f in figures}


def _per_stimulus(out) -> pd.DataFrame:
    scores = pd.read_csv(out / "scores.csv", keep_default_na=False, na_values=[""])
    scores["stimulus_id"] = scores["stimulus_id"].astype(str)
    per = scores.groupby(["stimulus_id", "predictor", "metric"], sort=True)["value"].mean().reset_index()
    names = per["predictor"].map(PREDICTOR_LABELS)
    per["label"] = names.where(per["stimulus_id"].str.startswith(tuple(GUIDED)), "unguided: " + names)
    return per


def test_summary_is_the_mean_over_stimuli_of_participant_means(report):
    out, _ = report
    per = _per_stimulus(out)
    summary = pd.read_csv(out / "summary.csv")
    assert set(summary["metric"]) == set(METRICS)
    expected = per.groupby(["metric", "label"])["value"].agg(["mean", "count"]).reset_index()
    merged = summary.merge(expected, on=["metric", "label"], how="outer", suffixes=("", "_hand"))
    assert len(merged) == len(summary) == len(expected)
    np.testing.assert_allclose(merged["mean"], merged["mean_hand"], rtol=1e-12, atol=1e-12)
    assert (merged["n"] == merged["count"]).all()
    has_ci = merged["n"] > 1  # one stimulus (the unguided image): no CI
    assert merged.loc[~has_ci, ["ci_low", "ci_high"]].isna().all().all()
    ok = merged[has_ci]
    assert (ok["ci_low"] <= ok["mean"] + 1e-12).all() and (ok["mean"] <= ok["ci_high"] + 1e-12).all()


def test_target_minus_shuffled_test_equals_scipy(report):
    out, _ = report
    per = _per_stimulus(out)
    tests = pd.read_csv(out / "tests.csv")
    rows = tests[tests["comparison"] == "target smap - shuffled target"]
    assert sorted(rows["metric"]) == sorted(METRICS)
    guided = per[per["stimulus_id"].isin(GUIDED)]
    for row in rows.itertuples():
        wide = guided[guided["metric"] == row.metric].pivot(
            index="stimulus_id", columns="predictor", values="value"
        )
        a, b = wide["target"].to_numpy(), wide["shuffled"].to_numpy()
        assert row.n == len(a) == len(GUIDED)
        assert row.mean_a == pytest.approx(a.mean(), abs=1e-12)
        assert row.mean_b == pytest.approx(b.mean(), abs=1e-12)
        assert row.p_t == pytest.approx(stats.ttest_rel(a, b).pvalue, rel=1e-9, nan_ok=True)


def test_alignment_figure_bars_are_the_summary_means(report):
    out, figures = report
    summary = pd.read_csv(out / "summary.csv")
    fig = figures["fig_alignment"]
    assert [ax["title"].split(" (")[0] for ax in fig["axes"]] == list(dict.fromkeys(summary["metric"]))
    for ax in fig["axes"]:
        metric = ax["title"].split(" (")[0]
        sub = summary[summary["metric"] == metric].set_index("label")
        (bars,) = ax["bars"]
        assert len(bars["heights"]) == len(ax["xticklabels"])
        for label, height in zip(ax["xticklabels"], bars["heights"], strict=True):
            assert height == pytest.approx(sub.loc[label, "mean"], abs=1e-12)
        for label, (lo, hi) in zip(ax["xticklabels"], bars["err"], strict=True):
            row = sub.loc[label]  # a CI that cannot be computed (one stimulus) is drawn as no bar
            ends = [row["mean"] if np.isnan(v) else v for v in (row["ci_low"], row["ci_high"])]
            assert (lo, hi) == pytest.approx(tuple(ends), abs=1e-9)
    assert "fig_heatmaps" in figures and len(figures["fig_heatmaps"]["axes"]) == 2 * 3


def test_report_markdown_shows_the_csv_numbers(report):
    out, _ = report
    tables = markdown_tables((out / "report.md").read_text())
    summary = pd.read_csv(out / "summary.csv")
    shown = next(rows for rows in tables.values() if rows and "label" in rows[0] and "ci_low" in rows[0])
    assert len(shown) == len(summary)
    for cells, row in zip(shown, summary.itertuples(), strict=True):
        assert cells["metric"] == row.metric and cells["label"] == row.label
        assert float(cells["mean"]) == pytest.approx(row.mean, rel=5e-3, abs=1e-3)
