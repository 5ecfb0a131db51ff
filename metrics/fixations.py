"""Fixations as points, binary fixation maps and continuous fixation-density maps.

Conventions:

- A fixation is an ``(x, y)`` position in pixels, origin at the top-left corner, x to the right,
  y down. Pixel ``(row r, column c)`` covers ``x in [c, c + 1)`` and ``y in [r, r + 1)``, so the
  pixel of a point is ``(floor(y), floor(x))`` (pysaliency's ``x_int``/``y_int`` convention) and
  ``x = c + 0.5`` is the centre of column ``c``.
- A *binary fixation map* is 1 at every fixated pixel, as in the MIT benchmark: two fixations on
  the same pixel mark it once (``counts=True`` keeps the number of fixations instead).
- A *fixation-density map* is the fixation map low-pass filtered with the MIT benchmark's
  ``antonioGaussian``: a Gaussian transfer function in the Fourier domain with cut-off ``fc``
  cycles per image (default 8, about 1 degree of visual angle in the MIT data), computed on a
  zero-padded square of side ``2**ceil(log2(max(H, W)))`` (so the blur leaks past the borders
  instead of wrapping, and is cropped back). ``sigma_px`` gives the cut-off through
  ``run_antonioGaussian``'s ``fc = max(H, W) * sqrt(ln 2 / (2 pi^2 sigma^2))``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.fft
import torch

__all__ = ["fixation_indices", "fixations_to_map", "fixation_density", "antonio_gaussian", "sigma_to_fc"]


def _points_array(points_xy: Any, name: str = "points_xy") -> np.ndarray:
    pts = points_xy.detach().cpu().numpy() if isinstance(points_xy, torch.Tensor) else np.asarray(points_xy)
    if pts.dtype.kind not in "fiu":
        raise ValueError(f"{name} must hold real (x, y) numbers, got dtype {pts.dtype}")
    if pts.ndim == 1 and pts.size == 0:
        pts = pts.reshape(0, 2)
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise ValueError(f"{name} must have shape (K, 2) holding (x, y) pixel positions, got {pts.shape}")
    pts = pts.astype(np.float64, copy=False)
    if not np.isfinite(pts).all():
        raise ValueError(
            f"{name} must be finite, found {int((~np.isfinite(pts)).any(axis=1).sum())} point(s) with NaN/inf"
        )
    return pts


def fixation_indices(
    points_xy: Any, shape: tuple[int, int], *, outside: str = "error", unique: bool = True
) -> np.ndarray:
    """Row-major flat pixel indices (``row * W + col``) of ``(K, 2)`` (x, y) points in a map of ``shape``.

    ``unique`` (the binary-map convention) returns each fixated pixel once, sorted. Points outside
    ``[0, W) x [0, H)`` raise ``ValueError`` (``outside="error"``) or are ignored (``"drop"``).
    """
    if outside not in ("error", "drop"):
        raise ValueError(f"outside must be 'error' or 'drop', got {outside!r}")
    h, w = (int(s) for s in shape)
    if h < 1 or w < 1:
        raise ValueError(f"shape must be two positive integers (H, W), got {shape!r}")
    pts = _points_array(points_xy)
    cols = np.floor(pts[:, 0])
    rows = np.floor(pts[:, 1])
    inside = (cols >= 0) & (cols < w) & (rows >= 0) & (rows < h)
    if not inside.all() and outside == "error":
        first = pts[~inside][0]
        raise ValueError(
            f"points_xy must lie inside the {w}x{h} (W x H) map, found {int((~inside).sum())} "
            f"outside, e.g. (x={first[0]:g}, y={first[1]:g})"
        )
    flat = rows[inside].astype(np.int64) * w + cols[inside].astype(np.int64)
    return np.unique(flat) if unique else flat


def fixations_to_map(
    points_xy: Any, shape: tuple[int, int], *, counts: bool = False, outside: str = "error"
) -> np.ndarray:
    """Turn ``(K, 2)`` (x, y) pixel positions into a fixation map of ``shape`` (H, W).

    This is the one place where eye-tracker points become a map (pixel rule in the module
    docstring). Returns float64 (H, W): 1 at fixated pixels (or the number of fixations there
    when ``counts``), 0 elsewhere. ``outside="error"`` raises ``ValueError`` for points outside
    ``[0, W) x [0, H)``; ``outside="drop"`` ignores them.
    """
    h, w = (int(s) for s in shape)
    flat = fixation_indices(points_xy, shape, outside=outside, unique=not counts)
    out = np.bincount(flat, minlength=h * w).astype(np.float64)
    return out.reshape(h, w)


def sigma_to_fc(sigma_px: float, shape: tuple[int, int]) -> float:
    """Cut-off (cycles/image) of ``antonioGaussian`` for a Gaussian of ``sigma_px`` pixels (MIT's
    ``run_antonioGaussian``): ``fc = max(H, W) * sqrt(ln 2 / (2 pi^2 sigma^2))``."""
    if not (math.isfinite(sigma_px) and sigma_px > 0):
        raise ValueError(f"sigma_px must be a positive number of pixels, got {sigma_px!r}")
    n = max(int(shape[0]), int(shape[1]))
    return n * math.sqrt(math.log(2) / (2 * math.pi**2 * sigma_px**2))


def antonio_gaussian(maps: np.ndarray | torch.Tensor, fc: float) -> np.ndarray:
    """MIT ``antonioGaussian``: Gaussian low-pass of (H, W) or (N, H, W) maps, cut-off ``fc`` cycles/image.

    The transfer function is ``exp(-(fx^2 + fy^2) / s^2)`` with ``s = fc / sqrt(ln 2)`` on the
    zero-padded ``n x n`` grid, ``n = 2**ceil(log2(max(H, W) rounded up to even)))``; the output is
    cropped to (H, W). Float64.
    """
    if not (math.isfinite(fc) and fc > 0):
        raise ValueError(f"fc must be a positive number of cycles per image, got {fc!r}")
    arr = maps.detach().cpu().numpy() if isinstance(maps, torch.Tensor) else np.asarray(maps)
    arr = arr.astype(np.float64, copy=False)
    h, w = arr.shape[-2:]
    n = max(h, w)
    n = n + n % 2
    n = 2 ** math.ceil(math.log2(n))
    s = fc / math.sqrt(math.log(2))
    fy = np.fft.fftfreq(n, 1.0 / n)  # 0, 1, ..., n/2 - 1, -n/2, ..., -1 (fftshift of MATLAB's grid)
    fx = np.arange(n // 2 + 1, dtype=np.float64)  # rfft half-plane (the filter is symmetric)
    gf = np.exp(-(fy[:, None] ** 2 + fx[None, :] ** 2) / s**2)
    spec = scipy.fft.rfft2(arr, s=(n, n), axes=(-2, -1))
    out = scipy.fft.irfft2(spec * gf, s=(n, n), axes=(-2, -1))
    return np.ascontiguousarray(out[..., :h, :w])


def fixation_density(
    fixations: Any,
    shape: tuple[int, int] | None = None,
    *,
    fc: float = 8.0,
    sigma_px: float | None = None,
    counts: bool = False,
) -> np.ndarray:
    """Continuous fixation-density map (MIT convention) from points or a fixation map.

    ``fixations`` is either ``(K, 2)`` (x, y) points (then ``shape`` (H, W) is required) or a
    fixation map (H, W) / (N, H, W). The map is filtered with :func:`antonio_gaussian` at cut-off
    ``fc`` cycles/image (default 8), or, when ``sigma_px`` is given, at the cut-off of a Gaussian
    of that standard deviation in pixels (:func:`sigma_to_fc`). The result is not normalised
    (the metrics normalise as the MIT code does).
    """
    if shape is not None:
        fmap = fixations_to_map(fixations, shape, counts=counts)
    else:
        fmap = (
            fixations.detach().cpu().numpy() if isinstance(fixations, torch.Tensor) else np.asarray(fixations)
        )
        if fmap.ndim not in (2, 3) or fmap.dtype.kind not in "fiub":
            raise ValueError(
                "fixations must be (K, 2) points with shape=(H, W), or a real fixation map "
                f"(H, W)/(N, H, W); got shape {fmap.shape}, dtype {fmap.dtype}"
            )
    if sigma_px is not None:
        fc = sigma_to_fc(sigma_px, fmap.shape[-2:])
    return antonio_gaussian(fmap, fc)
