"""Bad input raises a ValueError that names the problem."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import metrics
from metrics import METRICS

RNG = np.random.default_rng(0)
SMAP = RNG.random((6, 8))
DENS = RNG.random((6, 8))
FIX = np.zeros((6, 8))
FIX[1, 2] = FIX[4, 5] = 1
OTHER = np.zeros((6, 8))
OTHER[0, 0] = OTHER[5, 7] = 1


def call(name: str, smap: object, target: object) -> object:
    spec = METRICS[name]
    kwargs = {"other": OTHER} if spec.extra_required else {}
    return spec.fn(smap, target, **kwargs)


def target_for(name: str) -> np.ndarray:
    return DENS if METRICS[name].target == "density" else FIX


ALL = sorted(METRICS)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize(
    ("bad", "match"), [pytest.param(np.nan, "NaN", id="nan"), pytest.param(np.inf, "NaN/inf", id="inf")]
)
def test_non_finite_saliency_map(name: str, bad: float, match: str) -> None:
    smap = SMAP.copy()
    smap[2, 2] = bad
    with pytest.raises(ValueError, match=match):
        call(name, smap, target_for(name))


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("dtype", [np.complex128, object, bool], ids=["complex", "object", "bool"])
def test_wrong_dtype(name: str, dtype: type) -> None:
    with pytest.raises(ValueError, match="dtype"):
        call(name, SMAP.astype(dtype), target_for(name))


@pytest.mark.parametrize("name", ALL)
def test_batch_mismatch(name: str) -> None:
    with pytest.raises(ValueError, match="same length|batch"):
        call(name, np.stack([SMAP] * 3), np.stack([target_for(name)] * 2))
    with pytest.raises(ValueError, match="same length|batch|point"):
        call(name, np.stack([SMAP] * 2), target_for(name))


@pytest.mark.parametrize("name", ALL)
def test_wrong_ndim_and_empty(name: str) -> None:
    with pytest.raises(ValueError, match="shape"):
        call(name, SMAP.ravel(), target_for(name))
    with pytest.raises(ValueError, match="empty"):
        call(name, np.zeros((0, 8)), target_for(name))


@pytest.mark.parametrize("name", [n for n in ALL if METRICS[n].target == "fixations"])
def test_empty_fixation_map(name: str) -> None:
    with pytest.raises(ValueError, match="at least one fixation"):
        call(name, SMAP, np.zeros((6, 8)))
    with pytest.raises(ValueError, match="non-negative"):
        call(name, SMAP, -FIX)
    with pytest.raises(ValueError, match="at least one fixation"):
        call(name, SMAP, np.zeros((0, 2)))


@pytest.mark.parametrize("name", [n for n in ALL if METRICS[n].target == "density"])
def test_all_zero_density_target(name: str) -> None:
    with pytest.raises(ValueError, match="all zero"):
        call(name, SMAP, np.zeros((6, 8)))


@pytest.mark.parametrize("name", ["kld", "emd"])
def test_negative_values_where_a_distribution_is_needed(name: str) -> None:
    with pytest.raises(ValueError, match="non-negative"):
        call(name, SMAP - 0.5, DENS)
    with pytest.raises(ValueError, match="non-negative"):
        call(name, SMAP, DENS - 0.5)


def test_shuffled_needs_other_fixations() -> None:
    with pytest.raises(ValueError, match="other"):
        metrics.auc_shuffled(SMAP, FIX, other=np.zeros((6, 8)))
    with pytest.raises(ValueError, match="size"):
        metrics.auc_shuffled(SMAP, FIX, other=np.ones((3, 3)))
    with pytest.raises(TypeError):
        metrics.auc_shuffled(SMAP, FIX)  # type: ignore[call-arg]


def test_points_for_batches() -> None:
    pts = [np.array([[1.5, 2.5]]), np.array([[3.0, 4.0], [7.9, 5.9]])]
    batch = metrics.nss(np.stack([SMAP, SMAP]), pts)
    assert np.allclose(batch, [metrics.nss(SMAP, pts[0]), metrics.nss(SMAP, pts[1])])
    with pytest.raises(ValueError, match="one point array per map"):
        metrics.nss(np.stack([SMAP] * 3), pts)
    with pytest.raises(ValueError, match="batch"):
        metrics.nss(SMAP, pts)
    with pytest.raises(ValueError, match="outside"):
        metrics.nss(SMAP, np.array([[8.0, 1.0]]))


def test_accepts_integer_and_torch_inputs() -> None:
    ints = (SMAP * 255).astype(np.uint8)
    assert metrics.cc(ints, DENS) == pytest.approx(metrics.cc(ints.astype(float), DENS))
    assert metrics.nss(torch.from_numpy(SMAP), torch.from_numpy(FIX).bool()) == pytest.approx(
        metrics.nss(SMAP, FIX)
    )


def test_registry() -> None:
    assert set(METRICS) == {
        "cc",
        "kld",
        "sim",
        "emd",
        "nss",
        "auc_judd",
        "auc_borji",
        "auc_shuffled",
        "information_gain",
    }
    with pytest.raises(KeyError, match=r"unknown metric 'auc'; known: auc_borji, auc_judd, "):
        metrics.get_metric("auc")
