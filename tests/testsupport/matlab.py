"""MATLAB's bicubic ``imresize`` weights, written out from ``imresize.m`` (``contributions``), for tests.

Kept apart from :mod:`metrics.imresize` on purpose: tests compare the metrics with this
transcription, not with the code they test.
"""

from __future__ import annotations

import numpy as np


def _cubic(x: np.ndarray) -> np.ndarray:
    """Keys' cubic convolution kernel with a = -0.5 (MATLAB's ``cubic``)."""
    ax = np.abs(x)
    return (1.5 * ax**3 - 2.5 * ax**2 + 1) * (ax <= 1) + (-0.5 * ax**3 + 2.5 * ax**2 - 4 * ax + 2) * (
        (ax > 1) & (ax <= 2)
    )


def matlab_bicubic_matrix(in_len: int, out_len: int, scale: float) -> np.ndarray:
    """(out_len, in_len) matrix W with ``imresize(x) == W @ x`` along one axis (antialiased shrink).

    As ``imresize.m``: output pixel u (1-based) samples x = u / scale + 0.5 (1 - 1 / scale); when
    shrinking the kernel is widened to ``scale * cubic(scale * t)`` (width 4 / scale); each row of
    weights is divided by its sum; indices outside the image mirror back into it (symmetric padding).
    """
    shrink = scale < 1
    width = 4.0 / scale if shrink else 4.0
    w = np.zeros((out_len, in_len))
    for u in range(1, out_len + 1):
        x = u / scale + 0.5 * (1 - 1 / scale)
        left = int(np.floor(x - width / 2))
        idx = left + np.arange(int(np.ceil(width)) + 2)
        t = x - idx
        h = scale * _cubic(scale * t) if shrink else _cubic(t)
        h = h / h.sum()
        aux = np.concatenate([np.arange(1, in_len + 1), np.arange(in_len, 0, -1)])
        mirrored = aux[np.mod(idx - 1, aux.size)]
        np.add.at(w[u - 1], mirrored - 1, h)
    return w
