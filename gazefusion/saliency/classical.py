"""Saliency models that need no weights: OpenCV's static saliency and a centre-bias baseline.

- ``spectral-residual``: Hou & Zhang (CVPR 2007), ``cv2.saliency.StaticSaliencySpectralResidual``.
- ``fine-grained``: Montabone & Soto (2010), ``cv2.saliency.StaticSaliencyFineGrained``.
- ``centre-bias``: an image-independent Gaussian centred on the image (the usual baseline).

Both OpenCV models need ``opencv-contrib`` (the ``cv2.saliency`` module); they work on the grey
image (OpenCV's BGR luma, so the RGB input is passed as BGR) and are min-max normalised.
"""

from __future__ import annotations

import numpy as np

from gazefusion.errors import UserInputError
from gazefusion.saliency.base import SaliencyModel, minmax_normalize
from gazefusion.saliency.centre_bias import centre_bias
from gazefusion.saliency.registry import register_saliency_model


def _cv2_saliency():
    import cv2

    if not hasattr(cv2, "saliency"):
        raise UserInputError(
            "cv2.saliency is missing: install opencv-contrib-python-headless "
            "(a plain opencv-python install shadows it)"
        )
    return cv2


class _OpenCVStaticSaliency(SaliencyModel):
    """Shared wrapper of a ``cv2.saliency`` static saliency algorithm."""

    _factory_name: str = ""

    def is_available(self) -> bool:
        try:
            _cv2_saliency()
        except (ImportError, UserInputError):
            return False
        return True

    def _predict_batch(self, images: list[np.ndarray]) -> list[np.ndarray]:
        cv2 = _cv2_saliency()
        algorithm = getattr(cv2.saliency, self._factory_name)()
        maps = []
        for img in images:
            ok, smap = algorithm.computeSaliency(np.ascontiguousarray(img[..., ::-1]))
            if not ok:
                raise RuntimeError(f"{self._factory_name} failed on an image of shape {img.shape}")
            smap = np.asarray(smap, dtype=np.float32)
            if smap.shape != img.shape[:2]:  # OpenCV may return its working size
                smap = cv2.resize(smap, (img.shape[1], img.shape[0]), interpolation=cv2.INTER_LINEAR)
            maps.append(minmax_normalize(smap))
        return maps


@register_saliency_model("spectral-residual")
class SpectralResidual(_OpenCVStaticSaliency):
    """Spectral residual saliency (Hou & Zhang 2007), computed by OpenCV at 64x64 and resized back.

    Parameters
    ----------
    blur : float, default 0
        Standard deviation of an extra Gaussian smoothing of the map, as a fraction of the image
        width (0: OpenCV's map as it is, whose own smoothing is a 5x5 kernel at 64 px, so object
        outlines stay thin). Hou & Zhang smooth with sigma = 8 px at their 64-px working size,
        i.e. ``blur=0.125``. The map is min-max normalised after smoothing.
    """

    _factory_name = "StaticSaliencySpectralResidual_create"

    def __init__(self, blur: float = 0.0, device: str = "cpu", batch_size: int | None = None) -> None:
        super().__init__(device=device, batch_size=batch_size)
        if not (isinstance(blur, int | float) and np.isfinite(blur) and blur >= 0):
            raise UserInputError(f"blur must be a non-negative fraction of the image width, got {blur!r}")
        self.blur = float(blur)

    def _predict_batch(self, images: list[np.ndarray]) -> list[np.ndarray]:
        maps = super()._predict_batch(images)
        if self.blur == 0:
            return maps
        from scipy.ndimage import gaussian_filter

        return [minmax_normalize(gaussian_filter(m, self.blur * m.shape[1], mode="nearest")) for m in maps]


@register_saliency_model("fine-grained")
class FineGrained(_OpenCVStaticSaliency):
    """Fine-grained centre-surround saliency (Montabone & Soto 2010) from OpenCV."""

    _factory_name = "StaticSaliencyFineGrained_create"


@register_saliency_model("centre-bias")
class CentreBias(SaliencyModel):
    """Image-independent centre-bias baseline: a Gaussian centred on the image, peak 1.

    The map is :func:`~gazefusion.saliency.centre_bias.centre_bias` with ``norm="centre"``:
    ``exp(-(dx²/2σx² + dy²/2σy²))`` with (dx, dy) the offset from the image centre (float32).

    Parameters
    ----------
    sigma : float, default 0.25
        Standard deviation as a fraction of each image dimension (σx = sigma·W, σy = sigma·H), so
        the blob is stretched to the image's aspect ratio (as the MIT benchmark's centre baseline).
    """

    default_batch_size = 16

    def __init__(self, sigma: float = 0.25, device: str = "cpu", batch_size: int | None = None) -> None:
        super().__init__(device=device, batch_size=batch_size)
        if not (isinstance(sigma, int | float) and np.isfinite(sigma) and sigma > 0):
            raise UserInputError(f"sigma must be a positive fraction of the image size, got {sigma!r}")
        self.sigma = float(sigma)

    def _predict_batch(self, images: list[np.ndarray]) -> list[np.ndarray]:
        return [centre_bias(img.shape[:2], self.sigma, norm="centre").astype(np.float32) for img in images]
