"""Agreement with the MIT Saliency Benchmark code, run under GNU Octave (frozen in fixtures/).

See fixtures/README.md for how ``mit_reference.npz`` was made. Where MIT's result is NaN or
numerical noise (constant and all-zero maps), the documented values of ``metrics`` are checked
instead.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import metrics
import metrics.auc
from metrics import _compiled

FIXTURE = Path(__file__).parent / "fixtures" / "mit_reference.npz"
TOL = 1e-9

CALLS = {
    "cc": lambda c: metrics.cc(c["pred"], c["density"]),
    "kld": lambda c: metrics.kld(c["pred"], c["density"]),
    "sim": lambda c: metrics.sim(c["pred"], c["density"]),
    "emd": lambda c: metrics.emd(c["pred"], c["density"]),
    "nss": lambda c: metrics.nss(c["pred"], c["fix"]),
    "ig": lambda c: metrics.information_gain(c["pred"], c["fix"], baseline=c["baseline"]),
    "auc_judd_nojitter": lambda c: metrics.auc_judd(c["pred"], c["fix"], jitter=False),
    "auc_judd": lambda c: metrics.auc_judd(c["pred"], c["fix"], seed=0),
    "auc_borji": lambda c: metrics.auc_borji(c["pred"], c["fix"], seed=0),
    "auc_shuffled": lambda c: metrics.auc_shuffled(c["pred"], c["fix"], other=c["other"], seed=0),
}

#: MIT gives NaN, or noise around 0 from a z-score by a ~1e-17 std, where ``metrics`` documents a value.
DOCUMENTED = {
    ("constant", "cc"): 0.0,
    ("constant", "nss"): 0.0,
    ("constant", "sim"): 0.0,
    ("constant", "auc_judd_nojitter"): 0.5,
    ("constant", "auc_borji"): 0.5,
    ("constant", "auc_shuffled"): 0.5,
    ("zero_pred", "cc"): 0.0,
    ("zero_pred", "nss"): 0.0,
    ("zero_pred", "auc_judd_nojitter"): 0.5,
    ("zero_pred", "auc_borji"): 0.5,
    ("zero_pred", "auc_shuffled"): 0.5,
}


def _load() -> tuple[dict[str, dict[str, np.ndarray]], dict[tuple[str, str], float]]:
    z = np.load(FIXTURE)

    def get(key: str) -> np.ndarray:
        a = z[key]
        if a.dtype.kind == "U":  # a reference to an identical input stored once
            a = z[str(a)]
        return a.astype(np.float64) / 255 if a.dtype == np.uint8 else a.astype(np.float64)

    cases: dict[str, dict[str, np.ndarray]] = {}
    refs: dict[tuple[str, str], float] = {}
    for key in z.files:
        parts = key.split("/")
        if len(parts) == 3:
            refs[(parts[0], parts[2])] = float(z[key])
        else:
            cases.setdefault(parts[0], {})[parts[1]] = get(key)
    return cases, refs


CASES, REFS = _load()


def _octave_colon(stop: np.ndarray, step: float) -> np.ndarray:
    """Octave's range ``0:step:stop`` (elements ``k * step``), padded with +inf like matlab_colon."""
    n = np.floor(stop / step * (1 + 3 * np.finfo(float).eps))
    k = np.arange(int(n.max()) + 1, dtype=np.float64)[None, :]
    return np.where(k <= n[:, None], k * step, np.inf)


@pytest.mark.parametrize(("case", "metric"), sorted(REFS), ids=[f"{c}-{m}" for c, m in sorted(REFS)])
def test_matches_mit(case: str, metric: str, monkeypatch: pytest.MonkeyPatch) -> None:
    ref = REFS[(case, metric)]
    if metric in ("auc_borji", "auc_shuffled"):
        # Octave builds 0:0.1:max as k * 0.1; MATLAB (and metrics) build the upper half back from
        # the end point. On 8-bit maps, pixels sit exactly on thresholds and the two differ (2e-5).
        # The compiled kernels build MATLAB's thresholds inside (tests/metrics/test_compiled.py
        # checks them against matlab_colon), so Octave's thresholds go through the NumPy path.
        monkeypatch.setattr(metrics.auc, "matlab_colon", _octave_colon)
        with _compiled.backend("numpy"):
            ours = CALLS[metric](CASES[case])
    else:
        ours = CALLS[metric](CASES[case])
    if (case, metric) in DOCUMENTED:
        assert ours == DOCUMENTED[(case, metric)]
    elif metric == "ig" and case in ("constant", "zero_pred"):  # MIT: NaN; here: uniform map
        fix = CASES[case]["fix"] > 0
        expected = np.mean(
            np.log2(np.finfo(float).eps + 1 / fix.size) - _log2_minmax_density(CASES[case]["baseline"])[fix]
        )
        assert ours == pytest.approx(expected, abs=1e-12)
    elif case == "upsample" and metric == "auc_judd_nojitter":
        # Without jitter, ties created by the bicubic upsampling are broken by last-bit rounding,
        # which differs between any two resize implementations (MATLAB's, Octave's, ours).
        assert ours == pytest.approx(ref, abs=1e-3)
    elif np.isnan(ref):
        assert np.isnan(ours)
    else:
        assert ours == pytest.approx(ref, abs=TOL, rel=TOL)


def _log2_minmax_density(m: np.ndarray) -> np.ndarray:
    d = (m - m.min()) / (m.max() - m.min())
    return np.log2(np.finfo(float).eps + d / d.sum())


def test_octave_and_matlab_colon_differ_only_in_last_bits() -> None:
    stops = np.array([0.95, 0.3, 1.0, 0.0, 0.25, 0.6])
    ours, octave = metrics.auc.matlab_colon(stops, 0.1), _octave_colon(stops, 0.1)
    finite = np.isfinite(ours)
    assert np.array_equal(finite, np.isfinite(octave))
    assert np.allclose(ours[finite], octave[finite], rtol=0, atol=2e-16)
