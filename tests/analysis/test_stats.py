"""analysis.stats against independent references: pingouin, scipy and textbook formulas."""

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from analysis.stats import holm, mean_ci, paired_by_group, paired_test, rank_biserial, summarize

finite = st.floats(-100, 100, allow_nan=False, allow_infinity=False)


def test_paired_test_matches_pingouin():
    rng = np.random.default_rng(1)
    a, b = rng.normal(0.4, 1, 40), rng.normal(0, 1, 40)
    res = paired_test(a, b)
    tt = pg.ttest(a, b, paired=True)
    wx = pg.wilcoxon(a, b)
    assert res.t == pytest.approx(tt["T"].iloc[0], rel=1e-10)
    assert res.p_t == pytest.approx(tt["p_val"].iloc[0], rel=1e-8)
    assert res.df == 39
    assert res.w == pytest.approx(wx["W_val"].iloc[0])
    assert res.p_wilcoxon == pytest.approx(wx["p_val"].iloc[0], rel=1e-8)
    assert res.rank_biserial == pytest.approx(wx["RBC"].iloc[0], rel=1e-10)
    # Cohen's d_z from its definition, computed independently of the module.
    d = a - b
    assert res.dz == pytest.approx(d.mean() / np.sqrt(((d - d.mean()) ** 2).sum() / (d.size - 1)), rel=1e-12)
    assert res.mean_diff == pytest.approx(d.mean())
    assert res.ci_low < res.mean_diff < res.ci_high


@settings(max_examples=20, deadline=None)
@given(arrays(np.float64, st.integers(3, 30), elements=finite), arrays(np.float64, 30, elements=finite))
def test_dz_equals_t_over_sqrt_n(a, b):
    b = b[: a.size]
    res = paired_test(a, b, n_resamples=200)
    d = a - b
    if d.std(ddof=1) > 1e-9 * max(1.0, np.abs(d).max()):
        assert res.dz == pytest.approx(res.t / np.sqrt(a.size), rel=1e-6, abs=1e-9)
    assert -1 <= res.rank_biserial <= 1 or np.isnan(res.rank_biserial)
    # Swapping a and b flips the signs of the effect sizes.
    swapped = paired_test(b, a, n_resamples=200)
    assert swapped.mean_diff == pytest.approx(-res.mean_diff, abs=1e-9)
    if not np.isnan(res.rank_biserial):
        assert swapped.rank_biserial == pytest.approx(-res.rank_biserial)


def test_rank_biserial_extremes_and_hand_example():
    assert rank_biserial([1, 2, 3]) == 1.0
    assert rank_biserial([-1, -2, 0]) == -1.0
    # |d| ranks: 1 -> 1, -2 -> 2, 3 -> 3: (1 + 3 - 2) / 6
    assert rank_biserial([1, -2, 3]) == pytest.approx(2 / 6)
    assert np.isnan(rank_biserial([0, 0]))


def test_paired_test_drops_nan_pairs_and_handles_identical():
    res = paired_test([1.0, 2.0, np.nan, 4.0], [0.0, 1.0, 5.0, np.nan])
    assert res.n == 2
    same = paired_test([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert same.mean_diff == 0 and same.p_t == 1.0 and same.p_wilcoxon == 1.0 and same.dz == 0.0
    shifted = paired_test([1.1, 2.1, 3.1], [1.0, 2.0, 3.0])  # constant non-zero difference (up to round-off)
    assert shifted.t == np.inf and shifted.dz == np.inf and shifted.p_t == 0.0
    assert shifted.ci_low == shifted.ci_high == pytest.approx(0.1)
    with pytest.raises(ValueError, match="same length"):
        paired_test([1, 2], [1])


def test_mean_ci_covers_the_normal_theory_interval():
    rng = np.random.default_rng(3)
    x = rng.normal(5.0, 2.0, 400)
    res = mean_ci(x)
    se = x.std(ddof=1) / np.sqrt(x.size)
    assert res.mean == pytest.approx(x.mean())
    assert res.low == pytest.approx(x.mean() - 1.96 * se, abs=0.25 * se)
    assert res.high == pytest.approx(x.mean() + 1.96 * se, abs=0.25 * se)
    assert mean_ci(x) == res  # seeded


@settings(max_examples=30, deadline=None)
@given(arrays(np.float64, st.integers(0, 25), elements=finite))
def test_mean_ci_brackets_the_mean(x):
    res = mean_ci(x, n_resamples=500)
    assert res.n == x.size
    if x.size >= 2:
        assert res.low <= res.mean + 1e-9 and res.mean <= res.high + 1e-9
    if x.size == 0:
        assert np.isnan(res.mean)
    if x.size >= 1 and np.all(x == x[0]) and x.size >= 2:
        assert res.low == res.high == pytest.approx(x[0])


def test_summarize_and_paired_by_group():
    rng = np.random.default_rng(0)
    rows = []
    for metric in ("cc", "nss"):
        for item in range(12):
            base = rng.normal()
            rows.append({"metric": metric, "item": item, "condition": "gf", "value": base + 1.0})
            rows.append({"metric": metric, "item": item, "condition": "base", "value": base})
    df = pd.DataFrame(rows)
    summ = summarize(df, ["metric", "condition"])
    assert list(summ.columns) == ["metric", "condition", "mean", "ci_low", "ci_high", "n"]
    assert (summ["n"] == 12).all()
    sel = summ[(summ.metric == "cc") & (summ.condition == "gf")]
    assert sel["mean"].iloc[0] == pytest.approx(df[(df.metric == "cc") & (df.condition == "gf")].value.mean())
    paired = paired_by_group(df, "condition", "gf", "base", pair_on=["item"], by=["metric"])
    assert list(paired["metric"]) == ["cc", "nss"]
    assert np.allclose(paired["mean_diff"], 1.0)
    assert (paired["n"] == 12).all()


def test_holm_matches_statsmodels_order_and_keeps_nan():
    p = np.array([0.01, np.nan, 0.04, 0.03])
    adj = holm(p)
    assert np.isnan(adj[1])
    # Holm by hand: sorted 0.01, 0.03, 0.04 -> 0.03, 0.06, 0.06 (monotone)
    assert np.allclose(adj[[0, 3, 2]], [0.03, 0.06, 0.06])
