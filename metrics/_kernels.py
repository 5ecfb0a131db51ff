"""Fast per-map reductions on (N, P) float64 or float32 rows (float64 arithmetic), in one memory pass each.

Where numba is available the reductions run as compiled kernels (:mod:`metrics._fused`, chosen by
:mod:`metrics._compiled`): every statistic of a call in one pass, on :data:`THREADS` threads. The
NumPy code below is the reference they are tested against and the fallback. In both, every
kernel walks the rows in cache-sized blocks (no map-sized temporaries) and runs the blocks on
:data:`THREADS` threads (NumPy and the compiled kernels release the GIL). Each block returns a few
partial results; they are combined per row in block order, so the result does not depend on
the thread count or timing. BLAS (the matrix
products of the resize) is held to one thread during a metric call (:func:`single_thread_blas`):
OpenBLAS's idle threads spin, and on 2 cores they starve these threads and POT's solver.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from metrics import _compiled

#: Elements per block (512 KB of float64: a block of each operand stays in the L2 cache).
BLOCK = 1 << 16
#: Fewest elements worth sharing among threads (below, starting a thread costs more).
PARALLEL_MIN = 4 * BLOCK
#: Threads that share the blocks of one call (the usable cores, at most 4).
THREADS = min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)

_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()

BlockFn = Callable[[int, int, int, list[np.ndarray]], Sequence[float]]


_BLAS: object | None = None


@contextlib.contextmanager
def single_thread_blas() -> Iterator[None]:
    """Hold the BLAS libraries loaded so far (NumPy's OpenBLAS) to one thread inside the block.

    Process-wide while it lasts (threadpoolctl), restored on exit; a no-op without threadpoolctl.
    """
    global _BLAS
    if _BLAS is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # slower on a busy machine, same results
            _BLAS = False
        else:
            _BLAS = ThreadpoolController()
    if not _BLAS:
        yield
        return
    with _BLAS.limit(limits=1, user_api="blas"):
        yield


def _pool() -> ThreadPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(THREADS - 1, thread_name_prefix="metrics")
        return _POOL


def _forget_pool() -> None:
    """A forked child has the pool object but not its threads: start a fresh one there."""
    global _POOL, _POOL_LOCK
    _POOL, _POOL_LOCK = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def run_blocks(fn: BlockFn, n_rows: int, size: int, n_out: int, n_scratch: int = 2) -> np.ndarray:
    """Call ``fn(row, start, stop, scratch)`` on every block of ``n_rows`` rows of ``size`` elements.

    ``scratch`` holds ``n_scratch`` float64 buffers of :data:`BLOCK` elements private to the
    calling thread. ``fn`` returns ``n_out`` numbers; the result is their array
    ``(n_rows, n_blocks, n_out)`` for the caller to combine along axis 1.
    """
    n_blocks = -(-size // BLOCK)
    out = np.empty((n_rows, n_blocks, n_out))
    items = n_rows * n_blocks

    def work(lo: int, hi: int) -> None:
        scratch = [np.empty(min(BLOCK, size)) for _ in range(n_scratch)]
        for k in range(lo, hi):
            i, b = divmod(k, n_blocks)
            start = b * BLOCK
            out[i, b] = fn(i, start, min(size, start + BLOCK), scratch)

    split(work, items, threads=THREADS if n_rows * size >= PARALLEL_MIN else 1)
    return out


def split(work: Callable[[int, int], None], items: int, threads: int = THREADS) -> None:
    """Call ``work(lo, hi)`` on ranges covering ``range(items)``, shared among ``threads`` threads.

    The ranges (about 8 per thread) are handed out on demand, so a thread that the OS holds back
    (a busy machine) delays nobody: the calling thread works too, and drops the helpers' share
    when they have not started by the time it is done. Exceptions are re-raised here.
    """
    threads = min(threads, items)
    if threads < 2:
        work(0, items)
        return
    parts = min(items, 8 * threads)
    bounds = [items * k // parts for k in range(parts + 1)]
    counter = itertools.count()  # next() on it is atomic under the GIL

    def drain() -> None:
        while (k := next(counter)) < parts:
            work(bounds[k], bounds[k + 1])

    futures = [_pool().submit(drain) for _ in range(threads - 1)]
    try:
        drain()
    finally:
        for f in futures:
            if not f.cancel():
                f.result()


def launch(kernel: Callable[..., object], n_rows: int, size: int, *args: object) -> None:
    """Run a compiled kernel of :mod:`metrics._fused` over the (row, block) items of ``n_rows`` rows
    of ``size`` elements: ``kernel(*args, t0, t1)`` on ranges of items shared among :data:`THREADS`
    threads (:func:`split`; one thread below :data:`PARALLEL_MIN` elements)."""
    split(
        lambda t0, t1: kernel(*args, t0, t1),
        n_rows * _blocks(size),
        threads=THREADS if n_rows * size >= PARALLEL_MIN else 1,
    )


def _blocks(size: int) -> int:
    return -(-size // BLOCK)


def parallel_map(fn: Callable[[int], float], items: int, *, parallel: bool = True) -> np.ndarray:
    """``[fn(i) for i in range(items)]`` as a float64 array, on :data:`THREADS` threads.

    Worth it only when ``fn`` spends its time in code that releases the GIL (NumPy loops,
    POT's network simplex); ``parallel=False`` runs in the calling thread.
    """
    out = np.empty(items)

    def work(lo: int, hi: int) -> None:
        for i in range(lo, hi):
            out[i] = fn(i)

    split(work, items, threads=THREADS if parallel else 1)
    return out


def row_stats(
    x: np.ndarray,
    y: np.ndarray | None = None,
    *,
    mins: bool = False,
    maxs: bool = False,
    products: bool = False,
) -> dict[str, np.ndarray]:
    """Per-row statistics of (N, P) ``x`` (and ``y``) in one blocked pass -> dict of (N,) arrays.

    Always ``sum`` (and ``ysum``); with ``mins``/``maxs`` also ``min``/``max`` (``ymin``/``ymax``);
    with ``products`` the raw moments ``xx = sum(x*x)`` (and ``yy``, ``xy``). float32 rows are
    read as float64 (all arithmetic is float64). NaN/inf propagate into the sums (see
    :func:`metrics._inputs.check_finite`).
    """
    extremes = ["min"] * mins + ["max"] * maxs
    keys = ["sum", *extremes] + (["xx"] if products else [])
    if y is not None:
        keys += ["ysum"] + ["y" + k for k in extremes] + (["yy", "xy"] if products else [])
    fused = _compiled.kernels()
    if fused is not None:
        return _row_stats_compiled(fused, x, y, keys, extremes=bool(extremes), products=products)

    def block(i: int, lo: int, hi: int, scratch: list[np.ndarray]) -> list[float]:
        a = x[i, lo:hi]
        t = scratch[0][: hi - lo]
        res = [a.sum(dtype=np.float64)]
        if mins:
            res.append(a.min())
        if maxs:
            res.append(a.max())
        if products:
            res.append(np.multiply(a, a, out=t, dtype=np.float64).sum())
        if y is not None:
            b = y[i, lo:hi]
            res.append(b.sum(dtype=np.float64))
            if mins:
                res.append(b.min())
            if maxs:
                res.append(b.max())
            if products:
                res += [
                    np.multiply(b, b, out=t, dtype=np.float64).sum(),
                    np.multiply(a, b, out=t, dtype=np.float64).sum(),
                ]
        return res

    parts = run_blocks(block, x.shape[0], x.shape[1], len(keys), n_scratch=1)
    combine = {"min": np.min, "max": np.max}
    return {key: combine.get(key[-3:], np.sum)(parts[:, :, j], axis=1) for j, key in enumerate(keys)}


def _row_stats_compiled(
    fused: object, x: np.ndarray, y: np.ndarray | None, keys: list[str], *, extremes: bool, products: bool
) -> dict[str, np.ndarray]:
    """:func:`row_stats` with the compiled kernels: the requested statistics of both rows in one pass
    (two when both extremes and products of a pair are asked for)."""
    x = np.ascontiguousarray(x)
    n, size = x.shape
    found: dict[str, np.ndarray] = {}

    def run(kernel: Callable[..., object], names: list[str], *arrays: np.ndarray) -> None:
        parts = np.empty((n, _blocks(size), len(names)))
        launch(kernel, n, size, *arrays, BLOCK, parts)
        for j, name in enumerate(names):
            col = parts[:, :, j]
            found[name] = (
                col.min(axis=1)
                if name.endswith("min")
                else col.max(axis=1)
                if name.endswith("max")
                else col.sum(axis=1)
            )

    if y is None:
        run(fused.stats1, ["sum", "min", "max", "xx"], x)
    else:
        y = np.ascontiguousarray(y)
        if extremes or not products:
            run(fused.extremes2, ["sum", "min", "max", "ysum", "ymin", "ymax"], x, y)
        if products:
            run(fused.moments2, ["sum", "ysum", "xx", "yy", "xy"], x, y)
    return {key: found[key] for key in keys}


def centred_moments(
    x: np.ndarray, st: dict[str, np.ndarray], y: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Per-row centred sums ``sxx = sum((x - mean)^2)`` (and ``syy``, ``sxy`` with ``y``), plus
    ``const``: rows where x (or y) is constant.

    From the raw moments of :func:`row_stats` (``products=True``) when that is accurate: the
    shortcut loses digits only when the squared mean dwarfs the variance
    (``n * mean^2 > 1e4 * centred sum``, constant maps included); those rows are recomputed from
    centred values and checked for constancy.
    """
    n = x.shape[1]
    mx = st["sum"] / n
    out = {"sxx": st["xx"] - n * mx * mx}
    risky = ~(out["sxx"] * 1e4 >= n * mx * mx)
    out["const"] = out["sxx"] == 0
    if y is not None:
        my = st["ysum"] / n
        out["syy"] = st["yy"] - n * my * my
        out["sxy"] = st["xy"] - n * mx * my
        risky |= ~(out["syy"] * 1e4 >= n * my * my)
        out["const"] |= out["syy"] == 0
    for i in np.flatnonzero(risky):
        xc = x[i] - mx[i]
        out["sxx"][i] = np.dot(xc, xc)
        const = x[i].min() == x[i].max()
        if y is not None:
            yc = y[i] - my[i]
            out["syy"][i] = np.dot(yc, yc)
            out["sxy"][i] = np.dot(xc, yc)
            const = const or y[i].min() == y[i].max()
        out["const"][i] = const
    return out


def kl_rows(p_rows: np.ndarray, q_rows: np.ndarray, kp: np.ndarray, kq: np.ndarray, eps: float) -> np.ndarray:
    """Per-row ``sum(Q * log(eps + Q / (P + eps)))`` with ``P = p * kp``, ``Q = q * kq`` (MIT KLdiv).

    Evaluated as ``kq * sum(q * log(eps + q / (p * kp / kq + eps / kq)))`` (``kq > 0``): one
    multiplication fewer per pixel, equal up to rounding.
    """
    c1, c2 = kp / kq, eps / kq
    fused = _compiled.kernels()
    if fused is not None and eps >= 1e-300:  # the compiled log needs its argument >= eps normal
        p, q = np.ascontiguousarray(p_rows), np.ascontiguousarray(q_rows)
        parts = np.empty((p.shape[0], _blocks(p.shape[1])))
        launch(
            fused.kl,
            *p.shape,
            p,
            q,
            np.ascontiguousarray(c1, np.float64),
            np.ascontiguousarray(c2, np.float64),
            float(eps),
            BLOCK,
            parts,
        )
        return parts.sum(axis=1) * kq

    def block(i: int, lo: int, hi: int, scratch: list[np.ndarray]) -> tuple[float]:
        t, q = scratch[0][: hi - lo], q_rows[i, lo:hi]
        np.multiply(p_rows[i, lo:hi], c1[i], out=t, dtype=np.float64)
        t += c2[i]
        np.divide(q, t, out=t, dtype=np.float64)
        t += eps
        np.log(t, out=t)
        return (np.multiply(q, t, out=t, dtype=np.float64).sum(),)

    return run_blocks(block, *p_rows.shape, 1, n_scratch=1).sum(axis=(1, 2)) * kq


def sim_rows(
    a_rows: np.ndarray, b_rows: np.ndarray, alo: np.ndarray, ka: np.ndarray, blo: np.ndarray, kb: np.ndarray
) -> np.ndarray:
    """Per-row ``sum(min((a - alo) * ka, (b - blo) * kb))`` (MIT similarity after normalisation).

    Evaluated as ``kb * sum(min((a - alo) * (ka / kb), b - blo))`` (0 where ``kb == 0``): one
    multiplication fewer per pixel, equal up to rounding.
    """
    ok = kb > 0
    ratio = np.where(ok, ka / np.where(ok, kb, 1.0), 0.0)
    fused = _compiled.kernels()
    if fused is not None:
        a, b = np.ascontiguousarray(a_rows), np.ascontiguousarray(b_rows)
        parts = np.empty((a.shape[0], _blocks(a.shape[1])))
        args = (np.asarray(alo, np.float64), ratio, np.asarray(blo, np.float64))
        launch(fused.sim, *a.shape, a, b, *args, BLOCK, parts)
        return parts.sum(axis=1) * np.where(ok, kb, 0.0)

    def block(i: int, lo: int, hi: int, scratch: list[np.ndarray]) -> tuple[float]:
        p, q = scratch[0][: hi - lo], scratch[1][: hi - lo]
        np.subtract(a_rows[i, lo:hi], alo[i], out=p, dtype=np.float64)
        p *= ratio[i]
        np.subtract(b_rows[i, lo:hi], blo[i], out=q, dtype=np.float64)
        return (np.minimum(p, q, out=p).sum(),)

    return run_blocks(block, *a_rows.shape, 1).sum(axis=(1, 2)) * np.where(ok, kb, 0.0)


def parallel_copy(dst: np.ndarray, src: np.ndarray) -> None:
    """``np.copyto(dst, src, casting="unsafe")`` for (N, P) rows, blockwise on :data:`THREADS` threads."""

    def block(i: int, lo: int, hi: int, scratch: list[np.ndarray]) -> tuple[()]:
        np.copyto(dst[i, lo:hi], src[i, lo:hi], casting="unsafe")
        return ()

    run_blocks(block, *dst.shape, 0, n_scratch=0)
