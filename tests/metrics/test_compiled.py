"""The compiled (numba) kernels agree with the NumPy reference path on every metric, for float64
and float32 maps, random and degenerate; the disk cache works from a read-only install."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import metrics
from metrics import _compiled

pytest.importorskip("numba")

from metrics import _fused  # noqa: E402

SETTINGS = settings(max_examples=30, deadline=None)
TOL = 1e-12
DTYPES = [np.float64, np.float32]


def both(fn, *args, **kwargs) -> tuple[np.ndarray, np.ndarray]:
    """(compiled, NumPy) results of ``fn(*args, **kwargs)``."""
    with _compiled.backend("numba"):
        got = np.asarray(fn(*args, **kwargs), dtype=np.float64)
    with _compiled.backend("numpy"):
        want = np.asarray(fn(*args, **kwargs), dtype=np.float64)
    return got, want


def assert_same(fn, *args, tol: float = TOL, **kwargs) -> None:
    got, want = both(fn, *args, **kwargs)
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol, equal_nan=True, err_msg=fn.__name__)


@st.composite
def maps(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A batch (N, H, W) of saliency maps, density maps and binary fixation maps, in one dtype.

    Values: uniform, a few grey levels (ties), or with constant / all-zero maps mixed in.
    """
    n = draw(st.integers(1, 3))
    h, w = draw(st.integers(2, 40)), draw(st.integers(2, 70))
    dtype = draw(st.sampled_from(DTYPES))
    kind = draw(st.sampled_from(["uniform", "levels", "degenerate"]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    pred = rng.random((n, h, w))
    dens = rng.random((n, h, w)) ** 3
    if kind == "levels":
        pred = np.round(pred * 4) / 4
        dens = np.round(dens * 3) / 3
    elif kind == "degenerate":
        pred[0] = draw(st.sampled_from([0.0, 0.5, 7.0]))  # constant (or all-zero) map
        dens[-1] = np.where(rng.random((h, w)) < 0.9, 0.0, dens[-1])  # mostly empty density
    dens[:, 0, 0] += 0.25  # no all-zero target
    fix = rng.random((n, h, w)) < draw(st.sampled_from([0.02, 0.3, 0.95]))
    fix[:, -1, -1] = True
    return pred.astype(dtype), dens.astype(dtype), fix


@SETTINGS
@given(maps())
def test_density_metrics_agree(m: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    pred, dens, _ = m
    for fn in (metrics.cc, metrics.kld, metrics.sim):
        assert_same(fn, pred, dens)
    assert_same(metrics.cc, pred - 0.5, dens)  # negative values
    assert_same(metrics.sim, pred - 0.5, dens - 0.1)


@SETTINGS
@given(maps(), st.integers(0, 2**31 - 1))
def test_fixation_metrics_agree(m: tuple[np.ndarray, np.ndarray, np.ndarray], seed: int) -> None:
    pred, dens, fix = m
    other = np.roll(fix[0], 1, axis=1) | fix[0]
    assert_same(metrics.nss, pred, fix)
    assert_same(metrics.information_gain, pred, fix, baseline=dens[0])
    assert_same(metrics.auc_judd, pred, fix, jitter=False)
    assert_same(metrics.auc_judd, pred, fix, seed=seed)
    assert_same(metrics.auc_borji, pred, fix, n_splits=7, seed=seed)
    assert_same(metrics.auc_shuffled, pred, fix, other=other, n_splits=7, seed=seed)


@SETTINGS
@given(
    st.integers(1, 2),
    st.integers(1, 130),
    st.integers(1, 700),
    st.sampled_from(DTYPES),
    st.one_of(
        st.tuples(st.integers(1, 160), st.integers(1, 160)).map(lambda s: {"output_shape": s}),
        st.sampled_from([1 / 32, 1 / 7, 0.5, 3.0]).map(lambda f: {"scale": f}),
    ),
)
def test_resize_agrees(n: int, h: int, w: int, dtype: type, size: dict) -> None:
    # shrinks and enlargements on either axis, rows of several column strips, either pass first
    x = np.random.default_rng(h * w).random((n, h, w)).astype(dtype)
    assert_same(metrics.imresize, x, **size)
    assert_same(metrics.imresize, x[0], **size)


@SETTINGS
@given(st.integers(0, 2**32 - 1), st.sampled_from([0.1, 0.05, 0.3]))
def test_roc_on_the_thresholds_themselves(seed: int, step: float) -> None:
    # values exactly on MATLAB's colon thresholds (8-bit maps put pixels there), near and between
    rng = np.random.default_rng(seed)
    th = metrics.auc.matlab_colon(np.array([1.0]), step)[0]
    pool = np.concatenate([th, np.nextafter(th, -1), np.nextafter(th, 2), rng.random(20)]).clip(0, 1)
    pos = rng.choice(pool, rng.integers(2, 40))
    neg = rng.choice(pool, (6, rng.integers(2, 40)))
    want = metrics.auc.auc_from_negatives(pos, neg, step)
    assert _fused.colon_auc(pos, neg, step, np.finfo(float).eps) == pytest.approx(want, abs=1e-12)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
def test_multi_block_rows_and_points_agree(dtype: type) -> None:
    # rows of 1.6 blocks (a partial last block, lengths not a multiple of the lanes) and points
    rng = np.random.default_rng(3)
    n, h, w = 2, 301, 349
    pred = metrics.imresize(rng.random((n, 8, 9)), (h, w)).clip(0, None).astype(dtype)  # bicubic undershoots
    dens = (metrics.imresize(rng.random((n, 8, 9)), (h, w)).clip(0, None) + 1e-3).astype(dtype)
    pts = [np.column_stack([rng.random(40) * w, rng.random(40) * h]) for _ in range(n)]
    other = metrics.fixations_to_map(np.concatenate(pts), (h, w)) > 0
    for spec in metrics.METRICS.values():
        kw = {"other": other} if spec.extra_required else {}
        assert_same(spec.fn, pred, dens if spec.target == "density" else pts, **kw)
    assert_same(metrics.auc_judd, pred, pts, jitter=False)
    assert_same(metrics.auc_judd, pred[:1], pts[:1], seed=None)  # fresh draws: both are in [0, 1]


@_compiled.backend("numba")
def test_float32_is_scored_in_float64() -> None:
    rng = np.random.default_rng(4)
    pred, dens = rng.random((2, 90, 120)).astype(np.float32), rng.random((2, 90, 120)).astype(np.float32)
    for fn in (metrics.cc, metrics.kld, metrics.sim):
        np.testing.assert_allclose(
            fn(pred, dens), fn(pred.astype(np.float64), dens.astype(np.float64)), atol=1e-13
        )


@_compiled.backend("numba")
def test_degenerate_maps_keep_their_documented_values() -> None:
    flat = np.full((6, 7), 0.3)
    fix = np.zeros((6, 7), dtype=bool)
    fix[2, 3] = True
    assert metrics.cc(flat, flat + np.eye(6, 7)) == 0.0
    assert metrics.nss(flat, fix) == 0.0
    assert metrics.sim(flat, flat + np.eye(6, 7)) == 0.0
    assert metrics.auc_judd(flat, fix, jitter=False) == 0.5
    assert metrics.auc_borji(flat, fix | np.eye(6, 7, dtype=bool)) == 0.5
    assert np.isnan(metrics.auc_judd(np.arange(4.0).reshape(2, 2), np.ones((2, 2)), jitter=False))
    assert np.isnan(metrics.auc_borji(np.arange(4.0).reshape(2, 2), np.eye(2) * np.array([1, 0])))


def test_fast_log_is_within_one_ulp_of_numpy() -> None:
    rng = np.random.default_rng(5)
    x = np.concatenate(
        [
            np.exp(rng.uniform(-700, 700, 200_000)),
            1 + rng.uniform(-1e-3, 1e-3, 50_000),
            [2.220446049250313e-16, 1.0, 2.0, 0.5, np.sqrt(2), 1e300, 2.2250738585072014e-308],
        ]
    )
    out = np.empty_like(x)
    _fused.log_array(x, out)
    ulp = np.spacing(np.abs(np.log(x)))
    assert np.all(np.abs(out - np.log(x)) <= ulp)


def test_backend_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    default = _compiled.active()
    with _compiled.backend("numpy"):
        assert _compiled.active() == "numpy"
        with _compiled.backend("numba"):
            assert _compiled.active() == "numba"
    assert _compiled.active() == default
    monkeypatch.setenv("GAZEFUSION_METRICS_BACKEND", "numpy")
    assert _compiled.active() == "numpy"
    monkeypatch.setenv("GAZEFUSION_METRICS_BACKEND", "gpu")
    with pytest.raises(ValueError, match="GAZEFUSION_METRICS_BACKEND must be one of numba, numpy"):
        _compiled.active()
    with pytest.raises(ValueError, match="backend must be one of numba, numpy"):
        with _compiled.backend("cuda"):
            pass


_SCRIPT = """
import numpy as np, metrics, metrics._compiled as c
a = np.random.default_rng(0).random((40, 60))
print(c.active(), repr(metrics.cc(a, a ** 2)))
"""


def _run_unprivileged(env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run :data:`_SCRIPT` as a user who cannot write the install (as ``nobody`` when we are root:
    root writes anywhere)."""
    cmd = [sys.executable, "-c", _SCRIPT]
    if os.geteuid() == 0:
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)


@pytest.mark.slow
@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("setpriv") is None,
    reason="running as root without setpriv: cannot make a folder read-only",
)
def test_compiled_kernels_run_and_cache_from_a_read_only_install() -> None:
    base = Path(tempfile.mkdtemp(prefix="gf-readonly-"))
    try:
        base.chmod(0o755)
        site, home, locked = base / "site", base / "home", base / "locked"
        shutil.copytree(
            Path(metrics.__file__).parent, site / "metrics", ignore=shutil.ignore_patterns("__pycache__")
        )
        home.mkdir()
        locked.mkdir()
        if os.geteuid() == 0:
            os.chown(home, 65534, 65534)  # the only folder the unprivileged user may write
        for p in [site, *site.rglob("*"), locked]:
            p.chmod(0o555 if p.is_dir() else 0o444)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_", "GAZEFUSION_METRICS"))}
        env.update(HOME=str(home), PYTHONPATH=str(site), XDG_CACHE_HOME=str(home / ".cache"))
        env["GAZEFUSION_METRICS_BACKEND"] = "numba"
        runs = [_run_unprivileged(env) for _ in range(2)]
        for run in runs:
            assert run.returncode == 0, run.stderr
        out = [r.stdout.split() for r in runs]
        assert out[0][0] == "numba" and out[0] == out[1]
        a = np.random.default_rng(0).random((40, 60))
        assert float(out[0][1]) == pytest.approx(
            metrics.cc(a, a**2), abs=1e-12
        )  # another process's summation order
        assert not list(site.rglob("*.nbi"))  # nothing written into the install
        assert list(home.rglob("*.nbi"))  # the cache went to the user's cache folder
        # no writable cache folder at all: still runs (compiled in every process)
        env.update(HOME=str(locked), XDG_CACHE_HOME=str(locked / ".cache"))
        run = _run_unprivileged(env)
        assert run.returncode == 0, run.stderr
        assert run.stdout.split() == out[0]
    finally:
        for p in [base, *base.rglob("*")]:
            if p.is_dir():
                p.chmod(0o755)
        shutil.rmtree(base, ignore_errors=True)
