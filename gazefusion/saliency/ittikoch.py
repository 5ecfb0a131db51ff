"""Itti-Koch-style bottom-up saliency (Itti, Koch & Niebur, IEEE TPAMI 20(11), 1998).

The image is resized so its longer side is ``working_size`` px and decomposed into dyadic Gaussian
pyramids (levels 0-8) of intensity I = (r+g+b)/3, the broadly tuned colour channels R, G, B, Y
(r, g, b divided by I where I exceeds a tenth of its maximum) and Gabor orientation responses of I
at 0°, 45°, 90° and 135°. Centre-surround differences |F(c) ⊖ F(s)| use c ∈ {2, 3, 4} and
s = c + {3, 4} (42 feature maps: 6 intensity, 12 colour-opponent RG/BY, 24 orientation). Each is
passed through the normalisation operator N(·) (scale to [0, 1], multiply by (1 - m̄)² with m̄
the mean of the other local maxima), summed across scales at level 4 into conspicuity maps, and
S = (N(Ī) + N(C̄) + N(Ō)) / 3 is resized to the image size, lightly blurred and min-max normalised.
"""

from __future__ import annotations

import numpy as np

from gazefusion.errors import UserInputError
from gazefusion.saliency.base import SaliencyModel, minmax_normalize
from gazefusion.saliency.registry import register_saliency_model

_LEVELS = 9
_CENTRES = (2, 3, 4)
_DELTAS = (3, 4)
_SUM_LEVEL = 4
_ORIENTATIONS_DEG = (0.0, 45.0, 90.0, 135.0)


@register_saliency_model("itti-koch")
class IttiKoch(SaliencyModel):
    """Itti-Koch-Niebur saliency with colour, intensity and orientation channels.

    Parameters
    ----------
    working_size : int, default 512
        Longer side (px) the image is resized to before building the 9-level pyramids.
    blur_sigma : float, default 0.02
        Gaussian blur of the final map, as a fraction of the image's longer side (0 = none).
    """

    default_batch_size = 8

    def __init__(
        self,
        working_size: int = 512,
        blur_sigma: float = 0.02,
        device: str = "cpu",
        batch_size: int | None = None,
    ) -> None:
        super().__init__(device=device, batch_size=batch_size)
        if (
            isinstance(working_size, bool)
            or not isinstance(working_size, int)
            or working_size < 2 ** (_LEVELS - 1)
        ):
            raise UserInputError(
                f"working_size must be an integer >= {2 ** (_LEVELS - 1)} px, got {working_size!r}"
            )
        if not (isinstance(blur_sigma, int | float) and blur_sigma >= 0):
            raise UserInputError(f"blur_sigma must be a non-negative fraction, got {blur_sigma!r}")
        self.working_size = working_size
        self.blur_sigma = float(blur_sigma)

    def _predict_batch(self, images: list[np.ndarray]) -> list[np.ndarray]:
        return [self._one(img) for img in images]

    def _one(self, image: np.ndarray) -> np.ndarray:
        import cv2

        height, width = image.shape[:2]
        scale = self.working_size / max(height, width)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        rgb = cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        smap = itti_koch_map(rgb.astype(np.float32) / 255.0)
        smap = cv2.resize(smap, (width, height), interpolation=cv2.INTER_LINEAR)
        if self.blur_sigma > 0:
            from scipy import ndimage

            smap = ndimage.gaussian_filter(smap, self.blur_sigma * max(height, width), mode="nearest")
        return minmax_normalize(smap)


def itti_koch_map(rgb: np.ndarray) -> np.ndarray:
    """Saliency map at pyramid level 4 of a float RGB image in [0, 1] (H, W, 3)."""
    import cv2

    r, g, b = (rgb[..., i] for i in range(3))
    intensity = (r + g + b) / 3.0
    mask = intensity > 0.1 * intensity.max()
    safe = np.where(mask, intensity, 1.0)
    r, g, b = (np.where(mask, c / safe, 0.0).astype(np.float32) for c in (r, g, b))
    red = r - (g + b) / 2
    green = g - (r + b) / 2
    blue = b - (r + g) / 2
    yellow = (r + g) / 2 - np.abs(r - g) / 2 - b

    pyr_i = _pyramid(intensity)
    pyr_rg = _pyramid(red - green)
    pyr_by = _pyramid(blue - yellow)
    target = pyr_i[_SUM_LEVEL].shape

    intensity_bar = _across_scale(pyr_i, target)
    colour_bar = _across_scale(pyr_rg, target) + _across_scale(pyr_by, target)
    orientation_bar = np.zeros(target, np.float32)
    for theta in _ORIENTATIONS_DEG:
        kernel = cv2.getGaborKernel((9, 9), sigma=2.5, theta=np.deg2rad(theta), lambd=7.0, gamma=1.0, psi=0.0)
        kernel = (kernel - kernel.mean()).astype(np.float32)
        pyr_o = [np.abs(cv2.filter2D(level, -1, kernel, borderType=cv2.BORDER_REFLECT)) for level in pyr_i]
        orientation_bar += _normalize(_across_scale(pyr_o, target))
    return (_normalize(intensity_bar) + _normalize(colour_bar) + _normalize(orientation_bar)) / 3.0


def _pyramid(channel: np.ndarray) -> list[np.ndarray]:
    import cv2

    levels = [np.ascontiguousarray(channel, dtype=np.float32)]
    for _ in range(_LEVELS - 1):
        prev = levels[-1]
        levels.append(cv2.pyrDown(prev) if min(prev.shape) > 1 else prev.copy())
    return levels


def _resize(x: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    import cv2

    return cv2.resize(x, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)


def _across_scale(pyramid: list[np.ndarray], target: tuple[int, int]) -> np.ndarray:
    """⊕ over (c, s) of N(|F(c) ⊖ F(s)|), each brought to the ``target`` (level-4) shape."""
    total = np.zeros(target, np.float32)
    for c in _CENTRES:
        for delta in _DELTAS:
            centre = pyramid[c]
            surround = _resize(pyramid[c + delta], centre.shape)
            total += _resize(_normalize(np.abs(centre - surround)), target)
    return total


def _normalize(x: np.ndarray, neighbourhood: int = 5) -> np.ndarray:
    """Itti's N(·): scale to [0, 1], then weight by (1 - m̄)², m̄ = mean of the non-global local maxima."""
    from scipy import ndimage

    x = minmax_normalize(x)
    peaks = (x == ndimage.maximum_filter(x, size=neighbourhood, mode="nearest")) & (x > 0)
    values = x[peaks]
    values = values[values < 1.0]
    mean_other = float(values.mean()) if values.size else 0.0
    return x * np.float32((1.0 - mean_other) ** 2)
