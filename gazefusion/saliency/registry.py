"""Registry of saliency models by name (filled by a decorator, as pymovements' event detectors).

Examples
--------
>>> from gazefusion.saliency import SaliencyModel, register_saliency_model, get_saliency_model
>>> import numpy as np
>>> @register_saliency_model("flat-doc-example")
... class Flat(SaliencyModel):
...     def _predict_batch(self, images):
...         return [np.zeros(img.shape[:2], np.float32) for img in images]
>>> get_saliency_model("flat-doc-example").predict(np.zeros((4, 6, 3), np.uint8))[0].shape
(4, 6)
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from gazefusion.errors import UserInputError
from gazefusion.registry import Registry
from gazefusion.saliency.base import SaliencyModel

#: A model class or any callable returning a :class:`SaliencyModel` (keyword arguments only).
Factory = Callable[..., SaliencyModel]
F = TypeVar("F", bound=Factory)

#: Comma-separated modules or ``.py`` files imported before a look-up, so that models they register
#: (e.g. a DeepGaze IIE wrapper) are known to ``gazefusion saliency`` too.
PLUGINS_ENV = "GAZEFUSION_SALIENCY_PLUGINS"
_LOADED_PLUGINS: set[str] = set()


def _normalise(name: str) -> str:
    return name.lower().replace("_", "-")


#: The saliency-model factories by name; spelling variants are accepted on look-up
#: (``spectral_residual``, ``Center-Bias``: US spelling of the centre-bias baseline).
SALIENCY_MODELS: Registry[Factory] = Registry(
    "saliency model",
    aliases={"center-bias": "centre-bias"},
    normalise=_normalise,
    loader=lambda: load_plugins(),
)


def register_saliency_model(name: str, *, replace: bool = False) -> Callable[[F], F]:
    """Decorator registering a :class:`SaliencyModel` subclass (or a factory) under ``name``.

    Parameters
    ----------
    name : str
        Registry name (what ``--model`` takes).
    replace : bool, default False
        Allow replacing an existing entry of that name.

    Raises
    ------
    UserInputError
        If ``name`` is empty or already registered (and ``replace`` is false).
    """
    add = SALIENCY_MODELS.register(name, replace=replace)

    def decorator(factory: F) -> F:
        add(factory)
        if (
            isinstance(factory, type)
            and issubclass(factory, SaliencyModel)
            and not factory.__dict__.get("name")
        ):
            factory.name = name
        return factory

    return decorator


def canonical_name(name: str) -> str:
    """Registry spelling of ``name``: ``spectral_residual`` and ``Center-Bias`` find their models."""
    return SALIENCY_MODELS.canonical(name)


def unregister_saliency_model(name: str) -> None:
    """Remove ``name`` from the registry (no error if absent)."""
    SALIENCY_MODELS.unregister(name)


def get_saliency_model(name: str, **kwargs) -> SaliencyModel:
    """Build the model registered as ``name`` with ``kwargs`` (e.g. ``device``, ``batch_size``).

    Raises
    ------
    UserInputError
        If ``name`` is unknown (:class:`~gazefusion.errors.UnknownNameError`, listing the known
        names) or a keyword is not accepted.
    """
    factory = SALIENCY_MODELS.get(name)
    name = canonical_name(name)
    try:
        model = factory(**kwargs)
    except TypeError as exc:
        raise UserInputError(
            f"saliency model {name!r} does not accept these options {sorted(kwargs)}: {exc}"
        ) from None
    model.name = name
    return model


def available_saliency_models(usable_only: bool = True) -> list[str]:
    """Sorted registered names; with ``usable_only``, only models that can run here (weights present)."""
    names = SALIENCY_MODELS.names()
    if not usable_only:
        return names
    return [n for n in names if get_saliency_model(n).is_available()]


def load_plugins() -> None:
    """Import the modules / ``.py`` files named in ``$GAZEFUSION_SALIENCY_PLUGINS`` (once each)."""
    for entry in filter(None, (e.strip() for e in os.environ.get(PLUGINS_ENV, "").split(","))):
        if entry in _LOADED_PLUGINS:
            continue
        try:
            if entry.endswith(".py"):
                path = Path(entry)
                spec = importlib.util.spec_from_file_location(f"gazefusion_saliency_plugin_{path.stem}", path)
                if spec is None or spec.loader is None or not path.is_file():
                    raise FileNotFoundError(entry)
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
            else:
                importlib.import_module(entry)
        except (ImportError, FileNotFoundError) as exc:
            raise UserInputError(f"${PLUGINS_ENV}: cannot import saliency plugin {entry!r} ({exc})") from None
        _LOADED_PLUGINS.add(entry)
