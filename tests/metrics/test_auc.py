"""AUC-Judd, AUC-Borji and shuffled AUC on hand-worked cases; the MATLAB colon operator."""

from __future__ import annotations

import numpy as np
import pytest

from metrics import auc_borji, auc_judd, auc_shuffled
from metrics.auc import _count_at_least, auc_from_negatives, matlab_colon


def test_auc_judd_by_hand() -> None:
    smap = np.array([[0.1, 0.4, 0.35, 0.8]])
    fix = np.array([[0, 0, 1, 1]])
    # thresholds 0.8 then 0.35: (FP, TP) = (0, 1/2), ((3 - 2) / 2, 1); area 0.5 * 0.75 + 0.5 * 1
    assert auc_judd(smap, fix, jitter=False) == pytest.approx(0.875, abs=1e-15)


def test_auc_judd_ties_count_as_above_threshold() -> None:
    # map [1, 1, 1, 0], fixations on the first two pixels. Thresholds [1, 1]:
    # i=1: 3 pixels >= 1 -> (FP, TP) = ((3-1)/2, 1/2); i=2: ((3-2)/2, 1).
    # trapz over (0,0), (1,.5), (.5,1), (1,1) = .25 - .375 + .5 = 0.375 (Mann-Whitney: 0.75).
    assert auc_judd(
        np.array([[1.0, 1.0, 1.0, 0.0]]), np.array([[1, 1, 0, 0]]), jitter=False
    ) == pytest.approx(0.375, abs=1e-15)


def test_auc_judd_jitter_is_seeded() -> None:
    rng = np.random.default_rng(0)
    smap, fix = np.round(rng.random((10, 12)), 1), rng.random((10, 12)) > 0.8
    assert auc_judd(smap, fix, seed=3) == auc_judd(smap, fix, seed=3)
    assert auc_judd(smap, fix, seed=3) != auc_judd(smap, fix, seed=4)


def test_auc_judd_constant_and_all_fixated() -> None:
    assert auc_judd(np.ones((3, 3)), np.eye(3), jitter=False) == 0.5
    assert np.isnan(auc_judd(np.arange(4.0).reshape(2, 2), np.ones((2, 2)), jitter=False))


@pytest.mark.parametrize(("n_random", "n_th"), [(500, 40), (60_000, 40), (600_000, 40), (60_000, 3000)])
def test_count_at_least_is_exact_on_bin_edges(n_random: int, n_th: int) -> None:
    rng = np.random.default_rng(5)
    edges = np.arange(0, 2**16 + 1) / 2**16  # every bin edge of every grid size used
    vals = np.concatenate(
        [
            rng.random(n_random),
            rng.choice(edges, 3000),
            np.nextafter(rng.choice(edges, 50), 0),
            [0.0, 1.0, 1.0],
        ]
    )
    th = np.concatenate([rng.choice(vals, n_th), [0.0, 1.0, 2.0**-16, 3 * 2.0**-16, 0.5]])
    counts = _count_at_least(vals, th)
    assert np.array_equal(counts, (vals[None, :] >= th[:, None]).sum(axis=1))


def test_auc_from_negatives_by_hand() -> None:
    pos = np.array([0.95, 0.5, 0.15])
    neg = np.array([[0.05, 0.45, 0.2], [0.96, 0.97, 0.98]])
    # split 1: thresholds 0.9 .. 0 (max 0.95). TP at t: #pos >= t / 3; FP: #neg >= t / 3
    t = np.arange(9, -1, -1) / 10
    tp1 = np.r_[0, [(pos >= x).sum() / 3 for x in t], 1]
    fp1 = np.r_[0, [(neg[0] >= x).sum() / 3 for x in t], 1]
    # split 2 (max 0.98): same thresholds; every negative is above 0.9
    fp2 = np.r_[0, [(neg[1] >= x).sum() / 3 for x in t], 1]

    def area(x: np.ndarray, y: np.ndarray) -> float:
        return float(sum((x[i + 1] - x[i]) * (y[i + 1] + y[i]) / 2 for i in range(len(x) - 1)))

    expected = (area(fp1, tp1) + area(fp2, tp1)) / 2
    assert auc_from_negatives(pos, neg, 0.1) == pytest.approx(expected, abs=1e-15)


def test_matlab_colon_matches_documented_matlab_values() -> None:
    # MathWorks (tech note 1-4FLI96, COLONOP): x = 0:0.1:0.3, y = 0:0.1:0.4 give
    # x - y(1:end-1) = [0 0 -2.7756e-17 -5.5511e-17] and x(end) == 0.3 exactly.
    x = matlab_colon(np.array([0.3]), 0.1)[0]
    y = matlab_colon(np.array([0.4]), 0.1)[0]
    x, y = x[np.isfinite(x)], y[np.isfinite(y)]
    assert np.allclose(
        x - y[:-1], [0, 0, -2.7755575615628914e-17, -5.551115123125783e-17], rtol=0, atol=1e-30
    )
    assert x[-1] == 0.3 and len(x) == 4 and len(y) == 5
    assert matlab_colon(np.array([0.0]), 0.1)[0, 0] == 0.0


def test_auc_borji_single_fixation_is_nan_and_seeded() -> None:
    rng = np.random.default_rng(1)
    smap = rng.random((10, 10))
    one = np.zeros((10, 10))
    one[2, 3] = 1
    assert np.isnan(auc_borji(smap, one))
    fix = rng.random((10, 10)) > 0.7
    assert auc_borji(smap, fix, seed=1) == auc_borji(smap, fix, seed=1)
    assert auc_borji(np.full((10, 10), 2.0), fix) == 0.5


def test_auc_shuffled_uses_other_fixations() -> None:
    smap = np.zeros((4, 4))
    smap[0, 0] = smap[0, 1] = 1.0
    fix = np.zeros((4, 4))
    fix[0, 0] = fix[0, 1] = 1
    other = np.zeros((4, 4))
    other[3, 3] = other[3, 2] = other[2, 2] = 1
    # every positive is 1, every negative 0: perfect separation whatever the draw
    assert auc_shuffled(smap, fix, other=other) == pytest.approx(1.0, abs=1e-15)
    assert auc_shuffled(smap, fix, other=fix) == pytest.approx(0.5, abs=1e-15)
    pts = np.array([[3.5, 3.5], [2.5, 3.5], [2.2, 2.9]])  # (x, y): the same three pixels
    assert auc_shuffled(smap, fix, other=pts) == auc_shuffled(smap, fix, other=other)


def test_batch_equals_per_map_for_stochastic_aucs() -> None:
    rng = np.random.default_rng(4)
    maps, fix, other = rng.random((3, 9, 11)), rng.random((3, 9, 11)) > 0.8, rng.random((9, 11)) > 0.6
    for fn, kw in ((auc_judd, {}), (auc_borji, {}), (auc_shuffled, {"other": other})):
        batch = fn(maps, fix, seed=7, **kw)
        assert np.array_equal(batch, [fn(maps[i], fix[i], seed=7, **kw) for i in range(3)])
