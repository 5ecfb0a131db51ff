"""The app's smap design operations: spec export reproduced by `gazefusion smap render`, degrees,
bad input, and the session folder."""

from __future__ import annotations

import numpy as np
import pytest

from gazefusion.app import design as dz
from gazefusion.app.session import Session
from gazefusion.errors import UserInputError
from gazefusion.geometry import DisplayGeometry


def _canvas(w: int = 64, h: int = 48) -> dz.Design:
    return dz.with_canvas(
        dz.Design(), w, h, DisplayGeometry(width_px=1920, height_px=1080, width_cm=53.1, distance_cm=60.0)
    )


def test_blob_is_the_gaussian_formula_at_8_bit_levels():
    d = dz.add_blob(_canvas(), 20.0, 30.0, 5.0)
    smap = dz.render_design(d)
    yy, xx = np.mgrid[0:48, 0:64]
    expected = np.exp(-((xx - 20.0) ** 2 + (yy - 30.0) ** 2) / (2 * 5.0**2))
    np.testing.assert_array_equal(np.round(smap * 255), np.round(expected * 255))
    assert np.all(np.round(smap * 255) == smap * np.float32(255))  # on 8-bit levels


def test_sigma_in_degrees_uses_the_display_geometry():
    geometry = DisplayGeometry(width_px=1920, height_px=1080, width_cm=53.1, distance_cm=60.0)
    d = dz.add_blob(_canvas(64, 64), 32.0, 32.0, 2.0, unit="deg")
    row = dz.render_design(d)[32].astype(np.float64)
    # a 64 px image full-screen on 1080 px: one image px is 1080/64 screen px
    sigma_px = 2.0 * geometry.px_per_deg / (1080 / 64)
    expected = np.exp(-((np.arange(64) - 32.0) ** 2) / (2 * sigma_px**2))
    np.testing.assert_allclose(row, expected, atol=0.5 / 255 + 1e-6)


def test_suppression_disc_zeroes_its_inside_and_undo_removes_it():
    d = dz.add_blob(_canvas(), 32.0, 24.0, 20.0)
    d2 = dz.add_disc(d, 32.0, 24.0, 6.0)
    smap = dz.render_design(d2)
    assert smap[24, 32] == 0 and smap[24, 45] > 0.5
    np.testing.assert_array_equal(dz.render_design(dz.undo_click(d2)), dz.render_design(d))


def test_strokes_soft_edge_and_weight():
    stroke = np.zeros((96, 128), np.float32)  # painted at another size: resized to the canvas
    stroke[40:56, :] = 1.0
    d = dz.with_strokes(_canvas(), stroke, None, softness_px=0.0, stroke_weight=0.6)
    hard = dz.render_design(d)
    assert hard[24, 10] == pytest.approx(round(0.6 * 255) / 255) and hard[5, 10] == 0
    soft = dz.render_design(dz.with_strokes(d, stroke, None, softness_px=3.0))
    assert 0 < soft[17, 10] < soft[24, 10]  # the edge is blurred


def test_exported_spec_is_reproduced_by_smap_render(tmp_path):
    from gazefusion.cli import main
    from gazefusion.smaps import load_smap

    paint = np.zeros((48, 64), np.float32)
    paint[10:14, 5:60] = 1.0
    erase = np.zeros((48, 64), np.float32)
    erase[30:40, 30:40] = 1.0
    d = dz.base_from_builtin(_canvas(), "smap1")
    d = dz.with_strokes(d, paint, erase, softness_px=2.0, stroke_weight=0.8)
    d = dz.add_disc(dz.add_blob(d, 10.0, 40.0, 1.5, unit="deg"), 50.0, 10.0, 4.0, feather=2.0)
    spec_path, png, smap = dz.write_design(d, tmp_path / "export")
    assert {p.name for p in (tmp_path / "export").iterdir()} == {
        "smap.toml",
        "smap.png",
        "base.png",
        "attention.png",
        "suppress.png",
    }
    again = tmp_path / "again.png"
    with pytest.raises(SystemExit) as exit_info:
        main(["smap", "render", str(spec_path), "-o", str(again)])
    assert exit_info.value.code in (0, None)
    np.testing.assert_array_equal(load_smap(again), load_smap(png))
    np.testing.assert_array_equal(load_smap(png), smap)
    assert smap.max() > 0


@pytest.mark.parametrize(
    ("make", "match"),
    [
        pytest.param(lambda: dz.render_design(_canvas()), "map is empty", id="nothing"),
        pytest.param(
            lambda: dz.render_design(dz.add_disc(dz.add_blob(_canvas(), 5, 5, 1.0), 5, 5, 30.0)),
            "all zero",
            id="all-suppressed",
        ),
        pytest.param(
            lambda: dz.with_canvas(dz.Design(), 100, 64, dz.DEFAULT_LAB_DISPLAY), "multiple of 8", id="size"
        ),
        pytest.param(lambda: dz.add_blob(_canvas(), 500, 5, 3.0), "position", id="off-canvas"),
        pytest.param(lambda: dz.add_blob(_canvas(), 5, 5, 0.0), "size", id="zero-sigma"),
        pytest.param(lambda: dz.display_from_fields(1920, 1080, 0, 60), "screen width", id="display"),
    ],
)
def test_bad_input_is_a_one_line_error(make, match):
    with pytest.raises(UserInputError, match=match) as info:
        make()
    assert "\n" not in str(info.value)


def test_non_image_upload_is_a_clear_error(tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("not an image")
    d = _canvas()
    with pytest.raises(UserInputError, match="cannot read image"):
        dz.base_from_file(d, bad)


def test_photo_base_is_the_scorers_prediction(tmp_path):
    from gazefusion.saliency import get_saliency_model
    from gazefusion.utils.images import write_rgb

    rng = np.random.default_rng(0)
    photo = rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)
    write_rgb(tmp_path / "photo.png", photo)
    d = dz.base_from_photo(_canvas(), tmp_path / "photo.png", "centre-bias")
    np.testing.assert_array_equal(d.base, get_saliency_model("centre-bias").predict(photo)[0])


def test_session_folders_are_numbered_and_never_reused(tmp_path):
    session = Session.open(tmp_path / "s")
    a, b = session.new_folder("runs"), session.new_folder("runs")
    assert (a.name, b.name) == ("0001", "0002")
    b.rmdir()
    (a / "keep").write_text("x")
    assert session.new_folder("runs").name == "0002" and (a / "keep").read_text() == "x"
    assert session.history() == []
