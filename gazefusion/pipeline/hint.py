"""The control hint: how a saliency map reaches the ControlNet.

The original GazeFusion ``generate.py`` fed its hint as the grey map file divided by 255 (nothing
else: no re-normalisation to peak 1), replicated to 3 channels, at image resolution, as a float
tensor in [0, 1] of shape (B, 3, H, W). :func:`smaps_to_hint` builds exactly that tensor from smaps
in the toolkit's convention (float32 (H, W) in [0, 1]).

diffusers' ``StableDiffusionControlNetPipeline.prepare_image`` passes such a tensor through its
control image processor (``VaeImageProcessor(do_normalize=False)``): a float tensor is neither
rescaled nor normalised, and the resize to the requested (height, width) is the identity when the
tensor already has that size (which :func:`fit_smap` guarantees). Classifier-free guidance then
concatenates the same hint for the unconditional half (guess mode off), as the original did.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np


class SmapResizedWarning(UserWarning):
    """An smap was resized to fit the requested output size or the model's size multiple."""


class EmptySmapWarning(UserWarning):
    """An smap is all zero: the ControlNet gets no saliency to follow."""


def snap_to_multiple(size: int, multiple: int) -> int:
    """``size`` rounded to the nearest positive multiple of ``multiple`` (halves round up)."""
    return max(multiple, int(size / multiple + 0.5) * multiple)


def fit_smap(
    smap: np.ndarray,
    height: int | None = None,
    width: int | None = None,
    multiple: int = 8,
    name: str = "smap",
) -> np.ndarray:
    """Return ``smap`` at the output size, resizing it (with a :class:`SmapResizedWarning`) if needed.

    The resize is :func:`gazefusion.smaps.resize_smap` (antialiased bilinear on the float map).

    The output size is (``height``, ``width``) where given, else the smap's own size; it is then
    snapped to a multiple of ``multiple`` (the VAE's downsampling factor, 8 for SD2.1-base), and
    must not exceed :data:`gazefusion.limits.MAX_IMAGE_SIDE_PX` per side (``UserInputError``).
    An smap that already has that size is returned unchanged (same values, float32).
    """
    from gazefusion.limits import MAX_IMAGE_SIDE_PX, check_image_side

    h0, w0 = smap.shape
    h = snap_to_multiple(height if height is not None else h0, multiple)
    w = snap_to_multiple(width if width is not None else w0, multiple)
    if max(h, w) > MAX_IMAGE_SIDE_PX:  # checked before the resize allocates anything
        check_image_side(max(h, w), f"{name} (output size {w}x{h}; pass a smaller height/width)")
    if (h, w) == (h0, w0):
        return np.asarray(smap, dtype=np.float32)
    reasons = []
    if (height is not None and height != h0) or (width is not None and width != w0):
        reasons.append(f"requested size {height or h0}x{width or w0} (HxW)")
    if (height or h0) % multiple or (width or w0) % multiple:
        reasons.append(f"sides must be multiples of {multiple}")
    warnings.warn(
        f"{name} resized from {h0}x{w0} to {h}x{w} (HxW): {'; '.join(reasons)}",
        SmapResizedWarning,
        stacklevel=3,
    )
    from gazefusion.smaps import resize_smap

    return resize_smap(smap, (w, h))


def smaps_to_hint(smaps: Sequence[np.ndarray]):
    """Stack smaps of one size into the ControlNet hint: float32 tensor (B, 3, H, W), map on every channel."""
    import torch

    stacked = torch.from_numpy(np.stack([np.asarray(s, dtype=np.float32) for s in smaps]))
    return stacked[:, None].expand(-1, 3, -1, -1).contiguous()
