"""The original's visualisation: a sample blended with its smap in the JET colormap.

GazeFusion's ``generate.py`` turned the hint back into 8-bit (``control = hint * 2 - 1``, then
``((x + 1) / 2 * 255).astype(uint8)`` in float32, which truncates: levels 1..63 come out one
lower), coloured it with OpenCV's ``cv2.applyColorMap(..., cv2.COLORMAP_JET)`` (BGR, converted to
RGB), and blended ``(alpha * sample + (1 - alpha) * colour).astype(uint8)`` in float32 (truncating)
with alpha = 0.5. :func:`jet_overlay` repeats exactly those steps. OpenCV's JET table differs
from matplotlib's ``jet`` by a few levels; we use OpenCV's, as the original did.
"""

from __future__ import annotations

import numpy as np

from gazefusion.errors import UserInputError
from gazefusion.smaps.io import validate_smap


def original_uint8(smap: np.ndarray) -> np.ndarray:
    """The 8-bit map the original coloured: its float32 round trip through [-1, 1], truncated."""
    s = validate_smap(smap).astype(np.float32)
    control = np.clip(s * np.float32(2.0) - np.float32(1.0), -1.0, 1.0)
    return ((control + np.float32(1.0)) / np.float32(2.0) * np.float32(255)).astype(np.uint8)


def jet_colormap(smap: np.ndarray) -> np.ndarray:
    """``smap`` coloured with OpenCV's JET as uint8 RGB (H, W, 3), as the original did."""
    import cv2

    return cv2.cvtColor(cv2.applyColorMap(original_uint8(smap), cv2.COLORMAP_JET), cv2.COLOR_BGR2RGB)


def jet_overlay(image: np.ndarray, smap: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """Blend ``image`` (uint8 RGB, H x W x 3) with ``smap`` (float32 H x W in [0, 1]) in JET.

    ``alpha`` is the image's weight (the original used 0.5). Returns uint8 (H, W, 3).
    """
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        shape = getattr(image, "shape", None)
        raise UserInputError(
            f"image must be a uint8 (H, W, 3) RGB array, got {getattr(image, 'dtype', type(image))} {shape}"
        )
    smap = validate_smap(smap)
    if smap.shape != image.shape[:2]:
        raise UserInputError(f"smap shape {smap.shape} must match the image's (H, W) = {image.shape[:2]}")
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0.0 <= alpha <= 1.0:
        raise UserInputError(f"alpha must be a number in [0, 1], got {alpha!r}")
    a = np.float32(alpha)
    blend = a * image.astype(np.float32) + (np.float32(1.0) - a) * jet_colormap(smap).astype(np.float32)
    return blend.astype(np.uint8)
