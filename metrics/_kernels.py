"""Fast per-map reductions on (N, P) float64 rows, close to one memory pass each.

Element-wise chains (KLD, SIM) run over cache-sized blocks with reused scratch buffers, so no
map-sized temporary is allocated; dot products use ``einsum`` (no BLAS threads to contend for).
"""

from __future__ import annotations

import numpy as np

_BLOCK = 1 << 15


def row_dot(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-row ``sum(x * y)`` of (N, P) arrays -> (N,)."""
    return np.einsum("ij,ij->i", x, y)


def row_min_max(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-row minimum and maximum -> two (N,) arrays."""
    return x.min(axis=1), x.max(axis=1)


def centred_moments(
    x: np.ndarray, sums: np.ndarray, y: np.ndarray | None = None, ysums: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Per-row centred sums ``sxx = sum((x - mean)^2)`` (and ``syy``, ``sxy`` with ``y``), plus
    ``const``: rows where x (or y) is constant.

    From raw moments (no temporaries) when that is accurate: the shortcut loses digits only when
    the squared mean dwarfs the variance (``n * mean^2 > 1e4 * centred sum``, constant maps
    included); those rows are recomputed from centred values and checked for constancy.
    """
    n = x.shape[1]
    mx = sums / n
    out = {"sxx": row_dot(x, x) - n * mx * mx}
    risky = ~(out["sxx"] * 1e4 >= n * mx * mx)
    out["const"] = out["sxx"] == 0
    if y is not None:
        my = ysums / n
        out["syy"] = row_dot(y, y) - n * my * my
        out["sxy"] = row_dot(x, y) - n * mx * my
        risky |= ~(out["syy"] * 1e4 >= n * my * my)
        out["const"] |= out["syy"] == 0
    for i in np.flatnonzero(risky):
        xc = x[i] - mx[i]
        out["sxx"][i] = np.einsum("i,i->", xc, xc)
        const = x[i].min() == x[i].max()
        if y is not None:
            yc = y[i] - my[i]
            out["syy"][i] = np.einsum("i,i->", yc, yc)
            out["sxy"][i] = np.einsum("i,i->", xc, yc)
            const = const or y[i].min() == y[i].max()
        out["const"][i] = const
    return out


def kl_rows(p_rows: np.ndarray, q_rows: np.ndarray, kp: np.ndarray, kq: np.ndarray, eps: float) -> np.ndarray:
    """Per-row ``sum(Q * log(eps + Q / (P + eps)))`` with ``P = p * kp``, ``Q = q * kq`` (MIT KLdiv)."""
    n, size = p_rows.shape
    out = np.zeros(n)
    s1 = np.empty(min(_BLOCK, size))
    s2 = np.empty(min(_BLOCK, size))
    for i in range(n):
        acc = 0.0
        for start in range(0, size, _BLOCK):
            a, b = p_rows[i, start : start + _BLOCK], q_rows[i, start : start + _BLOCK]
            p, q = s1[: a.size], s2[: a.size]
            np.multiply(a, kp[i], out=p)
            p += eps
            np.multiply(b, kq[i], out=q)
            np.divide(q, p, out=p)
            p += eps
            np.log(p, out=p)
            acc += np.einsum("i,i->", q, p)
        out[i] = acc
    return out


def sim_rows(
    a_rows: np.ndarray, b_rows: np.ndarray, alo: np.ndarray, ka: np.ndarray, blo: np.ndarray, kb: np.ndarray
) -> np.ndarray:
    """Per-row ``sum(min((a - alo) * ka, (b - blo) * kb))`` (MIT similarity after normalisation)."""
    n, size = a_rows.shape
    out = np.zeros(n)
    s1 = np.empty(min(_BLOCK, size))
    s2 = np.empty(min(_BLOCK, size))
    for i in range(n):
        acc = 0.0
        for start in range(0, size, _BLOCK):
            a, b = a_rows[i, start : start + _BLOCK], b_rows[i, start : start + _BLOCK]
            p, q = s1[: a.size], s2[: a.size]
            np.subtract(a, alo[i], out=p)
            p *= ka[i]
            np.subtract(b, blo[i], out=q)
            q *= kb[i]
            np.minimum(p, q, out=p)
            acc += p.sum()
        out[i] = acc
    return out
