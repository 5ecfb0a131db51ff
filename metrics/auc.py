"""ROC-area metrics (MIT conventions): AUC-Judd, AUC-Borji and shuffled AUC.

All three min-max normalise the (resized) saliency map to [0, 1], use the values at the fixated
pixels as positives and integrate the ROC curve with the trapezoidal rule (MATLAB ``trapz``),
from (0, 0) to (1, 1). They differ in the negatives and the thresholds:

- AUC-Judd: negatives are all other pixels; the thresholds are the fixated values.
- AUC-Borji: negatives are as many pixels as fixations drawn uniformly (with replacement) from
  the whole map, 100 times; thresholds ``0:0.1:max`` (MATLAB colon); mean over the splits.
- shuffled AUC: as AUC-Borji, but the negatives are fixated pixels of *other* images.

The random draws of each map come from a fresh ``numpy.random.default_rng(seed)``, so a map
scores the same alone or anywhere in a batch, and every result is reproducible from its seed
(the draws cannot equal MATLAB's ``rand``). ``seed=None`` draws fresh entropy for each map.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from metrics._batching import chunked
from metrics._inputs import EPS, check_batch, is_points, output, rows
from metrics._kernels import PARALLEL_MIN, parallel_map
from metrics._targets import fixation_maps, fixation_pair, flat_true
from metrics.fixations import fixation_indices

__all__ = ["auc_judd", "auc_borji", "auc_shuffled", "matlab_colon"]


def _rng(seed: int | None) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        raise ValueError(
            "seed must be an int or None (each map draws from default_rng(seed)), got a Generator"
        )
    return np.random.default_rng(seed)


def _normalise(values: np.ndarray, out: np.ndarray | None = None) -> np.ndarray | None:
    """MIT min-max normalisation ``(s - min) / (max - min)`` of one flat map; ``None`` if constant.

    Written into ``out`` when given (it may be ``values`` itself).
    """
    lo, hi = values.min(), values.max()
    if hi == lo:
        return None
    out = np.subtract(values, lo, out=out)
    out /= hi - lo
    return out


def _normaliser(lo: float, hi: float) -> Callable[[np.ndarray], np.ndarray]:
    """The MIT min-max normalisation of a flat map with extremes ``lo``, ``hi``, as a function.

    ``(v - lo) / (hi - lo)`` computed only where needed (same arithmetic as normalising the
    whole map); a constant map maps to 0.
    """
    if hi == lo:
        return lambda v: np.zeros(np.shape(v))
    return lambda v: (v - lo) / (hi - lo)


def _count_at_least(values: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """``count(values >= t)`` for every ``t`` of ``thresholds``; ``values`` and ``thresholds`` in [0, 1].

    Small problems compare directly. Large ones stay exact without sorting the map: pixels are
    binned on a power-of-two grid (``floor(v * G)`` is exact and monotone), whole bins above a
    threshold's bin are counted from the histogram, and the pixels sharing a bin with some
    threshold (the candidates, few) are sorted and counted with ``searchsorted``.
    """
    n, k = values.size, thresholds.size
    if n * k <= 1 << 20:
        return (values[None, :] >= thresholds[:, None]).sum(axis=1)
    grid = 1 << min(16, max(10, (n // 8).bit_length()))
    vbin = (values * grid).astype(np.int32)
    np.minimum(vbin, grid - 1, out=vbin)
    tbin = np.minimum((thresholds * grid).astype(np.int64), grid - 1)
    hist = np.bincount(vbin, minlength=grid)
    above = np.append(np.cumsum(hist[::-1])[::-1], 0)  # above[b] = count(bin >= b)
    lut = np.zeros(grid, dtype=bool)
    lut[tbin] = True
    cand = np.sort(values[lut[vbin]])
    cbin = np.minimum((cand * grid).astype(np.int64), grid - 1)  # non-decreasing, as cand is sorted
    # In t's bin: (candidates >= t) minus (candidates in higher bins); every candidate >= t lies
    # in t's bin or a higher one.
    ge = cand.size - np.searchsorted(cand, thresholds, side="left")
    higher = cand.size - np.searchsorted(cbin, tbin, side="right")
    return above[tbin + 1] + ge - higher


def _per_map(
    saliency_map: Any, fixations: Any, *, minmax: bool = False
) -> tuple[np.ndarray, list[np.ndarray], dict[str, np.ndarray], bool]:
    """Checked maps (N, H, W), each map's fixated flat indices, row statistics, batched."""
    pred, fix, st, batched = fixation_pair(saliency_map, fixations, mins=minmax, maxs=minmax)
    starts = fix.starts
    return pred, [fix.pixel[starts[i] : starts[i + 1]] for i in range(pred.shape[0])], st, batched


def _trapz(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """MATLAB ``trapz(x, y)`` along the last axis."""
    return ((x[..., 1:] - x[..., :-1]) * (y[..., 1:] + y[..., :-1])).sum(axis=-1) / 2


def _judd_one(s: np.ndarray, pixel: np.ndarray) -> float:
    """AUC-Judd of one normalised flat map ``s`` with fixated flat indices ``pixel``."""
    n_pix, n_fix = s.size, pixel.size
    th = np.sort(s[pixel])[::-1]
    above = _count_at_least(s, th).astype(np.float64)
    i = np.arange(1, n_fix + 1, dtype=np.float64)
    tp = np.concatenate([[0.0], i / n_fix, [1.0]])
    fp = np.concatenate([[0.0], (above - i) / (n_pix - n_fix), [1.0]])
    return float(_trapz(fp, tp))


@chunked
def auc_judd(
    saliency_map: Any, fixations: Any, *, jitter: bool = True, seed: int | None = 0
) -> float | np.ndarray:
    """AUC-Judd (MIT ``AUC_Judd.m``).

    With ``jitter`` (MIT default) uniform noise ``rand / 1e7`` is added to the resized map to
    break ties; then the map is min-max normalised. The thresholds are the fixated values in
    descending order; at the i-th, ``TP = i / N_fix`` and
    ``FP = (#pixels >= threshold - i) / (N_pixels - N_fix)``; the curve runs from (0, 0) to
    (1, 1) and its area is taken with ``trapz``. Without jitter, pixels tied with a fixated value
    count as above the threshold, so this is not the Mann-Whitney AUC (nor pysaliency's ROC AUC,
    which agrees only when the fixated values are all distinct).

    A constant map (without jitter) gives 0.5 here (MIT: NaN). If every pixel is fixated the FP
    rate is undefined and the result is NaN, as in MIT. Without jitter, heavy ties can push
    MIT's formula outside [0, 1] (e.g. -2.5 when most pixels share the fixated value); the
    value is kept, as in MIT, which is why MIT jitters by default.
    """
    pred, pixels, _, batched = _per_map(saliency_map, fixations)
    flat = rows(pred)

    def one(i: int) -> float:
        if jitter:
            buf = _rng(seed).random(flat.shape[1])
            buf /= 10000000
            buf += flat[i]  # MATLAB: saliencyMap + rand(size(saliencyMap)) / 10000000
            s = _normalise(buf, out=buf)
        else:
            s = _normalise(flat[i].astype(np.float64))
        if s is None:
            return 0.5
        if pixels[i].size == s.size:
            return np.nan
        return _judd_one(s, pixels[i])

    return output(parallel_map(one, len(pixels), parallel=flat.size >= PARALLEL_MIN), batched)


def matlab_colon(stop: np.ndarray, step: float) -> np.ndarray:
    """MATLAB's ``0:step:stop`` for each value of ``stop`` (S,) -> (S, K), padded with +inf.

    MATLAB builds the first half as ``k * step`` and the second half back from the end point (the
    end point is ``stop`` itself when ``n * step`` is within ``2 * eps * stop`` of it), so the
    values can differ from ``k * step`` in the last bit; the thresholds here are MATLAB's.
    """
    stop = np.asarray(stop, dtype=np.float64).reshape(-1)
    tol = 2.0 * EPS * np.abs(stop)
    n = np.round(stop / step)
    n = np.where(n * step - stop > tol, n - 1, n)
    c = n * step
    c = np.where(c - stop > -tol, stop, c)
    k = np.arange(int(n.max()) + 1, dtype=np.float64)[None, :]
    nn = n[:, None]
    vals = np.where(k <= np.floor(nn / 2), k * step, c[:, None] - (nn - k) * step)
    vals = np.where((np.remainder(nn, 2) == 0) & (k == nn / 2), c[:, None] / 2, vals)
    return np.where(k <= nn, vals, np.inf)


def auc_from_negatives(positives: np.ndarray, negatives: np.ndarray, step: float = 0.1) -> float:
    """Mean over splits of the fixed-step ROC area (the core of MIT ``AUC_Borji``/``AUC_shuffled``).

    ``positives`` (P,) are the normalised values at the fixations; ``negatives`` (S, M) the values
    at the M negatives of each of S splits. Thresholds per split: ``0:step:max(positives,
    negatives)`` descending; ``TP = #pos >= t / P``, ``FP = #neg >= t / M``.
    """
    positives, negatives = np.asarray(positives, np.float64), np.asarray(negatives, np.float64)
    n_pos, (n_splits, n_neg) = positives.size, negatives.shape
    th = matlab_colon(np.maximum(positives.max(), negatives.max(axis=1)), step)  # (S, K) ascending
    pos_sorted = np.sort(positives)
    tp = (n_pos - np.searchsorted(pos_sorted, th.ravel(), side="left").reshape(th.shape)) / n_pos
    fp = (negatives[:, :, None] >= th[:, None, :]).sum(axis=1) / n_neg
    zero, one = np.zeros((n_splits, 1)), np.ones((n_splits, 1))
    tp = np.concatenate([zero, tp[:, ::-1], one], axis=1)  # descending thresholds; +inf padding -> (0, 0)
    fp = np.concatenate([zero, fp[:, ::-1], one], axis=1)
    return float(_trapz(fp, tp).mean())


@chunked
def auc_borji(
    saliency_map: Any, fixations: Any, *, n_splits: int = 100, step: float = 0.1, seed: int | None = 0
) -> float | np.ndarray:
    """AUC-Borji (MIT ``AUC_Borji.m``): negatives drawn uniformly from all pixels.

    For each of ``n_splits`` (100) splits, as many pixels as fixated pixels are drawn uniformly
    with replacement from the whole map (fixated pixels included); thresholds ``0:step:max`` with
    ``step = 0.1``; ``TP`` and ``FP`` are both fractions of the fixation count; result = mean
    area over splits. A map with a single fixated pixel gives NaN (as MIT). A constant map gives
    0.5 (MIT: NaN). pysaliency has no AUC-Borji.
    """
    pred, pixels, st, batched = _per_map(saliency_map, fixations, minmax=True)
    flat = rows(pred)

    def one(i: int) -> float:
        pixel = pixels[i]
        if pixel.size <= 1:
            return np.nan
        r = _rng(seed).integers(0, flat.shape[1], size=(pixel.size, n_splits))
        norm = _normaliser(st["min"][i], st["max"][i])
        return auc_from_negatives(norm(flat[i, pixel]), norm(flat[i, r.T]), step)

    return output(parallel_map(one, len(pixels), parallel=flat.size >= PARALLEL_MIN), batched)


def _other_pixels(other: Any, pred: np.ndarray, pred_batched: bool) -> list[np.ndarray]:
    """Flat fixated-pixel indices of ``other`` for each map (one shared set or one per map)."""
    n, h, w = pred.shape
    if is_points(other, (h, w)):
        sets = list(other) if isinstance(other, (list, tuple)) else [other]
        if len(sets) not in (1, n):
            raise ValueError(f"other must hold one point array, or one per map ({n}), got {len(sets)}")
        pix = [fixation_indices(p, (h, w)) for p in sets]
    else:
        omap, obatched = fixation_maps(other, "other")
        if obatched:
            check_batch(pred, pred_batched, omap, obatched, "other")
        if tuple(omap.shape[-2:]) != (h, w):
            raise ValueError(
                f"other must have the fixation map's size {(h, w)}, got {tuple(omap.shape[-2:])}"
            )
        pix = [flat_true(m) for m in omap]
    if any(p.size == 0 for p in pix):
        raise ValueError("other must contain at least one fixation (the negatives of shuffled AUC)")
    return pix if len(pix) == n else pix * n


@chunked
def auc_shuffled(
    saliency_map: Any,
    fixations: Any,
    *,
    other: Any,
    n_splits: int = 100,
    step: float = 0.1,
    seed: int | None = 0,
) -> float | np.ndarray:
    """Shuffled AUC (MIT ``AUC_shuffled.m``): negatives are fixations of other images.

    ``other`` is a binary fixation map of the fixation map's size holding the union of the
    fixations on other images (Borji uses 10 other images), or (x, y) points; one shared by the
    whole batch or one per map. For each of ``n_splits`` (100) splits, ``min(N_fix, N_other)``
    of the other fixated pixels are drawn without replacement (a random permutation);
    thresholds ``0:step:max`` with ``step = 0.1``; ``TP`` over the fixation count, ``FP`` over
    the number of negatives; mean area over splits. A constant map gives 0.5 (MIT: NaN).
    """
    pred, pixels, st, batched = _per_map(saliency_map, fixations, minmax=True)
    others = _other_pixels(other, pred, batched)
    flat = rows(pred)

    def one(i: int) -> float:
        pixel, ind = pixels[i], others[i]
        n_neg = min(pixel.size, ind.size)
        # The first n_neg of a random permutation = the n_neg smallest of iid uniform keys (as a
        # set, which is all the ROC needs): argpartition instead of a full sort.
        keys = _rng(seed).random((n_splits, ind.size))
        order = (
            np.argpartition(keys, n_neg - 1, axis=1)[:, :n_neg]
            if n_neg < ind.size
            else np.argsort(keys, axis=1)
        )
        norm = _normaliser(st["min"][i], st["max"][i])
        return auc_from_negatives(norm(flat[i, pixel]), norm(flat[i, ind[order]]), step)

    return output(parallel_map(one, len(pixels), parallel=flat.size >= PARALLEL_MIN), batched)
