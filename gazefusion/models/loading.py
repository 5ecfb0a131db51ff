"""Resolve a ``--model`` argument to diffusers components, offline, and describe what was loaded.

``model`` may be

- ``None``: the ``GAZEFUSION_MODEL`` environment variable if set, else the toolkit's built-in
  default model — the toy GazeFusion trained here on synthetic scenes (:func:`default_model_path`,
  shipped inside the package) — and, where that is absent, the tiny random model (built in
  memory); the description's ``notice`` says which in one line;
- ``"tiny"``: the tiny random model asked for explicitly (no notice; e.g. to try training);
- a local diffusers ``StableDiffusionControlNetPipeline`` folder (``model_index.json`` + ``controlnet/``);
- an original cldm checkpoint file (``.ckpt``, ``.pth``, ``.pt``, ``.safetensors``), converted in
  memory with diffusers' single-file loading and the shipped SD2.1-base configs;
- a Hugging Face hub id, used only if it is already in the local cache (never downloaded).

The description (for image sidecars) names the model and a SHA-256 of its weight files (of the
tensors, for the in-memory tiny model). File hashes are cached by path, size and mtime under
``$XDG_CACHE_HOME/gazefusion`` so a 6.7 GB checkpoint is hashed once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gazefusion.errors import UserInputError
from gazefusion.utils import hashing
from gazefusion.utils.atomic import atomic_write_json

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

#: Suffixes taken as an original (cldm) checkpoint file.
CHECKPOINT_SUFFIXES = (".ckpt", ".pth", ".pt", ".safetensors")
#: The model components every loader returns.
COMPONENT_NAMES = ("unet", "controlnet", "vae", "text_encoder", "tokenizer", "scheduler")
#: ``--model tiny`` selects the tiny random model explicitly.
TINY_MODEL = "tiny"
TINY_NOTICE = "no model given and none configured (GAZEFUSION_MODEL): using the tiny random test model; images will be noise"
#: Name of the built-in default model's folder (inside this package, ``weights/``).
DEFAULT_MODEL_NAME = "gazefusion-toy"
DEFAULT_NOTICE = (
    "no model given and none configured (GAZEFUSION_MODEL): using the built-in toy GazeFusion "
    "(64x64 synthetic scenes, trained on a CPU; see its model card); pass --model for real weights"
)
_MODULES = ("unet", "controlnet", "vae", "text_encoder")


def default_model_path() -> Path | None:
    """The built-in default model's diffusers folder (shipped in the package), or ``None`` if absent.

    ``GAZEFUSION_BUILTIN_MODEL=0`` turns it off (``model=None`` then means the tiny random model).
    """
    from importlib.resources import files

    if os.environ.get("GAZEFUSION_BUILTIN_MODEL", "1") == "0":
        return None

    folder = Path(str(files("gazefusion.models").joinpath("weights", DEFAULT_MODEL_NAME)))
    return folder if (folder / "model_index.json").is_file() else None


def _hash_cache_path() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "gazefusion" / "weight_hashes.json"


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes, cached by (resolved path, size, mtime)."""
    path = Path(path).resolve()
    stat = path.stat()
    key = f"{path}|{stat.st_size}|{stat.st_mtime_ns}"
    cache_file = _hash_cache_path()
    try:
        cache = json.loads(cache_file.read_text())
    except (OSError, ValueError):
        cache = {}
    if key in cache:
        return cache[key]
    cache[key] = hashing.file_sha256(path)
    try:
        atomic_write_json(cache_file, cache)
    except OSError:
        logger.debug("could not write the weight-hash cache %s", cache_file)
    return cache[key]


def folder_weights_sha256(folder: str | Path) -> str:
    """SHA-256 over the sorted (relative path, file SHA-256) of a folder's weight files."""
    folder = Path(folder)
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in (".safetensors", ".bin"))
    digest = hashlib.sha256()
    for p in files:
        digest.update(f"{p.relative_to(folder).as_posix()}\0{file_sha256(p)}\n".encode())
    return digest.hexdigest()


def tensors_sha256(components: dict[str, Any]) -> str:
    """SHA-256 over every tensor of the model components (name, dtype, shape, bytes), in key order."""
    import torch

    digest = hashlib.sha256()
    for name in _MODULES:
        for key, tensor in sorted(components[name].state_dict().items()):
            t = tensor.detach().cpu().contiguous()
            digest.update(f"{name}.{key}|{t.dtype}|{tuple(t.shape)}\0".encode())
            digest.update(t.view(-1).view(dtype=torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def _place(components: dict[str, Any], device: str | torch.device, dtype: torch.dtype) -> dict[str, Any]:
    from gazefusion.models.tokenizer import make_openclip_exact

    make_openclip_exact(components["tokenizer"])
    for name in _MODULES:
        module = components[name]
        if module.dtype != dtype:
            module = module.to(dtype=dtype)
        components[name] = module.to(device=device).eval()
    return components


def _load_tiny(seed: int = 0) -> tuple[dict[str, Any], dict[str, Any]]:
    from gazefusion.models.tiny import build_tiny_components

    components = build_tiny_components(seed)
    description = {
        "model_id": f"gazefusion-tiny-random (seed {seed})",
        "source": "tiny",
        "path": None,
        "weight_hash": "sha256:" + tensors_sha256(components),
        "notice": TINY_NOTICE,
    }
    return components, description


def _load_folder(folder: Path, dtype: torch.dtype) -> dict[str, Any]:
    from diffusers import StableDiffusionControlNetPipeline

    if not (folder / "model_index.json").is_file():
        raise UserInputError(
            f"model {folder}: expected a diffusers pipeline folder with model_index.json, found "
            f"{sorted(p.name for p in folder.iterdir())[:6]}"
        )
    if not (folder / "controlnet").is_dir():
        raise UserInputError(
            f"model {folder}: expected a controlnet/ subfolder (SD2.1-base + ControlNet), found none"
        )
    from gazefusion.models.weightfiles import check_weight_files

    check_weight_files(folder)  # truncated or pickled-code weight files: one line naming the file
    pipe = StableDiffusionControlNetPipeline.from_pretrained(
        folder,
        torch_dtype=dtype,
        local_files_only=True,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    return {name: getattr(pipe, name) for name in COMPONENT_NAMES}


def _hub_snapshot(model_id: str) -> Path:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return Path(snapshot_download(model_id, local_files_only=True))
    except (LocalEntryNotFoundError, OSError, ValueError):
        raise UserInputError(
            f"model {model_id}: no weights for {model_id} on this machine (the hub is never contacted); "
            "pass a local diffusers folder or an original .ckpt/.safetensors checkpoint"
        ) from None


def load_components(
    model: str | Path | None = None,
    *,
    device: str | torch.device = "cpu",
    dtype: torch.dtype | None = None,
    tiny_seed: int = 0,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Load ``unet, controlnet, vae, text_encoder, tokenizer, scheduler`` and describe them.

    Parameters
    ----------
    model
        ``None``, a diffusers folder, a cldm checkpoint file or a cached hub id (see module doc).
    device, dtype
        Where the four networks go and their dtype (default float32).
    tiny_seed
        Seed of the tiny model when it is used.

    Returns
    -------
    (components, description)
        ``description``: ``model_id``, ``source`` (``tiny``/``diffusers``/``cldm``/``hub``), ``path``,
        ``weight_hash`` (``sha256:...``), ``dtype``, ``notice`` (a one-line message for the user, or
        ``None``).

    Raises
    ------
    UserInputError
        Nothing usable at ``model`` (missing path, wrong folder, foreign checkpoint, uncached hub id).
    """
    import torch

    dtype = dtype or torch.float32
    if model is None and os.environ.get("GAZEFUSION_MODEL"):
        model = os.environ["GAZEFUSION_MODEL"]
    if model is None and (builtin := default_model_path()) is not None:
        components, description = load_components(builtin, device=device, dtype=dtype)
        description["model_id"] = DEFAULT_MODEL_NAME
        description["notice"] = DEFAULT_NOTICE
        logger.info(DEFAULT_NOTICE)
        return components, description
    if model is None or str(model) == TINY_MODEL:
        components, description = _load_tiny(tiny_seed)
        if model is None:
            logger.info(TINY_NOTICE)
        else:
            description["notice"] = None
        description["dtype"] = str(dtype).removeprefix("torch.")
        return _place(components, device, dtype), description

    text = str(model)
    path = Path(text).expanduser()
    if path.is_dir():
        components = _load_folder(path, dtype)
        description = {
            "model_id": path.name,
            "source": "diffusers",
            "path": str(path.resolve()),
            "weight_hash": "sha256:" + folder_weights_sha256(path),
        }
    elif path.is_file():
        if path.suffix not in CHECKPOINT_SUFFIXES:
            raise UserInputError(
                f"model {path}: expected a checkpoint ending in {', '.join(CHECKPOINT_SUFFIXES)}, found {path.suffix or 'no suffix'}"
            )
        from gazefusion.models.cldm import components_from_cldm, load_cldm_state_dict

        components = components_from_cldm(load_cldm_state_dict(path), torch_dtype=dtype)
        description = {
            "model_id": path.name,
            "source": "cldm",
            "path": str(path.resolve()),
            "weight_hash": "sha256:" + file_sha256(path),
        }
    elif (
        text.count("/") == 1
        and not text.startswith((".", "/", "~"))
        and path.suffix not in CHECKPOINT_SUFFIXES
    ):
        folder = _hub_snapshot(text)
        components = _load_folder(folder, dtype)
        description = {
            "model_id": text,
            "source": "hub",
            "path": str(folder),
            "weight_hash": "sha256:" + folder_weights_sha256(folder),
        }
    else:
        raise UserInputError(
            f"model: expected a diffusers folder, a .ckpt/.pth/.safetensors checkpoint or a cached hub id, "
            f"found no such path {text}"
        )
    description["notice"] = None
    description["dtype"] = str(dtype).removeprefix("torch.")
    return _place(components, device, dtype), description
