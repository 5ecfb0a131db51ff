"""The final export of a training run: a diffusers folder and an original-layout cldm checkpoint.

``OUTPUT_DIR/export/diffusers/`` is a ``StableDiffusionControlNetPipeline`` folder (safetensors,
fp32): what ``gazefusion generate --model DIR`` loads. ``OUTPUT_DIR/export/gazefusion-sd21.ckpt``
is the same model in the original cldm key layout (via :func:`gazefusion.models.cldm.diffusers_to_cldm`),
for the original ``generate.py``.

Frozen modules that training held in fp16/bf16 are not exported from memory (that would round
them): the base model is reloaded in fp32 and the trained tensors are put into it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

CLDM_NAME = "gazefusion-sd21.ckpt"


def export_trained(models, controlnet, cfg, weight_dtype, out_dir: str | Path) -> tuple[Path, Path]:
    """Write both forms; returns (diffusers folder, cldm checkpoint)."""
    import torch
    from diffusers import StableDiffusionControlNetPipeline

    from gazefusion.models.cldm import EXTRAS_FILE, diffusers_to_cldm
    from gazefusion.training.model import load_training_models, unet_trainable_state

    out = Path(out_dir)
    parts = {"vae": models.vae, "text_encoder": models.text_encoder, "unet": models.unet}
    if weight_dtype != torch.float32:
        fresh = load_training_models(cfg.model, cfg.controlnet if _is_file(cfg.controlnet) else None)
        if cfg.unlock_sd:
            fresh.unet.load_state_dict(
                {k: v.float() for k, v in unet_trainable_state(models.unet).items()}, strict=False
            )
        parts = {"vae": fresh.vae, "text_encoder": fresh.text_encoder, "unet": fresh.unet}
    pipe = StableDiffusionControlNetPipeline(
        **parts,
        tokenizer=models.tokenizer,
        controlnet=controlnet,
        scheduler=models.scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    folder = out / "diffusers"
    partial = out / ".diffusers.partial"
    shutil.rmtree(partial, ignore_errors=True)
    pipe.save_pretrained(partial, safe_serialization=True)
    base = Path(cfg.model) if cfg.model is not None else None
    if base is not None and (base / EXTRAS_FILE).is_file():  # carries what diffusers drops, for the cldm form
        shutil.copy2(base / EXTRAS_FILE, partial / EXTRAS_FILE)
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(partial, folder)
    cldm = out / CLDM_NAME
    diffusers_to_cldm(folder, cldm)
    return folder, cldm


def _is_file(ref: str | None) -> bool:
    return ref is not None and Path(ref).is_file()
