"""Numba kernels of :mod:`metrics._compiled` (imported only through it; needs numba).

Every kernel reads (N, P) rows of float64 or float32 (float32 is read as float64; all arithmetic
is float64) in blocks of ``block`` elements, and handles the items ``t0 <= t < t1`` of the
(row, block) grid (item ``t`` = row ``t // n_blocks``, block ``t % n_blocks``), writing one partial
result per item; the caller shares the items among threads (:func:`metrics._kernels.split`) and
combines the partials in block order, so results do not depend on the thread count. Inside a
block, element ``j`` goes to accumulator ``j % LANES`` (a small array) and the accumulators are
added up in order at the end: with ``fastmath=False`` the order of the arithmetic is the code's,
and the loop over the accumulators has no dependence between iterations, so the compiler still
uses vector instructions (numba's loop vectoriser; a reduction into one variable would stay
scalar without reassociation). Kernels release the GIL (``nogil``) and are cached on disk
(``cache=True``).
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

#: Accumulators per statistic: element ``j`` of a block is added into accumulator ``j % LANES``.
LANES = 64


def jit(fn):
    """``@njit(nogil=True, fastmath=False, error_model="numpy", cache=True)``.

    ``error_model="numpy"``: a division by zero gives inf/NaN instead of a check and an exception
    in every division (which keeps loops from vectorising). Without the disk cache when no cache
    folder is writable (numba refuses ``cache=True`` then).
    """
    try:
        return njit(nogil=True, fastmath=False, error_model="numpy", cache=True)(fn)
    except RuntimeError:  # "cannot cache function ...: no locator available for file ..."
        return njit(nogil=True, fastmath=False, error_model="numpy", cache=False)(fn)


def inline(fn):
    """A helper inlined into the kernels (compiled with them)."""
    return njit(fastmath=False, error_model="numpy", inline="always", cache=False)(fn)


@intrinsic
def _bits(typingctx, x):
    """The IEEE-754 bits of a float64 as int64 (a bit cast, no conversion)."""
    sig = types.int64(types.float64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return sig, codegen


@intrinsic
def _from_bits(typingctx, i):
    """The float64 whose IEEE-754 bits are the int64 ``i``."""
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return sig, codegen


_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_LG1, _LG2, _LG3 = 6.666666666666735130e-01, 3.999999999940941908e-01, 2.857142874366239149e-01
_LG4, _LG5 = 2.222219843214978396e-01, 1.818357216161805012e-01
_LG6, _LG7 = 1.531383769920937332e-01, 1.479819860511658591e-01
#: The range of :func:`_log_normal`: positive normal finite float64.
TINY, HUGE = 2.2250738585072014e-308, 1.7976931348623157e308


@inline
def _log_normal(x):
    """Natural log of a positive normal finite float64, error < 1 ulp (fdlibm/musl ``log``).

    Branch-free and without a libm call, so loops over it vectorise; other inputs give garbage
    (callers check the range and use ``math.log`` there).
    """
    u = _bits(x)
    hx = (u >> 32) + (0x3FF00000 - 0x3FE6A09E)
    k = (hx >> 20) - 0x3FF
    hx = (hx & 0x000FFFFF) + 0x3FE6A09E
    f = _from_bits((hx << 32) | (u & 0xFFFFFFFF)) - 1.0
    hfsq = 0.5 * f * f
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * (_LG2 + w * (_LG4 + w * _LG6))
    t2 = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7)))
    r = t2 + t1
    dk = float(k)
    return s * (hfsq + r) + dk * _LN2_LO - hfsq + f + dk * _LN2_HI


@jit
def log_array(x, out):
    """``out[i] = log(x[i])`` by :func:`_log_normal` (``math.log`` outside its range); for tests."""
    for i in range(x.size):
        v = x[i]
        out[i] = _log_normal(v) if (v >= TINY and v <= HUGE) else math.log(v)


@jit
def stats1(x, block, out, t0, t1):
    """Items ``t0..t1-1`` of ``x``: sum, min, max, sum of squares into ``out[row, block, 0:4]``."""
    size = x.shape[1]
    nb = (size + block - 1) // block
    s_ = np.empty(LANES)
    q_ = np.empty(LANES)
    mn = np.empty(LANES)
    mx = np.empty(LANES)
    for t in range(t0, t1):
        i, c = t // nb, t % nb
        lo, hi = c * block, min(size, c * block + block)
        s_[:] = 0.0
        q_[:] = 0.0
        mn[:] = np.inf
        mx[:] = -np.inf
        full = (hi - lo) // LANES
        for r in range(full):
            o = lo + r * LANES
            for k in range(LANES):
                v = np.float64(x[i, o + k])
                s_[k] += v
                q_[k] += v * v
                mn[k] = v if v < mn[k] else mn[k]
                mx[k] = v if v > mx[k] else mx[k]
        for k in range(hi - lo - full * LANES):
            v = np.float64(x[i, lo + full * LANES + k])
            s_[k] += v
            q_[k] += v * v
            mn[k] = v if v < mn[k] else mn[k]
            mx[k] = v if v > mx[k] else mx[k]
        out[i, c, 0] = s_.sum()
        out[i, c, 1] = mn.min()
        out[i, c, 2] = mx.max()
        out[i, c, 3] = q_.sum()


@jit
def moments2(x, y, block, out, t0, t1):
    """Items ``t0..t1-1``: sum x, sum y, sum x*x, sum y*y, sum x*y into ``out[row, block, 0:5]``."""
    size = x.shape[1]
    nb = (size + block - 1) // block
    acc = np.empty((5, LANES))
    for t in range(t0, t1):
        i, c = t // nb, t % nb
        lo, hi = c * block, min(size, c * block + block)
        acc[:] = 0.0
        sx, sy, xx, yy, xy = acc[0], acc[1], acc[2], acc[3], acc[4]
        full = (hi - lo) // LANES
        for r in range(full):
            o = lo + r * LANES
            for k in range(LANES):
                u = np.float64(x[i, o + k])
                v = np.float64(y[i, o + k])
                sx[k] += u
                sy[k] += v
                xx[k] += u * u
                yy[k] += v * v
                xy[k] += u * v
        for k in range(hi - lo - full * LANES):
            u = np.float64(x[i, lo + full * LANES + k])
            v = np.float64(y[i, lo + full * LANES + k])
            sx[k] += u
            sy[k] += v
            xx[k] += u * u
            yy[k] += v * v
            xy[k] += u * v
        for j in range(5):
            out[i, c, j] = acc[j].sum()


@jit
def extremes2(x, y, block, out, t0, t1):
    """Items ``t0..t1-1``: sum, min, max of x, then of y, into ``out[row, block, 0:6]``."""
    size = x.shape[1]
    nb = (size + block - 1) // block
    # six separate accumulator arrays (rows of one 2-D array would alias for the compiler, which
    # then keeps the min/max loop scalar: measured 4x slower)
    sx, nx, mx = np.empty(LANES), np.empty(LANES), np.empty(LANES)
    sy, ny, my = np.empty(LANES), np.empty(LANES), np.empty(LANES)
    for t in range(t0, t1):
        i, c = t // nb, t % nb
        lo, hi = c * block, min(size, c * block + block)
        sx[:] = 0.0
        sy[:] = 0.0
        nx[:] = np.inf
        ny[:] = np.inf
        mx[:] = -np.inf
        my[:] = -np.inf
        full = (hi - lo) // LANES
        for r in range(full):
            o = lo + r * LANES
            for k in range(LANES):
                u = np.float64(x[i, o + k])
                v = np.float64(y[i, o + k])
                sx[k] += u
                nx[k] = u if u < nx[k] else nx[k]
                mx[k] = u if u > mx[k] else mx[k]
                sy[k] += v
                ny[k] = v if v < ny[k] else ny[k]
                my[k] = v if v > my[k] else my[k]
        for k in range(hi - lo - full * LANES):
            u = np.float64(x[i, lo + full * LANES + k])
            v = np.float64(y[i, lo + full * LANES + k])
            sx[k] += u
            nx[k] = u if u < nx[k] else nx[k]
            mx[k] = u if u > mx[k] else mx[k]
            sy[k] += v
            ny[k] = v if v < ny[k] else ny[k]
            my[k] = v if v > my[k] else my[k]
        out[i, c, 0] = sx.sum()
        out[i, c, 1] = nx.min()
        out[i, c, 2] = mx.max()
        out[i, c, 3] = sy.sum()
        out[i, c, 4] = ny.min()
        out[i, c, 5] = my.max()


@jit
def kl(p, q, c1, c2, eps, block, out, t0, t1):
    """Items ``t0..t1-1``: ``sum(q * log(eps + q / (p * c1[row] + c2[row])))`` into ``out[row, block]``.

    Needs ``q >= 0``, ``p * c1 + c2 > 0`` and ``q / (p * c1 + c2) <= 1e300`` (the MIT formula: ``Q``
    is a distribution and ``c2 = eps / kq``), so the log's argument is in [eps, 1e300] and the
    fast log applies.
    """
    size = p.shape[1]
    nb = (size + block - 1) // block
    acc = np.empty(LANES)
    for t in range(t0, t1):
        i, c = t // nb, t % nb
        lo, hi = c * block, min(size, c * block + block)
        a, b = c1[i], c2[i]
        acc[:] = 0.0
        full = (hi - lo) // LANES
        for r in range(full):
            o = lo + r * LANES
            for k in range(LANES):
                v = np.float64(q[i, o + k])
                acc[k] += v * _log_normal(v / (np.float64(p[i, o + k]) * a + b) + eps)
        for k in range(hi - lo - full * LANES):
            j = lo + full * LANES + k
            v = np.float64(q[i, j])
            acc[k] += v * _log_normal(v / (np.float64(p[i, j]) * a + b) + eps)
        out[i, c] = acc.sum()


@jit
def sim(x, y, xlo, ratio, ylo, block, out, t0, t1):
    """Items ``t0..t1-1``: ``sum(min((x - xlo) * ratio, y - ylo))`` (per-row constants) into ``out``."""
    size = x.shape[1]
    nb = (size + block - 1) // block
    acc = np.empty(LANES)
    for t in range(t0, t1):
        i, c = t // nb, t % nb
        lo, hi = c * block, min(size, c * block + block)
        al, kk, bl = xlo[i], ratio[i], ylo[i]
        acc[:] = 0.0
        full = (hi - lo) // LANES
        for r in range(full):
            o = lo + r * LANES
            for k in range(LANES):
                u = (np.float64(x[i, o + k]) - al) * kk
                v = np.float64(y[i, o + k]) - bl
                acc[k] += u if u < v else v
        for k in range(hi - lo - full * LANES):
            j = lo + full * LANES + k
            u = (np.float64(x[i, j]) - al) * kk
            v = np.float64(y[i, j]) - bl
            acc[k] += u if u < v else v
        out[i, c] = acc.sum()


@jit
def jitter_extremes(x, r, scale, block, out, t0, t1):
    """Items ``t0..t1-1``: min and max of ``x[row] + r[row or 0] / scale`` into ``out[row, block, 0:2]``.

    ``r`` holds one row shared by every row of ``x``, or one row per row of ``x``.
    """
    size = x.shape[1]
    nb = (size + block - 1) // block
    shared = r.shape[0] == 1
    mn = np.empty(LANES)
    mx = np.empty(LANES)
    for t in range(t0, t1):
        i, c = t // nb, t % nb
        ri = 0 if shared else i
        lo, hi = c * block, min(size, c * block + block)
        mn[:] = np.inf
        mx[:] = -np.inf
        full = (hi - lo) // LANES
        for rr in range(full):
            o = lo + rr * LANES
            for k in range(LANES):
                v = r[ri, o + k] / scale + np.float64(x[i, o + k])
                mn[k] = v if v < mn[k] else mn[k]
                mx[k] = v if v > mx[k] else mx[k]
        for k in range(hi - lo - full * LANES):
            j = lo + full * LANES + k
            v = r[ri, j] / scale + np.float64(x[i, j])
            mn[k] = v if v < mn[k] else mn[k]
            mx[k] = v if v > mx[k] else mx[k]
        out[i, c, 0] = mn.min()
        out[i, c, 1] = mx.max()


@jit
def level_counts(x, r, scale, low, span, th, n_th, grid, base, block, out, t0, t1):
    """Items ``t0..t1-1``: per row and block, how many pixels lie above how many thresholds.

    Pixel values are ``s = (v - low[row]) / span[row]`` with ``v = x + r / scale`` (``v = x`` when
    ``r`` has no rows; ``r`` has one row shared by all or one per row); ``th[row, :n_th[row]]``
    are the row's thresholds, ascending, in [0, 1]. ``out[row, block, k]`` counts the pixels
    with exactly ``k`` thresholds ``<= s``. ``base[row, g]`` is the number of thresholds in the
    bins below bin ``g`` of a ``grid``-bin partition of [0, 1] (``bin(v) = min(floor(v * grid),
    grid - 1)``, exact as ``grid`` is a power of two), so a pixel is compared only with the
    thresholds in its own bin.
    """
    size = x.shape[1]
    nb = (size + block - 1) // block
    use_r = r.shape[0] > 0
    shared = r.shape[0] == 1
    for t in range(t0, t1):
        i, c = t // nb, t % nb
        lo, hi = c * block, min(size, c * block + block)
        lw, sp = low[i], span[i]
        bi, ti, oc = base[i], th[i], out[i, c]
        for k in range(n_th[i] + 1):
            oc[k] = 0
        xr = x[i, lo:hi]
        if use_r:
            rr = r[0 if shared else i, lo:hi]
            for j in range(hi - lo):
                s = (rr[j] / scale + np.float64(xr[j]) - lw) / sp
                g = min(int(s * grid), grid - 1)
                k = bi[g]
                top = bi[g + 1]
                while k < top and ti[k] <= s:
                    k += 1
                oc[k] += 1
        else:
            for j in range(hi - lo):
                s = (np.float64(xr[j]) - lw) / sp
                g = min(int(s * grid), grid - 1)
                k = bi[g]
                top = bi[g + 1]
                while k < top and ti[k] <= s:
                    k += 1
                oc[k] += 1


@jit
def colon_auc(pos, neg, step, eps):
    """Mean over splits of the ROC area with MATLAB ``0:step:max`` thresholds (AUC-Borji/shuffled).

    ``pos`` (P,) sorted ascending; ``neg`` (S, M) the negatives of each split. ``TP = #pos >= t / P``,
    ``FP = #neg >= t / M``; the curve runs from (0, 0) through the thresholds in descending order
    to (1, 1) (trapezoidal area). Thresholds as :func:`metrics.auc.matlab_colon`.
    """
    n_pos = pos.size
    n_splits, n_neg = neg.shape
    total = 0.0
    sneg = np.empty(n_neg)
    for sp in range(n_splits):
        stop = pos[n_pos - 1]
        for j in range(n_neg):
            sneg[j] = neg[sp, j]
            stop = sneg[j] if sneg[j] > stop else stop
        sneg.sort()
        tol = 2.0 * eps * abs(stop)
        nn = np.rint(stop / step)
        if nn * step - stop > tol:
            nn -= 1.0
        cend = nn * step
        if cend - stop > -tol:
            cend = stop
        half = math.floor(nn / 2)
        even = nn - 2.0 * math.floor(nn / 2) == 0.0
        area = fp_prev = tp_prev = 0.0
        ip, ineg = n_pos, n_neg  # pos[ip:], sneg[ineg:] are >= the threshold (it only decreases)
        for kr in range(int(nn), -1, -1):
            k = float(kr)
            v = k * step if k <= half else cend - (nn - k) * step
            if even and k == nn / 2:
                v = cend / 2
            while ip > 0 and pos[ip - 1] >= v:
                ip -= 1
            while ineg > 0 and sneg[ineg - 1] >= v:
                ineg -= 1
            tp = (n_pos - ip) / n_pos
            fp = (n_neg - ineg) / n_neg
            area += (fp - fp_prev) * (tp + tp_prev)
            fp_prev, tp_prev = fp, tp
        area += (1.0 - fp_prev) * (1.0 + tp_prev)
        total += area / 2
    return total / n_splits
