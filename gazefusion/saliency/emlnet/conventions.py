"""EML-Net's two pre-/post-processing conventions, pinned to the originals (each detail moves maps >1e-3).

``scorer`` — EML-Net's ``eval_combined.py`` then brought to the image size (model-based evaluation):
    1. PIL bilinear resize of the uint8 RGB image to 640x480 (W x H), still uint8 (torchvision
       ``Resize`` on a PIL image); 2. ``ToTensor`` ([0, 1], no mean/std); 3. network → 480x640;
    4. ``skimage.filters.gaussian`` σ = 5 px at 480x640 (``mode='nearest'``, ``truncate=4``);
    5. min-max to [0, 1]; 6. last, antialiased bilinear resize of the float map to the image size
    (PIL ``resize(BILINEAR)`` on mode "F"). Kept float (the script's ``(x*255).astype(uint8)``
    would truncate).

``prepare`` — GazeFusion's ``process.py`` (training-data maps):
    1. the crop as a float tensor / 255; 2. torchvision ``resize`` (bilinear, antialias) stretched
    to 480x640; 3. network; 4. torchvision ``resize`` of the map back to the crop size (512x512)
    **before** blurring; 5. ``skimage.filters.gaussian`` σ = 10 px (skimage defaults); 6. min-max
    (in float32, in place, as the original). The caller writes ``(x * 255).astype(uint8)``
    (:func:`as_uint8_truncated`).

A constant network output min-max normalises to all zeros (the originals would divide by zero or
amplify round-off).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    import torch

#: EML-Net's working resolution (H, W): SALICON's 480x640.
INPUT_SIZE = (480, 640)

Convention = Literal["scorer", "prepare"]
CONVENTIONS: tuple[str, ...] = ("scorer", "prepare")
#: Gaussian σ (px) of each convention, at 480x640 (scorer) or at the image size (prepare).
BLUR_SIGMA = {"scorer": 5.0, "prepare": 10.0}


def scorer_input(image: np.ndarray) -> torch.Tensor:
    """uint8 (H, W, 3) → float (3, 480, 640) in [0, 1]: PIL bilinear resize as uint8, then ToTensor."""
    import torch
    from PIL import Image

    resized = Image.fromarray(image).resize((INPUT_SIZE[1], INPUT_SIZE[0]), Image.Resampling.BILINEAR)
    arr = np.asarray(resized, dtype=np.uint8)
    return torch.from_numpy(arr.transpose(2, 0, 1).copy()).float().div(255.0)


def scorer_output(pred: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """480x640 network map → blur σ=5 (nearest, truncate 4) → min-max → PIL "F" bilinear to ``size``."""
    from PIL import Image
    from skimage.filters import gaussian

    blurred = gaussian(np.asarray(pred, dtype=np.float32), BLUR_SIGMA["scorer"], mode="nearest", truncate=4.0)
    norm = _minmax_float32(blurred)
    height, width = size
    if norm.shape != (height, width):
        norm = np.asarray(Image.fromarray(norm, mode="F").resize((width, height), Image.Resampling.BILINEAR))
    return np.clip(norm, 0.0, 1.0).astype(np.float32)


def prepare_input(image: np.ndarray) -> torch.Tensor:
    """uint8 (H, W, 3) → float (3, 480, 640): /255 first, then torchvision bilinear antialiased resize."""
    import torch
    from torchvision.transforms.functional import InterpolationMode, resize

    tensor = torch.from_numpy(image.transpose(2, 0, 1).copy()).float() / 255.0
    return resize(tensor, list(INPUT_SIZE), interpolation=InterpolationMode.BILINEAR, antialias=True)


def prepare_output(pred: torch.Tensor, size: tuple[int, int]) -> np.ndarray:
    """(480, 640) network map → torchvision resize to ``size`` → blur σ=10 (skimage defaults) → min-max."""
    from skimage.filters import gaussian
    from torchvision.transforms.functional import InterpolationMode, resize

    resized = resize(
        pred[None].float().cpu(), list(size), interpolation=InterpolationMode.BILINEAR, antialias=True
    )[0]
    return _minmax_float32(gaussian(resized.numpy(), BLUR_SIGMA["prepare"]))


def as_uint8_truncated(smap: np.ndarray) -> np.ndarray:
    """``(smap * 255).astype(uint8)`` in float32, as ``process.py`` stores its maps (truncates, no rounding)."""
    return (np.asarray(smap, dtype=np.float32) * np.float32(255.0)).astype(np.uint8)


def _minmax_float32(x: np.ndarray) -> np.ndarray:
    """``x -= x.min(); x /= x.max()`` in float32 as the originals.

    A map whose range is only float32 round-off (≤ 8 ulp of its magnitude, e.g. a constant map
    after resizing) has no salient region and gives zeros, where the originals give NaN or noise.
    """
    out = np.array(x, dtype=np.float32, copy=True)
    low = out.min()
    out -= low
    peak = out.max()
    if not peak > 8 * np.finfo(np.float32).eps * max(abs(float(low)), float(peak)):
        return np.zeros_like(out)
    out /= peak
    return out
