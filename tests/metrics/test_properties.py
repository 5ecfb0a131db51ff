"""Properties that must hold for any input (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from metrics import auc_borji, auc_judd, auc_shuffled, cc, emd, information_gain, kld, nss, sim

SETTINGS = settings(max_examples=25, deadline=None)
shapes = st.tuples(st.integers(3, 9), st.integers(3, 9))
values = st.floats(0, 1, allow_nan=False, width=64)


@st.composite
def pair(draw: st.DrawFn, nonconstant: bool = True) -> tuple[np.ndarray, np.ndarray]:
    shape = draw(shapes)
    a = draw(arrays(np.float64, shape, elements=values))
    b = draw(arrays(np.float64, shape, elements=values))
    if nonconstant:
        a.flat[0], a.flat[-1] = 0.0, 1.0
        b.flat[1], b.flat[-2] = 0.0, 1.0
    return a, b


@st.composite
def map_and_fixations(draw: st.DrawFn, levels: bool = False) -> tuple[np.ndarray, np.ndarray]:
    shape = draw(shapes)
    if levels:  # well-separated grey levels: strictly increasing maps cannot merge them
        a = draw(arrays(np.int64, shape, elements=st.integers(0, 12))).astype(np.float64) / 12
    else:
        a = draw(arrays(np.float64, shape, elements=values))
    fix = draw(arrays(np.bool_, shape))
    fix.flat[draw(st.integers(0, fix.size - 1))] = True
    if fix.all():
        fix.flat[0] = False
    return a, fix


@SETTINGS
@given(pair())
def test_cc_symmetric_bounded_and_one_for_itself(ab: tuple[np.ndarray, np.ndarray]) -> None:
    a, b = ab
    v = cc(a, b)
    assert -1.0 <= v <= 1.0
    assert v == pytest.approx(cc(b, a), abs=1e-12)
    assert cc(a, a) == pytest.approx(1.0, abs=1e-12)


@SETTINGS
@given(pair(nonconstant=False))
def test_kld_nonnegative_and_zero_for_identical(ab: tuple[np.ndarray, np.ndarray]) -> None:
    a, b = ab
    b.flat[0] = 0.5  # the target must not be all zero
    a.flat[0] = 0.5
    assert kld(a, b) >= -1e-12
    assert kld(b, b) == pytest.approx(0.0, abs=1e-12)


@SETTINGS
@given(pair(nonconstant=False))
def test_sim_in_unit_interval(ab: tuple[np.ndarray, np.ndarray]) -> None:
    a, b = ab
    b.flat[0] = 0.5
    assert -1e-12 <= sim(a, b) <= 1.0 + 1e-12


@SETTINGS
@given(map_and_fixations(levels=True), st.integers(0, 2**31))
def test_every_auc_in_unit_interval(af: tuple[np.ndarray, np.ndarray], seed: int) -> None:
    a, fix = af  # grey levels: many ties
    other = np.roll(fix, 1, axis=1)
    for v in (
        auc_judd(a, fix, seed=seed),
        auc_borji(a, fix, n_splits=5, seed=seed),
        auc_shuffled(a, fix, other=other, n_splits=5, seed=seed),
    ):
        assert np.isnan(v) or 0.0 <= v <= 1.0
    # Without jitter, MIT's AUC-Judd counts tied pixels as above the threshold and can leave
    # [0, 1] under heavy ties (e.g. -2.5); with distinct values it stays inside.
    distinct = a + np.arange(a.size).reshape(a.shape) * 1e-6
    assert 0.0 <= auc_judd(distinct, fix, jitter=False) <= 1.0


@SETTINGS
@given(map_and_fixations(levels=True), st.sampled_from(["exp", "cube", "sqrt", "logistic"]))
def test_auc_judd_invariant_to_strictly_increasing_maps(af: tuple[np.ndarray, np.ndarray], f: str) -> None:
    a, fix = af
    g = {
        "exp": np.exp,
        "cube": lambda x: x**3 + 5,
        "sqrt": np.sqrt,
        "logistic": lambda x: 1 / (1 + np.exp(-8 * x)),
    }[f]
    assert auc_judd(g(a), fix, jitter=False) == pytest.approx(auc_judd(a, fix, jitter=False), abs=1e-12)


@SETTINGS
@given(map_and_fixations(), st.floats(1e-3, 1e3), st.floats(-100, 100))
def test_nss_invariant_to_positive_affine_maps(
    af: tuple[np.ndarray, np.ndarray], scale: float, shift: float
) -> None:
    a, fix = af
    a.flat[0], a.flat[-1] = 0.0, 1.0
    # (the shifted input itself is rounded to ulp(shift): ~1e-14 against a std >= 3e-4)
    assert nss(scale * a + shift, fix) == pytest.approx(nss(a, fix), abs=1e-8)


@settings(max_examples=15, deadline=None)
@given(st.integers(2, 4), shapes, st.integers(0, 1000))
def test_batch_equals_per_map(n: int, shape: tuple[int, int], seed: int) -> None:
    rng = np.random.default_rng(seed)
    a, b = rng.random((n, *shape)), rng.random((n, *shape)) + 0.01
    fix = rng.random((n, *shape)) > 0.6
    fix[:, 0, 0] = True
    fix[:, -1, -1] = False
    other = rng.random(shape) > 0.5
    other[0, 1] = True
    calls = [
        (cc, b, {}),
        (kld, b, {}),
        (sim, b, {}),
        (nss, fix, {}),
        (information_gain, fix, {"baseline": b[0]}),
        (auc_judd, fix, {}),
        (auc_borji, fix, {"n_splits": 5}),
        (auc_shuffled, fix, {"other": other, "n_splits": 5}),
    ]
    for fn, target, kw in calls:
        batch = fn(a, target, **kw)
        single = [fn(a[i], target[i], **kw) for i in range(n)]
        assert np.allclose(batch, single, rtol=0, atol=1e-12, equal_nan=True), fn.__name__


def test_emd_batch_equals_per_map() -> None:
    rng = np.random.default_rng(9)
    a, b = rng.random((2, 40, 70)), rng.random((2, 40, 70))
    assert np.allclose(emd(a, b), [emd(a[0], b[0]), emd(a[1], b[1])], rtol=0, atol=1e-12)
