"""MATLAB-compatible ``imresize`` (bicubic, antialiased), the resize of the MIT metric code.

Every MIT metric brings the saliency map to the target's size with MATLAB's ``imresize``
(default ``'bicubic'``, ``'Antialiasing'`` on). Its conventions, reproduced here:

- Keys' cubic kernel with ``a = -0.5``; output pixel ``x`` (1-based) maps to input coordinate
  ``u = x / scale + 0.5 * (1 - 1 / scale)``.
- When shrinking (``scale < 1``) the kernel is stretched by ``1 / scale`` (antialiasing), so it
  covers ``4 / scale`` input pixels.
- Each output pixel's weights are divided by their sum (renormalised), and the borders are
  mirrored (``[1..n, n..1]`` symmetric padding).
- ``output_shape`` given: ``scale = out / in`` per axis. ``scale`` given: ``out = ceil(scale * in)``
  and the kernel uses ``scale`` itself (so ``imresize(x, 1/32)`` and ``imresize(x, [34, 60])``
  differ for a 1080 x 1920 map).

GNU Octave's ``imresize`` does *not* renormalise the weights: it agrees with MATLAB only for
enlargements and shrinks by 1/N. Computation is float64, on maps of any real values (MATLAB
rounds uint8 inputs to uint8 after each axis; this function never rounds).

The resize is separable: one pass per axis, each a few matrix products over bands of the
weight matrix (consecutive output pixels whose taps cover a short input range), so the cost is
proportional to the taps, not to ``in x out``, and no map is transposed. Where the compiled
kernels are in use (:mod:`metrics._compiled`) the pass along the rows is a compiled loop instead
(float32 maps are read as they are, without a float64 copy; 1/32 shrink of a 480 x 640 map: see
``benchmarks/bench_metrics.py``); the two agree up to rounding. The weights, bands and taps are
cached per (in, out, scale) triple.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np
import torch

from metrics import _compiled
from metrics._kernels import PARALLEL_MIN, THREADS, split

__all__ = ["imresize", "resize_weights"]


def _cubic(x: np.ndarray) -> np.ndarray:
    """Keys' cubic convolution kernel with a = -0.5 (MATLAB's ``cubic``)."""
    ax = np.abs(x)
    ax2, ax3 = ax * ax, ax * ax * ax
    return (1.5 * ax3 - 2.5 * ax2 + 1) * (ax <= 1) + (-0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2) * (
        (ax > 1) & (ax <= 2)
    )


@lru_cache(maxsize=64)
def _weights_cached(in_len: int, out_len: int, scale: float) -> np.ndarray:
    kernel_width = 4.0
    if scale < 1:

        def kernel(x: np.ndarray) -> np.ndarray:
            return scale * _cubic(scale * x)

        kernel_width /= scale
    else:
        kernel = _cubic
    x = np.arange(1, out_len + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1 - 1 / scale)
    left = np.floor(u - kernel_width / 2)
    taps = math.ceil(kernel_width) + 2
    ind = left[:, None] + np.arange(taps, dtype=np.float64)[None, :]
    w = kernel(u[:, None] - ind)
    w = w / w.sum(axis=1, keepdims=True)
    mirror = np.concatenate([np.arange(in_len), np.arange(in_len - 1, -1, -1)])
    src = mirror[np.mod(ind.astype(np.int64) - 1, 2 * in_len)]
    dense = np.zeros((out_len, in_len), dtype=np.float64)
    np.add.at(dense, (np.repeat(np.arange(out_len), taps), src.ravel()), w.ravel())
    return dense


def resize_weights(in_len: int, out_len: int, scale: float | None = None) -> np.ndarray:
    """Dense (out_len, in_len) weight matrix of MATLAB's bicubic antialiased resize along one axis.

    ``scale`` defaults to ``out_len / in_len`` (MATLAB's output-size form).
    """
    if in_len < 1 or out_len < 1:
        raise ValueError(f"resize lengths must be positive, got in={in_len}, out={out_len}")
    return _weights_cached(
        int(in_len), int(out_len), float(out_len / in_len if scale is None else scale)
    ).copy()


def imresize(
    maps: torch.Tensor | np.ndarray,
    output_shape: tuple[int, int] | None = None,
    *,
    scale: float | None = None,
) -> np.ndarray:
    """Resize (H, W) or (N, H, W) maps like MATLAB ``imresize(map, output_shape)`` / ``imresize(map, scale)``.

    Exactly one of ``output_shape`` (rows, cols) and ``scale`` (a positive number) must be given.
    Returns a float64 array; an unchanged size returns the input (bicubic at integer offsets is
    the identity).
    """
    t = maps.detach().cpu().numpy() if isinstance(maps, torch.Tensor) else np.asarray(maps)
    if t.dtype not in (np.float64, np.float32):
        t = t.astype(np.float64)
    if (output_shape is None) == (scale is None):
        raise ValueError("imresize needs exactly one of output_shape and scale")
    h, w = int(t.shape[-2]), int(t.shape[-1])
    if scale is not None:
        if not (math.isfinite(scale) and scale > 0):
            raise ValueError(f"scale must be a positive number, got {scale!r}")
        oh, ow = math.ceil(scale * h), math.ceil(scale * w)
        sh = sw = float(scale)
    else:
        oh, ow = (int(s) for s in output_shape)
        if oh < 1 or ow < 1:
            raise ValueError(f"output_shape must be positive, got {output_shape!r}")
        sh, sw = oh / h, ow / w
    if sh == 1 and sw == 1:
        return t.astype(np.float64, copy=False)
    out = t if t.ndim == 3 else t[None]
    fused = _compiled.kernels()
    # Order the two passes so the first one produces the smaller intermediate (MATLAB resizes
    # the axis with the smaller scale first; the result is the same up to rounding). The
    # compiled pass along the rows reads the input as it is, so it goes first unless its
    # intermediate is more than twice the other one.
    if oh * w <= (2 if fused is not None else 1) * h * ow:
        out = _rows(fused, h, oh, sh, out) if sh != 1 else out
        out = _cols(fused, w, ow, sw, out) if sw != 1 else out
    else:
        out = _cols(fused, w, ow, sw, out) if sw != 1 else out
        out = _rows(fused, h, oh, sh, out) if sh != 1 else out
    return out if t.ndim == 3 else out[0]


def _rows(fused: Any, in_len: int, out_len: int, scale: float, x: np.ndarray) -> np.ndarray:
    """(N, H, W) float64 or float32 -> (N, oh, W) float64 along the rows.

    With the compiled kernels (``fused``, else ``None``): :func:`metrics._fused.resize_rows`,
    which reads float32 as it is (no float64 copy of the input) and sums each output row's taps
    in order; else band-by-band matrix products. The two agree up to rounding.
    """
    if fused is None:
        return _rows_pass(_bands(in_len, out_len, scale), x.astype(np.float64, copy=False))
    first, count, w = _taps(in_len, out_len, scale)
    x = np.ascontiguousarray(x)
    out = np.empty((x.shape[0], out_len, x.shape[2]))
    split(
        lambda t0, t1: fused.resize_rows(x, first, count, w, out, t0, t1),
        x.shape[0] * -(-x.shape[2] // fused.STRIP),
        threads=THREADS if x.size >= PARALLEL_MIN else 1,
    )
    return out


def _cols(fused: Any, in_len: int, out_len: int, scale: float, x: np.ndarray) -> np.ndarray:
    """(N, H, W) -> (N, H, ow) float64 along the columns: band-by-band matrix products, or for a
    shrink with the compiled kernels, the compiled rows pass on the transposed maps (a shrink's
    taps outnumber the transposes' copies; an enlargement's do not)."""
    if fused is None or scale > 1:
        return _cols_pass(_bands(in_len, out_len, scale), x.astype(np.float64, copy=False))
    turned = np.ascontiguousarray(x.transpose(0, 2, 1))
    return np.ascontiguousarray(_rows(fused, in_len, out_len, scale, turned).transpose(0, 2, 1))


def _spans(dense: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``first``, ``last`` (out,): each row of a weight matrix is zero outside ``[first, last)``."""
    nz = dense != 0
    return nz.argmax(axis=1), dense.shape[1] - nz[:, ::-1].argmax(axis=1)


@lru_cache(maxsize=64)
def _taps(in_len: int, out_len: int, scale: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each output pixel's contiguous input range and weights: ``first`` (out,), ``count`` (out,)
    and ``w`` (out, max count), zero-padded; the non-zero span of each row of the weight matrix."""
    dense = _weights_cached(in_len, out_len, scale)
    first, last = _spans(dense)
    count = last - first
    w = np.zeros((out_len, int(count.max())))
    for o in range(out_len):
        w[o, : count[o]] = dense[o, first[o] : first[o] + count[o]]
    return first.astype(np.int64), count.astype(np.int64), w


@lru_cache(maxsize=64)
def _bands(in_len: int, out_len: int, scale: float) -> tuple[tuple[int, int, int, int, np.ndarray], ...]:
    """The weight matrix cut into bands ``(o0, o1, i0, i1, weights[o0:o1, i0:i1])``.

    Outside its band a row of the weight matrix is zero. A band grows while its input range stays
    within twice the widest single row's range (plus a little), which keeps the products few and
    the wasted multiplications by zero bounded.
    """
    dense = _weights_cached(in_len, out_len, scale)
    first, last = _spans(dense)
    limit = 2 * int((last - first).max()) + 16
    bands, o0 = [], 0
    while o0 < out_len:
        lo, hi, o1 = first[o0], last[o0], o0 + 1
        while o1 < out_len and max(hi, last[o1]) - min(lo, first[o1]) <= limit:
            lo, hi, o1 = min(lo, first[o1]), max(hi, last[o1]), o1 + 1
        bands.append((o0, o1, int(lo), int(hi), np.ascontiguousarray(dense[o0:o1, lo:hi])))
        o0 = o1
    return tuple(bands)


def _rows_pass(bands: tuple, x: np.ndarray) -> np.ndarray:
    """(N, H, W) -> (N, oh, W) along the rows, band by band."""
    out = np.empty((x.shape[0], bands[-1][1], x.shape[2]))

    def work(lo: int, hi: int) -> None:
        for k in range(lo, hi):  # one 2-D product per (map, band): a broadcast stack leaves BLAS
            n, b = divmod(k, len(bands))
            o0, o1, i0, i1, w = bands[b]
            np.matmul(w, x[n, i0:i1, :], out=out[n, o0:o1, :])

    split(work, x.shape[0] * len(bands), threads=THREADS if x.size >= PARALLEL_MIN else 1)
    return out


def _cols_pass(bands: tuple, x: np.ndarray) -> np.ndarray:
    """(N, H, W) -> (N, H, ow) along the columns, band by band."""
    n, h, w_in = x.shape
    flat = np.ascontiguousarray(x).reshape(n * h, w_in)
    out = np.empty((n * h, bands[-1][1]))

    def work(lo: int, hi: int) -> None:
        for o0, o1, i0, i1, w in bands[lo:hi]:
            out[:, o0:o1] = flat[:, i0:i1] @ w.T  # not out=: a strided output leaves BLAS

    split(work, len(bands), threads=THREADS if flat.size >= PARALLEL_MIN else 1)
    return out.reshape(n, h, -1)
