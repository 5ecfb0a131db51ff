"""Degrees of visual angle -> pixels, and display-adaptive rendering."""

import math

import numpy as np
import pytest

from gazefusion.geometry import DisplayGeometry
from gazefusion.smaps import SmapSpec, adapt_to_display, image_px_per_deg, render_spec


def _moments(smap: np.ndarray) -> tuple[float, float, float, float]:
    """Centroid (x, y) and standard deviations (x, y) of a map's mass, in px."""
    m = smap.astype(np.float64)
    ys, xs = np.indices(m.shape)
    total = m.sum()
    cx, cy = (xs * m).sum() / total, (ys * m).sum() / total
    return (
        cx,
        cy,
        math.sqrt(((xs - cx) ** 2 * m).sum() / total),
        math.sqrt(((ys - cy) ** 2 * m).sum() / total),
    )


def _blob(center, sigma, **spec):
    return SmapSpec.from_dict(
        {"units": "deg", "elements": [{"type": "gaussian", "center": center, "sigma": sigma}], **spec}
    )


def test_degrees_to_pixels_worked_out_by_hand():
    # 1000 px over 50 cm = 20 px/cm; at 57.29 cm one degree spans 2 * 57.29 * tan(0.5 deg) = 0.99992 cm,
    # i.e. 19.998 px. The image fills the screen 1:1 (same size as the display).
    display = DisplayGeometry(width_px=1000, height_px=800, width_cm=50.0, distance_cm=57.29)
    assert image_px_per_deg((1000, 800), display) == pytest.approx((19.998, 19.998), abs=1e-3)
    # 10 deg right: tan(10 deg) * 57.29 cm = 10.102 cm = 202.04 px right of the centre x = 500;
    # 5 deg up: tan(5 deg) * 57.29 = 5.0122 cm = 100.24 px above y = 400.
    smap = render_spec(_blob([10, 5], 1), geometry=display)
    assert smap.shape == (800, 1000)
    cx, cy, sx, sy = _moments(smap)
    assert cx == pytest.approx(702.04, abs=0.02)
    assert cy == pytest.approx(299.76, abs=0.02)
    assert sx == pytest.approx(19.998, abs=0.02) and sy == pytest.approx(19.998, abs=0.02)


def test_half_size_image_shown_full_screen_has_half_the_pixels_per_degree():
    display = DisplayGeometry(width_px=1000, height_px=800, width_cm=50.0, distance_cm=57.29)
    # 500x400 image full-screen: each image pixel covers 2 screen pixels -> 9.999 image px/deg
    assert image_px_per_deg((500, 400), display) == pytest.approx((9.999, 9.999), abs=1e-3)
    # a 400x400 image full-screen is fitted to the height (800 px): 2 screen px per image px
    assert image_px_per_deg((400, 400), display) == pytest.approx((9.999, 9.999), abs=1e-3)
    # shown at 200x200 screen px instead: 0.5 screen px per image px
    assert image_px_per_deg((400, 400), display, on_screen_px=(200, 200))[0] == pytest.approx(
        39.997, abs=1e-3
    )


def test_display_adaptation_changes_blob_sizes_by_the_px_per_deg_ratio():
    spec = _blob([0, 0], 1.5, size=[512, 512])
    near = DisplayGeometry(width_px=1920, height_px=1080, width_cm=53.1, distance_cm=60.0)
    far = DisplayGeometry(width_px=1920, height_px=1080, width_cm=53.1, distance_cm=120.0)
    uhd = DisplayGeometry(width_px=3840, height_px=2160, width_cm=53.1, distance_cm=60.0)
    sigma = {}
    for name, display in (("near", near), ("far", far), ("uhd", uhd)):
        sigma[name] = _moments(adapt_to_display(spec, (512, 512), display))[2]
    # twice as far: px/deg doubles (same screen scale 1080/512) -> blob twice as wide in pixels
    assert sigma["far"] / sigma["near"] == pytest.approx(far.px_per_deg / near.px_per_deg, rel=1e-3)
    assert far.px_per_deg / near.px_per_deg == pytest.approx(2.0, rel=1e-9)
    # 4K of the same physical size: px/deg doubles but the image is shown twice as large -> same map
    assert sigma["uhd"] == pytest.approx(sigma["near"], rel=1e-6)
    # expected sigma by hand for "near": 1920/53.1 px/cm * 2 * 60 * tan(0.5 deg) = 37.87 px/deg on screen,
    # image shown at 1080/512 screen px per image px -> 1.5 deg = 1.5 * 37.87 / 2.109 = 26.93 image px
    assert sigma["near"] == pytest.approx(26.93, abs=0.02)


def test_on_screen_size_changes_the_map():
    spec = _blob([0, 0], 0.5, size=[256, 256])
    display = DisplayGeometry(width_px=1920, height_px=1080, width_cm=53.1, distance_cm=60.0)
    small = _moments(adapt_to_display(spec, (256, 256), display, on_screen_px=(256, 256)))[2]
    full = _moments(adapt_to_display(spec, (256, 256), display))[2]
    assert small / full == pytest.approx(1080 / 256, rel=1e-3)


def test_mixed_units_and_spec_display():
    spec = SmapSpec.from_dict(
        {
            "size": [512, 512],
            "units": "px",
            "display": {"width_px": 1920, "height_px": 1080, "width_cm": 53.1, "distance_cm": 60.0},
            "elements": [{"type": "gaussian", "center": ["0deg", 100], "sigma_x": "1deg", "sigma_y": 20}],
        }
    )
    cx, cy, sx, sy = _moments(render_spec(spec))
    ppd = 1920 / 53.1 * 2 * 60 * math.tan(math.radians(0.5)) * 512 / 1080
    assert cx == pytest.approx(256, abs=1e-3) and cy == pytest.approx(100, abs=0.05)
    assert sx == pytest.approx(ppd, abs=0.02) and sy == pytest.approx(20, abs=0.02)
