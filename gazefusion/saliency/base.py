"""The saliency-model interface: one batched ``predict`` for every model in the registry.

Conventions:
- input images are ``uint8`` RGB arrays of shape (H, W, 3), any sizes within one call;
- each output is a ``float32`` (H, W) map in [0, 1] at its input image's size.

Subclasses implement only :meth:`SaliencyModel._predict_batch` (template method, as pysaliency's
``saliency_map``/``_saliency_map``); validation, batching and the output checks live here.
Constructing a model must be cheap: weights are loaded lazily, on the first prediction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from gazefusion.errors import UserInputError

#: What :meth:`SaliencyModel.predict` accepts: one image, a list of images, or an (N, H, W, 3) stack.
ImagesLike = np.ndarray | Sequence[np.ndarray]

# Round-off tolerance when checking a subclass's output range.
_RANGE_TOLERANCE = 1e-5


class SaliencyModel:
    """Base class of saliency models: ``predict(images) -> list of float32 (H, W) maps in [0, 1]``.

    Attributes
    ----------
    name : str
        Registry name (set by :func:`~gazefusion.saliency.register_saliency_model`).
    needs_weights : bool
        Whether the model needs weight files that are not shipped with the toolkit.
    device : str
        Torch device for models that use one (``"cpu"``, ``"cuda"``, ``"cuda:1"``…); others ignore it.
    batch_size : int
        Number of images passed to :meth:`_predict_batch` at once (default of :meth:`predict`).
    """

    name: str = ""
    needs_weights: bool = False
    default_batch_size: ClassVar[int] = 1

    def __init__(self, device: str = "cpu", batch_size: int | None = None) -> None:
        self.device = device
        self.batch_size = self.default_batch_size if batch_size is None else batch_size

    # -- settable options ---------------------------------------------------------------------------------
    @property
    def batch_size(self) -> int:
        """Images per call of :meth:`_predict_batch` (positive integer)."""
        return self._batch_size

    @batch_size.setter
    def batch_size(self, value: int) -> None:
        self._batch_size = _check_batch_size(value, "batch_size")

    @property
    def device(self) -> str:
        """Torch device string; models without torch ignore it."""
        return self._device

    @device.setter
    def device(self, value: str) -> None:
        if not isinstance(value, str) or not value:
            raise UserInputError(f"device must be a device string such as 'cpu' or 'cuda', got {value!r}")
        self._device = value

    def is_available(self) -> bool:
        """Whether the model can run here (its weights and libraries are present)."""
        return True

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(name={self.name!r}, device={self.device!r}, batch_size={self.batch_size})"
        )

    # -- the template method --------------------------------------------------------------------------------
    def predict(self, images: ImagesLike, batch_size: int | None = None) -> list[np.ndarray]:
        """Predict one saliency map per image.

        Parameters
        ----------
        images : ndarray or sequence of ndarray
            One ``uint8`` (H, W, 3) RGB image, a list of them (sizes may differ), or an (N, H, W, 3) stack.
        batch_size : int, optional
            Overrides :attr:`batch_size` for this call.

        Returns
        -------
        list of ndarray
            ``float32`` (H, W) maps in [0, 1], one per image, each at its image's size.

        Raises
        ------
        UserInputError
            If an image is not a ``uint8`` (H, W, 3) array, or the model's weights are missing.
        """
        batch = _as_image_list(images)
        step = self.batch_size if batch_size is None else _check_batch_size(batch_size, "batch_size")
        maps: list[np.ndarray] = []
        for start in range(0, len(batch), step):
            chunk = batch[start : start + step]
            out = self._predict_batch(chunk)
            if len(out) != len(chunk):
                raise RuntimeError(
                    f"{type(self).__name__}._predict_batch returned {len(out)} maps for {len(chunk)} images"
                )
            maps.extend(
                _check_output(m, img.shape[:2], type(self).__name__)
                for m, img in zip(out, chunk, strict=True)
            )
        return maps

    def _predict_batch(self, images: list[np.ndarray]) -> list[np.ndarray]:
        """Maps for validated ``uint8`` (H, W, 3) images: float (H, W) each, in [0, 1]."""
        raise NotImplementedError


def _check_batch_size(value: int, argument: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise UserInputError(f"{argument} must be a positive integer, got {value!r}")
    return int(value)


def _as_image_list(images: ImagesLike) -> list[np.ndarray]:
    if isinstance(images, np.ndarray):
        if images.ndim == 4:
            items = list(images)
        elif images.ndim == 3:
            items = [images]
        else:
            raise UserInputError(
                f"images must be a uint8 (H, W, 3) image or an (N, H, W, 3) stack, "
                f"got an array of shape {images.shape}"
            )
    elif isinstance(images, Sequence) and not isinstance(images, str | bytes):
        items = list(images)
    else:
        raise UserInputError(
            f"images must be a uint8 (H, W, 3) array or a list of them, got {type(images).__name__}"
        )
    for i, img in enumerate(items):
        if not isinstance(img, np.ndarray):
            raise UserInputError(f"images[{i}] must be a numpy array, got {type(img).__name__}")
        if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3 or min(img.shape[:2]) < 1:
            raise UserInputError(
                f"images[{i}] must be a uint8 (H, W, 3) RGB array, "
                f"got dtype {img.dtype} and shape {img.shape}"
            )
    return items


def _check_output(smap: np.ndarray, size: tuple[int, int], model: str) -> np.ndarray:
    out = np.asarray(smap, dtype=np.float32)
    if out.shape != tuple(size):
        raise RuntimeError(f"{model} returned a map of shape {out.shape} for an image of size {tuple(size)}")
    if (
        not np.all(np.isfinite(out))
        or out.min(initial=0) < -_RANGE_TOLERANCE
        or out.max(initial=0) > 1 + _RANGE_TOLERANCE
    ):
        raise RuntimeError(f"{model} returned a map outside [0, 1] or with NaN/inf")
    return np.clip(out, 0.0, 1.0)


def minmax_normalize(x: np.ndarray) -> np.ndarray:
    """Min-max normalise to [0, 1] as float32; a constant map becomes all zeros (no division by zero)."""
    arr = np.asarray(x, dtype=np.float64)
    lo, hi = float(arr.min()), float(arr.max())
    if not hi > lo:
        return np.zeros(arr.shape, dtype=np.float32)
    return ((arr - lo) / (hi - lo)).astype(np.float32)


def torch_device(device: str):
    """``torch.device(device)``, checked (see :func:`gazefusion.devices.torch_device`)."""
    from gazefusion.devices import torch_device as checked

    return checked(device)
