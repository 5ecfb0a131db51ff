"""CC, KLD and SIM on small cases whose arithmetic is written out here, and their edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from testsupport.matlab import matlab_bicubic_matrix

from metrics import cc, kld, sim

EPS = 2.220446049250313e-16
A = np.array([[1.0, 2.0], [3.0, 4.0]])
B = np.array([[1.0, 0.0], [0.0, 1.0]])


def test_cc_by_hand() -> None:
    # a - mean = [-1.5, -0.5, 0.5, 1.5]; b - mean = [0.5, -0.5, -0.5, 0.5]
    num = -1.5 * 0.5 + -0.5 * -0.5 + 0.5 * -0.5 + 1.5 * 0.5  # = 0
    assert cc(A, B) == pytest.approx(num, abs=1e-15)
    c = np.array([[0.0, 1.0], [1.0, 3.0]])  # c - mean = [-1.25, -0.25, -0.25, 1.75]
    num = -1.5 * -1.25 + -0.5 * -0.25 + 0.5 * -0.25 + 1.5 * 1.75
    den = math.sqrt((1.5**2 * 2 + 0.5**2 * 2) * (1.25**2 + 0.25**2 * 2 + 1.75**2))
    assert cc(A, c) == pytest.approx(num / den, abs=1e-15)


def test_kld_by_hand() -> None:
    p, q = A / 10, B / 2
    expected = sum(q.flat[i] * math.log(EPS + q.flat[i] / (p.flat[i] + EPS)) for i in range(4))
    assert kld(A, B) == pytest.approx(expected, abs=1e-15)
    assert kld(A, A) == pytest.approx(0.0, abs=1e-15)


def test_kld_keeps_an_all_zero_prediction_zero() -> None:
    # MIT: a zero map is not normalised; every Q > 0 term becomes Q * log(eps + Q / eps).
    q = B / 2
    expected = 2 * 0.5 * math.log(EPS + 0.5 / EPS)
    assert kld(np.zeros((2, 2)), B) == pytest.approx(expected, rel=1e-15)
    assert np.isfinite(kld(np.zeros((2, 2)), q))


def test_kld_clips_resize_undershoot() -> None:
    pred = np.zeros((8, 8))
    pred[3:5, 3:5] = 1.0  # a sharp square: bicubic enlargement undershoots below 0 next to it
    target = np.ones((16, 16))
    # the 8 -> 16 bicubic enlargement of a separable map: MATLAB's 1-D weights (testsupport) on each axis
    w = matlab_bicubic_matrix(8, 16, 2.0)
    big = w @ pred @ w.T
    assert big.min() < -0.004  # the undershoot the metric must clip
    p = np.maximum(big, 0) / np.maximum(big, 0).sum()
    q = target / target.sum()
    expected = (q * np.log(EPS + q / (p + EPS))).sum()  # KLdiv.m on the clipped map
    assert kld(pred, target) == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(24.3221386577686, rel=1e-12)


def test_sim_by_hand() -> None:
    # min-max: A -> [0, 1/3, 2/3, 1] / 2 ; B -> [1, 0, 0, 1] / 2
    p = np.array([0, 1 / 3, 2 / 3, 1]) / 2
    q = np.array([1, 0, 0, 1]) / 2
    assert sim(A, B) == pytest.approx(np.minimum(p, q).sum(), abs=1e-15)
    assert sim(A, 5 * A + 2) == pytest.approx(1.0, abs=1e-15)


def test_constant_maps() -> None:
    const = np.full((3, 4), 0.25)
    other = np.arange(12.0).reshape(3, 4)
    assert cc(const, other) == 0.0 and cc(other, const) == 0.0
    assert sim(const, other) == 0.0
    assert kld(const, other) == pytest.approx(
        sum(v / 66 * math.log(EPS + (v / 66) / (1 / 12 + EPS)) for v in range(12)), abs=1e-14
    )


def test_resizes_prediction_to_target() -> None:
    rng = np.random.default_rng(0)
    pred = rng.random((8, 10))
    target = rng.random((16, 20))
    from metrics import imresize

    big = imresize(pred, (16, 20))
    assert cc(pred, target) == pytest.approx(cc(big, target), abs=1e-15)
    assert sim(pred, target) == pytest.approx(sim(big, target), abs=1e-15)


def test_torch_and_numpy_agree_and_batches() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.random((3, 6, 7)), rng.random((3, 6, 7))
    for fn in (cc, kld, sim):
        batch = fn(a, b)
        assert isinstance(batch, np.ndarray) and batch.shape == (3,)
        assert np.allclose(batch, [fn(a[i], b[i]) for i in range(3)], rtol=0, atol=1e-14)
        assert np.allclose(
            fn(torch.from_numpy(a).float(), torch.from_numpy(b)),
            fn(a.astype(np.float32), b),
            rtol=0,
            atol=1e-14,
        )
