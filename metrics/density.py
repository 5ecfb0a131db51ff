"""Distribution-based metrics against a continuous fixation-density map: CC, KLD, SIM.

Each follows the MIT Saliency Benchmark code (cvzoya/saliency ``code_forMetrics``; Bylinskii et
al., TPAMI 2019): the saliency map is first resized to the target's size with MATLAB's
``imresize`` (:mod:`metrics.imresize`), and all arithmetic is float64.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from metrics._batching import chunked
from metrics._inputs import EPS, output, rows
from metrics._kernels import centred_moments, kl_rows, sim_rows
from metrics._targets import density_pair

__all__ = ["cc", "kld", "sim"]


def shifted_sums(rows: np.ndarray, sums: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Per-row ``sum(row - shift)`` (N,), from the known sums when that is accurate.

    ``sum(row) - n * shift`` loses digits when ``n * |shift|`` dwarfs the result; then the
    shifted row is summed directly.
    """
    n = rows.shape[1]
    fast = sums - n * shift
    risky = ~((np.abs(sums) + n * np.abs(shift)) <= 1e5 * np.abs(fast))
    for i in np.flatnonzero(risky):
        fast[i] = (rows[i] - shift[i]).sum()
    return fast


@chunked
def cc(saliency_map: Any, target: Any) -> float | np.ndarray:
    """Pearson's linear correlation coefficient (MIT ``CC.m``).

    ``CC = sum(a' b') / sqrt(sum(a'^2) sum(b'^2))`` with ``a' = a - mean(a)``, ``b' = b - mean(b)``,
    the saliency map ``a`` resized to the size of the density map ``b`` (MIT z-scores both maps
    and calls ``corr2``: the same value). Symmetric, in [-1, 1].

    A constant map (either argument) gives 0 here; MIT returns NaN (its z-score divides by a zero
    std). pysaliency also returns 0 when only the first map is constant (NaN if both are).
    One map (H, W) -> float; a batch (N, H, W) -> array (N,).
    """
    pred, tgt, st, batched = density_pair(saliency_map, target, "target", products=True)
    m = centred_moments(rows(pred), st, rows(tgt))
    den = np.sqrt(m["sxx"] * m["syy"])
    ok = ~m["const"] & (den > 0)
    out = np.where(ok, m["sxy"] / np.where(ok, den, 1.0), 0.0)
    return output(np.clip(out, -1.0, 1.0), batched)


@chunked
def kld(saliency_map: Any, target: Any) -> float | np.ndarray:
    """Kullback-Leibler divergence of the saliency map from the density map (MIT ``KLdiv.m``).

    ``P = a / sum(a)``, ``Q = b / sum(b)`` (a map that is all zero stays zero), then
    ``KL = sum(Q * log(eps + Q / (P + eps)))`` with ``eps = 2.220446049250313e-16`` (MATLAB
    ``eps``), natural log, float64. Not symmetric; 0 for identical maps; >= 0.

    Both maps must be non-negative (``ValueError`` otherwise). Values below 0 that the bicubic
    resize itself creates (undershoot next to sharp edges) are set to 0 here; MIT's result is a
    complex number in that case. pysaliency's ``MIT_KLDiv`` uses
    ``eps = 2.2204e-16`` and treats an all-zero saliency map as uniform (MIT keeps it zero,
    which gives a large finite value).
    """
    pred, tgt, st, batched = density_pair(saliency_map, target, "target", nonnegative=True)
    ps, ts = st["sum"], st["ysum"]
    if (st["min"] < 0).any():  # the inputs are checked: only the resize's undershoot is negative
        pred = np.maximum(pred, 0.0)
        ps = rows(pred).sum(axis=1)
    with np.errstate(over="ignore"):
        kp = np.where(ps > 0, 1.0 / np.where(ps > 0, ps, 1.0), 0.0)  # an all-zero map stays zero
        kq = 1.0 / ts
    p, t = rows(pred), rows(tgt)
    tiny = ~(np.isfinite(kp) & np.isfinite(kq))  # a mass below ~1e-308: done apart, below
    out = kl_rows(p, t, np.where(tiny, 0.0, kp), np.where(tiny, 1.0, kq), EPS)
    for i in np.flatnonzero(tiny):
        big_p, big_q = p[i] / ps[i] if ps[i] > 0 else np.zeros_like(p[i]), t[i] / ts[i]
        out[i] = (big_q * np.log(EPS + big_q / (big_p + EPS))).sum()
    return output(out, batched)


@chunked
def sim(saliency_map: Any, target: Any) -> float | np.ndarray:
    """Similarity, or histogram intersection (MIT ``similarity.m``).

    Each map is min-max normalised to [0, 1] and divided by its sum, then
    ``SIM = sum(min(P, Q))``. In [0, 1]; 1 for maps equal up to a positive affine change.

    A constant saliency map normalises to the zero map here, so SIM is 0 (MIT: 0 for an all-zero
    map, NaN for another constant). pysaliency's ``SIM`` skips the min-max step (it only shifts
    negative maps), so it differs whenever a map's minimum is above 0.
    """
    pred, tgt, st, batched = density_pair(saliency_map, target, "target", minmax=True)
    p, t = rows(pred), rows(tgt)
    plo, phi, tlo, thi = st["min"], st["max"], st["ymin"], st["ymax"]
    pmass = shifted_sums(p, st["sum"], plo)
    tmass = shifted_sums(t, st["ysum"], tlo)
    const = (plo == phi) | (tlo == thi)
    with np.errstate(over="ignore"):
        ka = np.where(const, 0.0, 1.0 / np.where(const, 1.0, pmass))
        kb = np.where(const, 0.0, 1.0 / np.where(const, 1.0, tmass))
    tiny = ~(np.isfinite(ka) & np.isfinite(kb))  # a mass below ~1e-308: done apart, below
    out = sim_rows(p, t, plo, np.where(tiny, 0.0, ka), tlo, np.where(tiny, 0.0, kb))
    for i in np.flatnonzero(tiny & ~const):
        out[i] = np.minimum(_mit_density(p[i], plo[i], phi[i]), _mit_density(t[i], tlo[i], thi[i])).sum()
    return output(np.where(const, 0.0, out), batched)


def _mit_density(row: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """``(row - lo) / (hi - lo)`` divided by its sum, step by step as MIT (no overflow on tiny maps)."""
    x = (row - lo) / (hi - lo)
    return x / x.sum()
