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

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from metrics import _compiled
from metrics._batching import chunked
from metrics._inputs import EPS, check_batch, check_finite, is_points, output, rows
from metrics._kernels import BLOCK, PARALLEL_MIN, _blocks, launch, parallel_map, split
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
    saliency_map: Any, fixations: Any, *, minmax: bool = False, stats: bool = True
) -> tuple[np.ndarray, list[np.ndarray], dict[str, np.ndarray], bool]:
    """Checked maps (N, H, W), each map's fixated flat indices, row statistics, batched.

    ``stats=False``: no statistics pass (``{}``); the caller checks the maps' finiteness itself.
    """
    pred, fix, st, batched = fixation_pair(saliency_map, fixations, mins=minmax, maxs=minmax, stats=stats)
    starts = fix.starts
    return pred, [fix.pixel[starts[i] : starts[i + 1]] for i in range(pred.shape[0])], st, batched


def _trapz(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """MATLAB ``trapz(x, y)`` along the last axis."""
    return ((x[..., 1:] - x[..., :-1]) * (y[..., 1:] + y[..., :-1])).sum(axis=-1) / 2


def _judd_one(s: np.ndarray, pixel: np.ndarray) -> float:
    """AUC-Judd of one normalised flat map ``s`` with fixated flat indices ``pixel``."""
    th = np.sort(s[pixel])[::-1]
    return _judd_area(_count_at_least(s, th), s.size)


def _judd_area(above: np.ndarray, n_pix: int) -> float:
    """AUC-Judd from ``above[i]`` = pixels >= the i-th fixated value in descending order."""
    n_fix = above.size
    above = above.astype(np.float64)
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
    fused = _compiled.kernels()
    if fused is not None:  # the jitter pass also checks finiteness; without jitter, min/max here
        pred, pixels, st, batched = _per_map(saliency_map, fixations, minmax=not jitter, stats=not jitter)
        return output(_judd_compiled(fused, rows(pred), pixels, jitter, seed, st), batched)
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


#: Bins of the threshold look-up table of the compiled AUC-Judd (a power of two).
_JUDD_GRID = 8192


@functools.lru_cache(maxsize=2)
def _jitter(seed: int, size: int) -> np.ndarray:
    """``default_rng(seed).random(size)`` as a read-only (1, size) array, drawn on several threads.

    PCG64 can skip ahead (``advance``), so each thread draws its own stretch of the same stream:
    the numbers are NumPy's, in NumPy's order. Kept for the next call (a batch, or the next map of
    the same size, uses the same numbers: every map draws from a fresh ``default_rng(seed)``).
    """
    out = np.empty(size)

    def work(lo: int, hi: int) -> None:
        bits = np.random.PCG64(seed)
        bits.advance(lo)
        np.random.Generator(bits).random(out=out[lo:hi])

    chunk = 1 << 18
    split(lambda a, b: [work(k * chunk, min(size, (k + 1) * chunk)) for k in range(a, b)], -(-size // chunk))
    out.flags.writeable = False
    return out[None]


def _judd_compiled(
    fused: Any,
    flat: np.ndarray,
    pixels: list[np.ndarray],
    jitter: bool,
    seed: int | None,
    st: dict[str, np.ndarray],
) -> np.ndarray:
    """:func:`auc_judd` with the compiled kernels: one pass for the extremes, one for the counts.

    ``st``: the maps' checked ``min``/``max`` without jitter (with jitter, the extremes pass also
    sums the maps for their finiteness check). Only the fixated values are sorted; every pixel is
    then placed among them through a look-up table (:func:`metrics._fused.level_counts`). Same
    values as the NumPy path.
    """
    n, size = flat.shape
    flat = np.ascontiguousarray(flat)
    if jitter:
        if seed is None:  # fresh entropy for each map
            r = np.stack([_rng(None).random(size) for _ in range(n)])
        else:
            _rng(seed)  # the seed's checks
            r = _jitter(int(seed), size)
        parts = np.empty((n, _blocks(size), 3))
        launch(fused.jitter_extremes, n, size, flat, r, 10000000.0, BLOCK, parts)
        check_finite(flat, "saliency_map", parts[:, :, 2].sum(axis=1))
        lo, hi = parts[:, :, 0].min(axis=1), parts[:, :, 1].max(axis=1)
    else:
        r = np.empty((0, 0))
        lo, hi = st["min"], st["max"]
    out = np.full(n, 0.5)  # a constant map
    todo = [i for i in range(n) if hi[i] != lo[i] and pixels[i].size < size]
    for i in range(n):
        if pixels[i].size == size and hi[i] != lo[i]:
            out[i] = np.nan  # every pixel fixated: no negatives
    if not todo:
        return out
    k_max = max(pixels[i].size for i in todo)
    th = np.ones((n, k_max))
    n_th = np.zeros(n, dtype=np.int64)
    base = np.zeros((n, _JUDD_GRID + 1), dtype=np.int64)
    span = hi - lo
    for i in todo:
        v = flat[i, pixels[i]].astype(np.float64)
        if jitter:
            v = r[0 if r.shape[0] == 1 else i, pixels[i]] / 10000000.0 + v
        u = np.sort((v - lo[i]) / span[i])
        th[i, : u.size], n_th[i] = u, u.size
        bins = np.minimum((u * _JUDD_GRID).astype(np.int64), _JUDD_GRID - 1)
        base[i] = np.searchsorted(bins, np.arange(_JUDD_GRID + 1), side="left")
    sel = np.asarray(todo)
    sub = flat[sel] if len(todo) < n else flat
    rs = r if r.shape[0] <= 1 else r[sel]
    counts = np.zeros((sel.size, _blocks(size), k_max + 1), dtype=np.int64)
    flags = (base[sel, 1:] > base[sel, :-1]).astype(np.uint8)  # bins holding thresholds
    args = (
        sub,
        rs,
        10000000.0,
        lo[sel],
        span[sel],
        th[sel],
        n_th[sel],
        _JUDD_GRID,
        base[sel],
        flags,
        BLOCK,
        counts,
    )
    launch(fused.level_counts, sel.size, size, *args)
    hist = counts.sum(axis=1)
    for j, i in enumerate(todo):
        k = n_th[i]
        at_least = np.cumsum(hist[j, k::-1])[::-1][1:]  # at_least[m] = pixels with > m thresholds <= s
        out[i] = _judd_area(at_least[::-1], size)
    return out


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


def _memo(fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """Keep the last few results of ``fn(seed, ...)`` for an int seed (read-only arrays); ``None``
    draws afresh every time. The draws of every map of a batch are the same for a given seed."""
    cached = functools.lru_cache(maxsize=8)(fn)

    @functools.wraps(fn)
    def wrapper(seed: int | None, *args: int) -> np.ndarray:
        if seed is None:
            return fn(seed, *args)
        _rng(seed)  # the seed's checks
        out = cached(int(seed), *args)
        out.flags.writeable = False
        return out

    return wrapper


@_memo
def _borji_draws(seed: int | None, size: int, n_fix: int, n_splits: int) -> np.ndarray:
    """AUC-Borji's negatives: (n_fix, n_splits) flat pixel indices drawn from ``default_rng(seed)``."""
    return _rng(seed).integers(0, size, size=(n_fix, n_splits))


@_memo
def _shuffle_order(seed: int | None, n_splits: int, n_other: int, n_neg: int) -> np.ndarray:
    """The shuffled AUC's negatives: for each split, ``n_neg`` of ``n_other`` indices (n_splits, n_neg).

    The first ``n_neg`` of a random permutation = the ``n_neg`` smallest of iid uniform keys (as a
    set, which is all the ROC needs): argpartition instead of a full sort.
    """
    keys = _rng(seed).random((n_splits, n_other))
    if n_neg < n_other:
        return np.argpartition(keys, n_neg - 1, axis=1)[:, :n_neg]
    return np.argsort(keys, axis=1)


def _colon_auc(fused: Any, positives: np.ndarray, negatives: np.ndarray, step: float) -> float:
    """:func:`auc_from_negatives` by the compiled kernel (one map)."""
    pos = np.ascontiguousarray(positives, dtype=np.float64)
    neg = np.ascontiguousarray(negatives, dtype=np.float64)
    return float(fused.colon_auc(pos, neg, float(step), EPS))


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
    fused = _compiled.kernels()

    def one(i: int) -> float:
        pixel = pixels[i]
        if pixel.size <= 1:
            return np.nan
        norm = _normaliser(st["min"][i], st["max"][i])
        if fused is not None:
            r = _borji_draws(seed, flat.shape[1], pixel.size, n_splits)
            return _colon_auc(fused, norm(flat[i, pixel]), norm(flat[i, r.T]), step)
        r = _rng(seed).integers(0, flat.shape[1], size=(pixel.size, n_splits))
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

    fused = _compiled.kernels()

    def one(i: int) -> float:
        pixel, ind = pixels[i], others[i]
        n_neg = min(pixel.size, ind.size)
        norm = _normaliser(st["min"][i], st["max"][i])
        if fused is not None:
            order = _shuffle_order(seed, n_splits, ind.size, n_neg)
            return _colon_auc(fused, norm(flat[i, pixel]), norm(flat[i, ind[order]]), step)
        order = _shuffle_order.__wrapped__(seed, n_splits, ind.size, n_neg)
        return auc_from_negatives(norm(flat[i, pixel]), norm(flat[i, ind[order]]), step)

    return output(parallel_map(one, len(pixels), parallel=flat.size >= PARALLEL_MIN), batched)
