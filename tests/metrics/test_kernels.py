"""Blocked, threaded kernels: equal to plain NumPy, independent of the thread count, and exact
for float32 input (read as float64)."""

from __future__ import annotations

import numpy as np
import pytest

import metrics
import metrics._kernels as kernels
from metrics import _compiled
from metrics._kernels import kl_rows, row_stats, sim_rows
from metrics._targets import flat_true
from metrics.imresize import imresize, resize_weights

# 3 rows of 2.5 blocks: partial last blocks, several blocks per row, enough work for threads
SHAPE = (3, 5 * kernels.BLOCK // 2)


@pytest.fixture(params=[np.float64, np.float32], ids=["float64", "float32"])
def xy(request: pytest.FixtureRequest) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return tuple(rng.random(SHAPE).astype(request.param) for _ in range(2))


def test_row_stats_equal_numpy(xy: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = xy
    st = row_stats(x, y, mins=True, maxs=True, products=True)
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    ref = {
        "sum": x64.sum(1),
        "ysum": y64.sum(1),
        "xx": (x64 * x64).sum(1),
        "yy": (y64 * y64).sum(1),
        "xy": (x64 * y64).sum(1),
    }
    for key, val in ref.items():
        np.testing.assert_allclose(st[key], val, rtol=1e-13, err_msg=key)
    for key, fn, arr in [("min", np.min, x), ("max", np.max, x), ("ymin", np.min, y), ("ymax", np.max, y)]:
        assert np.array_equal(st[key], fn(arr, axis=1)), key


def test_kl_and_sim_rows_equal_numpy(xy: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = xy
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    kp, kq = 1 / x64.sum(1), 1 / y64.sum(1)
    eps = 1e-12
    p, q = x64 * kp[:, None], y64 * kq[:, None]
    np.testing.assert_allclose(
        kl_rows(x, y, kp, kq, eps), (q * np.log(eps + q / (p + eps))).sum(1), rtol=1e-13
    )
    lo, mlo = x64.min(1), y64.min(1)
    ref = np.minimum((x64 - lo[:, None]) * kp[:, None], (y64 - mlo[:, None]) * kq[:, None]).sum(1)
    np.testing.assert_allclose(sim_rows(x, y, lo, kp, mlo, kq), ref, rtol=1e-13)


def test_results_do_not_depend_on_the_thread_count(monkeypatch: pytest.MonkeyPatch) -> None:
    x, y = np.random.default_rng(1).random((2, *SHAPE))
    results = []
    for threads in (1, 2, 3):
        monkeypatch.setattr(kernels, "THREADS", threads)
        st = row_stats(x, y, mins=True, products=True)
        results.append([*st.values(), kl_rows(x, y, 1 / st["sum"], 1 / st["ysum"], 1e-16)])
    for other in results[1:]:
        for a, b in zip(results[0], other, strict=True):
            assert np.array_equal(a, b)


def test_float32_maps_score_as_their_float64_copies() -> None:
    rng = np.random.default_rng(2)
    n, h, w = 3, 120, 160
    pred = imresize(rng.random((n, 6, 8)), (h, w)).clip(0, None).astype(np.float32)
    dens = (imresize(rng.random((n, 6, 8)), (h, w)).clip(0, None) + 1e-3).astype(np.float32)
    fix = [np.column_stack([rng.random(30) * w, rng.random(30) * h]) for _ in range(n)]
    other = metrics.fixations_to_map(np.concatenate(fix), (h, w)) > 0
    for name, spec in metrics.METRICS.items():
        kw = {"other": other} if spec.extra_required else {}
        target32 = dens if spec.target == "density" else fix
        target64 = dens.astype(np.float64) if spec.target == "density" else fix
        got = spec.fn(pred, target32, **kw)
        want = spec.fn(pred.astype(np.float64), target64, **kw)
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12, err_msg=name)
    # a float32 computation would differ from float64 by ~1e-8 here: the test would see it
    assert abs(float(np.float32(1 / 3)) - 1 / 3) > 1e-9


@pytest.mark.parametrize("backend", _compiled.BACKENDS)
@pytest.mark.parametrize(
    ("shape", "out"), [((200, 300), None), ((48, 64), (192, 256)), ((70, 90), (33, 180))], ids=str
)
def test_banded_resize_equals_dense_weight_products(
    shape: tuple[int, int], out: tuple[int, int] | None, backend: str
) -> None:
    # both the band-by-band matrix products (NumPy) and the compiled taps, against the dense matrices
    x = np.random.default_rng(3).random((2, *shape))
    if out is None:
        with _compiled.backend(backend):
            got = imresize(x, scale=1 / 32)
        oh, ow = got.shape[-2:]
        wr, wc = resize_weights(shape[0], oh, 1 / 32), resize_weights(shape[1], ow, 1 / 32)
    else:
        with _compiled.backend(backend):
            got = imresize(x, out)
        wr, wc = resize_weights(shape[0], out[0]), resize_weights(shape[1], out[1])
    ref = np.stack([wr @ m @ wc.T for m in x])
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-13)


@pytest.mark.parametrize("backend", _compiled.BACKENDS)
@pytest.mark.parametrize(
    ("size", "n_true"), [(64, 0), (64, 3), (5, 2), (8000, 40), (8000, 4000), (8003, 40), (8003, 8003)]
)
def test_flat_true_equals_flatnonzero(size: int, n_true: int, backend: str) -> None:
    rng = np.random.default_rng(size + n_true)
    mask = np.zeros(size, dtype=bool)
    mask[rng.choice(size, n_true, replace=False)] = True
    mask[-1] = mask[-1] or n_true > 2  # the tail after the last whole word
    mask = mask.reshape(-1, 1) if size % 8 else mask.reshape(-1, 8)
    with _compiled.backend(backend):
        assert np.array_equal(flat_true(mask), np.flatnonzero(mask))


def test_a_forked_child_gets_its_own_threads() -> None:
    import multiprocessing

    x = np.random.default_rng(4).random(SHAPE)
    want = row_stats(x)["sum"]  # the parent's pool now exists
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as pool:
        got = pool.apply_async(_child_sums, (x,)).get(timeout=30)
    assert np.array_equal(got, want)


def _child_sums(x: np.ndarray) -> np.ndarray:
    return row_stats(x)["sum"]


def test_subnormal_mass_is_normalised_like_mit() -> None:
    # 1 / mass overflows: MIT divides step by step and gets P = [1, 0, ...] (hypothesis found it)
    a = np.zeros((3, 3))
    a[0, 0] = 2.2e-311
    b = np.zeros((3, 3))
    b[0, 0] = 0.5
    b[1, 1] = 0.5
    assert metrics.sim(a, b) == pytest.approx(0.5, abs=1e-15)
    assert metrics.kld(a, a) == pytest.approx(0.0, abs=1e-15)
    q = np.array([0.5, 0.5])
    want = (q * np.log(metrics._inputs.EPS + q / (np.array([1.0, 0.0]) + metrics._inputs.EPS))).sum()
    assert metrics.kld(np.stack([a, b]), np.stack([b, b])) == pytest.approx([want, 0.0], abs=1e-12)
