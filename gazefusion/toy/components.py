"""The toy model's modules: the SD2.1-base family (diffusers/transformers classes) at the recipe's widths."""

from __future__ import annotations

import json
from typing import Any

from gazefusion.models import SD21_CONFIG_DIR
from gazefusion.toy.recipe import ToyRecipe


def scheduler_config() -> dict[str, Any]:
    """SD2.1-base's DDIM config (scaled-linear betas 0.00085–0.012, 1,000 steps, ε-prediction)."""
    return json.loads((SD21_CONFIG_DIR / "scheduler" / "scheduler_config.json").read_text())


def build_vae(recipe: ToyRecipe, seed: int):
    import torch
    from diffusers import AutoencoderKL

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return AutoencoderKL(**recipe.vae)


def build_unet(recipe: ToyRecipe, seed: int):
    import torch
    from diffusers import UNet2DConditionModel

    config = dict(recipe.unet, sample_size=recipe.latent_size)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return UNet2DConditionModel(**config)


def build_text_encoder(recipe: ToyRecipe, seed: int):
    import torch
    from transformers import CLIPTextConfig, CLIPTextModel

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return CLIPTextModel(CLIPTextConfig(**recipe.text_encoder))


def ddpm_scheduler():
    """The forward (noising) process of training, from the DDIM config."""
    from diffusers import DDPMScheduler

    return DDPMScheduler.from_config(scheduler_config())


def ddim_scheduler():
    from diffusers import DDIMScheduler

    return DDIMScheduler.from_config(scheduler_config())


def count_parameters(module) -> int:
    return sum(p.numel() for p in module.parameters())
