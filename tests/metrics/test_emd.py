"""EMD: the FastEMD emulation against hand-worked transports and an independent LP solution."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import linprog
from testsupport.matlab import matlab_bicubic_matrix

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
    # rows are constant and the target is one band of ones in the middle of 5 bins of 32 px: the 1/32
    # shrink is MATLAB's 1-D weights (written out in testsupport), whose negative lobe reaches the outer bins
    band = np.zeros(160)
    band[64:96] = 1.0
    target = np.tile(band, (32, 1))
    bins = matlab_bicubic_matrix(160, 5, 1 / 32) @ band
    assert bins[0] == bins[4] < -0.01  # negative bins
    p, q = bins / bins.sum(), np.full(5, 0.2)  # the uniform prediction shrinks to 5 equal bins
    # on a line of unit-spaced bins, the EMD of equal masses is the L1 norm of the CDF difference
    kept = np.abs(np.cumsum(p - q)).sum()
    clipped = np.abs(np.cumsum(np.maximum(bins, 0) / np.maximum(bins, 0).sum() - q)).sum()
    assert emd(np.ones((32, 160)), target) == pytest.approx(kept, abs=1e-5)  # FastEMD rounds to 1e-6
    assert kept - clipped > 0.04  # 1.0647 kept vs 1.0174 clipped
