"""Large batches are scored in chunks so the working copies (float64 conversions of integer or
half-precision maps, resized maps) stay small (~64 MB).

Results do not depend on the chunking: every metric is computed per map, and the stochastic
ones draw each map's numbers from a fresh ``default_rng(seed)``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from metrics._kernels import single_thread_blas

#: Float64 bytes of saliency map per chunk.
CHUNK_BYTES = 64 * 2**20


def _batch_len(x: Any) -> int | None:
    shape = getattr(x, "shape", None)
    if shape is not None and len(shape) == 3:
        return int(shape[0])
    if isinstance(x, (list, tuple)):
        return len(x)
    return None


def chunked(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``fn(saliency_map, target, **kwargs)`` on slices of a large (N, H, W) batch, with BLAS
    held to one thread (:func:`metrics._kernels.single_thread_blas`).

    Arguments that are batches of the same length (the target, ``other``, ``baseline``, lists of
    point arrays) are sliced alongside; shared ones (one map) are passed whole.
    """

    @functools.wraps(fn)
    def wrapper(saliency_map: Any, target: Any, **kwargs: Any) -> Any:
        with single_thread_blas():
            return _run(saliency_map, target, **kwargs)

    def _run(saliency_map: Any, target: Any, **kwargs: Any) -> Any:
        n = _batch_len(saliency_map) if not isinstance(saliency_map, (list, tuple)) else None
        if n is None or n < 2:
            return fn(saliency_map, target, **kwargs)
        per = max(1, CHUNK_BYTES // (8 * int(np.prod(saliency_map.shape[-2:]))))
        if per >= n:
            return fn(saliency_map, target, **kwargs)
        m = _batch_len(target)
        if m is not None and m != n:
            raise ValueError(
                f"saliency_map and target must be batches of the same length, got {n} and {m} maps"
            )
        parts = []
        for start in range(0, n, per):
            sl = slice(start, min(n, start + per))
            kw = {k: (v[sl] if _batch_len(v) == n else v) for k, v in kwargs.items()}
            try:
                parts.append(fn(saliency_map[sl], target[sl] if m is not None else target, **kw))
            except ValueError as exc:
                raise ValueError(f"{exc} (in the chunk of maps {sl.start}..{sl.stop - 1})") from None
        return np.concatenate(parts)

    return wrapper
