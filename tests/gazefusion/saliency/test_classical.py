"""Weight-free models: OpenCV static saliency, Itti-Koch, centre bias."""

import cv2
import numpy as np
import pytest

from gazefusion.saliency import centre_bias, get_saliency_model

CONTENT_MODELS = ["spectral-residual", "fine-grained", "itti-koch"]


def _square_image(height=120, width=160, top=30, left=95, side=30, colour=(250, 250, 250), bg=90):
    img = np.full((height, width, 3), bg, np.uint8)
    img[top : top + side, left : left + side] = colour
    mask = np.zeros((height, width), bool)
    mask[top : top + side, left : left + side] = True
    return img, mask


def test_opencv_contrib_saliency_present():
    assert hasattr(cv2, "saliency"), "cv2.saliency missing: opencv-python shadows opencv-contrib"


@pytest.mark.parametrize(
    "name, colour",
    [
        *[pytest.param(n, (250, 250, 250), id=f"{n}-bright") for n in CONTENT_MODELS],
        # isoluminant with the grey background (luma 90): only a model with colour channels sees it
        pytest.param("itti-koch", (230, 30, 30), id="itti-koch-isoluminant-red"),
    ],
)
def test_off_centre_square_is_salient(name, colour):
    img, mask = _square_image(colour=colour)
    smap = get_saliency_model(name).predict(img)[0]
    assert smap[mask].mean() > 2 * smap[~mask].mean()
    # the most salient pixel is on or next to the square
    y, x = np.unravel_index(np.argmax(smap), smap.shape)
    assert 30 - 8 <= y < 60 + 8 and 95 - 8 <= x < 125 + 8


@pytest.mark.parametrize("name", [*CONTENT_MODELS, "centre-bias"])
def test_shapes_range_mixed_batch(name):
    rng = np.random.default_rng(1)
    sizes = [(64, 48), (33, 80), (100, 100), (17, 29)]
    images = [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for h, w in sizes]
    maps = get_saliency_model(name, batch_size=3).predict(images)
    assert [m.shape for m in maps] == sizes
    for m in maps:
        assert m.dtype == np.float32 and m.min() >= 0 and m.max() <= 1 and m.max() > 0


@pytest.mark.parametrize("name", CONTENT_MODELS)
def test_flat_image_gives_finite_map(name):
    smap = get_saliency_model(name).predict(np.full((40, 50, 3), 128, np.uint8))[0]
    assert np.all(np.isfinite(smap)) and smap.shape == (40, 50)


def test_centre_bias_is_content_free_gaussian():
    img, _ = _square_image()
    model = get_saliency_model("centre-bias", sigma=0.2)
    a = model.predict(img)[0]
    b = model.predict(np.zeros_like(img))[0]
    np.testing.assert_array_equal(a, b)
    # independent formula: separable Gaussian with sigma = 0.2 * (W, H) around the pixel-grid centre
    yy, xx = np.mgrid[0:120, 0:160]
    expected = np.exp(-((xx - 79.5) ** 2) / (2 * 32.0**2) - (yy - 59.5) ** 2 / (2 * 24.0**2))
    np.testing.assert_allclose(a, expected, atol=1e-6)
    np.testing.assert_allclose(centre_bias((120, 160), 0.2, norm="centre"), expected, atol=1e-6)


def test_spectral_residual_matches_opencv_directly():
    img, _ = _square_image()
    ok, ref = cv2.saliency.StaticSaliencySpectralResidual_create().computeSaliency(img[..., ::-1].copy())
    ref = (ref - ref.min()) / (ref.max() - ref.min())
    np.testing.assert_allclose(get_saliency_model("spectral-residual").predict(img)[0], ref, atol=1e-6)
