"""NSS and information gain on hand-worked cases; fixation points versus fixation maps."""

from __future__ import annotations

import math

import numpy as np
import pytest

from metrics import fixations_to_map, information_gain, nss

EPS = 2.220446049250313e-16
A = np.array([[1.0, 2.0], [3.0, 4.0]])


def test_nss_by_hand_uses_sample_std() -> None:
    fix = np.array([[0, 0], [0, 1]])
    std = math.sqrt(((1.5**2) * 2 + (0.5**2) * 2) / 3)  # N - 1 = 3
    assert nss(A, fix) == pytest.approx((4 - 2.5) / std, abs=1e-15)
    fix2 = np.array([[1, 0], [0, 1]])
    assert nss(A, fix2) == pytest.approx(((1 - 2.5) / std + (4 - 2.5) / std) / 2, abs=1e-15)


def test_nss_fixation_map_counts_pixels_once() -> None:
    assert nss(A, np.array([[0, 0], [0, 7]])) == nss(A, np.array([[0, 0], [0, 1]]))


def test_nss_points_equal_map() -> None:
    rng = np.random.default_rng(0)
    smap = rng.random((20, 30))
    pts = np.column_stack([rng.random(15) * 30, rng.random(15) * 20])
    assert nss(smap, pts) == nss(smap, fixations_to_map(pts, (20, 30)))


def test_nss_constant_map_is_zero() -> None:
    assert nss(np.full((4, 4), 3.0), np.eye(4)) == 0.0


def test_information_gain_by_hand() -> None:
    fix = np.array([[0, 1], [0, 1]])
    p = np.array([[0, 1 / 3], [2 / 3, 1]]) / 2  # min-max then / sum
    base = np.array([[2.0, 1.0], [1.0, 1.0]])
    b = np.array([[1, 0], [0, 0]])  # min-max of base, / sum
    expected = np.mean(
        [
            math.log2(EPS + p[0, 1]) - math.log2(EPS + b[0, 1]),
            math.log2(EPS + p[1, 1]) - math.log2(EPS + b[1, 1]),
        ]
    )
    assert information_gain(A, fix, baseline=base) == pytest.approx(expected, abs=1e-12)


def test_information_gain_default_baseline_is_uniform() -> None:
    fix = np.array([[0, 1], [0, 1]])
    p = np.array([[0, 1 / 3], [2 / 3, 1]]) / 2
    expected = np.mean([math.log2(EPS + p[0, 1]), math.log2(EPS + p[1, 1])]) - math.log2(EPS + 0.25)
    assert information_gain(A, fix) == pytest.approx(expected, abs=1e-12)
    assert information_gain(A, fix, baseline=np.ones((2, 2))) == pytest.approx(expected, abs=1e-12)


def test_information_gain_shared_baseline_for_batch() -> None:
    rng = np.random.default_rng(2)
    maps, base = rng.random((3, 8, 9)), rng.random((8, 9))
    fix = rng.random((3, 8, 9)) > 0.8
    batch = information_gain(maps, fix, baseline=base)
    assert np.allclose(
        batch, [information_gain(maps[i], fix[i], baseline=base) for i in range(3)], atol=1e-13
    )
