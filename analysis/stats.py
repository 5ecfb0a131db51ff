"""General statistics for benchmark and study analyses.

- :func:`mean_ci`: mean with a bootstrap 95% confidence interval (scipy's ``bootstrap``, BCa).
- :func:`paired_test`: paired comparison ``a - b``: paired t-test and Wilcoxon signed-rank test,
  with Cohen's d_z and the matched-pairs rank-biserial correlation as effect sizes.
- :func:`summarize` and :func:`paired_by_group`: the same, per group of a long pandas table.

Conventions: NaN values are dropped (pairs with a NaN on either side are dropped); results for
fewer than 2 values are NaN rather than errors. Bootstraps are seeded, so reruns give the same CI.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

#: Default number of bootstrap resamples and seed.
N_BOOTSTRAP = 10_000
BOOTSTRAP_SEED = 0


@dataclass(frozen=True)
class MeanCI:
    """Mean of ``n`` values with a confidence interval ``[low, high]`` at ``confidence``."""

    mean: float
    low: float
    high: float
    n: int
    confidence: float = 0.95


@dataclass(frozen=True)
class PairedTest:
    """Paired comparison of ``a`` and ``b`` on ``n`` complete pairs; differences are ``a - b``.

    ``mean_diff`` with its bootstrap CI (``ci_low``, ``ci_high``); paired t-test (``t``, ``df``,
    ``p_t``); Wilcoxon signed-rank test (``w``, ``p_wilcoxon``; zero differences dropped, as
    Wilcoxon's original method); Cohen's ``dz`` = mean(d) / sd(d) (sample sd, N-1) = t / sqrt(n);
    ``rank_biserial`` = (R+ - R-) / (R+ + R-) over the signed ranks of the non-zero differences,
    in [-1, 1], positive when ``a`` tends to be larger.
    """

    n: int
    mean_a: float
    mean_b: float
    mean_diff: float
    ci_low: float
    ci_high: float
    t: float
    df: int
    p_t: float
    w: float
    p_wilcoxon: float
    dz: float
    rank_biserial: float


def _is_constant(x: np.ndarray) -> bool:
    """Whether all values are equal up to float round-off (relative 1e-12 of their magnitude)."""
    return bool(np.ptp(x) <= 1e-12 * max(1.0, float(np.abs(x).max())))


def _finite(values: Sequence[float] | np.ndarray) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64).ravel()
    return arr[~np.isnan(arr)]


def mean_ci(
    values: Sequence[float] | np.ndarray,
    confidence: float = 0.95,
    n_resamples: int = N_BOOTSTRAP,
    seed: int = BOOTSTRAP_SEED,
    method: str = "BCa",
) -> MeanCI:
    """Mean of ``values`` (NaN dropped) with a bootstrap confidence interval.

    ``method`` is scipy's (``"BCa"``, ``"percentile"`` or ``"basic"``). The CI of constant values
    is the value itself; with fewer than 2 values the CI is NaN.
    """
    x = _finite(values)
    n = int(x.size)
    if n == 0:
        return MeanCI(float("nan"), float("nan"), float("nan"), 0, confidence)
    mean = float(x.mean())
    if n < 2:
        return MeanCI(mean, float("nan"), float("nan"), n, confidence)
    if _is_constant(x):
        return MeanCI(mean, mean, mean, n, confidence)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=stats.DegenerateDataWarning)
        warnings.simplefilter("ignore", category=RuntimeWarning)
        res = stats.bootstrap(
            (x,),
            np.mean,
            confidence_level=confidence,
            n_resamples=n_resamples,
            method=method,
            rng=np.random.default_rng(seed),
            vectorized=True,
        )
    low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
    if not (np.isfinite(low) and np.isfinite(high)):  # BCa can fail on near-degenerate data
        low, high = (
            float(v)
            for v in np.quantile(res.bootstrap_distribution, [(1 - confidence) / 2, (1 + confidence) / 2])
        )
    return MeanCI(mean, low, high, n, confidence)


def rank_biserial(diff: Sequence[float] | np.ndarray) -> float:
    """Matched-pairs rank-biserial correlation of paired differences (zeros dropped; NaN if none left)."""
    d = _finite(diff)
    d = d[d != 0]
    if d.size == 0:
        return float("nan")
    ranks = stats.rankdata(np.abs(d))
    r_plus, r_minus = ranks[d > 0].sum(), ranks[d < 0].sum()
    return float((r_plus - r_minus) / (r_plus + r_minus))


def paired_test(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    confidence: float = 0.95,
    n_resamples: int = N_BOOTSTRAP,
    seed: int = BOOTSTRAP_SEED,
) -> PairedTest:
    """Paired comparison of ``a`` and ``b`` (same length; pairs with a NaN are dropped); see :class:`PairedTest`."""
    a_arr = np.asarray(a, dtype=np.float64).ravel()
    b_arr = np.asarray(b, dtype=np.float64).ravel()
    if a_arr.shape != b_arr.shape:
        raise ValueError(
            f"paired_test: a and b must have the same length, found {a_arr.size} and {b_arr.size}"
        )
    keep = ~(np.isnan(a_arr) | np.isnan(b_arr))
    a_arr, b_arr = a_arr[keep], b_arr[keep]
    d = a_arr - b_arr
    n = int(d.size)
    nan = float("nan")
    ci = mean_ci(d, confidence=confidence, n_resamples=n_resamples, seed=seed)
    t = df = p_t = w = p_w = dz = nan
    if n >= 2:
        sd = float(d.std(ddof=1))
        if not _is_constant(d):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", category=RuntimeWarning)
                res_t = stats.ttest_rel(a_arr, b_arr)
            t, p_t, df = float(res_t.statistic), float(res_t.pvalue), n - 1
            dz = float(d.mean() / sd)
        elif _is_constant(np.append(d, 0.0)):  # all differences (numerically) zero
            t, p_t, df, dz = 0.0, 1.0, n - 1, 0.0
        else:  # a constant non-zero difference: an infinite effect
            sign = float(np.sign(d.mean()))
            t, p_t, df, dz = sign * np.inf, 0.0, n - 1, sign * np.inf
        if np.any(d != 0):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", category=UserWarning)
                res_w = stats.wilcoxon(a_arr, b_arr, zero_method="wilcox")
            w, p_w = float(res_w.statistic), float(res_w.pvalue)
        else:
            w, p_w = 0.0, 1.0
    return PairedTest(
        n=n,
        mean_a=float(a_arr.mean()) if n else nan,
        mean_b=float(b_arr.mean()) if n else nan,
        mean_diff=ci.mean,
        ci_low=ci.low,
        ci_high=ci.high,
        t=t,
        df=int(df) if np.isfinite(df) else -1,
        p_t=p_t,
        w=w,
        p_wilcoxon=p_w,
        dz=dz,
        rank_biserial=rank_biserial(d),
    )


def summarize(df: pd.DataFrame, by: Sequence[str], value: str = "value", **ci_kwargs) -> pd.DataFrame:
    """Mean and bootstrap CI of ``value`` per group ``by``: columns ``by + [mean, ci_low, ci_high, n]``."""
    rows = []
    for key, group in df.groupby(list(by), sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        res = mean_ci(group[value].to_numpy(), **ci_kwargs)
        rows.append(
            {
                **dict(zip(by, key, strict=True)),
                "mean": res.mean,
                "ci_low": res.low,
                "ci_high": res.high,
                "n": res.n,
            }
        )
    return pd.DataFrame(rows, columns=[*by, "mean", "ci_low", "ci_high", "n"])


def paired_by_group(
    df: pd.DataFrame,
    condition: str,
    a: object,
    b: object,
    pair_on: Sequence[str],
    by: Sequence[str],
    value: str = "value",
    **test_kwargs,
) -> pd.DataFrame:
    """:func:`paired_test` of ``a`` minus ``b`` (two levels of column ``condition``) per group ``by``.

    Rows of the two levels are matched on the columns ``pair_on`` (e.g. prompt, smap, seed);
    unmatched rows are dropped. Returns one row per group: ``by`` + the fields of :class:`PairedTest`.
    """
    keys = [*by, *pair_on]
    left = df[df[condition] == a].set_index(keys)[value]
    right = df[df[condition] == b].set_index(keys)[value]
    if left.index.has_duplicates or right.index.has_duplicates:
        raise ValueError(f"paired_by_group: rows are not unique on {keys} within each level of {condition!r}")
    joined = pd.concat({"a": left, "b": right}, axis=1, join="inner").reset_index()
    fields = list(PairedTest.__dataclass_fields__)
    rows = []
    if not joined.empty:
        for key, group in joined.groupby(list(by), sort=True, dropna=False):
            key = key if isinstance(key, tuple) else (key,)
            res = paired_test(group["a"].to_numpy(), group["b"].to_numpy(), **test_kwargs)
            rows.append({**dict(zip(by, key, strict=True)), **asdict(res)})
    return pd.DataFrame(rows, columns=[*by, *fields])


def holm(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (statsmodels), NaN kept in place."""
    from statsmodels.stats.multitest import multipletests

    p = np.asarray(p_values, dtype=np.float64)
    out = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        out[ok] = multipletests(p[ok], method="holm")[1]
    return out
