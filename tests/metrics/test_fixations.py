"""Points -> fixation maps (pixel convention) and the MIT antonioGaussian density."""

from __future__ import annotations

import math

import numpy as np
import pytest

from metrics import fixation_density, fixations_to_map, sigma_to_fc
from metrics.fixations import antonio_gaussian


def test_pixel_convention_is_floor() -> None:
    m = fixations_to_map(np.array([[0.0, 0.0], [2.99, 1.5], [2.0, 1.0], [3.999, 2.999]]), (3, 4))
    assert m[0, 0] == 1 and m[1, 2] == 1 and m[2, 3] == 1 and m.sum() == 3  # two points share (1, 2)
    counts = fixations_to_map(np.array([[2.99, 1.5], [2.0, 1.0]]), (3, 4), counts=True)
    assert counts[1, 2] == 2


def test_points_outside_and_bad_points() -> None:
    pts = np.array([[4.0, 0.0], [1.0, 1.0]])  # x = 4 is outside a 4-wide map
    with pytest.raises(ValueError, match="outside"):
        fixations_to_map(pts, (3, 4))
    assert fixations_to_map(pts, (3, 4), outside="drop").sum() == 1
    with pytest.raises(ValueError, match="finite"):
        fixations_to_map(np.array([[np.nan, 1.0]]), (3, 4))
    with pytest.raises(ValueError, match=r"\(K, 2\)"):
        fixations_to_map(np.zeros((3, 3)), (3, 4))


def _antonio_reference(img: np.ndarray, fc: float) -> np.ndarray:
    """MIT antonioGaussian transcribed literally: full complex FFT, MATLAB's meshgrid and fftshift."""
    sn, sm = img.shape
    n = max(sn, sm)
    n = n + n % 2
    n = 2 ** math.ceil(math.log2(n))
    fx, fy = np.meshgrid(np.arange(n), np.arange(n))
    fx, fy = fx - n / 2, fy - n / 2
    s = fc / math.sqrt(math.log(2))
    gf = np.fft.fftshift(np.exp(-(fx**2 + fy**2) / s**2))
    out = np.real(np.fft.ifft2(np.fft.fft2(img, (n, n)) * gf))
    return out[:sn, :sm]


@pytest.mark.parametrize("shape", [(20, 30), (33, 17), (64, 64)])
def test_antonio_gaussian_matches_transcription(shape: tuple[int, int]) -> None:
    img = np.random.default_rng(0).random(shape)
    assert np.allclose(antonio_gaussian(img, 8.0), _antonio_reference(img, 8.0), rtol=0, atol=1e-13)


def test_sigma_variant_is_a_gaussian_of_that_sigma() -> None:
    img = np.zeros((64, 64))
    img[32, 32] = 1.0
    sigma = 3.0
    out = fixation_density(img, sigma_px=sigma)
    yy, xx = np.mgrid[0:64, 0:64]
    g = np.exp(-((yy - 32) ** 2 + (xx - 32) ** 2) / (2 * sigma**2)) / (2 * math.pi * sigma**2)
    assert np.allclose(out, g, atol=1e-9)
    assert sigma_to_fc(sigma, (64, 64)) == pytest.approx(64 * math.sqrt(math.log(2) / (2 * math.pi**2 * 9)))


def test_density_from_points_equals_density_from_map() -> None:
    pts = np.array([[3.2, 4.7], [10.0, 2.0]])
    assert np.array_equal(fixation_density(pts, (12, 16)), fixation_density(fixations_to_map(pts, (12, 16))))
    batch = np.stack([fixations_to_map(pts, (12, 16))] * 2)
    assert fixation_density(batch).shape == (2, 12, 16)
