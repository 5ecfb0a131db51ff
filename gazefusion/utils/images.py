"""Image-file I/O shared by every command: listing folders, reading RGB images and grey maps.

Conventions:
- RGB images come back as ``uint8`` arrays of shape (H, W, 3).
- Grey maps come back as ``float32`` (H, W) in [0, 1]: the stored integer divided by the
  format's maximum (255 for 8-bit, 65535 for 16-bit), nothing else (no re-normalisation).
  Colour files are converted with PIL's ITU-R 601-2 luma ("L"); an alpha channel is ignored.
Unreadable files raise :class:`~gazefusion.errors.UserInputError` naming the file.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from gazefusion.errors import UserInputError

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".gif")
#: Grey maps may also be stored as NumPy arrays (float, any range handled by the caller).
MAP_EXTENSIONS = (*IMAGE_EXTENSIONS, ".npy")


def list_images(
    folder: str | os.PathLike, extensions: tuple[str, ...] = IMAGE_EXTENSIONS, recursive: bool = False
) -> list[Path]:
    """Image files in ``folder`` (sorted by path), by extension, case-insensitive."""
    root = Path(folder)
    if not root.is_dir():
        raise UserInputError(f"folder not found: {root}")
    pattern = "**/*" if recursive else "*"
    return sorted(p for p in root.glob(pattern) if p.is_file() and p.suffix.lower() in extensions)


def _open(path: str | os.PathLike) -> Image.Image:
    p = Path(path)
    if not p.is_file():
        raise UserInputError(f"image file not found: {p}")
    try:
        img = Image.open(p)
        img.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UserInputError(f"cannot read image {p}: {exc}") from None
    return img


def image_size(path: str | os.PathLike) -> tuple[int, int]:
    """(width, height) in pixels of an image file, from its header (the pixels are not decoded)."""
    p = Path(path)
    if not p.is_file():
        raise UserInputError(f"image file not found: {p}")
    try:
        with Image.open(p) as img:
            return img.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UserInputError(f"cannot read image {p}: {exc}") from None


def read_rgb(path: str | os.PathLike) -> np.ndarray:
    """Read an image file as ``uint8`` RGB (H, W, 3); grey and palette images are expanded."""
    img = _open(path)
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(img, dtype=np.float64) / 65535.0
        img = Image.fromarray(np.clip(np.round(arr * 255), 0, 255).astype(np.uint8))
    return np.array(img.convert("RGB"), dtype=np.uint8)  # a writable copy (torch wants one)


def read_gray(path: str | os.PathLike) -> np.ndarray:
    """Read a grey map as ``float32`` (H, W) in [0, 1] (stored value / format maximum).

    ``.npy`` files are returned as float32 unchanged (the caller validates their range).
    """
    p = Path(path)
    if p.suffix.lower() == ".npy":
        if not p.is_file():
            raise UserInputError(f"map file not found: {p}")
        try:
            arr = np.load(p, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise UserInputError(f"cannot read map {p}: {exc}") from None
        if arr.ndim != 2:
            raise UserInputError(f"map {p} must be 2-D (H, W), found shape {arr.shape}")
        return arr.astype(np.float32)
    img = _open(p)
    if img.mode in ("I;16", "I;16B", "I;16L"):
        return (np.asarray(img, dtype=np.float64) / 65535.0).astype(np.float32)
    if img.mode == "I":
        arr = np.asarray(img, dtype=np.float64)
        scale = 65535.0 if arr.max(initial=0) > 255 else 255.0
        return (arr / scale).astype(np.float32)
    if img.mode == "F":
        return np.asarray(img, dtype=np.float32)
    if img.mode in ("RGBA", "LA", "PA"):
        img = img.convert("RGB" if img.mode != "LA" else "L")
    if img.mode != "L":
        img = img.convert("L")
    return (np.asarray(img, dtype=np.float32) / np.float32(255.0)).astype(np.float32)


def write_gray(path: str | os.PathLike, gray: np.ndarray, bits: int = 8) -> None:
    """Write a float map in [0, 1] as an 8- or 16-bit grey PNG (rounded, atomically).

    A ``uint8`` array is written as it is (8-bit), for callers that quantised it themselves.
    """
    from gazefusion.utils.atomic import atomic_path

    if isinstance(gray, np.ndarray) and gray.dtype == np.uint8 and bits == 8:
        if gray.ndim != 2:
            raise UserInputError(f"grey map must be 2-D (H, W), found shape {gray.shape}")
        with atomic_path(path, suffix=".png") as tmp:
            Image.fromarray(np.ascontiguousarray(gray), mode="L").save(tmp, format="PNG")
        return
    arr = np.asarray(gray, dtype=np.float64)
    if arr.ndim != 2:
        raise UserInputError(f"grey map must be 2-D (H, W), found shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise UserInputError("grey map contains NaN or inf")
    if bits == 8:
        img = Image.fromarray(np.clip(np.round(arr * 255.0), 0, 255).astype(np.uint8), mode="L")
    elif bits == 16:
        img = Image.fromarray(np.clip(np.round(arr * 65535.0), 0, 65535).astype(np.uint16))
    else:
        raise UserInputError(f"bits must be 8 or 16, got {bits}")
    with atomic_path(path, suffix=".png") as tmp:
        img.save(tmp, format="PNG")


def write_rgb(path: str | os.PathLike, rgb: np.ndarray) -> None:
    """Write a ``uint8`` (H, W, 3) image; the format follows the extension (atomically)."""
    from gazefusion.utils.atomic import atomic_path

    p = Path(path)
    with atomic_path(p) as tmp:
        Image.fromarray(np.asarray(rgb, dtype=np.uint8)).save(
            tmp, format=Image.registered_extensions().get(p.suffix.lower(), "PNG")
        )
