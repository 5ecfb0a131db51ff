"""Shipped smaps: PAPER.md statistics of the smap1/smap2 look-alikes, reproducibility, resolve_smap."""

import shutil

import numpy as np
import pytest
from PIL import Image

from gazefusion.errors import UserInputError
from gazefusion.smaps import (
    DEFAULT_SMAP,
    SmapSpec,
    assets_dir,
    build_assets,
    builtin_names,
    builtin_spec,
    load_smap,
    render_spec,
    resolve_smap,
    smap_stats,
)


def _half_max_width(line: np.ndarray) -> int:
    above = np.nonzero(line >= line.max() / 2)[0]
    return int(above[-1] - above[0] + 1)


def test_builtins_cover_the_issue_list():
    names = set(builtin_names())
    expected = {
        "blob_top_left",
        "blob_top",
        "blob_top_right",
        "blob_left",
        "blob_center",
        "blob_right",
        "blob_bottom_left",
        "blob_bottom",
        "blob_bottom_right",
    }
    assert expected <= names
    assert {"smap1", "smap2", "two_blobs"} <= names
    assert any(n.startswith("suppress") for n in names)
    assert DEFAULT_SMAP == "smap1"
    for name in names:
        assert (assets_dir() / f"{name}.png").is_file()
        assert builtin_spec(name).description


def test_smap1_lookalike_matches_paper_statistics():
    raw = np.asarray(Image.open(assets_dir() / "smap1.png"))
    assert raw.dtype == np.uint8 and raw.shape == (512, 512)
    assert raw.max() == 178  # not normalised to 255
    assert raw[301, 406] == 178  # peak location (on the 178 plateau)
    st = smap_stats(load_smap(assets_dir() / "smap1.png"))
    assert st.mean * 255 == pytest.approx(27.8, abs=0.5)
    assert st.centroid_xy == pytest.approx((381, 306), abs=2)
    assert raw[0, 0] == raw[0, 511] == raw[511, 0] == 0  # zero in the far corners
    # half-maximum widths: vertical ~181 px; horizontally the right half is cut by the border,
    # so twice the left half-width is compared with ~224 px (sigma_x ~ 95 px)
    assert _half_max_width(raw[:, 406].astype(float)) == pytest.approx(181, abs=6)
    left = 406 - np.nonzero(raw[301] >= 89)[0][0]
    assert 2 * left == pytest.approx(224, abs=8)


def test_smap2_lookalike_matches_paper_statistics():
    raw = np.asarray(Image.open(assets_dir() / "smap2.png")).astype(float)
    assert raw.max() == 255 and raw[282, 306] == 255
    rendered = render_spec(builtin_spec("smap2"))
    assert np.unravel_index(np.argmax(rendered), rendered.shape) == (282, 306)
    assert _half_max_width(raw[282]) == pytest.approx(82, abs=4)
    assert _half_max_width(raw[:, 306]) == pytest.approx(82, abs=4)
    assert raw.mean() == pytest.approx(24.8, abs=0.5)
    # faint haze over the lower two thirds, darkness above; away from the peak
    yy, xx = np.indices(raw.shape)
    far = (xx - 306) ** 2 + (yy - 282) ** 2 > 100**2
    lower, upper = raw[far & (yy > 200)].mean(), raw[far & (yy < 120)].mean()
    assert 10 < lower < 60 and upper < 3


def test_shipped_pngs_are_byte_reproducible_from_their_specs(tmp_path):
    for path in assets_dir().glob("*.toml"):
        shutil.copy(path, tmp_path / path.name)
    changed = build_assets(tmp_path)
    assert set(changed) == set(builtin_names()) and all(changed.values())  # all freshly written
    for name in builtin_names():
        assert (tmp_path / f"{name}.png").read_bytes() == (assets_dir() / f"{name}.png").read_bytes(), name
    assert not any(build_assets(tmp_path, check=True).values())


def test_build_assets_check_detects_a_stale_png(tmp_path):
    shutil.copy(assets_dir() / "blob_center.toml", tmp_path / "blob_center.toml")
    Image.fromarray(np.zeros((512, 512), np.uint8)).save(tmp_path / "blob_center.png")
    assert build_assets(tmp_path, check=True) == {"blob_center": True}
    assert not np.any(load_smap(tmp_path / "blob_center.png"))  # --check writes nothing


def test_resolve_builtin_file_and_spec(tmp_path):
    smap, what = resolve_smap("smap1")
    assert smap.max() == np.float32(178 / 255) and "built-in 'smap1'" in what
    np.testing.assert_array_equal(resolve_smap("smap1.png")[0], smap)  # the original's spelling
    small, what = resolve_smap("smap1", size=(256, 256))
    assert small.shape == (256, 256) and "rendered from its spec" in what
    assert np.array_equal(small * 255, np.round(small * 255))  # 8-bit levels like the file

    Image.fromarray(np.full((10, 20), 51, np.uint8)).save(tmp_path / "m.png")
    from_file, what = resolve_smap(tmp_path / "m.png")
    assert from_file.shape == (10, 20) and from_file.max() == np.float32(0.2)
    resized, what = resolve_smap(str(tmp_path / "m.png"), size=(40, 20))
    assert resized.shape == (20, 40) and "resized to 40x20" in what

    spec = builtin_spec("two_blobs")
    spec.to_file(tmp_path / "s.json")
    np.testing.assert_array_equal(resolve_smap(tmp_path / "s.json")[0], render_spec(spec))
    np.testing.assert_array_equal(resolve_smap(spec, size=(64, 64))[0], render_spec(spec, size=(64, 64)))
    assert isinstance(spec, SmapSpec)


def test_resolve_adapts_degree_builtins_to_a_display():
    from gazefusion.geometry import DisplayGeometry

    native, _ = resolve_smap("blob_5deg_right")
    far = DisplayGeometry(width_px=1920, height_px=1080, width_cm=53.1, distance_cm=120.0)
    adapted, what = resolve_smap("blob_5deg_right", geometry=far)
    assert "rendered from its spec" in what
    assert (adapted > 0.5).sum() > 3 * (native > 0.5).sum()  # twice the px/deg: ~4x the area


def test_missing_smap_lists_the_builtins(tmp_path):
    with pytest.raises(UserInputError, match="no such file and not a built-in.*smap1.*two_blobs"):
        resolve_smap(tmp_path / "missing.png")
    with pytest.raises(UserInputError, match="built-ins:"):
        resolve_smap("smap9")
    with pytest.raises(UserInputError, match="spec file not found"):
        SmapSpec.from_file(tmp_path / "missing.toml")
