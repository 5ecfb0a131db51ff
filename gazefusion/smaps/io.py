"""Smap files: load, save, validate and resize maps in the toolkit's convention.

A loaded file is divided by its format maximum only (255 for 8-bit, 65535 for 16-bit): it is
never re-normalised, because the original checkpoint was trained on hints read exactly that way
(the original's ``smap1`` peaks at 178/255).
"""

from __future__ import annotations

import os

import numpy as np
from PIL import Image

from gazefusion.errors import UserInputError
from gazefusion.utils.images import read_gray, write_gray


def validate_smap(arr: object, name: str = "smap") -> np.ndarray:
    """Check that ``arr`` is a saliency map and return it as float32 (H, W) in [0, 1].

    Raises :class:`UserInputError` (naming ``name``) for a non-array, a non-float dtype (an integer
    map is ambiguous: divide it by its format maximum first), ndim != 2, an empty map, NaN/inf,
    or values outside [0, 1]. Nothing is clipped or rescaled.
    """
    if not isinstance(arr, np.ndarray):
        raise UserInputError(f"{name} must be a NumPy array (H, W), got {type(arr).__name__}")
    if not np.issubdtype(arr.dtype, np.floating):
        raise UserInputError(
            f"{name} must be a float array in [0, 1], got dtype {arr.dtype} "
            "(divide integer maps by their format maximum, e.g. 255, or use load_smap)"
        )
    if arr.ndim != 2:
        raise UserInputError(f"{name} must be 2-D (H, W), got shape {arr.shape}")
    if arr.size == 0:
        raise UserInputError(f"{name} must not be empty, got shape {arr.shape}")
    finite = np.isfinite(arr)
    if not finite.all():
        raise UserInputError(f"{name} must be finite, found {int((~finite).sum())} NaN/inf values")
    lo, hi = float(arr.min()), float(arr.max())
    if lo < 0.0 or hi > 1.0:
        raise UserInputError(f"{name} values must lie in [0, 1], found range [{lo:.6g}, {hi:.6g}]")
    return np.ascontiguousarray(arr, dtype=np.float32)


def load_smap(path: str | os.PathLike) -> np.ndarray:
    """Read a map file (grey/RGB/RGBA, 8/16-bit PNG etc., or ``.npy``) as float32 (H, W) in [0, 1].

    The stored integer is divided by the format maximum and nothing else; colour files are
    converted to luma by :func:`gazefusion.utils.images.read_gray` (alpha ignored).
    """
    return validate_smap(read_gray(path), name=f"smap file {os.fspath(path)}")


def save_smap(path: str | os.PathLike, smap: np.ndarray, bits: int = 8) -> None:
    """Write ``smap`` as an 8- or 16-bit grey PNG (value x format maximum, rounded), atomically."""
    write_gray(path, validate_smap(smap), bits=bits)


def quantize_smap(smap: np.ndarray, bits: int = 8) -> np.ndarray:
    """Round ``smap`` to the levels of a ``bits``-bit file: what :func:`load_smap` would return
    after :func:`save_smap`."""
    if bits not in (8, 16):
        raise UserInputError(f"bits must be 8 or 16, got {bits}")
    top = float(2**bits - 1)
    levels = np.round(validate_smap(smap).astype(np.float64) * top)
    return (levels.astype(np.float32) / np.float32(top)).astype(np.float32)


def resize_smap(smap: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize ``smap`` to ``size`` = (width, height) px with antialiased bilinear on the float map
    (PIL mode "F"), clipped to [0, 1]. Returns the input unchanged when the size already matches."""
    smap = validate_smap(smap)
    width, height = check_size(size, "size")
    if smap.shape == (height, width):
        return smap
    img = Image.fromarray(smap).resize((width, height), Image.Resampling.BILINEAR)
    return np.clip(np.asarray(img, dtype=np.float32), 0.0, 1.0)


def check_size(size: object, name: str) -> tuple[int, int]:
    """Validate a (width, height) pair of positive integers, each at most
    :data:`~gazefusion.limits.MAX_MAP_SIDE_PX`."""
    from gazefusion.limits import check_map_size

    ok = (
        isinstance(size, (tuple, list))
        and len(size) == 2
        and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v > 0 for v in size)
    )
    if not ok:
        raise UserInputError(f"{name} must be (width, height) in positive integer pixels, got {size!r}")
    check_map_size(int(size[0]), int(size[1]), name)
    return int(size[0]), int(size[1])
