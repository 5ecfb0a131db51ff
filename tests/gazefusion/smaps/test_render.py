"""Rendering specs: shapes against independent computations, combination, suppression, keyframes."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.path import Path as MplPath
from PIL import Image
from scipy.special import erf

from gazefusion.errors import UserInputError
from gazefusion.smaps import SmapSpec, render_spec


def _render(elements, size=(40, 30), suppress=(), **top):
    return render_spec(
        SmapSpec.from_dict(
            {"size": list(size), "elements": list(elements), "suppress": list(suppress), **top}
        )
    )


def test_gaussian_matches_the_formula():
    smap = _render(
        [{"type": "gaussian", "center": [17.3, 11.6], "sigma_x": 6.5, "sigma_y": 3.25, "weight": 0.8}],
        normalize="none",
    )
    yy, xx = np.mgrid[0:30, 0:40]
    expected = 0.8 * np.exp(-((xx - 17.3) ** 2) / (2 * 6.5**2) - (yy - 11.6) ** 2 / (2 * 3.25**2))
    np.testing.assert_allclose(smap, expected, atol=1e-7)


def test_rotated_gaussian_by_90_degrees_swaps_its_axes():
    a = _render([{"type": "gaussian", "center": [20, 15], "sigma_x": 8, "sigma_y": 3, "angle": 90}])
    b = _render([{"type": "gaussian", "center": [20, 15], "sigma_x": 3, "sigma_y": 8}])
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_hard_rect_has_numpy_slice_semantics():
    smap = _render([{"type": "rect", "box": [10, 5, 30, 20]}])
    expected = np.zeros((30, 40), np.float32)
    expected[5:20, 10:30] = 1
    np.testing.assert_array_equal(smap, expected)
    by_extent = _render([{"type": "rect", "center": [20, 12.5], "extent": [20, 15]}])
    np.testing.assert_array_equal(by_extent, expected)


def test_soft_rect_edge_approximates_the_blurred_box():
    """Away from the borders a box blurred by sigma is a product of erf differences."""
    sigma = 2.5
    smap = _render(
        [{"type": "rect", "box": [15, 10, 45, 30], "edge": sigma}], size=(60, 40), normalize="none"
    )
    yy, xx = np.mgrid[0:40, 0:60].astype(float)

    def edge1d(v, lo, hi):  # the hard box covers pixel centres lo..hi-1, i.e. [lo - 0.5, hi - 0.5]
        s = sigma * np.sqrt(2)
        return 0.5 * (erf((v - lo + 0.5) / s) - erf((v - hi + 0.5) / s))

    expected = edge1d(xx, 15, 45) * edge1d(yy, 10, 30)
    np.testing.assert_allclose(smap, expected, atol=0.01)


def test_polygon_and_ellipse_match_independent_point_tests():
    pts = [(3.3, 4.7), (35.2, 8.9), (22.1, 27.4), (6.6, 20.2)]
    smap = _render([{"type": "polygon", "points": [list(p) for p in pts]}])
    yy, xx = np.mgrid[0:30, 0:40]
    inside = MplPath(pts).contains_points(np.c_[xx.ravel(), yy.ravel()]).reshape(30, 40)
    np.testing.assert_array_equal(smap > 0.5, inside)
    ell = _render([{"type": "ellipse", "center": [20.2, 14.9], "radius_x": 12.3, "radius_y": 6.1}])
    np.testing.assert_array_equal(ell > 0.5, ((xx - 20.2) / 12.3) ** 2 + ((yy - 14.9) / 6.1) ** 2 <= 1)


def test_mask_element_reads_a_file_relative_to_the_spec(tmp_path):
    mask = np.zeros((10, 20), np.uint8)
    mask[2:8, 5:15] = 255
    Image.fromarray(mask).save(tmp_path / "m.png")
    (tmp_path / "s.toml").write_text('size = [40, 20]\n[[elements]]\ntype = "mask"\nfile = "m.png"\n')
    smap = render_spec(SmapSpec.from_file(tmp_path / "s.toml"))
    assert smap.shape == (20, 40)
    assert smap[10, 20] == pytest.approx(1.0) and smap[1, 1] == 0 and smap[10, 35] == 0
    (tmp_path / "s2.toml").write_text(
        'size = [40, 20]\n[[elements]]\ntype = "rect"\nbox = [0, 0, 40, 20]\n'
        '[[suppress]]\ntype = "mask"\nfile = "m.png"\n'
    )
    suppressed = render_spec(SmapSpec.from_file(tmp_path / "s2.toml"))
    assert suppressed[10, 20] == 0 and suppressed[1, 1] == 1
    (tmp_path / "m.png").unlink()
    with pytest.raises(UserInputError, match="mask file not found"):
        render_spec(SmapSpec.from_file(tmp_path / "s.toml"))


def test_peak_normalisation_and_explicit_values():
    elements = [{"type": "gaussian", "center": [10, 10], "sigma": 4, "weight": 0.3}]
    assert _render(elements, peak=0.7).max() == pytest.approx(0.7)
    assert _render(elements, normalize="none").max() == pytest.approx(0.3)
    with pytest.raises(UserInputError, match="normalize='none'.*> 1"):
        _render(elements * 4, normalize="none")


def test_pixel_specs_scale_with_the_output_size():
    spec = {
        "size": [512, 256],
        "elements": [{"type": "gaussian", "center": [300, 100], "sigma_x": 40, "sigma_y": 20}],
    }
    half = {
        "size": [256, 128],
        "elements": [{"type": "gaussian", "center": [150, 50], "sigma_x": 20, "sigma_y": 10}],
    }
    np.testing.assert_array_equal(
        render_spec(SmapSpec.from_dict(spec), size=(256, 128)), render_spec(SmapSpec.from_dict(half))
    )


def test_keyframes_interpolate_linearly_and_hold_outside():
    moving = SmapSpec.from_dict(
        {
            "size": [64, 48],
            "elements": [
                {
                    "type": "gaussian",
                    "center": [{"t": 0.2, "value": [10, 10]}, {"t": 0.6, "value": [50, 30]}],
                    "sigma": [{"t": 0.2, "value": 3}, {"t": 0.6, "value": 7}],
                }
            ],
        }
    )

    def static(cx, cy, s):
        return _render([{"type": "gaussian", "center": [cx, cy], "sigma": s}], size=(64, 48))

    np.testing.assert_allclose(render_spec(moving, t=0.4), static(30, 20, 5), atol=1e-6)
    np.testing.assert_array_equal(render_spec(moving, t=0.0), static(10, 10, 3))
    np.testing.assert_array_equal(render_spec(moving), render_spec(moving, t=0.0))
    np.testing.assert_array_equal(render_spec(moving, t=1.0), static(50, 30, 7))
    with pytest.raises(UserInputError, match="t must be"):
        render_spec(moving, t=1.5)


def test_suppressed_region_holds_no_mass():
    smap = _render(
        [{"type": "rect", "box": [0, 0, 40, 30]}, {"type": "gaussian", "center": [20, 15], "sigma": 8}],
        suppress=[{"type": "rect", "box": [12, 8, 28, 22], "feather": 3}],
    )
    assert smap[8:22, 12:28].sum() == 0
    assert smap.max() == pytest.approx(1.0)
    # the feather rises smoothly outside the region: 1 - exp(-d^2/2) at d = 3 px = 1 feather sigma
    base = [
        {"type": "rect", "box": [0, 0, 40, 30], "weight": 0.5},
        {"type": "gaussian", "center": [20, 15], "sigma": 8, "weight": 0.5},
    ]
    ref = _render(base, normalize="none")
    raw = _render(base, suppress=[{"type": "rect", "box": [12, 8, 28, 22], "feather": 3}], normalize="none")
    assert raw[15, 30] / ref[15, 30] == pytest.approx(1 - np.exp(-0.5), abs=1e-6)  # 3 px right of column 27
    half = _render(
        base, suppress=[{"type": "rect", "box": [12, 8, 28, 22], "strength": 0.25}], normalize="none"
    )
    np.testing.assert_allclose(half[8:22, 12:28], 0.75 * ref[8:22, 12:28], rtol=1e-6)


def test_degrees_without_a_display_are_an_error():
    with pytest.raises(UserInputError, match="degrees: give a display"):
        _render([{"type": "gaussian", "center": [5, 5], "sigma": "1deg"}])
    with pytest.raises(UserInputError, match="size"):
        render_spec(SmapSpec.from_dict({"elements": [{"type": "rect", "box": [0, 0, 1, 1]}]}))


coord = st.floats(-10, 50, allow_nan=False)
length = st.floats(0.5, 20, allow_nan=False)
weight = st.floats(0.0, 1.0, allow_nan=False)
element = st.one_of(
    st.builds(
        lambda x, y, sx, sy, a, w: {
            "type": "gaussian",
            "center": [x, y],
            "sigma_x": sx,
            "sigma_y": sy,
            "angle": a,
            "weight": w,
        },
        coord,
        coord,
        length,
        length,
        st.floats(-180, 180),
        weight,
    ),
    st.builds(
        lambda x0, y0, x1, y1, e, w: {"type": "rect", "box": [x0, y0, x1, y1], "edge": e, "weight": w},
        coord,
        coord,
        coord,
        coord,
        st.floats(0, 5),
        weight,
    ),
    st.builds(
        lambda x, y, r, e, w: {"type": "ellipse", "center": [x, y], "radius": r, "edge": e, "weight": w},
        coord,
        coord,
        length,
        st.floats(0, 5),
        weight,
    ),
)
region = st.builds(
    lambda x0, y0, x1, y1, f: {"type": "rect", "box": [x0, y0, x1, y1], "feather": f},
    coord,
    coord,
    coord,
    coord,
    st.floats(0, 6),
)


@settings(max_examples=40, deadline=None)
@given(
    elements=st.lists(element, min_size=1, max_size=4),
    regions=st.lists(region, max_size=2),
    combine=st.sampled_from(["sum", "max"]),
    normalize=st.sampled_from(["peak", "none"]),
)
def test_rendered_maps_are_valid(elements, regions, combine, normalize):
    n = len(elements)
    scaled = [{**e, "weight": e["weight"] / n} for e in elements]  # keeps 'none' sums <= 1
    smap = _render(scaled, size=(40, 30), suppress=regions, combine=combine, normalize=normalize)
    assert smap.dtype == np.float32 and smap.shape == (30, 40)
    assert np.isfinite(smap).all() and smap.min() >= 0 and smap.max() <= 1
    if normalize == "peak" and smap.max() > 0:
        assert smap.max() == pytest.approx(1.0)
    for r in regions:  # every suppressed region holds no mass
        x0, x1 = sorted(r["box"][::2])
        y0, y1 = sorted(r["box"][1::2])
        yy, xx = np.mgrid[0:30, 0:40]
        assert smap[(xx >= x0) & (xx < x1) & (yy >= y0) & (yy < y1)].sum() == 0


@settings(max_examples=30, deadline=None)
@given(elements=st.lists(element, min_size=1, max_size=4))
def test_max_combination_is_at_most_the_sum(elements):
    n = len(elements)
    scaled = [{**e, "weight": e["weight"] / n} for e in elements]
    as_max = _render(scaled, combine="max", normalize="none")
    as_sum = _render(scaled, combine="sum", normalize="none")
    assert (as_max <= as_sum + 1e-6).all()
    singles = [_render([e], normalize="none") for e in scaled]
    np.testing.assert_allclose(as_max, np.max(singles, axis=0), atol=1e-6)
    np.testing.assert_allclose(as_sum, np.sum(singles, axis=0), atol=1e-6)
