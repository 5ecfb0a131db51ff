"""Earth Mover's Distance between a saliency map and a density map (MIT ``EMD.m`` + FastEMD).

The MIT procedure, reproduced step by step:

1. ``im1 = imresize(target, 1/32)`` (scale form: ``ceil(H/32) x ceil(W/32)`` bins) and
   ``im2 = imresize(saliency_map, size(im1))`` (size form), both MATLAB bicubic antialiased
   (:mod:`metrics.imresize`). The shrink can leave slightly negative bins; they are kept.
2. Each is divided by its sum: ``P = im1 / sum(im1)``, ``Q = im2 / sum(im2)``.
3. FastEMD ``emd_hat_gd_metric_mex(P, Q, D, 0)`` with ``D`` the plain Euclidean distance between
   bin centres in bin units (MIT passes it unthresholded; FastEMD's own "threshold" is the
   largest distance, the grid diagonal, which every path may use, so it changes nothing) and
   extra-mass penalty 0. FastEMD first cancels the mass common to both bins
   (``P' = max(P - Q, 0)``, ``Q' = max(Q - P, 0)``), then rounds the masses to integers on a
   ``1e6 / max(sum P, sum Q)`` scale and the distances on a ``1e6 / max(D)`` scale, solves the
   integer transport problem exactly (surplus mass from rounding is dropped at no cost) and
   scales back. This module does the same rounding and solves the same integer problem with
   POT's network simplex (``ot.emd2``), so it returns FastEMD's value, not merely a close one.

Minimum size: the 1/32 shrink leaves ``ceil(H/32) x ceil(W/32)`` bins; a map of 32 x 32 px becomes one
bin, where every pair of maps is at distance 0. EMD means something only with at least
:data:`EMD_MIN_BINS` (4) bins per side, i.e. maps of at least 97 px per side at the default
``downsize`` of 32. :func:`emd` itself computes the MIT value at any size (as ``EMD.m`` does);
:func:`check_emd_size` is the check that callers scoring user data apply first (``gazefusion
metrics`` and ``gazefusion bench`` refuse EMD on smaller maps).

pysaliency has no EMD.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from metrics._batching import chunked
from metrics._inputs import output
from metrics._kernels import parallel_map
from metrics._targets import density_pair
from metrics.imresize import imresize

__all__ = ["EMD_MIN_BINS", "check_emd_size", "emd"]

_MULT = 1_000_000.0  # FastEMD's MULT_FACTOR for double inputs

#: Fewest bins per side of the shrunk maps for EMD to mean anything (see the module docstring).
EMD_MIN_BINS = 4


def check_emd_size(shape: tuple[int, ...], downsize: int = 32) -> None:
    """Raise ``ValueError`` if maps of ``shape`` (..., H, W) shrink to fewer than
    :data:`EMD_MIN_BINS` bins per side at ``1/downsize`` (EMD would then be meaningless)."""
    h, w = (int(np.ceil(s / downsize)) for s in shape[-2:])
    if min(h, w) < EMD_MIN_BINS:
        need = (EMD_MIN_BINS - 1) * downsize + 1
        raise ValueError(
            f"emd: {shape[-1]}x{shape[-2]} maps shrink to {w}x{h} bins at 1/{downsize}; EMD needs at least "
            f"{EMD_MIN_BINS} bins per side (maps of at least {need} px per side)"
        )


def _grid_distance(rows: int, cols: int) -> np.ndarray:
    r, c = np.divmod(np.arange(rows * cols), cols)
    return np.sqrt((r[:, None] - r[None, :]) ** 2 + (c[:, None] - c[None, :]) ** 2)


def fastemd_gd_metric(p: np.ndarray, q: np.ndarray, dist: np.ndarray) -> float:
    """FastEMD's ``emd_hat_gd_metric`` for double histograms with extra-mass penalty 0.

    ``p``, ``q``: histograms (n,) (may hold negative bins); ``dist``: (n, n) metric ground distance.
    """
    import ot

    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    max_c = float(dist.max())
    if max_c == 0:
        return 0.0
    pq_factor = _MULT / max(p.sum(), q.sum())
    c_factor = _MULT / max_c
    keep_p = p >= q
    p_res = np.where(keep_p, p - q, 0.0)
    q_res = np.where(keep_p, 0.0, q - p)
    ip = np.floor(p_res * pq_factor + 0.5)
    iq = np.floor(q_res * pq_factor + 0.5)
    src, snk = np.nonzero(ip > 0)[0], np.nonzero(iq > 0)[0]
    if src.size == 0 or snk.size == 0:
        return 0.0
    a, b = ip[src], iq[snk]
    cost = np.floor(dist[np.ix_(src, snk)] * c_factor + 0.5)
    surplus = a.sum() - b.sum()
    if surplus > 0:  # rounding left the suppliers with more mass: a free sink takes the surplus
        b = np.append(b, surplus)
        cost = np.hstack([cost, np.zeros((cost.shape[0], 1))])
    elif surplus < 0:
        a = np.append(a, -surplus)
        cost = np.vstack([cost, np.zeros((1, cost.shape[1]))])
    total = ot.emd2(a, b, cost, numItermax=50_000_000, check_marginals=False)
    return float(total) / pq_factor / c_factor


@chunked
def emd(saliency_map: Any, target: Any, *, downsize: int = 32) -> float | np.ndarray:
    """Earth Mover's Distance, MIT convention (``EMD.m`` with FastEMD); see the module docstring.

    Both maps must be non-negative and the target not all zero (``ValueError``). 0 for identical
    maps; larger is worse; in bin units of the ``1/downsize`` grid. One map (H, W) -> float;
    a batch (N, H, W) -> array (N,).
    """
    pred, tgt, _, batched = density_pair(saliency_map, target, "target", nonnegative=True, resize=False)
    if not (isinstance(downsize, (int, np.integer)) and downsize >= 1):
        raise ValueError(f"downsize must be a positive integer, got {downsize!r}")
    im1 = imresize(tgt, scale=1.0 / downsize)
    im2 = imresize(pred, output_shape=tuple(im1.shape[-2:]))
    s1 = im1.sum(axis=(-2, -1))
    s2 = im2.sum(axis=(-2, -1))
    if (s2 <= 0).any():
        bad = int(np.flatnonzero(s2 <= 0)[0])
        raise ValueError(
            f"saliency_map must have positive mass after the 1/{downsize} shrink (all zero?), map {bad}"
        )
    p = (im1 / s1[:, None, None]).reshape(im1.shape[0], -1)
    q = (im2 / s2[:, None, None]).reshape(im2.shape[0], -1)
    dist = _grid_distance(*im1.shape[-2:])
    out = parallel_map(lambda i: fastemd_gd_metric(p[i], q[i], dist), p.shape[0])  # POT frees the GIL
    return output(out, batched)
