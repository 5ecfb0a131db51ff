"""Adapter: any pysaliency model as a registry entry.

A pysaliency ``SaliencyMapModel`` gives ``saliency_map(stimulus)`` (any range); a probabilistic
``Model`` gives ``log_density(stimulus)``, which is exponentiated to a density. Either is min-max
normalised to [0, 1]. pysaliency caches every map by stimulus in memory unless the model was built
with ``caching=False``: do that for long runs over many images.

>>> import pysaliency
>>> from gazefusion.saliency import get_saliency_model
>>> from gazefusion.saliency.pysaliency_adapter import register_pysaliency_model
>>> register_pysaliency_model("pysaliency-centre",
...     lambda: pysaliency.GaussianSaliencyMapModel(width=0.5, caching=False), replace=True)
>>> get_saliency_model("pysaliency-centre").name
'pysaliency-centre'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gazefusion.errors import UserInputError
from gazefusion.saliency.base import SaliencyModel, minmax_normalize
from gazefusion.saliency.registry import register_saliency_model


class PysaliencyModel(SaliencyModel):
    """Wrap a pysaliency ``SaliencyMapModel`` or ``Model`` (or a zero-argument factory building one).

    Parameters
    ----------
    model : pysaliency model or callable
        The model, or a callable returning it (built on the first prediction, so registering is cheap).
    needs_weights : bool, default False
        Declare that the wrapped model needs weight files (reported by ``gazefusion saliency --list``).
    available : callable, optional
        Zero-argument check run by :meth:`is_available` (e.g. ``lambda: Path(weights).is_file()``).
    """

    default_batch_size = 1

    def __init__(
        self,
        model: Any,
        *,
        needs_weights: bool = False,
        available: Callable[[], bool] | None = None,
        device: str = "cpu",
        batch_size: int | None = None,
    ) -> None:
        super().__init__(device=device, batch_size=batch_size)
        self._model = model
        self.needs_weights = needs_weights
        self._available = available

    def is_available(self) -> bool:
        return True if self._available is None else bool(self._available())

    @property
    def model(self) -> Any:
        """The wrapped pysaliency model (built from the factory on first access)."""
        if isinstance(self._model, type) or not _is_pysaliency_model(self._model):
            if not callable(self._model):
                raise UserInputError(
                    "model must be a pysaliency SaliencyMapModel or Model (or a factory of one), "
                    f"got {type(self._model).__name__}"
                )
            self._model = self._model()
            if not _is_pysaliency_model(self._model):
                raise UserInputError(
                    "the pysaliency factory must return a SaliencyMapModel or Model, "
                    f"got {type(self._model).__name__}"
                )
        return self._model

    def _predict_batch(self, images: list[np.ndarray]) -> list[np.ndarray]:
        model = self.model
        maps = []
        for img in images:
            if hasattr(model, "log_density"):
                raw = np.exp(np.asarray(model.log_density(img), dtype=np.float64))
            else:
                raw = np.asarray(model.saliency_map(img), dtype=np.float64)
            maps.append(minmax_normalize(raw))
        return maps


def _is_pysaliency_model(obj: Any) -> bool:
    return not isinstance(obj, type) and (hasattr(obj, "saliency_map") or hasattr(obj, "log_density"))


def register_pysaliency_model(
    name: str,
    model: Any,
    *,
    needs_weights: bool = False,
    available: Callable[[], bool] | None = None,
    replace: bool = False,
) -> None:
    """Register a pysaliency model (or a zero-argument factory of one) under ``name``.

    ``get_saliency_model(name, device=..., batch_size=...)`` then returns a :class:`PysaliencyModel`.
    """

    def factory(device: str = "cpu", batch_size: int | None = None) -> PysaliencyModel:
        return PysaliencyModel(
            model, needs_weights=needs_weights, available=available, device=device, batch_size=batch_size
        )

    register_saliency_model(name, replace=replace)(factory)
