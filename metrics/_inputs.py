"""Input checking and conversion shared by every metric.

Every metric accepts NumPy arrays or torch tensors holding one map ``(H, W)`` or a batch
``(N, H, W)``. They are converted once, here, to float64 torch tensors of shape ``(N, H, W)``
(sharing memory with the input where possible) and checked; every problem raises a
:class:`ValueError` that names the argument, what was expected and what was found.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

#: Float64 ``eps`` (MATLAB's ``eps``), the regulariser of KLdiv and InfoGain in the MIT code.
EPS = float(np.finfo(np.float64).eps)


def _to_numpy_or_tensor(x: Any, name: str) -> np.ndarray | torch.Tensor:
    if isinstance(x, torch.Tensor):
        return x.detach()
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


def as_maps(x: Any, name: str, *, allow_bool: bool = False) -> tuple[torch.Tensor, bool]:
    """Convert one map (H, W) or a batch (N, H, W) to a float64 tensor (N, H, W).

    Returns the tensor and whether the input was a batch. Raises ``ValueError`` for a wrong
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
    t = torch.from_numpy(np.ascontiguousarray(arr)) if isinstance(arr, np.ndarray) else arr
    t = t.to(device="cpu", dtype=torch.float64)
    batched = t.ndim == 3
    return (t if batched else t.unsqueeze(0)).contiguous(), batched


def check_finite(maps: torch.Tensor, name: str, sums: torch.Tensor | None = None) -> torch.Tensor:
    """Raise ``ValueError`` if any value is NaN or infinite; return the per-map sums (N,).

    A finite sum proves every element finite, so the check usually costs one reduction the
    metric needs anyway; only a non-finite sum triggers the element-wise search for the culprit.
    """
    if sums is None:
        sums = torch.from_numpy(rows(maps).sum(axis=1))
    if not bool(torch.isfinite(sums).all()):
        bad = ~torch.isfinite(maps)
        if bool(bad.any()):
            n_bad = int(bad.sum())
            kind = "NaN" if bool(torch.isnan(maps).any()) else "inf"
            raise ValueError(f"{name} must be finite, found {n_bad} NaN/inf value(s) (first kind: {kind})")
        raise ValueError(f"{name} values are too large: their sum overflows float64")
    return sums


def check_nonnegative(mins: torch.Tensor, name: str, what: str = "a distribution") -> None:
    """Raise ``ValueError`` if any per-map minimum is negative."""
    if bool((mins < 0).any()):
        i = int(torch.nonzero(mins < 0)[0, 0])
        raise ValueError(
            f"{name} must be non-negative ({what}), found minimum {float(mins[i]):.6g} in map {i}"
        )


def check_batch(
    pred: torch.Tensor, pred_batched: bool, target: torch.Tensor, target_batched: bool, target_name: str
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


def output(values: torch.Tensor | np.ndarray, batched: bool) -> float | np.ndarray:
    """One value per map: a Python float for one map, a float64 array (N,) for a batch."""
    arr = values.numpy() if isinstance(values, torch.Tensor) else np.asarray(values)
    arr = np.asarray(arr, dtype=np.float64).reshape(-1)
    return arr if batched else float(arr[0])


def minmax_scale(maps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-map (min, max - min, constant flag) of (N, H, W) maps, each of shape (N, 1, 1)."""
    r = rows(maps)
    lo = torch.from_numpy(r.min(axis=1)).view(-1, 1, 1)
    rng = torch.from_numpy(r.max(axis=1)).view(-1, 1, 1) - lo
    return lo, rng, rng == 0


def rows(maps: torch.Tensor) -> np.ndarray:
    """(N, H, W) float64 tensor -> (N, H*W) NumPy view (NumPy's reductions are the fast ones here)."""
    return maps.reshape(maps.shape[0], -1).numpy()


def row_mins(maps: torch.Tensor) -> torch.Tensor:
    """Per-map minimum (N,)."""
    return torch.from_numpy(rows(maps).min(axis=1))
