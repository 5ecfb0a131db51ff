"""Fixation maps: a single fixation gives the Gaussian of the sigma computed by hand from the geometry."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.maps import fixation_map, sigma_image_px
from gazefusion.errors import UserInputError
from gazefusion.geometry import DisplayGeometry
from gazefusion.saliency.centre_bias import centre_bias


def hand_sigma_px(sigma_deg: float, width_px: int, width_cm: float, distance_cm: float) -> float:
    """Pixels of ``sigma_deg`` at the screen centre: the chord of the angle, times pixels per cm."""
    cm_per_deg = 2 * distance_cm * math.tan(math.radians(0.5))
    return sigma_deg * cm_per_deg * width_px / width_cm


def gaussian(shape, cx, cy, sigma):
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
    g = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * sigma**2))
    return g / g.sum()


def test_single_fixation_is_the_hand_computed_gaussian():
    # 1920 px over 53.1 cm at 60 cm: 1 deg = 2 * 60 * tan(0.5 deg) cm = 1.0472 cm = 37.87 px
    g = DisplayGeometry(width_px=1920, height_px=1080, width_cm=53.1, distance_cm=60.0)
    sigma = hand_sigma_px(1.0, 1920, 53.1, 60.0)
    assert sigma == pytest.approx(37.866, abs=1e-3)
    # a 200x160 image shown at 400 px wide on screen: image pixels are twice as large -> sigma halves
    sig_img = sigma_image_px(g, 1.0, image_width_px=200, on_screen_width_px=400)
    assert sig_img == pytest.approx(sigma / 2, rel=1e-12)
    shape = (160, 200)
    m = fixation_map(np.array([[100.5, 80.5]]), shape, sig_img)
    ref = gaussian(shape, 100, 80, sigma / 2)
    assert m.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(m, ref, atol=5e-4 * ref.max(), rtol=2e-3)  # kernel truncated at 4 sigma
    # its spread, measured on the map
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
    assert math.sqrt((m * (xx - 100) ** 2).sum()) == pytest.approx(sigma / 2, rel=2e-3)


def test_mit_blur_is_a_gaussian_in_padded_units():
    # MIT's run_antonioGaussian sets the cut-off from max(H, W) = 120 but filters on the padded
    # 128 grid, so its spatial sigma is sigma * 128 / 120 (a quirk we keep for the "mit" option)
    shape = (100, 120)
    m = fixation_map(np.array([[60.2, 50.9]]), shape, 6.0, blur="mit")
    np.testing.assert_allclose(m, gaussian(shape, 60, 50, 6.0 * 128 / 120), atol=1e-12)
    square = fixation_map(np.array([[64.5, 64.5]]), (128, 128), 5.0, blur="mit")
    np.testing.assert_allclose(square, gaussian((128, 128), 64, 64, 5.0), atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(
    sigma_deg=st.floats(0.3, 2.0),
    distance=st.floats(40.0, 100.0),
    width_cm=st.floats(30.0, 70.0),
    x=st.floats(60, 90),
    y=st.floats(60, 90),
)
def test_spread_equals_sigma_for_any_geometry(sigma_deg, distance, width_cm, x, y):
    g = DisplayGeometry(width_px=800, height_px=600, width_cm=width_cm, distance_cm=distance)
    sigma = sigma_image_px(g, sigma_deg)
    assert sigma == pytest.approx(hand_sigma_px(sigma_deg, 800, width_cm, distance), rel=1e-12)
    shape = (150, 150)
    m = fixation_map(np.array([[x, y]]), shape, sigma)
    yy, xx = np.mgrid[0:150, 0:150]
    cx, cy = math.floor(x), math.floor(y)
    if 4 * sigma < min(cx, cy, 149 - cx, 149 - cy):  # the kernel fits: no mass lost at the border
        assert (m * xx).sum() == pytest.approx(cx, abs=1e-6)
        assert math.sqrt((m * (yy - cy) ** 2).sum()) == pytest.approx(sigma, rel=5e-3)


def test_weights_empty_and_outside_points():
    shape = (40, 50)
    assert fixation_map(np.empty((0, 2)), shape, 3.0).sum() == 0
    assert fixation_map(np.array([[-3.0, 5.0], [60.0, 5.0]]), shape, 3.0).sum() == 0
    two = fixation_map(np.array([[10.5, 10.5], [30.5, 20.5]]), shape, 2.0, weights=np.array([3.0, 1.0]))
    one_a = fixation_map(np.array([[10.5, 10.5]]), shape, 2.0)
    one_b = fixation_map(np.array([[30.5, 20.5]]), shape, 2.0)
    np.testing.assert_allclose(two, 0.75 * one_a + 0.25 * one_b, atol=1e-12)


def test_centre_bias_and_bad_sigma():
    cb = centre_bias((30, 40))
    assert cb.sum() == pytest.approx(1.0)
    assert np.unravel_index(cb.argmax(), cb.shape) in {(14, 19), (14, 20), (15, 19), (15, 20)}
    with pytest.raises(UserInputError, match="sigma-deg"):
        sigma_image_px(DisplayGeometry(width_px=800, height_px=600, width_cm=40.0, distance_cm=60.0), 0.0)
