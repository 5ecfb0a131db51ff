"""jet_overlay reproduces the original generate.py's 'combined' image."""

import struct

import numpy as np
import pytest

from gazefusion.errors import UserInputError
from gazefusion.smaps import jet_overlay
from gazefusion.smaps.overlay import original_uint8


def test_endpoints_of_opencv_jet_blended_half_and_half():
    black = np.zeros((2, 3, 3), np.uint8)
    # OpenCV's JET: 0 -> dark blue (RGB 0, 0, 128), 255 -> dark red (128, 0, 0); halved and truncated
    np.testing.assert_array_equal(
        jet_overlay(black, np.ones((2, 3), np.float32)), np.full((2, 3, 3), [64, 0, 0])
    )
    np.testing.assert_array_equal(
        jet_overlay(black, np.zeros((2, 3), np.float32)), np.full((2, 3, 3), [0, 0, 64])
    )
    white = np.full((1, 1, 3), 255, np.uint8)
    np.testing.assert_array_equal(jet_overlay(white, np.ones((1, 1), np.float32)), [[[191, 127, 127]]])
    np.testing.assert_array_equal(jet_overlay(white, np.ones((1, 1), np.float32), alpha=1.0), white)


def _f32(x: float) -> float:
    """Round a Python float to float32. Double-precision +, -, *, / followed by this rounding equal
    the correctly rounded float32 operation (53 >= 2 * 24 + 2 bits), so this emulates the GPU."""
    return struct.unpack("f", struct.pack("f", x))[0]


def test_uint8_round_trip_matches_the_original_float32_arithmetic():
    """The original: hint = v / 255 (float32); control = hint * 2 - 1 (cldm log_images);
    to_output_format: ((control + 1) / 2 * 255).astype(uint8), truncating."""
    expected = []
    for v in range(256):
        hint = _f32(v / 255)
        control = _f32(_f32(hint * 2.0) - 1.0)
        expected.append(int(_f32(_f32(_f32(control + 1.0) / 2.0) * 255.0)))
    smap = (np.arange(256, dtype=np.float32) / np.float32(255)).reshape(16, 16)
    np.testing.assert_array_equal(original_uint8(smap).ravel(), expected)
    assert expected[1:64] == list(range(0, 63)) and expected[64:] == list(range(64, 256))  # 1..63 lose one


def test_bad_inputs():
    img = np.zeros((4, 4, 3), np.uint8)
    with pytest.raises(UserInputError, match="must match"):
        jet_overlay(img, np.zeros((4, 5), np.float32))
    with pytest.raises(UserInputError, match="uint8"):
        jet_overlay(img.astype(np.float32), np.zeros((4, 4), np.float32))
    with pytest.raises(UserInputError, match="NaN"):
        jet_overlay(img, np.full((4, 4), np.nan, np.float32))
    with pytest.raises(UserInputError, match="alpha"):
        jet_overlay(img, np.zeros((4, 4), np.float32), alpha=2)
