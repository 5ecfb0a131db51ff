"""Agreement with pysaliency 0.2.22 where it implements the same convention, and the documented
differences where it does not."""

from __future__ import annotations

import math

import numpy as np
import pytest

pysaliency_metrics = pytest.importorskip("pysaliency.metrics")
pysaliency_roc = pytest.importorskip("pysaliency.roc")

from metrics import auc_judd, cc, kld, nss, sim  # noqa: E402

RNG = np.random.default_rng(11)
A = RNG.random((30, 40))
B = RNG.random((30, 40)) ** 3
FIX = RNG.random((30, 40)) > 0.95


def test_cc_equals_pysaliency() -> None:
    assert cc(A, B) == pytest.approx(pysaliency_metrics.CC(A, B), abs=1e-12)
    # constant first map: both 0 (MIT: NaN)
    assert cc(np.ones_like(A), B) == pysaliency_metrics.CC(np.ones_like(A), B) == 0.0


def test_kld_equals_pysaliency_mit_kldiv_up_to_its_rounded_eps() -> None:
    # pysaliency uses eps = 2.2204e-16, MIT (and metrics) 2.220446049250313e-16
    assert kld(A, B) == pytest.approx(pysaliency_metrics.MIT_KLDiv(A, B), abs=1e-12)


def test_kld_differs_on_an_all_zero_map() -> None:
    # pysaliency treats it as uniform; MIT keeps it zero (huge divergence)
    assert kld(np.zeros_like(A), B) > 10 * pysaliency_metrics.MIT_KLDiv(np.zeros_like(A), B)


def test_sim_equals_pysaliency_when_minima_are_zero_and_differs_otherwise() -> None:
    a, b = A - A.min(), B - B.min()
    assert sim(a, b) == pytest.approx(pysaliency_metrics.SIM(a, b), abs=1e-12)
    assert abs(sim(a + 0.5, b) - pysaliency_metrics.SIM(a + 0.5, b)) > 1e-3  # no min-max in pysaliency


def test_nss_is_pysaliency_times_population_to_sample_std() -> None:
    ys, xs = np.nonzero(FIX)
    ref = float(np.mean(pysaliency_metrics.NSS(A, xs, ys)))
    n = A.size
    assert nss(A, FIX) == pytest.approx(ref * math.sqrt((n - 1) / n), abs=1e-12)


def test_auc_judd_equals_pysaliency_judd_roc_for_distinct_values() -> None:
    auc, _, _ = pysaliency_roc.general_roc(A[FIX].astype(float), A[~FIX].astype(float), judd=1)
    assert auc_judd(A, FIX, jitter=False) == pytest.approx(auc, abs=1e-12)


def test_auc_judd_differs_from_pysaliency_with_ties() -> None:
    a = np.array([[1.0, 1.0, 1.0, 0.0]])
    fix = np.array([[True, True, False, False]])
    auc, _, _ = pysaliency_roc.general_roc(a[fix], a[~fix], judd=1)
    assert auc_judd(a, fix, jitter=False) == pytest.approx(0.375)
    assert auc == pytest.approx(0.75)
