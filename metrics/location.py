"""Location-based metrics at the fixated pixels: NSS and information gain (MIT conventions).

The fixation target is a binary fixation map (any non-zero pixel is fixated, each pixel counts
once) or (x, y) points (see :mod:`metrics.fixations`). A fixation map of another size than the
saliency map gets the saliency map resized to it with MATLAB's ``imresize``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from metrics._batching import chunked
from metrics._inputs import EPS, as_maps, check_batch, check_finite, output, rows
from metrics._kernels import centred_moments, row_stats
from metrics._targets import fixation_pair, resize_to
from metrics.density import shifted_sums

__all__ = ["nss", "information_gain"]


@chunked
def nss(saliency_map: Any, fixations: Any) -> float | np.ndarray:
    """Normalized Scanpath Saliency (MIT ``NSS.m``).

    The saliency map is z-scored, ``(s - mean(s)) / std(s)`` with the **sample** standard
    deviation (N - 1, MATLAB ``std``), and averaged over the fixated pixels. Invariant to
    positive affine changes of the map.

    A constant map gives 0 here (MIT: NaN). pysaliency's ``NSS`` divides by the population std,
    i.e. its value is this one times ``sqrt(n / (n - 1))`` for a map of n pixels, and it averages
    over fixations (a pixel fixated twice counts twice there, once here).
    """
    pred, fix, st, batched = fixation_pair(saliency_map, fixations, products=True)
    r = rows(pred)
    n = r.shape[1]
    psum = st["sum"]
    m = centred_moments(r, st)
    std = np.sqrt(np.maximum(m["sxx"], 0.0) / max(n - 1, 1))
    const = m["const"] | (std == 0)
    at_fix = fix.per_map_mean(fix.values(pred))
    mean = psum / n
    out = np.where(const, 0.0, (at_fix - mean) / np.where(const, 1.0, std))
    return output(out, batched)


def _log2_density_at(
    maps: np.ndarray, st: dict[str, np.ndarray], owner: np.ndarray, pixel: np.ndarray
) -> np.ndarray:
    """``log2(eps + P)`` of ``maps[owner]`` at flat ``pixel``; ``P`` = min-max normalised map / its sum.

    ``st``: the maps' ``sum``, ``min`` and ``max`` (:func:`metrics._kernels.row_stats`). A constant
    map is taken as uniform (MIT: NaN).
    """
    r = rows(maps)
    lo, hi = st["min"], st["max"]
    mass = shifted_sums(r, st["sum"], lo)  # sum(map - min) = (max - min) * sum of the min-max map
    const = lo == hi
    vals = r[owner, pixel]
    lo, mass, const = lo[owner], mass[owner], const[owner]
    dens = np.where(const, 1.0 / r.shape[1], (vals - lo) / np.where(const, 1.0, mass))
    return np.log2(dens + EPS)


@chunked
def information_gain(saliency_map: Any, fixations: Any, baseline: Any = None) -> float | np.ndarray:
    """Information gain over a baseline, in bits per fixation (MIT ``InfoGain.m``, after Kümmerer et al.).

    Both maps are resized to the fixation map's size, min-max normalised and divided by their
    sums (``P``, ``B``); ``IG = mean over fixated pixels of log2(eps + P) - log2(eps + B)`` with
    ``eps = 2.220446049250313e-16``.

    ``baseline`` is a map (H, W) shared by every map of a batch, or a batch (N, H, W); ``None``
    (the default here; MIT requires one) is the uniform map. Typical baselines: a centre-bias map
    or the fixations of all other images. A constant map is taken as uniform (MIT: NaN).
    pysaliency has no MIT-style information gain (its ``information_gain`` works on
    log-densities of probabilistic models).
    """
    pred, fix, st, batched = fixation_pair(saliency_map, fixations, mins=True, maxs=True)
    gain = _log2_density_at(pred, st, fix.owner, fix.pixel)
    if baseline is not None:
        base, base_batched = as_maps(baseline, "baseline")
        if base_batched:
            check_batch(pred, batched, base, base_batched, "baseline")
        base = resize_to(base, pred.shape[-2:])
        bst = row_stats(rows(base), mins=True, maxs=True)
        check_finite(base, "baseline", bst["sum"])
        owner = fix.owner if base_batched else np.zeros_like(fix.owner)
        gain = gain - _log2_density_at(base, bst, owner, fix.pixel)
    else:
        gain = gain - np.log2(EPS + 1.0 / (pred.shape[-1] * pred.shape[-2]))
    return output(fix.per_map_mean(gain), batched)
