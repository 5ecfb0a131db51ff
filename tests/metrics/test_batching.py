"""Large batches are scored in chunks; the results do not depend on the chunk size."""

from __future__ import annotations

import numpy as np
import pytest

import metrics
import metrics._batching


def test_chunked_results_equal_unchunked(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(0)
    a, b = rng.random((7, 10, 12)), rng.random((7, 10, 12))
    fix = rng.random((7, 10, 12)) > 0.7
    fix[:, 0, 0] = True
    pts = [np.array([[1.5, 2.5], [3.0, 4.0]])] * 7
    calls = [
        (metrics.cc, b, {}),
        (metrics.kld, b, {}),
        (metrics.nss, pts, {}),
        (metrics.information_gain, fix, {"baseline": b}),
        (metrics.auc_judd, fix, {}),
        (metrics.auc_shuffled, fix, {"other": fix[0]}),
        (metrics.emd, b, {}),
    ]
    whole = [fn(a, t, **kw) for fn, t, kw in calls]
    monkeypatch.setattr(metrics._batching, "CHUNK_BYTES", 8 * 120 * 3)  # 3 maps per chunk
    for (fn, t, kw), ref in zip(calls, whole, strict=True):
        assert np.array_equal(fn(a, t, **kw), ref), fn.__name__


def test_errors_name_the_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metrics._batching, "CHUNK_BYTES", 8 * 120 * 3)
    rng = np.random.default_rng(1)
    a = rng.random((7, 10, 12))
    fix = rng.random((7, 10, 12)) > 0.5
    fix[5] = False
    with pytest.raises(ValueError, match=r"index 2 \(in the chunk of maps 3..5\)"):
        metrics.nss(a, fix)
    with pytest.raises(ValueError, match="same length"):
        metrics.cc(a, a[:5])
