"""Input checking and conversion shared by every metric.

Every metric accepts NumPy arrays or torch tensors holding one map ``(H, W)`` or a batch
``(N, H, W)``. They are converted once, here, to C-contiguous NumPy arrays of shape
``(N, H, W)``: float32 and float64 inputs keep their dtype (and memory), others become float64
(the kernels of :mod:`metrics._kernels` read float32 as float64, so all arithmetic is float64),
and checked; every problem raises a
:class:`ValueError` that names the argument, what was expected and what was found. The
computations use NumPy: on a busy 2-core machine torch's small multi-threaded operations were
an order of magnitude slower.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from metrics._kernels import parallel_copy

#: Float64 ``eps`` (MATLAB's ``eps``), the regulariser of KLdiv and InfoGain in the MIT code.
EPS = float(np.finfo(np.float64).eps)


def _to_numpy_or_tensor(x: Any, name: str) -> np.ndarray | torch.Tensor:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu()
    if isinstance(x, np.ndarray):
        return x
    try:
        return np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be an array or tensor, got {type(x).__name__} ({exc})") from None


def _check_dtype(x: np.ndarray | torch.Tensor, name: str, allow_bool: bool) -> None:
    if isinstance(x, torch.Tensor):
        ok = (
            (x.dtype.is_floating_point and not x.dtype.is_complex)
            or x.dtype in (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)
            or (allow_bool and x.dtype == torch.bool)
        )
        dtype = str(x.dtype)
    else:
        kind = x.dtype.kind
        ok = kind in "fiu" or (allow_bool and kind == "b")
        dtype = str(x.dtype)
    if not ok:
        expected = "a real numeric or bool dtype" if allow_bool else "a real numeric dtype (int, uint, float)"
        raise ValueError(f"{name} must have {expected}, got dtype {dtype}")


def as_maps(x: Any, name: str, *, allow_bool: bool = False) -> tuple[np.ndarray, bool]:
    """Convert one map (H, W) or a batch (N, H, W) to a float64 or float32 array (N, H, W).

    float32 stays float32 (converting a large batch costs more than the metric; every kernel
    reads it as float64, which is exact); other dtypes become float64. Returns the array and whether the input was a batch. Raises ``ValueError`` for a wrong
    dtype (complex, object, string; bool unless ``allow_bool``), a wrong number of dimensions,
    or an empty map. NaN/inf are checked by :func:`check_finite` (callers fold that check into
    a reduction they need anyway).
    """
    arr = _to_numpy_or_tensor(x, name)
    _check_dtype(arr, name, allow_bool)
    if arr.ndim not in (2, 3):
        raise ValueError(f"{name} must be a map (H, W) or a batch (N, H, W), got shape {tuple(arr.shape)}")
    if any(int(s) == 0 for s in arr.shape):
        raise ValueError(f"{name} must not be empty, got shape {tuple(arr.shape)}")
    if isinstance(arr, torch.Tensor):
        arr = arr.numpy() if arr.dtype not in (torch.float16, torch.bfloat16) else arr.float().numpy()
    batched = arr.ndim == 3
    if arr.dtype in (np.float64, np.float32):
        out = np.ascontiguousarray(arr)
    else:  # convert into a reused buffer: fresh 64 MB allocations cost more than the conversion
        out = _scratch(name, arr.shape)
        pixels = arr.shape[-2] * arr.shape[-1]
        parallel_copy(out.reshape(-1, pixels), arr.reshape(-1, pixels))
    return (out if batched else out[None]), batched


_SCRATCH = threading.local()


def _scratch(key: str, shape: tuple[int, ...]) -> np.ndarray:
    """A float64 buffer of ``shape`` reused across calls (per thread and argument name).

    Safe because the metrics never return or keep their converted inputs.
    """
    pool = getattr(_SCRATCH, "pool", None)
    if pool is None:
        pool = _SCRATCH.pool = {}
    size = int(np.prod(shape))
    buf = pool.get(key)
    if buf is None or buf.size < size or buf.size > 4 * size:
        buf = pool[key] = np.empty(size)
    return buf[:size].reshape(shape)


def check_finite(maps: np.ndarray, name: str, sums: np.ndarray | None = None) -> np.ndarray:
    """Raise ``ValueError`` if any value is NaN or infinite; return the per-map sums (N,).

    A finite sum proves every element finite, so the check usually costs one reduction the
    metric needs anyway; only a non-finite sum triggers the element-wise search for the culprit.
    """
    if sums is None:
        sums = rows(maps).sum(axis=1, dtype=np.float64)
    if not np.isfinite(sums).all():
        bad = ~np.isfinite(maps)
        if bad.any():
            kind = "NaN" if np.isnan(maps).any() else "inf"
            raise ValueError(
                f"{name} must be finite, found {int(bad.sum())} NaN/inf value(s) (first kind: {kind})"
            )
        raise ValueError(f"{name} values are too large: their sum overflows float64")
    return sums


def check_nonnegative(mins: np.ndarray, name: str, what: str = "a distribution") -> None:
    """Raise ``ValueError`` if any per-map minimum is negative."""
    if (mins < 0).any():
        i = int(np.flatnonzero(mins < 0)[0])
        raise ValueError(
            f"{name} must be non-negative ({what}), found minimum {float(mins[i]):.6g} in map {i}"
        )


def check_batch(
    pred: np.ndarray, pred_batched: bool, target: np.ndarray, target_batched: bool, target_name: str
) -> None:
    """Raise ``ValueError`` unless both inputs are single maps or batches of the same length."""
    if pred_batched != target_batched or pred.shape[0] != target.shape[0]:
        ps = tuple(pred.shape) if pred_batched else tuple(pred.shape[1:])
        ts = tuple(target.shape) if target_batched else tuple(target.shape[1:])
        raise ValueError(
            f"saliency_map and {target_name} must both be one map (H, W) or batches (N, H, W) of the "
            f"same length, got shapes {ps} and {ts}"
        )


def is_points(target: Any, pred_shape: Sequence[int]) -> bool:
    """Whether ``target`` holds (x, y) fixation points rather than a fixation map.

    Points are a ``(K, 2)`` array (one map) or a list/tuple of such arrays (one per map of a
    batch). A 2-D array whose last dimension is 2 is read as points unless the saliency map itself
    has that exact shape (a fixation *map* two pixels wide is not a real case).
    """
    if isinstance(target, (list, tuple)):
        return True
    shape = tuple(getattr(target, "shape", ()))
    return len(shape) == 2 and shape[-1] == 2 and shape != tuple(pred_shape)


def output(values: np.ndarray, batched: bool) -> float | np.ndarray:
    """One value per map: a Python float for one map, a float64 array (N,) for a batch."""
    arr = np.asarray(values, dtype=np.float64).reshape(-1)
    return arr if batched else float(arr[0])


def rows(maps: np.ndarray) -> np.ndarray:
    """(N, H, W) -> (N, H*W) view."""
    return maps.reshape(maps.shape[0], -1)


def row_mins(maps: np.ndarray) -> np.ndarray:
    """Per-map minimum (N,)."""
    return rows(maps).min(axis=1)
