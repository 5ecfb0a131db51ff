"""Square training crops, exactly as GazeFusion's ``process.py`` cuts them.

An image's shorter side is resized to ``resolution`` with torchvision's ``resize(int)`` (bilinear,
antialiased: torchvision's default since 0.17, the original ran 0.20.1); the longer side becomes
``int(resolution * long / short)``. Square crops are taken along the longer side at offsets
``0, stride, 2*stride, ...`` (``(L - R) // stride + 1`` of them) plus one crop flush with the far
end when ``(L - R) % stride >= stride // 2``. The default stride is ``resolution // 2``.

Boxes are ``(left, top, right, bottom)`` in pixels of the *resized* image, right/bottom exclusive.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import numpy as np
from pydantic import AfterValidator

from gazefusion.errors import UserInputError

#: Crops whose mean pixel value (0-255) is at most this are dropped (the original's near-black filter).
DARK_CROP_MEAN = 1.0


def _multiple_of_8(value: int) -> int:
    if value < 8 or value % 8:
        raise ValueError("a positive multiple of 8")
    return value


#: A configuration's crop side / training resolution in px: a positive multiple of 8 (the VAE's
#: downsampling factor); another value is the config's one-line error.
CropResolution = Annotated[int, AfterValidator(_multiple_of_8)]


@dataclass(frozen=True)
class CropBox:
    """One square crop of the resized image: ``index`` counts from 1 as in the original's file names."""

    index: int
    left: int
    top: int
    right: int
    bottom: int

    @property
    def box(self) -> tuple[int, int, int, int]:
        return (self.left, self.top, self.right, self.bottom)


def resized_size(width: int, height: int, resolution: int) -> tuple[int, int]:
    """(width, height) after torchvision ``resize(img, resolution)`` (shorter side to ``resolution``)."""
    if width <= 0 or height <= 0:
        raise UserInputError(f"image size must be positive, found {width}x{height}")
    short, long = (width, height) if width <= height else (height, width)
    new_long = int(resolution * long / short)
    return (resolution, new_long) if width <= height else (new_long, resolution)


def crop_boxes(width: int, height: int, resolution: int = 512, stride: int | None = None) -> list[CropBox]:
    """Crop boxes of an image already resized so that its shorter side equals ``resolution``."""
    stride = resolution // 2 if stride is None else stride
    if resolution <= 0 or stride <= 0:
        raise UserInputError(f"resolution and stride must be positive, found {resolution} and {stride}")
    if min(width, height) != resolution:
        raise UserInputError(
            f"image must have its shorter side equal to the resolution {resolution}, found {width}x{height}"
        )
    landscape = height <= width
    extra = max(width, height) - resolution
    offsets = [i * stride for i in range(extra // stride + 1)]
    if extra % stride >= stride // 2 and offsets[-1] != extra:
        offsets.append(extra)
    boxes = []
    for index, off in enumerate(offsets, start=1):
        if landscape:
            boxes.append(CropBox(index, off, 0, off + resolution, resolution))
        else:
            boxes.append(CropBox(index, 0, off, resolution, off + resolution))
    return boxes


def resize_shorter_side(image, resolution: int):
    """torchvision ``resize(image, resolution)`` of a uint8 (3, H, W) tensor, antialiased bilinear."""
    from torchvision.transforms.functional import InterpolationMode, resize

    return resize(image, [resolution], interpolation=InterpolationMode.BILINEAR, antialias=True)


def cut_crops(image, resolution: int = 512, stride: int | None = None) -> list[tuple[CropBox, np.ndarray]]:
    """Resize a uint8 (3, H, W) tensor and cut it into (box, uint8 (R, R, 3) array) crops."""
    resized = resize_shorter_side(image, resolution)
    height, width = resized.shape[-2:]
    hwc = resized.permute(1, 2, 0).contiguous().numpy()
    return [
        (b, np.ascontiguousarray(hwc[b.top : b.bottom, b.left : b.right]))
        for b in crop_boxes(width, height, resolution, stride)
    ]


def is_dark(crop: np.ndarray) -> bool:
    """True for a near-black crop (mean of all values, 0-255 scale, at most :data:`DARK_CROP_MEAN`)."""
    import torch

    return torch.as_tensor(np.asarray(crop)).float().mean().item() <= DARK_CROP_MEAN
