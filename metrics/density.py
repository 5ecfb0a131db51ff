"""Distribution-based metrics against a continuous fixation-density map: CC, KLD, SIM.

Each follows the MIT Saliency Benchmark code (cvzoya/saliency ``code_forMetrics``; Bylinskii et
al., TPAMI 2019): the saliency map is first resized to the target's size with MATLAB's
``imresize`` (:mod:`metrics.imresize`), and all arithmetic is float64.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from metrics._inputs import EPS, minmax_scale, output
from metrics._targets import density_pair

__all__ = ["cc", "kld", "sim"]


def _flat(maps: torch.Tensor) -> torch.Tensor:
    return maps.reshape(maps.shape[0], -1)


def shifted_sums(maps: torch.Tensor, sums: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """Per-map ``sum(map - shift)`` (N,), from the known sums when that is accurate.

    ``sum(map) - n * shift`` loses digits when ``n * |shift|`` dwarfs the result; then the
    shifted map is summed directly.
    """
    n = maps.shape[-1] * maps.shape[-2]
    shift = shift.reshape(-1)
    fast = sums - n * shift
    risky = (sums.abs() + n * shift.abs()) > 1e5 * fast.abs()
    if bool(risky.any()):
        idx = torch.nonzero(risky).reshape(-1)
        fast[idx] = (_flat(maps[idx]) - shift[idx, None]).sum(dim=1)
    return fast


def cc(saliency_map: Any, target: Any) -> float | np.ndarray:
    """Pearson's linear correlation coefficient (MIT ``CC.m``).

    ``CC = sum(a' b') / sqrt(sum(a'^2) sum(b'^2))`` with ``a' = a - mean(a)``, ``b' = b - mean(b)``,
    the saliency map ``a`` resized to the size of the density map ``b`` (MIT z-scores both maps
    and calls ``corr2``: the same value). Symmetric, in [-1, 1].

    A constant map (either argument) gives 0 here; MIT returns NaN (its z-score divides by a zero
    std). pysaliency also returns 0 when only the first map is constant (NaN if both are).
    One map (H, W) -> float; a batch (N, H, W) -> array (N,).
    """
    pred, tgt, psum, tsum, batched = density_pair(saliency_map, target, "target")
    n = pred.shape[-1] * pred.shape[-2]
    const = (minmax_scale(pred)[2] | minmax_scale(tgt)[2]).reshape(-1)
    a = _flat(pred) - (psum / n)[:, None]
    b = _flat(tgt) - (tsum / n)[:, None]
    num = torch.linalg.vecdot(a, b)
    den = torch.sqrt(torch.linalg.vecdot(a, a) * torch.linalg.vecdot(b, b))
    out = torch.where(const | (den == 0), 0.0, num / torch.where(den > 0, den, 1.0))
    return output(out.clamp(-1.0, 1.0), batched)


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
    pred, tgt, psum, tsum, batched = density_pair(saliency_map, target, "target", nonnegative=True)
    if bool(pred.amin() < 0):  # the inputs are checked: only the resize's undershoot is negative
        pred = pred.clamp(min=0.0)
        psum = pred.sum(dim=(-2, -1))
    p = _flat(pred) * torch.where(psum > 0, 1.0 / torch.where(psum > 0, psum, 1.0), 0.0)[:, None]
    q = _flat(tgt) / tsum[:, None]
    ratio = p.add_(EPS)
    torch.div(q, ratio, out=ratio)
    ratio.add_(EPS).log_()
    return output(torch.linalg.vecdot(q, ratio), batched)


def sim(saliency_map: Any, target: Any) -> float | np.ndarray:
    """Similarity, or histogram intersection (MIT ``similarity.m``).

    Each map is min-max normalised to [0, 1] and divided by its sum, then
    ``SIM = sum(min(P, Q))``. In [0, 1]; 1 for maps equal up to a positive affine change.

    A constant saliency map normalises to the zero map here, so SIM is 0 (MIT: 0 for an all-zero
    map, NaN for another constant). pysaliency's ``SIM`` skips the min-max step (it only shifts
    negative maps), so it differs whenever a map's minimum is above 0.
    """
    pred, tgt, psum, tsum, batched = density_pair(saliency_map, target, "target")
    plo, prange, pconst = minmax_scale(pred)
    tlo, trange, tconst = minmax_scale(tgt)
    pmass = shifted_sums(pred, psum, plo)
    tmass = shifted_sums(tgt, tsum, tlo)
    kp = torch.where(pmass > 0, 1.0 / torch.where(pmass > 0, pmass, 1.0), 0.0)[:, None]
    kt = torch.where(tmass > 0, 1.0 / torch.where(tmass > 0, tmass, 1.0), 0.0)[:, None]
    p = (_flat(pred) - plo.reshape(-1, 1)).mul_(kp)
    q = (_flat(tgt) - tlo.reshape(-1, 1)).mul_(kt)
    out = torch.minimum(p, q, out=p).sum(dim=1)
    out = torch.where(pconst.reshape(-1) | tconst.reshape(-1), 0.0, out)
    return output(out, batched)
