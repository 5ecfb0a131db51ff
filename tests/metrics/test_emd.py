"""EMD: the FastEMD emulation against hand-worked transports and an independent LP solution."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import linprog

from metrics import emd
from metrics.emd import _grid_distance, fastemd_gd_metric


def test_grid_distance() -> None:
    d = _grid_distance(2, 3)  # bins in row-major order: (0,0) (0,1) (0,2) (1,0) ...
    assert d[0, 5] == pytest.approx(math.sqrt(1 + 4)) and d[1, 4] == 1.0 and d[2, 2] == 0.0


def test_fastemd_by_hand() -> None:
    d = _grid_distance(2, 2)
    assert fastemd_gd_metric(np.array([1.0, 0, 0, 0]), np.array([0, 0, 0, 1.0]), d) == pytest.approx(
        math.sqrt(2)
    )
    # the common half stays (pre-flow); the other half moves from (0, 1) to (1, 1), or to (1, 0)
    assert fastemd_gd_metric(np.array([0.5, 0.5, 0, 0]), np.array([0.5, 0, 0, 0.5]), d) == pytest.approx(0.5)
    assert fastemd_gd_metric(np.array([0.5, 0.5, 0, 0]), np.array([0.5, 0, 0.5, 0]), d) == pytest.approx(
        0.5 * math.sqrt(2)
    )


def test_fastemd_matches_an_independent_lp() -> None:
    rng = np.random.default_rng(3)
    d = _grid_distance(3, 4)
    p, q = rng.random(12), rng.random(12)
    p, q = p / p.sum(), q / q.sum()
    n = 12
    a_eq = np.vstack([np.kron(np.eye(n), np.ones(n)), np.kron(np.ones(n), np.eye(n))])
    lp = linprog(d.ravel(), A_eq=a_eq, b_eq=np.r_[p, q], bounds=(0, None), method="highs")
    # FastEMD rounds masses to 1e-6 of the total and distances to 1e-6 of the largest one
    assert fastemd_gd_metric(p, q, d) == pytest.approx(lp.fun, abs=2e-5)


def test_emd_identical_maps_is_zero_and_batches() -> None:
    rng = np.random.default_rng(0)
    maps = rng.random((2, 64, 96))
    assert emd(maps[0], maps[0]) == 0.0
    assert np.allclose(emd(maps, maps[::-1]), [emd(maps[0], maps[1]), emd(maps[1], maps[0])], atol=1e-12)


def test_emd_keeps_negative_bins_after_shrink() -> None:
    target = np.zeros((64, 64))
    target[:32, :32] = 1.0  # a sharp step: bicubic 1/32 shrink gives negative lobes
    pred = np.ones((64, 64))
    assert emd(pred, target) > 0
