"""Loading (and writing) EML-Net's release files, strictly: every key must be used.

The release files are ``res_imagenet.pth`` and ``res_places.pth`` (encoders) and
``res_decoder.pth``. Each is read with ``torch.load(weights_only=True, map_location="cpu")``, which
handles both the zip and the legacy (pre-1.6) serialisation. Accepted forms: a dict with a
``state_dict`` entry or the bare state dict, keys optionally prefixed ``module.`` (DataParallel).
Unlike the original loader (which silently leaves unmatched encoder weights random), a missing or
unexpected key, a shape mismatch, or an unreadable file raises a one-line :class:`UserInputError`.
"""

from __future__ import annotations

import os
import pickle
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from gazefusion.errors import UserInputError

if TYPE_CHECKING:
    import torch
    from torch import nn

    from gazefusion.saliency.emlnet.network import EMLNetNetwork

#: Release file of each part of the network.
RELEASE_FILES = {"imagenet": "res_imagenet.pth", "places": "res_places.pth", "decoder": "res_decoder.pth"}
#: Environment variable overriding the default weights folder.
WEIGHTS_DIR_ENV = "GAZEFUSION_EMLNET_DIR"
_DEFAULT_DIR = Path("models") / "emlnet"
_PREFIX = "module."
_MAX_LISTED = 6


def default_weights_dir() -> Path:
    """``$GAZEFUSION_EMLNET_DIR`` if set, else ``models/emlnet`` (relative to the working directory)."""
    env = os.environ.get(WEIGHTS_DIR_ENV)
    return Path(env) if env else _DEFAULT_DIR


def release_paths(weights_dir: str | os.PathLike | None = None) -> dict[str, Path]:
    """Paths of the three release files in ``weights_dir`` (default :func:`default_weights_dir`)."""
    folder = default_weights_dir() if weights_dir is None else Path(weights_dir)
    return {part: folder / name for part, name in RELEASE_FILES.items()}


def read_state_dict(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """Read a checkpoint as a flat ``{name: tensor}`` dict: unwrap ``state_dict``, drop ``module.``."""
    import torch

    p = Path(path)
    if not p.is_file():
        raise UserInputError(f"EML-Net weights file not found: {p}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # e.g. "Detected pickle protocol 4"
            obj = torch.load(p, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise UserInputError(
            f"cannot read EML-Net weights {p}: not a readable PyTorch checkpoint "
            "(a foreign file, or it holds objects other than tensors)"
        ) from None
    except Exception as exc:  # torch raises many types (RuntimeError, EOFError, OSError…) for damaged files
        raise UserInputError(
            f"cannot read EML-Net weights {p}: not a readable PyTorch checkpoint "
            f"(truncated or corrupt: {type(exc).__name__})"
        ) from None
    if isinstance(obj, Mapping) and isinstance(obj.get("state_dict"), Mapping):
        obj = obj["state_dict"]
    if (
        not isinstance(obj, Mapping)
        or not obj
        or not all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in obj.items())
    ):
        raise UserInputError(
            f"EML-Net weights {p} must hold a state dict of tensors "
            f"(bare or under 'state_dict'), found {type(obj).__name__}"
        )
    state: dict[str, torch.Tensor] = {}
    for key, value in obj.items():
        name = key[len(_PREFIX) :] if key.startswith(_PREFIX) else key
        if name in state:
            raise UserInputError(
                f"EML-Net weights {p} hold {name!r} both with and without the 'module.' prefix"
            )
        state[name] = value
    return state


def load_strict(module: nn.Module, path: str | os.PathLike) -> None:
    """Load ``path`` into ``module``, requiring every key of both to match (names and shapes)."""
    state = read_state_dict(path)
    expected = module.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"missing keys {_listing(missing)}")
        if unexpected:
            parts.append(f"unexpected keys {_listing(unexpected)}")
        raise UserInputError(f"EML-Net weights {Path(path)} do not match the network: {'; '.join(parts)}")
    wrong = [
        f"{k} {tuple(state[k].shape)} (expected {tuple(v.shape)})"
        for k, v in expected.items()
        if state[k].shape != v.shape
    ]
    if wrong:
        raise UserInputError(f"EML-Net weights {Path(path)} have wrong shapes: {_listing(wrong)}")
    module.load_state_dict(state, strict=True)


def _listing(items: list[str]) -> str:
    shown = ", ".join(items[:_MAX_LISTED])
    return f"{shown} (+{len(items) - _MAX_LISTED} more)" if len(items) > _MAX_LISTED else shown


def load_emlnet(weights_dir: str | os.PathLike | None = None) -> EMLNetNetwork:
    """Build the network and load the three release files from ``weights_dir``; returned in eval mode."""
    from gazefusion.saliency.emlnet.network import EMLNetNetwork

    paths = release_paths(weights_dir)
    absent = [str(p) for p in paths.values() if not p.is_file()]
    if absent:
        raise UserInputError(
            f"EML-Net weights not found: {', '.join(absent)} (put the release files "
            f"{', '.join(RELEASE_FILES.values())} there, or set ${WEIGHTS_DIR_ENV})"
        )
    network = EMLNetNetwork()
    load_strict(network.imagenet, paths["imagenet"])
    load_strict(network.places, paths["places"])
    load_strict(network.decoder, paths["decoder"])
    return network.eval()


def save_release_files(
    network: EMLNetNetwork,
    folder: str | os.PathLike,
    *,
    wrapper: bool = True,
    prefix: bool = False,
    legacy: bool = False,
) -> dict[str, Path]:
    """Write ``network`` as the three release files (e.g. random weights for tests and benchmarks).

    ``wrapper`` stores ``{'state_dict': sd}`` instead of the bare dict, ``prefix`` adds ``module.``
    to the encoder keys (the decoder file never has it), ``legacy`` uses torch's pre-1.6
    serialisation. Files are written atomically.
    """
    import torch

    from gazefusion.utils.atomic import atomic_path

    paths = release_paths(folder)
    for part, path in paths.items():
        state = getattr(network, part).state_dict()
        if prefix and part != "decoder":
            state = {_PREFIX + k: v for k, v in state.items()}
        obj = {"state_dict": state} if wrapper or part == "decoder" else state
        with atomic_path(path) as tmp:
            torch.save(obj, tmp, _use_new_zipfile_serialization=not legacy)
    return paths
