"""Resumable training checkpoints: ``OUTPUT_DIR/checkpoint-{step}/`` folders written by accelerate.

A checkpoint holds what ``accelerator.save_state`` writes (optimizer, LR scheduler, RNG states,
registered objects such as the EMA) plus, through the hooks below, the trained weights in diffusers
form: ``controlnet/`` (``save_pretrained``) and, with ``--unlock-sd``, ``unet_trainable.safetensors``
(only the unlocked UNet tensors, not the frozen 3.5 GB rest).

Crash safety: a checkpoint is written to ``.checkpoint-{step}.partial`` and renamed when complete;
older checkpoints beyond the limit are removed only after that.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from gazefusion.errors import UserInputError

PREFIX = "checkpoint-"
UNET_TRAINABLE_FILE = "unet_trainable.safetensors"


def list_checkpoints(output_dir: str | os.PathLike) -> list[tuple[int, Path]]:
    """Complete checkpoints in ``output_dir`` as (step, path), oldest first."""
    root = Path(output_dir)
    found = []
    if root.is_dir():
        for p in root.iterdir():
            if p.is_dir() and p.name.startswith(PREFIX) and p.name[len(PREFIX) :].isdigit():
                found.append((int(p.name[len(PREFIX) :]), p))
    return sorted(found)


def resolve_resume(output_dir: str | os.PathLike, spec: str | None) -> tuple[int, Path] | None:
    """The checkpoint ``--resume-from-checkpoint`` names: ``latest`` (None if there is none) or a folder."""
    if spec is None:
        return None
    if spec == "latest":
        found = list_checkpoints(output_dir)
        return found[-1] if found else None
    path = Path(spec)
    if not path.is_dir():
        path = Path(output_dir) / spec
    name = path.name
    if not path.is_dir() or not name.startswith(PREFIX) or not name[len(PREFIX) :].isdigit():
        raise UserInputError(
            f"--resume-from-checkpoint: expected 'latest' or a {PREFIX}N folder, found {spec!r}"
        )
    return int(name[len(PREFIX) :]), path


def save_checkpoint(accelerator, output_dir: str | os.PathLike, step: int, limit: int | None) -> Path:
    """Save the full training state as ``checkpoint-{step}`` (all processes call this)."""
    root = Path(output_dir)
    final = root / f"{PREFIX}{step}"
    partial = root / f".{PREFIX}{step}.partial"
    if accelerator.is_main_process and partial.exists():
        shutil.rmtree(partial)
    accelerator.wait_for_everyone()
    accelerator.save_state(str(partial))
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        if final.exists():
            shutil.rmtree(final)
        os.replace(partial, final)
        if limit is not None:
            for _, old in list_checkpoints(root)[:-limit]:
                shutil.rmtree(old, ignore_errors=True)
    accelerator.wait_for_everyone()
    return final


def register_weight_hooks(accelerator) -> None:
    """Make ``save_state``/``load_state`` store the trained weights in diffusers form (see module doc)."""
    from diffusers import ControlNetModel, UNet2DConditionModel
    from safetensors.torch import load_file, save_file

    from gazefusion.training.model import unet_trainable_state

    def save_hook(models, weights, output_dir):
        if accelerator.is_main_process:
            for model in models:
                model = accelerator.unwrap_model(model)
                if isinstance(model, ControlNetModel):
                    model.save_pretrained(os.path.join(output_dir, "controlnet"))
                elif isinstance(model, UNet2DConditionModel):
                    state = {k: v.detach().contiguous().cpu() for k, v in unet_trainable_state(model).items()}
                    save_file(state, os.path.join(output_dir, UNET_TRAINABLE_FILE))
        while weights:  # we saved them: accelerate must not write its own copy
            weights.pop()

    def load_hook(models, input_dir):
        while models:
            model = accelerator.unwrap_model(models.pop())
            if isinstance(model, ControlNetModel):
                folder = os.path.join(input_dir, "controlnet")
                loaded = ControlNetModel.from_pretrained(folder, local_files_only=True)
                model.load_state_dict(loaded.state_dict())
                del loaded
            elif isinstance(model, UNet2DConditionModel):
                state = load_file(os.path.join(input_dir, UNET_TRAINABLE_FILE))
                expected = set(unet_trainable_state(model))
                if set(state) != expected:
                    raise UserInputError(
                        f"--resume-from-checkpoint: {input_dir} does not match --unlock-sd "
                        f"({len(state)} UNet tensors saved, {len(expected)} trained)"
                    )
                model.load_state_dict(state, strict=False)

    accelerator.register_save_state_pre_hook(save_hook)
    accelerator.register_load_state_pre_hook(load_hook)
