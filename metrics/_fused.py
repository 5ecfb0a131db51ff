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
#: Pixels per step of :func:`level_counts` (its scratch array stays in the L1 cache).
CHUNK = 4096


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
    """The IEEE-754 bits of a float64 as uint64 (a bit cast, no conversion).

    Unsigned, so right shifts are logical: AVX2 has 64-bit logical but not arithmetic shifts.
    """
    sig = types.uint64(types.float64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return sig, codegen


@intrinsic
def _from_bits(typingctx, i):
    """The float64 whose IEEE-754 bits are the uint64 ``i``."""
    sig = types.float64(types.uint64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return sig, codegen


_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_LG1, _LG2, _LG3 = 6.666666666666735130e-01, 3.999999999940941908e-01, 2.857142874366239149e-01
_LG4, _LG5 = 2.222219843214978396e-01, 1.818357216161805012e-01
_LG6, _LG7 = 1.531383769920937332e-01, 1.479819860511658591e-01
_U = np.uint64
_U32 = np.uint64(32)
#: The range of :func:`_log_normal`: positive normal finite float64.
TINY, HUGE = 2.2250738585072014e-308, 1.7976931348623157e308


@inline
def _log_normal(x):
    """Natural log of a positive normal finite float64, error < 1 ulp (fdlibm/musl ``log``).

    Branch-free and without a libm call, so loops over it vectorise; other inputs give garbage
    (callers check the range and use ``math.log`` there).
    """
    u = _bits(x)
    hx = (u >> _U32) + _U(0x3FF00000 - 0x3FE6A09E)
    k = np.int32(hx >> _U(20)) - np.int32(0x3FF)  # int32: AVX2 converts it to float64 in vectors
    hx = (hx & _U(0x000FFFFF)) + _U(0x3FE6A09E)
    f = _from_bits((hx << _U32) | (u & _U(0xFFFFFFFF))) - 1.0
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


@inline
def _lower(v, m):
    """``v if v < m else m`` for an accumulator, plus 0.0 (so a -0.0 result reads +0.0).

    The addition keeps the store of the result unconditional: LLVM turns the store of a select
    of the loaded accumulator into a masked store (``vmaskmovpd``), which on AMD Zen made the
    min/max loops about 3x slower than the sums.
    """
    return (v if v < m else m) + 0.0


@inline
def _upper(v, m):
    """``v if v > m else m`` for an accumulator, plus 0.0 (see :func:`_lower`)."""
    return (v if v > m else m) + 0.0


@inline
def _block_of(x, t, nb, block):
    """Row ``t // nb``, block ``t % nb`` of ``x`` as a 1-D slice (unit stride: contiguous loads).

    Indexing a slice from 0 lets the compiler drop the negative-index wraparound, which would
    otherwise turn every load into a scalar one.
    """
    c = t % nb
    return x[t // nb, c * block : min(x.shape[1], c * block + block)]


@inline
def _add_stats1(v, s_, q_, mn, mx, k):
    s_[k] += v
    q_[k] += v * v
    mn[k] = _lower(v, mn[k])
    mx[k] = _upper(v, mx[k])


@jit
def stats1(x, block, out, t0, t1):
    """Items ``t0..t1-1`` of ``x``: sum, min, max, sum of squares into ``out[row, block, 0:4]``."""
    nb = (x.shape[1] + block - 1) // block
    s_, q_, mn, mx = np.empty(LANES), np.empty(LANES), np.empty(LANES), np.empty(LANES)
    for t in range(t0, t1):
        xs = _block_of(x, t, nb, block)
        s_[:] = 0.0
        q_[:] = 0.0
        mn[:] = np.inf
        mx[:] = -np.inf
        full = xs.size // LANES
        for r in range(full):
            xo = xs[r * LANES : r * LANES + LANES]
            for k in range(LANES):
                _add_stats1(np.float64(xo[k]), s_, q_, mn, mx, k)
        xt = xs[full * LANES :]
        for k in range(xt.size):
            _add_stats1(np.float64(xt[k]), s_, q_, mn, mx, k)
        o = out[t // nb, t % nb]
        o[0], o[1], o[2], o[3] = s_.sum(), mn.min(), mx.max(), q_.sum()


@inline
def _add_moments2(u, v, sx, sy, xx, yy, xy, k):
    sx[k] += u
    sy[k] += v
    xx[k] += u * u
    yy[k] += v * v
    xy[k] += u * v


@jit
def moments2(x, y, block, out, t0, t1):
    """Items ``t0..t1-1``: sum x, sum y, sum x*x, sum y*y, sum x*y into ``out[row, block, 0:5]``."""
    nb = (x.shape[1] + block - 1) // block
    sx, sy, xx, yy, xy = np.empty(LANES), np.empty(LANES), np.empty(LANES), np.empty(LANES), np.empty(LANES)
    for t in range(t0, t1):
        xs, ys = _block_of(x, t, nb, block), _block_of(y, t, nb, block)
        sx[:] = 0.0
        sy[:] = 0.0
        xx[:] = 0.0
        yy[:] = 0.0
        xy[:] = 0.0
        full = xs.size // LANES
        for r in range(full):
            xo, yo = xs[r * LANES : r * LANES + LANES], ys[r * LANES : r * LANES + LANES]
            for k in range(LANES):
                _add_moments2(np.float64(xo[k]), np.float64(yo[k]), sx, sy, xx, yy, xy, k)
        xt, yt = xs[full * LANES :], ys[full * LANES :]
        for k in range(xt.size):
            _add_moments2(np.float64(xt[k]), np.float64(yt[k]), sx, sy, xx, yy, xy, k)
        o = out[t // nb, t % nb]
        o[0], o[1], o[2], o[3], o[4] = sx.sum(), sy.sum(), xx.sum(), yy.sum(), xy.sum()


@inline
def _add_extremes2(u, v, sx, nx, mx, sy, ny, my, k):
    sx[k] += u
    nx[k] = _lower(u, nx[k])
    mx[k] = _upper(u, mx[k])
    sy[k] += v
    ny[k] = _lower(v, ny[k])
    my[k] = _upper(v, my[k])


@jit
def extremes2(x, y, block, out, t0, t1):
    """Items ``t0..t1-1``: sum, min, max of x, then of y, into ``out[row, block, 0:6]``."""
    nb = (x.shape[1] + block - 1) // block
    # six separate accumulator arrays (rows of one 2-D array would alias for the compiler, which
    # then keeps the min/max loop scalar)
    sx, nx, mx = np.empty(LANES), np.empty(LANES), np.empty(LANES)
    sy, ny, my = np.empty(LANES), np.empty(LANES), np.empty(LANES)
    for t in range(t0, t1):
        xs, ys = _block_of(x, t, nb, block), _block_of(y, t, nb, block)
        sx[:] = 0.0
        sy[:] = 0.0
        nx[:] = np.inf
        ny[:] = np.inf
        mx[:] = -np.inf
        my[:] = -np.inf
        full = xs.size // LANES
        for r in range(full):
            xo, yo = xs[r * LANES : r * LANES + LANES], ys[r * LANES : r * LANES + LANES]
            for k in range(LANES):
                _add_extremes2(np.float64(xo[k]), np.float64(yo[k]), sx, nx, mx, sy, ny, my, k)
        xt, yt = xs[full * LANES :], ys[full * LANES :]
        for k in range(xt.size):
            _add_extremes2(np.float64(xt[k]), np.float64(yt[k]), sx, nx, mx, sy, ny, my, k)
        o = out[t // nb, t % nb]
        o[0], o[1], o[2], o[3], o[4], o[5] = sx.sum(), nx.min(), mx.max(), sy.sum(), ny.min(), my.max()


@jit
def kl(p, q, c1, c2, eps, block, out, t0, t1):
    """Items ``t0..t1-1``: ``sum(q * log(eps + q / (p * c1[row] + c2[row])))`` into ``out[row, block]``.

    Needs ``q >= 0``, ``p * c1 + c2 > 0`` and ``q / (p * c1 + c2) <= 1e300`` (the MIT formula: ``Q``
    is a distribution and ``c2 = eps / kq``), so the log's argument is in [eps, 1e300] and the
    fast log applies.
    """
    nb = (p.shape[1] + block - 1) // block
    acc = np.empty(LANES)
    for t in range(t0, t1):
        ps, qs = _block_of(p, t, nb, block), _block_of(q, t, nb, block)
        a, b = c1[t // nb], c2[t // nb]
        acc[:] = 0.0
        full = ps.size // LANES
        for r in range(full):
            po, qo = ps[r * LANES : r * LANES + LANES], qs[r * LANES : r * LANES + LANES]
            for k in range(LANES):
                v = np.float64(qo[k])
                acc[k] += v * _log_normal(v / (np.float64(po[k]) * a + b) + eps)
        pt, qt = ps[full * LANES :], qs[full * LANES :]
        for k in range(pt.size):
            v = np.float64(qt[k])
            acc[k] += v * _log_normal(v / (np.float64(pt[k]) * a + b) + eps)
        out[t // nb, t % nb] = acc.sum()


@jit
def sim(x, y, xlo, ratio, ylo, block, out, t0, t1):
    """Items ``t0..t1-1``: ``sum(min((x - xlo) * ratio, y - ylo))`` (per-row constants) into ``out``."""
    nb = (x.shape[1] + block - 1) // block
    acc = np.empty(LANES)
    for t in range(t0, t1):
        i = t // nb
        xs, ys = _block_of(x, t, nb, block), _block_of(y, t, nb, block)
        al, kk, bl = xlo[i], ratio[i], ylo[i]
        acc[:] = 0.0
        full = xs.size // LANES
        for r in range(full):
            xo, yo = xs[r * LANES : r * LANES + LANES], ys[r * LANES : r * LANES + LANES]
            for k in range(LANES):
                u = (np.float64(xo[k]) - al) * kk
                v = np.float64(yo[k]) - bl
                acc[k] += u if u < v else v
        xt, yt = xs[full * LANES :], ys[full * LANES :]
        for k in range(xt.size):
            u = (np.float64(xt[k]) - al) * kk
            v = np.float64(yt[k]) - bl
            acc[k] += u if u < v else v
        out[i, t % nb] = acc.sum()


@inline
def _add_jittered(u, w, su, mn, mx, k):
    su[k] += u
    mn[k] = _lower(w, mn[k])
    mx[k] = _upper(w, mx[k])


@jit
def jitter_extremes(x, r, scale, block, out, t0, t1):
    """Items ``t0..t1-1``: min and max of ``x[row] + r[row or 0] / scale``, and the sum of ``x``
    (its finiteness check), into ``out[row, block, 0:3]``.

    ``r`` holds one row shared by every row of ``x``, or one row per row of ``x``.
    """
    nb = (x.shape[1] + block - 1) // block
    shared = r.shape[0] == 1
    su, mn, mx = np.empty(LANES), np.empty(LANES), np.empty(LANES)
    for t in range(t0, t1):
        xs = _block_of(x, t, nb, block)
        rs = _block_of(r, t % nb if shared else t, nb, block)
        su[:] = 0.0
        mn[:] = np.inf
        mx[:] = -np.inf
        full = xs.size // LANES
        for j in range(full):
            xo, ro = xs[j * LANES : j * LANES + LANES], rs[j * LANES : j * LANES + LANES]
            for k in range(LANES):
                u = np.float64(xo[k])
                _add_jittered(u, ro[k] / scale + u, su, mn, mx, k)
        xt, rt = xs[full * LANES :], rs[full * LANES :]
        for k in range(xt.size):
            u = np.float64(xt[k])
            _add_jittered(u, rt[k] / scale + u, su, mn, mx, k)
        o = out[t // nb, t % nb]
        o[0], o[1], o[2] = mn.min(), mx.max(), su.sum()


@inline
def _level(xo, ro, j, use_r, scale, lw, sp):
    """Pixel ``j`` of a chunk as :func:`level_counts` places it: ``(r / scale + x - low) / span``."""
    if use_r:
        return (ro[j] / scale + np.float64(xo[j]) - lw) / sp
    return (np.float64(xo[j]) - lw) / sp


@jit
def level_counts(x, r, scale, low, span, th, n_th, grid, base, flags, block, out, t0, t1):
    """Items ``t0..t1-1``: per row and block, how many pixels lie above how many thresholds.

    Pixel values are ``s = (v - low[row]) / span[row]`` with ``v = x + r / scale`` (``v = x`` when
    ``r`` has no rows; ``r`` has one row shared by all or one per row); ``th[row, :n_th[row]]``
    are the row's thresholds, ascending, in [0, 1]. ``out[row, block, k]`` counts the pixels
    with exactly ``k`` thresholds ``<= s``. ``base[row, g]`` is the number of thresholds in the
    bins below bin ``g`` of a ``grid``-bin partition of [0, 1] (``bin(v) = min(floor(v * grid),
    grid - 1)``, exact as ``grid`` is a power of two): a pixel in a bin without thresholds has
    ``base[row, bin]`` thresholds below it, and only the pixels in a bin that holds thresholds
    (``flags[row, bin]`` true, uint8; a few percent of the pixels) are compared with them.

    Per chunk of :data:`CHUNK` pixels, separate loops: the bins (vectorised), a histogram of the
    bins in four interleaved copies (no chain of increments of one counter where neighbouring
    pixels share a bin), a branch-free list of the pixels in threshold bins, and their exact
    counts (the value recomputed by the same expression). One loop doing all of it measured
    2-3x slower.
    """
    nb = (x.shape[1] + block - 1) // block
    use_r = r.shape[0] > 0
    shared = r.shape[0] == 1
    gv = np.empty(CHUNK, np.int32)
    picked = np.empty(CHUNK, np.int32)
    hist = np.empty((4, grid), np.int64)
    for t in range(t0, t1):
        i = t // nb
        xs = _block_of(x, t, nb, block)
        rs = _block_of(r, t % nb if shared else t, nb, block) if use_r else r.ravel()  # (unused)
        lw, sp = low[i], span[i]
        bi, fl, ti, oc = base[i], flags[i], th[i], out[i, t % nb]
        oc[: n_th[i] + 1] = 0
        hist[:] = 0
        for o in range(0, xs.size, CHUNK):
            xo, ro = xs[o : o + CHUNK], rs[o : o + CHUNK]
            n = xo.size
            if use_r:  # two loops, each vectorised (a test inside one loop kept it scalar)
                for j in range(n):
                    gv[j] = min(np.int32(_level(xo, ro, j, True, scale, lw, sp) * grid), grid - 1)
            else:
                for j in range(n):
                    gv[j] = min(np.int32(_level(xo, ro, j, False, scale, lw, sp) * grid), grid - 1)
            for j in range(n):
                hist[j & 3, gv[j]] += 1
            m = 0
            for j in range(n):  # branch-free compaction of the pixels in threshold bins
                picked[m] = j
                m += fl[gv[j]]
            for q in range(m):
                j = picked[q]
                g = gv[j]
                v = _level(xo, ro, j, use_r, scale, lw, sp)
                k = bi[g]
                top = bi[g + 1]
                while k < top and ti[k] <= v:
                    k += 1
                oc[k] += 1
        for g in range(grid):
            if not fl[g]:
                oc[bi[g]] += hist[0, g] + hist[1, g] + hist[2, g] + hist[3, g]


@inline
def _count_levels(values, th, nn, step, hist):
    """``hist[c] += 1`` for each value, ``c`` = how many of the ascending thresholds
    ``th[0..nn]`` are ``<= value``: first guessed from ``value / step``, then corrected by exact
    comparisons (the thresholds are close to multiples of ``step``)."""
    for j in range(values.size):
        v = values[j]
        g = min(max(int(v / step), 0), nn)  # a guess of the last threshold <= v
        while g >= 0 and th[g] > v:
            g -= 1
        while g < nn and th[g + 1] <= v:
            g += 1
        hist[g + 1] += 1


@jit
def colon_auc(pos, neg, step, eps):
    """Mean over splits of the ROC area with MATLAB ``0:step:max`` thresholds (AUC-Borji/shuffled).

    ``pos`` (P,) the positives; ``neg`` (S, M) the negatives of each split. ``TP = #pos
    >= t / P``, ``FP = #neg >= t / M``; the curve runs from (0, 0) through the thresholds in
    descending order to (1, 1) (trapezoidal area). Thresholds as :func:`metrics.auc.matlab_colon`.
    Each value is placed among a split's thresholds (no sorting): ``hist[c]`` counts the values
    above exactly ``c`` thresholds.
    """
    n_pos = pos.size
    n_splits, n_neg = neg.shape
    pmax = pos.max()
    total = 0.0
    for sp in range(n_splits):
        row = neg[sp]
        stop = max(pmax, row.max())
        tol = 2.0 * eps * abs(stop)
        nn = np.rint(stop / step)
        if nn * step - stop > tol:
            nn -= 1.0
        cend = nn * step
        if cend - stop > -tol:
            cend = stop
        half = math.floor(nn / 2)
        even = nn - 2.0 * math.floor(nn / 2) == 0.0
        n_th = int(nn) + 1
        th = np.empty(n_th)
        for kr in range(n_th):
            k = float(kr)
            th[kr] = k * step if k <= half else cend - (nn - k) * step
            if even and k == nn / 2:
                th[kr] = cend / 2
        hp = np.zeros(n_th + 1, np.int64)
        hn = np.zeros(n_th + 1, np.int64)
        _count_levels(pos, th, n_th - 1, step, hp)
        _count_levels(row, th, n_th - 1, step, hn)
        area = fp_prev = tp_prev = 0.0
        ip = ineg = 0  # values >= th[kr]: those above more than kr thresholds
        for kr in range(n_th - 1, -1, -1):
            ip += hp[kr + 1]
            ineg += hn[kr + 1]
            tp = ip / n_pos
            fp = ineg / n_neg
            area += (fp - fp_prev) * (tp + tp_prev)
            fp_prev, tp_prev = fp, tp
        area += (1.0 - fp_prev) * (1.0 + tp_prev)
        total += area / 2
    return total / n_splits


#: Columns per item of :func:`resize_rows`: the input rows one output row reads, cut to this
#: width, stay in the L2 cache for the next output rows (which share most of them).
STRIP = 512


@jit
def resize_rows(x, first, count, w, out, t0, t1):
    """Items ``t0..t1-1`` of the (map, strip of :data:`STRIP` columns) grid of a resize along the
    rows (axis -2).

    ``out[n, o, :] = sum(w[o, k] * x[n, first[o] + k, :] for k < count[o])``, taps in order, in
    float64 (``x`` float64 or float32, read as float64). ``first``/``count``/``w``: each output
    row's contiguous input range and its weights (:func:`metrics.imresize._taps`). The inner loop
    runs along a row (contiguous, vectorised).
    """
    n_strips = (x.shape[2] + STRIP - 1) // STRIP
    for t in range(t0, t1):
        src, dst = x[t // n_strips], out[t // n_strips]
        c0 = (t % n_strips) * STRIP
        c1 = min(c0 + STRIP, x.shape[2])
        for o in range(out.shape[1]):
            acc = dst[o, c0:c1]
            acc[:] = 0.0
            for k in range(count[o]):
                wk = w[o, k]
                row = src[first[o] + k, c0:c1]
                for c in range(acc.size):
                    acc[c] += wk * np.float64(row[c])


@jit
def true_indices(words, flat):
    """Ascending flat indices of the non-zero bytes of ``flat`` (uint8, a bool array's bytes), whose
    first ``8 * words.size`` bytes are also given as ``words`` (uint64).

    One vectorised pass counts the non-zero words (fixation maps are sparse), a second looks into
    them only; the bytes after the last whole word are checked one by one.
    """
    busy = 0
    for i in range(words.size):
        busy += words[i] != 0
    tail = flat.size - 8 * words.size
    out = np.empty(8 * busy + tail, np.int64)
    m = 0
    for i in range(words.size):
        if words[i] != 0:
            for j in range(8 * i, 8 * i + 8):
                if flat[j] != 0:
                    out[m] = j
                    m += 1
    for j in range(flat.size - tail, flat.size):
        if flat[j] != 0:
            out[m] = j
            m += 1
    return out[:m]
