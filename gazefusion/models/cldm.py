"""Original ControlNet ("cldm") checkpoints: safe loading, conversion to diffusers and back.

A cldm checkpoint (``cldm_v21.yaml``) holds, in this order: 13 noise-schedule buffers,
``model.diffusion_model.*`` (UNet), ``first_stage_model.*`` (VAE), ``cond_stage_model.model.*``
(OpenCLIP text tower) and ``control_model.*`` (ControlNet). It comes as a bare state dict, a
PyTorch-Lightning checkpoint (``state_dict`` entry, tensors possibly tagged ``cuda:0``),
``.safetensors`` or an fp16 copy; :func:`load_cldm_state_dict` reads all of them memory-mapped and
never unpickles code (safetensors, or ``torch.load(weights_only=True)``).

cldm → diffusers is diffusers' own single-file conversion (``from_single_file`` with a dict and the
shipped config folder, offline), so :func:`cldm_to_diffusers` writes exactly what
``StableDiffusionControlNetPipeline.from_single_file(ckpt, config=...).save_pretrained(...)`` writes.
It adds one file, ``cldm_extras.safetensors``, holding the 27 keys diffusers drops (the schedule
buffers, OpenCLIP's ``text_projection``, ``logit_scale`` and last resblock) and the original key
order and dtypes, so :func:`diffusers_to_cldm` can write the original layout back bit for bit.
Without that file the buffers are recomputed as ldm computes them and the 14 unused OpenCLIP
tensors get placeholders (SD2.1 never runs them: it takes the penultimate layer).
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import shutil
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gazefusion.errors import UserInputError
from gazefusion.models import CONFIGS_DIR, SD21_CONFIG_DIR
from gazefusion.models.ldm_keys import (
    CLDM_PREFIXES,
    SCHEDULE_BUFFERS,
    controlnet_to_ldm,
    ldm_schedule_buffers,
    text_encoder_to_openclip,
    unet_to_ldm,
    vae_to_ldm,
)
from gazefusion.progress import NO_PROGRESS, Progress, stage
from gazefusion.utils.atomic import atomic_path

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

#: File forms :func:`write_cldm_file` writes (and :func:`load_cldm_state_dict` reads).
CLDM_FORMS = ("bare", "lightning", "safetensors", "fp16")
#: Side file of a converted diffusers folder: what diffusers drops, plus the original key order.
EXTRAS_FILE = "cldm_extras.safetensors"
_EXTRAS_FORMAT = "gazefusion-cldm-extras/1"
#: Order in which the sub-models follow the buffers in an original checkpoint.
_COMPONENT_ORDER = ("unet", "vae", "text_encoder", "controlnet")
_WEIGHT_NAMES = ("diffusion_pytorch_model", "model")


# ----------------------------------------------------------------------------------------------
# reading and writing cldm files


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def _read_torch_file(path: Path) -> Any:
    import pickle

    import torch

    with open(path, "rb") as fh:
        head = fh.read(64)
    looks_zip = head.startswith(b"PK\x03\x04")  # torch's zip format; legacy files start with a pickle
    if head.startswith(b"version https://git-lfs"):
        raise UserInputError(
            f"{path.name} is not a PyTorch checkpoint but a git-lfs pointer (run git lfs pull)"
        )
    is_zip = zipfile.is_zipfile(path)
    if looks_zip and not is_zip:
        raise UserInputError(f"{path.name} is truncated or corrupt (a zip archive without its end record)")
    try:
        return torch.load(path, map_location="cpu", weights_only=True, mmap=is_zip)
    except pickle.UnpicklingError as exc:
        found = re.search(r"Unsupported global: GLOBAL (\S+)", str(exc))
        if found:
            raise UserInputError(
                f"{path.name} holds pickled Python objects ({found[1]}) besides tensors; refused "
                "(only plain weights are loaded, never code)"
            ) from None
        detail = re.search(r"WeightsUnpickler error:\s*(.+)", str(exc))
        reason = detail[1].strip() if detail else _first_line(exc)
        raise UserInputError(f"{path.name} is not a PyTorch checkpoint of plain weights ({reason})") from None
    except KeyError as exc:
        raise UserInputError(f"{path.name} is not a PyTorch checkpoint (bad pickle opcode {exc})") from None
    except (RuntimeError, EOFError, OSError, ValueError, zipfile.BadZipFile) as exc:
        state = "truncated or corrupt" if is_zip or path.stat().st_size == 0 else "not a PyTorch checkpoint"
        raise UserInputError(f"{path.name} is {state} ({_first_line(exc)})") from None


def load_cldm_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """Read a cldm checkpoint in any of its file forms; tensors end up on the CPU, memory-mapped.

    ``.safetensors`` by extension, anything else with ``torch.load(weights_only=True, mmap=True,
    map_location="cpu")``; then ``d.get("state_dict", d)`` as the original loader does.

    Raises
    ------
    UserInputError
        The file is missing, truncated, not a checkpoint, holds pickled code, or is not a ControlNet
        cldm checkpoint (the message names what was expected and what was found).
    """
    path = Path(path)
    if not path.exists():
        raise UserInputError(f"checkpoint {path}: no such file")
    if path.is_dir():
        raise UserInputError(f"checkpoint {path}: expected a .ckpt/.pth/.safetensors file, found a directory")
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        try:
            data: Any = load_file(path, device="cpu")
        except Exception as exc:  # safetensors raises its own error types for bad headers/lengths
            raise UserInputError(
                f"{path.name} is not a readable safetensors file ({_first_line(exc)})"
            ) from None
    else:
        data = _read_torch_file(path)
    if isinstance(data, Mapping) and isinstance(data.get("state_dict"), Mapping):
        data = data["state_dict"]
    if not isinstance(data, Mapping):
        raise UserInputError(f"{path.name}: expected a dict of tensors, found {type(data).__name__}")
    check_cldm_state_dict(data, path.name)
    return dict(data)


def check_cldm_state_dict(state_dict: Mapping[str, Any], name: str = "checkpoint") -> None:
    """Raise :class:`UserInputError` unless ``state_dict`` has all four cldm sub-models as tensors."""
    import torch

    keys = list(state_dict)
    for prefix in ("control_model.", *(CLDM_PREFIXES[c] for c in _COMPONENT_ORDER if c != "controlnet")):
        if not any(k.startswith(prefix) for k in keys):
            sample = ", ".join(map(str, keys[:3])) or "none"
            raise UserInputError(
                f"{name} is not a ControlNet cldm checkpoint: no {prefix}* keys; "
                f"found {len(keys)} keys like {sample}"
            )
    bad = [k for k, v in state_dict.items() if not isinstance(v, torch.Tensor)]
    if bad:
        raise UserInputError(
            f"{name}: expected tensors for every weight, found {type(state_dict[bad[0]]).__name__} at {bad[0]}"
        )


def _save_with_location(obj: Any, path: Path, location: str) -> None:
    """``torch.save`` with every storage tagged ``location`` (e.g. ``cuda:0``), on any machine."""
    import torch
    from torch import serialization

    def tag(_storage: Any) -> str:
        return location

    def never(_storage: Any, _location: str) -> None:
        return None

    entry = (-1000, tag, never)
    serialization._package_registry.append(entry)
    serialization._package_registry.sort(key=lambda item: item[0])
    try:
        torch.save(obj, path)
    finally:
        serialization._package_registry.remove(entry)


def _lightning_checkpoint(state_dict: Mapping[str, torch.Tensor]) -> dict[str, Any]:
    """Wrap ``state_dict`` like a PyTorch-Lightning 1.x training checkpoint with AdamW states."""
    import torch

    params = [k for k in state_dict if k.split(".")[0] not in SCHEDULE_BUFFERS]
    control = [i for i, k in enumerate(params) if k.startswith(CLDM_PREFIXES["controlnet"])]
    return {
        "epoch": 3,
        "global_step": 5000,
        "pytorch-lightning_version": "1.5.0",
        "state_dict": dict(state_dict),
        "callbacks": {},
        "optimizer_states": [
            {
                "state": {
                    i: {
                        "step": torch.tensor(5000.0),
                        "exp_avg": torch.zeros_like(state_dict[params[j]]),
                        "exp_avg_sq": torch.zeros_like(state_dict[params[j]]),
                    }
                    for i, j in enumerate(control)
                },
                "param_groups": [
                    {
                        "lr": 1e-5,
                        "betas": (0.9, 0.999),
                        "eps": 1e-8,
                        "weight_decay": 0.01,
                        "amsgrad": False,
                        "params": list(range(len(control))),
                    }
                ],
            }
        ],
        "lr_schedulers": [],
    }


def write_cldm_file(state_dict: Mapping[str, torch.Tensor], path: str | Path, form: str = "bare") -> Path:
    """Write a cldm state dict in one file form of :data:`CLDM_FORMS` (atomically).

    ``"lightning"`` tags every tensor ``cuda:0`` as a GPU training run would; ``"fp16"`` writes
    float16 tensors, as safetensors when ``path`` ends in ``.safetensors``.
    """
    import torch
    from safetensors.torch import save_file

    if form not in CLDM_FORMS:
        raise UserInputError(f"form: expected one of {', '.join(CLDM_FORMS)}, found {form!r}")
    path = Path(path)
    if form == "fp16":
        state_dict = {k: v.to(torch.float16) for k, v in state_dict.items()}
    with atomic_path(path) as tmp:
        if form == "safetensors" or (form == "fp16" and path.suffix == ".safetensors"):
            save_file({k: v.contiguous() for k, v in state_dict.items()}, tmp)
        elif form == "lightning":
            _save_with_location(_lightning_checkpoint(state_dict), tmp, "cuda:0")
        else:
            torch.save(dict(state_dict), tmp)
    return path


# ----------------------------------------------------------------------------------------------
# cldm -> diffusers


def config_dir_for(state_dict: Mapping[str, torch.Tensor]) -> Path:
    """The shipped config folder whose UNet and text widths match the checkpoint's."""
    unet_width = state_dict[CLDM_PREFIXES["unet"] + "input_blocks.0.0.weight"].shape[0]
    text_width = state_dict[CLDM_PREFIXES["text_encoder"] + "token_embedding.weight"].shape[1]
    known = []
    for folder in sorted(p for p in CONFIGS_DIR.iterdir() if (p / "unet" / "config.json").is_file()):
        unet = json.loads((folder / "unet" / "config.json").read_text())
        text = json.loads((folder / "text_encoder" / "config.json").read_text())
        known.append(f"{folder.name} ({unet['block_out_channels'][0]}, {text['hidden_size']})")
        if unet["block_out_channels"][0] == unet_width and text["hidden_size"] == text_width:
            return folder
    raise UserInputError(
        f"checkpoint: UNet width {unet_width} and text width {text_width} match no shipped config "
        f"({', '.join(known)}); convert it with gazefusion convert --config DIR"
    )


def components_from_cldm(
    state_dict: Mapping[str, torch.Tensor], config_dir: str | Path | None = None, torch_dtype: Any = None
) -> dict[str, Any]:
    """Build diffusers components from a cldm state dict with diffusers' single-file conversion.

    Offline: ``from_single_file(state_dict, config=config_dir, subfolder=..., local_files_only=True)``
    for the UNet, ControlNet and VAE, ``create_diffusers_clip_model_from_ldm`` for the text encoder;
    the tokenizer (as diffusers loads it; see :func:`~gazefusion.models.tokenizer.make_openclip_exact`)
    and DDIM scheduler come from the config folder. Weights stay memory-mapped.
    """
    from diffusers import AutoencoderKL, ControlNetModel, DDIMScheduler, UNet2DConditionModel
    from diffusers.loaders.single_file_utils import create_diffusers_clip_model_from_ldm
    from transformers import CLIPTextModel

    from gazefusion.models.tokenizer import build_tokenizer

    config = str(config_dir or config_dir_for(state_dict))
    common = {"config": config, "local_files_only": True, "torch_dtype": torch_dtype}
    tokenizer_dir = Path(config) / "tokenizer"
    return {
        "unet": UNet2DConditionModel.from_single_file(state_dict, subfolder="unet", **common),
        "controlnet": ControlNetModel.from_single_file(state_dict, subfolder="controlnet", **common),
        "vae": AutoencoderKL.from_single_file(state_dict, subfolder="vae", **common),
        "text_encoder": create_diffusers_clip_model_from_ldm(
            CLIPTextModel, state_dict, subfolder="text_encoder", **common
        ),
        "tokenizer": build_tokenizer(tokenizer_dir if tokenizer_dir.is_dir() else None, openclip_exact=False),
        "scheduler": DDIMScheduler.from_pretrained(config, subfolder="scheduler", local_files_only=True),
    }


def _dropped_keys(state_dict: Mapping[str, torch.Tensor], components: Mapping[str, Any]) -> list[str]:
    """Keys of the checkpoint that the diffusers components do not hold (recomputed by the inverse map)."""
    mapped = components_to_cldm(
        {name: components[name] for name in _COMPONENT_ORDER}, scheduler_config=None, openclip_extras={}
    )
    dropped = [k for k in state_dict if k not in mapped]
    kept_prefixes = tuple(CLDM_PREFIXES[c] for c in ("unet", "vae", "controlnet"))
    wrong = [k for k in dropped if k.startswith(kept_prefixes)]
    if wrong:  # the inverse key map must account for every UNet, VAE and ControlNet weight
        raise RuntimeError(f"inverse conversion misses {len(wrong)} weights, e.g. {wrong[0]}")
    return dropped


def cldm_to_diffusers(
    ckpt: str | Path,
    out_dir: str | Path,
    *,
    config_dir: str | Path | None = None,
    overwrite: bool = False,
    progress: Progress = NO_PROGRESS,
) -> Path:
    """Convert a cldm checkpoint into a diffusers ``StableDiffusionControlNetPipeline`` folder.

    The folder's files are diffusers' own conversion, saved with ``save_pretrained`` (safetensors),
    plus :data:`EXTRAS_FILE`. Written into a temporary sibling folder and renamed at the end, so an
    interrupted run leaves no half folder. ``progress`` gets the tasks ``reading checkpoint``,
    ``converting with diffusers`` and ``writing diffusers folder``, one unit each.
    """
    from diffusers import StableDiffusionControlNetPipeline
    from safetensors.torch import save_file

    out = Path(out_dir)
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise UserInputError(
            f"out_dir: expected a new or empty folder, found {out} with files (use overwrite)"
        )
    with stage(progress, "reading checkpoint"):
        state_dict = load_cldm_state_dict(ckpt)
    with stage(progress, "converting with diffusers"):
        components = components_from_cldm(state_dict, config_dir)
        pipe = StableDiffusionControlNetPipeline(
            **components, safety_checker=None, feature_extractor=None, requires_safety_checker=False
        )
    tmp = out.parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        with stage(progress, "writing diffusers folder"):
            pipe.save_pretrained(tmp, safe_serialization=True)
            dropped = _dropped_keys(state_dict, components)
            keys = list(state_dict)
            metadata = {
                "format": _EXTRAS_FORMAT,
                "source": Path(ckpt).name,
                "keys": json.dumps(keys),
                "dtypes": json.dumps([str(state_dict[k].dtype).removeprefix("torch.") for k in keys]),
            }
            save_file({k: state_dict[k].contiguous() for k in dropped}, tmp / EXTRAS_FILE, metadata=metadata)
            if out.exists():
                shutil.rmtree(out)
            os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


# ----------------------------------------------------------------------------------------------
# diffusers -> cldm


def _openclip_sort_key(key: str) -> tuple:
    """OpenCLIP's module order: own parameters, resblocks in order, token embedding, final norm."""
    head = ["positional_embedding", "text_projection", "logit_scale"]
    block = ["ln_1", "attn.in_proj", "attn.out_proj", "ln_2", "mlp.c_fc", "mlp.c_proj"]
    if key in head:
        return (0, head.index(key), 0, key)
    if key.startswith("transformer.resblocks."):
        index, rest = key.removeprefix("transformer.resblocks.").split(".", 1)
        part = next((i for i, p in enumerate(block) if rest.startswith(p)), len(block))
        return (1, int(index), part, rest.replace("weight", "0").replace("bias", "1"))
    return (2, 0, 0, key)


def _state_and_config(component: Any) -> tuple[Mapping[str, torch.Tensor], Mapping[str, Any]]:
    if isinstance(component, tuple):
        return component
    config = component.config
    return component.state_dict(), config.to_dict() if hasattr(config, "to_dict") else dict(config)


def components_to_cldm(
    components: Mapping[str, Any],
    *,
    scheduler_config: Mapping[str, Any] | None,
    openclip_extras: Mapping[str, torch.Tensor],
) -> dict[str, torch.Tensor]:
    """Assemble a cldm state dict from diffusers ``unet``, ``vae``, ``text_encoder`` and ``controlnet``.

    Each component is a model or a ``(state_dict, config)`` pair. ``openclip_extras`` are OpenCLIP
    keys diffusers lacks (without prefix); ``scheduler_config`` (diffusers DDIM config) gives the 13
    ldm buffers, or ``None`` to leave them out.
    """
    out: dict[str, torch.Tensor] = {}
    if scheduler_config is not None:
        if scheduler_config.get("beta_schedule") != "scaled_linear":
            raise UserInputError(
                f"scheduler: expected beta_schedule 'scaled_linear' (ldm's 'linear'), found "
                f"{scheduler_config.get('beta_schedule')!r}"
            )
        out.update(
            ldm_schedule_buffers(
                scheduler_config["beta_start"],
                scheduler_config["beta_end"],
                scheduler_config["num_train_timesteps"],
            )
        )
    converters = {
        "unet": unet_to_ldm,
        "vae": vae_to_ldm,
        "controlnet": controlnet_to_ldm,
    }
    for name in _COMPONENT_ORDER:
        state, config = _state_and_config(components[name])
        if name == "text_encoder":
            text = {**text_encoder_to_openclip(state), **openclip_extras}
            ldm = {k: text[k] for k in sorted(text, key=_openclip_sort_key)}
        else:
            ldm = converters[name](state, config)
        prefix = CLDM_PREFIXES[name]
        out.update({prefix + k: v for k, v in ldm.items()})
    return out


def _read_weights(folder: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    for stem in _WEIGHT_NAMES:
        single = folder / f"{stem}.safetensors"
        if single.is_file():
            return load_file(single)
        index = folder / f"{stem}.safetensors.index.json"
        if index.is_file():
            shards = sorted(set(json.loads(index.read_text())["weight_map"].values()))
            return {k: v for shard in shards for k, v in load_file(folder / shard).items()}
    raise UserInputError(
        f"{folder}: expected a .safetensors weight file, found {sorted(p.name for p in folder.iterdir())}"
    )


def _placeholder_openclip_extras(
    text_state: Mapping[str, torch.Tensor], n_layers: int
) -> dict[str, torch.Tensor]:
    """Stand-ins for the 14 OpenCLIP tensors SD2.1 never runs (no side file): an identity-free last block.

    Layer norms get weight 1, everything else 0; ``text_projection`` is the identity and
    ``logit_scale`` CLIP's initial ln(1/0.07).
    """
    import torch

    openclip = text_encoder_to_openclip(text_state)
    extras = {}
    for key, value in openclip.items():
        if key.startswith("transformer.resblocks.0."):
            is_norm_weight = ".ln_" in key and key.endswith("weight")
            fill = torch.ones_like(value) if is_norm_weight else torch.zeros_like(value)
            extras[key.replace("resblocks.0.", f"resblocks.{n_layers}.")] = fill
    embedding = openclip["token_embedding.weight"]
    extras["text_projection"] = torch.eye(embedding.shape[1], dtype=embedding.dtype)
    extras["logit_scale"] = torch.tensor(math.log(1 / 0.07))
    return extras


def _read_folder(folder: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(component -> (state dict, config)) and the scheduler config of a diffusers folder."""
    if not folder.is_dir():
        found = "a file" if folder.exists() else "nothing"
        raise UserInputError(f"diffusers folder {folder}: expected a directory, found {found}")
    components: dict[str, Any] = {}
    for name in _COMPONENT_ORDER:
        sub = folder / name
        if not (sub / "config.json").is_file():
            raise UserInputError(
                f"diffusers folder {folder}: expected a {name}/ subfolder with config.json, found none"
            )
        components[name] = (_read_weights(sub), json.loads((sub / "config.json").read_text()))
    scheduler_file = folder / "scheduler" / "scheduler_config.json"
    if not scheduler_file.is_file():
        scheduler_file = SD21_CONFIG_DIR / "scheduler" / "scheduler_config.json"
    return components, json.loads(scheduler_file.read_text())


def _with_side_file(components: Mapping[str, Any], extras_path: Path) -> dict[str, torch.Tensor]:
    """The original state dict: mapped weights + carried keys, in the original order and dtypes."""
    import torch
    from safetensors import safe_open

    with safe_open(extras_path, framework="pt") as fh:
        metadata = fh.metadata() or {}
        carried = {k: fh.get_tensor(k) for k in fh.keys()}
    if metadata.get("format") != _EXTRAS_FORMAT:
        raise UserInputError(
            f"{extras_path}: expected format {_EXTRAS_FORMAT}, found {metadata.get('format')!r}"
        )
    text_prefix = CLDM_PREFIXES["text_encoder"]
    openclip = {k.removeprefix(text_prefix): v for k, v in carried.items() if k.startswith(text_prefix)}
    state = components_to_cldm(components, scheduler_config=None, openclip_extras=openclip)
    state.update({k: v for k, v in carried.items() if not k.startswith(text_prefix)})
    keys, dtypes = json.loads(metadata["keys"]), json.loads(metadata["dtypes"])
    missing = [k for k in keys if k not in state]
    if missing:
        raise UserInputError(
            f"{extras_path.parent}: {len(missing)} keys of the original are missing, e.g. {missing[0]}"
        )
    ordered = {k: state.pop(k).to(getattr(torch, dtype)) for k, dtype in zip(keys, dtypes, strict=True)}
    if state:
        logger.warning(
            "%d weights not in the original checkpoint appended, e.g. %s", len(state), next(iter(state))
        )
    return ordered | state


def diffusers_to_cldm(diffusers_dir: str | Path, out: str | Path, progress: Progress = NO_PROGRESS) -> Path:
    """Write a diffusers SD + ControlNet folder back as an original cldm checkpoint.

    ``out`` ending in ``.safetensors`` gives a flat safetensors file, anything else a bare
    ``torch.save`` dict (the form ``tool_add_control_sd21.py`` writes). With the folder's
    :data:`EXTRAS_FILE` (from :func:`cldm_to_diffusers`) the result has the original's keys, order,
    dtypes and bytes; without it, buffers are recomputed and unused OpenCLIP tensors get placeholders.
    Written atomically; tensors are only renamed (q/k/v concatenated), never copied wholesale.
    ``progress`` gets the tasks ``reading diffusers folder`` and ``writing cldm checkpoint``, one
    unit each.
    """
    import torch
    from safetensors.torch import save_file

    folder = Path(diffusers_dir)
    with stage(progress, "reading diffusers folder"):
        components, scheduler_config = _read_folder(folder)
    if (folder / EXTRAS_FILE).is_file():
        state = _with_side_file(components, folder / EXTRAS_FILE)
    else:
        text_state, text_config = components["text_encoder"]
        n_layers = text_config["num_hidden_layers"]
        logger.warning(
            "%s has no %s: schedule buffers recomputed; OpenCLIP text_projection, logit_scale and "
            "resblock %d (unused by SD2.1) filled with placeholders",
            folder,
            EXTRAS_FILE,
            n_layers,
        )
        extras = _placeholder_openclip_extras(text_state, n_layers)
        state = components_to_cldm(components, scheduler_config=scheduler_config, openclip_extras=extras)
    out = Path(out)
    with stage(progress, "writing cldm checkpoint"), atomic_path(out) as tmp:
        if out.suffix == ".safetensors":
            save_file({k: v.contiguous() for k, v in state.items()}, tmp)
        else:
            torch.save(state, tmp)
    return out
