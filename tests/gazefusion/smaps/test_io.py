"""Loading, saving and validating smap files: /255 only, never re-normalised."""

import numpy as np
import pytest
from PIL import Image

from gazefusion.errors import UserInputError
from gazefusion.smaps import load_smap, quantize_smap, resize_smap, save_smap, validate_smap


def _peak_178() -> np.ndarray:
    arr = np.zeros((24, 32), dtype=np.uint8)
    arr[10, 20] = 178
    arr[3, 4] = 17
    return arr


def test_8bit_peak_178_is_not_renormalised(tmp_path):
    path = tmp_path / "m.png"
    Image.fromarray(_peak_178(), mode="L").save(path)
    smap = load_smap(path)
    assert smap.dtype == np.float32 and smap.shape == (24, 32)
    assert smap.max() == np.float32(178 / 255)
    assert smap[3, 4] == np.float32(17 / 255)


def test_16bit_is_divided_by_65535(tmp_path):
    arr = np.zeros((8, 9), dtype=np.uint16)
    arr[2, 3], arr[4, 5] = 40000, 65535
    path = tmp_path / "m16.png"
    Image.fromarray(arr).save(path)
    smap = load_smap(path)
    assert smap[2, 3] == pytest.approx(40000 / 65535, abs=1e-7)
    assert smap[4, 5] == 1.0


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_colour_files_give_luma_of_grey_pixels(tmp_path, mode):
    grey = _peak_178()
    channels = [grey, grey, grey] + ([np.full_like(grey, 7)] if mode == "RGBA" else [])
    path = tmp_path / f"m_{mode}.png"
    Image.fromarray(np.stack(channels, axis=-1), mode=mode).save(path)
    np.testing.assert_array_equal(load_smap(path), grey.astype(np.float32) / np.float32(255))


@pytest.mark.parametrize("bits", [8, 16])
def test_save_then_load_gives_the_quantised_map(tmp_path, bits):
    rng = np.random.default_rng(0)
    smap = rng.random((13, 17), dtype=np.float32)
    save_smap(tmp_path / "s.png", smap, bits=bits)
    loaded = load_smap(tmp_path / "s.png")
    np.testing.assert_array_equal(loaded, quantize_smap(smap, bits=bits))
    assert np.abs(loaded - smap).max() <= 0.5 / (2**bits - 1) + 1e-7


@pytest.mark.parametrize(
    ("arr", "match"),
    [
        pytest.param(np.full((4, 4), np.nan, np.float32), "NaN", id="nan"),
        pytest.param(np.array([[0.0, np.inf]]), "NaN/inf", id="inf"),
        pytest.param(np.array([[0.0, 1.5]]), r"\[0, 1\].*1\.5", id="above-1"),
        pytest.param(np.array([[-0.1, 0.5]]), r"\[0, 1\]", id="negative"),
        pytest.param(np.zeros((2, 2, 3), np.float32), "2-D", id="3d"),
        pytest.param(np.zeros((0, 4), np.float32), "empty", id="empty"),
        pytest.param(np.zeros((4, 4), np.uint8), "dtype uint8", id="uint8"),
        pytest.param([[0.1, 0.2]], "NumPy array", id="list"),
    ],
)
def test_validate_rejects_bad_maps(arr, match):
    with pytest.raises(UserInputError, match=match):
        validate_smap(arr, name="my_map")


def test_validate_names_the_argument_and_returns_float32():
    with pytest.raises(UserInputError, match="^hint "):
        validate_smap(np.full((2, 2), np.nan), name="hint")
    out = validate_smap(np.array([[0.0, 1.0]], dtype=np.float64))
    assert out.dtype == np.float32


def test_save_rejects_nan(tmp_path):
    with pytest.raises(UserInputError, match="NaN"):
        save_smap(tmp_path / "x.png", np.full((3, 3), np.nan, np.float32))
    assert not (tmp_path / "x.png").exists()


def test_missing_file_is_a_user_error(tmp_path):
    with pytest.raises(UserInputError, match="not found"):
        load_smap(tmp_path / "nope.png")


def test_resize_keeps_a_constant_map_and_the_range():
    const = np.full((10, 20), 0.25, np.float32)
    np.testing.assert_allclose(resize_smap(const, (7, 5)), 0.25, atol=1e-6)
    rng = np.random.default_rng(1)
    out = resize_smap(rng.random((16, 16)).astype(np.float32), (40, 24))
    assert out.shape == (24, 40) and 0 <= out.min() and out.max() <= 1
    with pytest.raises(UserInputError, match="size"):
        resize_smap(const, (0, 5))
