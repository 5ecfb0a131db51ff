"""MATLAB imresize: against PIL's bicubic (a = -0.5, same sampling) away from the borders,
against properties that only the renormalised MATLAB weights have, and its size rules."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from metrics import imresize
from metrics.imresize import resize_weights


def _pil(x: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    img = Image.fromarray(x.astype(np.float32))
    return np.asarray(img.resize((shape[1], shape[0]), Image.Resampling.BICUBIC), dtype=np.float64)


@pytest.mark.parametrize("shape", [(10, 20), (23, 31), (50, 70), (37, 26), (12, 80)])
def test_interior_matches_pil(shape: tuple[int, int]) -> None:
    x = np.random.default_rng(1).random((37, 53)).astype(np.float32).astype(np.float64)
    ours = imresize(x, shape)
    ref = _pil(x, shape)
    # PIL clips the kernel at the border (MATLAB mirrors): compare where the kernels fit inside
    # (the kernel reaches 2 output pixels when shrinking, 2 * scale when enlarging)
    my = 1 + int(np.ceil(2 * max(1.0, shape[0] / 37)))
    mx = 1 + int(np.ceil(2 * max(1.0, shape[1] / 53)))
    assert np.abs(ours - ref)[my:-my, mx:-mx].max() < 1e-6
    assert np.abs(ours - ref).max() > 1e-4  # the borders differ: the test would see a PIL-like resize


def test_constant_map_stays_constant_on_any_shrink() -> None:
    # MATLAB renormalises every output pixel's weights; Octave does not (it fails this).
    x = np.full((37, 53), 0.7)
    for shape in [(10, 20), (11, 7), (36, 52), (1, 1)]:
        assert np.allclose(imresize(x, shape), 0.7, rtol=0, atol=1e-15)


def test_rows_of_weights_sum_to_one_and_mirror() -> None:
    w = resize_weights(5, 12)
    assert np.allclose(w.sum(axis=1), 1.0, atol=1e-15)
    # enlarging a linear ramp reproduces it where the kernel does not reach the border
    ramp = np.arange(20.0)
    out = resize_weights(20, 40) @ ramp
    u = np.arange(1, 41) / 2 + 0.5 * (1 - 1 / 2) - 1  # 0-based input coordinate of each output
    assert np.allclose(out[4:-4], u[4:-4], atol=1e-12)


def test_size_rules() -> None:
    x = np.zeros((1080, 1920))
    assert imresize(x, scale=1 / 32).shape == (34, 60)
    rng = np.random.default_rng(0)
    y = rng.random((64, 96))
    by_scale = imresize(y, scale=0.5)
    assert np.allclose(by_scale, imresize(y, (32, 48)), atol=1e-15)  # same scale: same result
    z = rng.random((1080, 40))
    assert not np.allclose(imresize(z, scale=1 / 32)[:, :1], imresize(z, (34, 2))[:, :1])
    assert np.array_equal(imresize(y, (64, 96)), y)
    assert np.array_equal(imresize(torch.from_numpy(y), (32, 48)), by_scale)  # torch input
    with pytest.raises(ValueError, match="exactly one"):
        imresize(y)
    with pytest.raises(ValueError, match="scale"):
        imresize(y, scale=-1.0)


def test_batch_resize_equals_per_map() -> None:
    x = np.random.default_rng(1).random((3, 17, 19))
    out = imresize(x, (9, 30))
    for i in range(3):
        assert np.allclose(out[i], imresize(x[i], (9, 30)), atol=1e-15)
