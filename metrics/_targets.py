"""Pairing a saliency map with its target: density maps, fixation maps or fixation points.

The MIT code always resizes the saliency map to the size of the target (``imresize``, see
:mod:`metrics.imresize`); fixation points are placed on the saliency map's own grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from metrics import _compiled
from metrics._inputs import as_maps, check_batch, check_finite, check_nonnegative, is_points, row_mins, rows
from metrics._kernels import row_stats
from metrics.fixations import fixation_indices
from metrics.imresize import imresize


@dataclass(frozen=True)
class Fixated:
    """Fixated pixels of a batch: ``pixel[k]`` (row-major flat index) belongs to map ``owner[k]``.

    Entries are grouped by map in map order; ``count[i]`` is the number of fixated pixels of map
    ``i`` (each pixel once, as in a binary fixation map).
    """

    owner: np.ndarray
    pixel: np.ndarray
    count: np.ndarray

    def values(self, maps: np.ndarray) -> np.ndarray:
        """Values of (N, H, W) ``maps`` at the fixated pixels, flat (F,)."""
        return maps.reshape(maps.shape[0], -1)[self.owner, self.pixel]

    def per_map_mean(self, values: np.ndarray) -> np.ndarray:
        """Mean of flat per-fixation ``values`` (F,) within each map -> (N,)."""
        return np.bincount(self.owner, weights=values, minlength=self.count.size) / self.count

    @property
    def starts(self) -> np.ndarray:
        """Offsets of each map's entries in ``pixel`` (N + 1,)."""
        return np.concatenate([[0], np.cumsum(self.count)])


def flat_true(mask: np.ndarray) -> np.ndarray:
    """Sorted flat indices of the True entries of a bool array (``np.flatnonzero``).

    Fixation maps are sparse: the array is scanned 8 bytes at a time and only the non-zero words
    are looked into (compiled: :func:`metrics._fused.true_indices`; NumPy: plain ``flatnonzero``
    when that does not pay).
    """
    flat = np.ascontiguousarray(mask).reshape(-1)
    fused = _compiled.kernels()
    if fused is not None and flat.dtype == np.bool_:
        byte = flat.view(np.uint8)
        return fused.true_indices(byte[: flat.size - flat.size % 8].view(np.uint64), byte)
    if flat.size % 8:
        return np.flatnonzero(flat)
    words = np.flatnonzero(flat.view(np.uint64))
    if 32 * words.size > flat.size:
        return np.flatnonzero(flat)
    idx = (words[:, None] * 8 + np.arange(8)).reshape(-1)
    return idx[flat[idx]]


def resize_to(pred: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The saliency map brought to ``shape`` (H, W) as the MIT code does (no-op when equal)."""
    return pred if tuple(pred.shape[-2:]) == tuple(shape) else imresize(pred, output_shape=tuple(shape))


def density_pair(
    saliency_map: Any,
    target: Any,
    target_name: str = "target",
    *,
    nonnegative: bool = False,
    resize: bool = True,
    minmax: bool = False,
    products: bool = False,
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray], bool]:
    """Checked (prediction, target, row statistics, batched).

    The prediction is resized to the target's size unless ``resize`` is false. The statistics are
    those of :func:`metrics._kernels.row_stats` of the (resized) prediction ``x`` and the target
    ``y``: ``sum``/``ysum`` always, ``min``/``ymin`` with ``minmax`` or ``nonnegative``,
    ``max``/``ymax`` with ``minmax``, ``xx``/``yy``/``xy`` with ``products``. Raises
    ``ValueError`` for NaN/inf, a batch mismatch, an all-zero target and, with ``nonnegative``,
    negative values in either map.
    """
    pred, pred_batched = as_maps(saliency_map, "saliency_map")
    tgt, tgt_batched = as_maps(target, target_name)
    check_batch(pred, pred_batched, tgt, tgt_batched, target_name)
    extremes = {"mins": minmax or nonnegative, "maxs": minmax}
    resizing = resize and tuple(pred.shape[-2:]) != tuple(tgt.shape[-2:])
    if tuple(pred.shape[-2:]) != tuple(tgt.shape[-2:]):
        st = row_stats(rows(pred), mins=nonnegative)
        st.update({"y" + k: v for k, v in row_stats(rows(tgt), mins=nonnegative).items()})
    else:  # one fused pass over both maps
        st = row_stats(rows(pred), rows(tgt), **extremes, products=products)
    check_finite(pred, "saliency_map", st["sum"])
    tsum = check_finite(tgt, target_name, st["ysum"])
    if nonnegative:  # checked on the inputs: the bicubic resize itself can undershoot below 0
        check_nonnegative(st["min"], "saliency_map")
        check_nonnegative(st["ymin"], target_name)
    if (tsum == 0).any():
        empty = (rows(tgt) == 0).all(axis=1)
        if empty.any():
            raise ValueError(
                f"{target_name} must not be all zero (no fixation mass), found an empty map at "
                f"index {int(np.flatnonzero(empty)[0])}"
            )
    if resizing:
        pred = resize_to(pred, tgt.shape[-2:])
        st = row_stats(rows(pred), rows(tgt), **extremes, products=products)
    return pred, tgt, st, pred_batched


def _fixated_from_points(target: Any, pred: np.ndarray, pred_batched: bool, name: str) -> Fixated:
    n, h, w = pred.shape
    if isinstance(target, (list, tuple)):
        point_sets = list(target)
        if not pred_batched:
            raise ValueError(
                f"{name}: a list of point arrays needs a batch (N, H, W) saliency_map, "
                f"got one map of shape {(h, w)}"
            )
    else:
        arr = target.detach().cpu().numpy() if isinstance(target, torch.Tensor) else np.asarray(target)
        point_sets = list(arr) if arr.ndim == 3 else [arr]
        if (arr.ndim == 3) != pred_batched:
            raise ValueError(
                f"{name}: points (K, 2) go with one map (H, W), a list of N point arrays or "
                f"(N, K, 2) with a batch (N, H, W); got points {arr.shape} for saliency_map "
                f"{tuple(pred.shape) if pred_batched else (h, w)}"
            )
    if len(point_sets) != n:
        raise ValueError(
            f"{name} must hold one point array per map: {n} maps, {len(point_sets)} point arrays"
        )
    pixels = [fixation_indices(p, (h, w)) for p in point_sets]
    count = np.array([len(p) for p in pixels], dtype=np.int64)
    owner = np.repeat(np.arange(n), count)
    return Fixated(owner, np.concatenate(pixels).astype(np.int64), count)


def fixation_maps(fixations: Any, name: str) -> tuple[np.ndarray, bool]:
    """Checked fixation map(s) as a bool array (N, H, W) and whether it was a batch.

    Bool input is used as is; numeric maps must be finite and non-negative (non-zero = fixated).
    """
    raw = fixations.detach().cpu().numpy() if isinstance(fixations, torch.Tensor) else np.asarray(fixations)
    if raw.dtype == np.bool_ and raw.ndim in (2, 3) and raw.size > 0:
        batched = raw.ndim == 3
        return (raw if batched else raw[None]), batched
    fmap, batched = as_maps(raw, name, allow_bool=True)
    check_finite(fmap, name)
    check_nonnegative(row_mins(fmap), name, "a fixation map")
    return fmap != 0, batched


def fixation_pair(
    saliency_map: Any, fixations: Any, name: str = "fixation_map", *, stats: bool = True, **flags: bool
) -> tuple[np.ndarray, Fixated, dict[str, np.ndarray], bool]:
    """Checked (prediction, fixated pixels, row statistics, batched) of a fixation-based metric.

    ``fixations`` is a fixation map (H, W)/(N, H, W) (any non-zero value marks a fixated pixel;
    the prediction is resized to its size) or points: ``(K, 2)`` (x, y) for one map, a list of
    ``(K_i, 2)`` arrays or an ``(N, K, 2)`` array for a batch (placed on the prediction's grid).
    The statistics of the (resized) prediction are those of :func:`metrics._kernels.row_stats`
    with the flags ``flags`` (``mins``, ``maxs``, ``products``); the sums check that the prediction
    is finite. ``stats=False`` skips that pass (``{}``): the caller's own pass must check it
    (:func:`metrics._inputs.check_finite`). Raises ``ValueError`` for an empty fixation set,
    negative or non-finite fixation maps.
    """
    pred, pred_batched = as_maps(saliency_map, "saliency_map")
    if is_points(fixations, tuple(pred.shape) if pred_batched else tuple(pred.shape[1:])):
        fix = _fixated_from_points(fixations, pred, pred_batched, name)
    else:
        fmap, fmap_batched = fixation_maps(fixations, name)
        check_batch(pred, pred_batched, fmap, fmap_batched, name)
        pred = resize_to(pred, fmap.shape[-2:])
        owner, pixel = np.divmod(flat_true(fmap), fmap.shape[-2] * fmap.shape[-1])
        count = np.bincount(owner, minlength=fmap.shape[0])
        fix = Fixated(owner, pixel, count)
    if (fix.count == 0).any():
        raise ValueError(
            f"{name} must contain at least one fixation per map, found an empty map at index "
            f"{int(np.flatnonzero(fix.count == 0)[0])}"
        )
    if not stats:
        return pred, fix, {}, pred_batched
    st = row_stats(rows(pred), **flags)
    check_finite(pred, "saliency_map", st["sum"])
    return pred, fix, st, pred_batched
