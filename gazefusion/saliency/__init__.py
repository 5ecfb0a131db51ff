"""Saliency models behind one interface, looked up by name.

>>> from gazefusion.saliency import get_saliency_model, available_saliency_models
>>> "itti-koch" in available_saliency_models()
True

Every model maps ``uint8`` (H, W, 3) RGB images to ``float32`` (H, W) maps in [0, 1] at the image's
size (:meth:`SaliencyModel.predict`). Built-in entries: ``spectral-residual``, ``fine-grained``,
``itti-koch``, ``centre-bias`` (no weights) and ``emlnet`` (needs the EML-Net release files).
Importing this package registers them; torch and OpenCV are imported only when a model runs.
"""

from gazefusion.saliency import classical, emlnet, ittikoch  # noqa: F401  (register the built-in models)
from gazefusion.saliency.base import ImagesLike, SaliencyModel, minmax_normalize
from gazefusion.saliency.centre_bias import centre_bias
from gazefusion.saliency.classical import CentreBias, FineGrained, SpectralResidual
from gazefusion.saliency.emlnet import EMLNet
from gazefusion.saliency.ittikoch import IttiKoch
from gazefusion.saliency.registry import (
    available_saliency_models,
    get_saliency_model,
    load_plugins,
    register_saliency_model,
    unregister_saliency_model,
)

__all__ = [
    "CentreBias",
    "EMLNet",
    "FineGrained",
    "ImagesLike",
    "IttiKoch",
    "SaliencyModel",
    "SpectralResidual",
    "available_saliency_models",
    "centre_bias",
    "get_saliency_model",
    "load_plugins",
    "minmax_normalize",
    "register_saliency_model",
    "unregister_saliency_model",
]
