"""Tiny SD2.1-base-shaped models with random weights, for tests and the offline demo.

The tiny components use the same classes and options as SD2.1-base + ControlNet (linear-projection
transformers, ``upcast_attention``, an OpenCLIP-style ``CLIPTextModel`` with ``gelu`` and 23 layers,
a ControlNet with a 3-channel hint and a 4-stage hint encoder, a 4-level VAE so that latents are
1/8 of the image, the real DDIM scheduler config and the real tokenizer) at tiny widths: a 64×64
image takes a few milliseconds per denoising step on a CPU. Their configs are the shipped
``configs/tiny-sd21-base`` folder (= the SD2.1-base configs with :data:`TINY_OVERRIDES`).

The same weights can be written as a diffusers folder (:func:`save_tiny_model`) or as an original
cldm checkpoint with the original's key names in each file form met in practice
(:func:`save_tiny_cldm`), so the real conversion code runs on them.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gazefusion.models import SD21_CONFIG_DIR, TINY_CONFIG_DIR
from gazefusion.utils.atomic import atomic_write_json

if TYPE_CHECKING:
    import torch

#: Changes from the SD2.1-base configs that make the tiny model (per component subfolder).
TINY_OVERRIDES: dict[str, dict[str, Any]] = {
    "unet": {
        "block_out_channels": [32, 64],
        "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
        "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"],
        "attention_head_dim": [2, 4],
        "cross_attention_dim": 32,
        "sample_size": 8,
    },
    "controlnet": {
        "block_out_channels": [32, 64],
        "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
        "attention_head_dim": [2, 4],
        "cross_attention_dim": 32,
        "conditioning_embedding_out_channels": [8, 8, 16, 16],
    },
    "vae": {"block_out_channels": [32, 32, 64, 64], "layers_per_block": 1, "sample_size": 64},
    "text_encoder": {
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_attention_heads": 4,
        "projection_dim": 24,
    },
}
#: Width of the tiny OpenCLIP ``text_projection`` (``[hidden, TINY_EMBED_DIM]``, not square on purpose).
TINY_EMBED_DIM = 24
_SUBFOLDER_CONFIG = {
    "unet": "config.json",
    "controlnet": "config.json",
    "vae": "config.json",
    "text_encoder": "config.json",
    "scheduler": "scheduler_config.json",
}


def write_tiny_configs(out_dir: str | Path = TINY_CONFIG_DIR) -> Path:
    """Write the tiny config folder: the SD2.1-base configs updated with :data:`TINY_OVERRIDES`."""
    out = Path(out_dir)
    for sub, name in _SUBFOLDER_CONFIG.items():
        config = json.loads((SD21_CONFIG_DIR / sub / name).read_text())
        config.update(TINY_OVERRIDES.get(sub, {}))
        atomic_write_json(out / sub / name, config)
    atomic_write_json(
        out / "model_index.json", json.loads((SD21_CONFIG_DIR / "model_index.json").read_text())
    )
    return out


def _randomise_zero_convs(controlnet: torch.nn.Module, generator: torch.Generator) -> None:
    """ControlNet's zero-initialised convolutions (hint encoder output, zero convs) get small random weights.

    Untrained, they make the ControlNet ignore its hint; random ones let tests see the hint's effect.
    """
    import torch

    zero_convs = [
        controlnet.controlnet_cond_embedding.conv_out,
        *controlnet.controlnet_down_blocks,
        controlnet.controlnet_mid_block,
    ]
    with torch.no_grad():
        for conv in zero_convs:
            conv.weight.copy_(torch.randn(conv.weight.shape, generator=generator) * 0.1)
            conv.bias.copy_(torch.randn(conv.bias.shape, generator=generator) * 0.1)


def _strengthen_hint_encoder(controlnet: torch.nn.Module, generator: torch.Generator) -> None:
    """The hint encoder gets He-normal weights and zero biases, its last convolution 10x as strong.

    At default init its eight SiLU convolutions shrink differences between hints to ~1e-3 of the
    signal, so an smap could hardly change the tiny model's 8-bit output; with these weights the
    hint is about as strong as the latent and the smap visibly changes the images (demo, bench,
    tests). This replaces the small random ``conv_out`` of :func:`_randomise_zero_convs`.
    """
    import torch

    embedding = controlnet.controlnet_cond_embedding
    with torch.no_grad():
        for conv in embedding.modules():
            if isinstance(conv, torch.nn.Conv2d):
                gain = 10.0 if conv is embedding.conv_out else 1.0
                std = gain * (2.0 / conv.weight[0].numel()) ** 0.5
                conv.weight.copy_(torch.randn(conv.weight.shape, generator=generator) * std)
                conv.bias.zero_()


def build_tiny_components(seed: int = 0) -> dict[str, Any]:
    """Tiny random components: ``unet, controlnet, vae, text_encoder, tokenizer, scheduler``.

    Deterministic per ``seed`` (the global torch RNG is left untouched). fp32, CPU, eval mode.
    The ControlNet's zero convolutions are small random ones and its hint encoder is strong, so the
    smap visibly changes the (noise) images.
    """
    import torch
    from diffusers import AutoencoderKL, ControlNetModel, DDIMScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    from gazefusion.models.tokenizer import build_tokenizer

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        unet = UNet2DConditionModel.from_config(UNet2DConditionModel.load_config(TINY_CONFIG_DIR / "unet"))
        controlnet = ControlNetModel.from_config(ControlNetModel.load_config(TINY_CONFIG_DIR / "controlnet"))
        vae = AutoencoderKL.from_config(AutoencoderKL.load_config(TINY_CONFIG_DIR / "vae"))
        text_config = CLIPTextConfig.from_pretrained(TINY_CONFIG_DIR / "text_encoder", local_files_only=True)
        text_encoder = CLIPTextModel(text_config)
    _randomise_zero_convs(controlnet, torch.Generator().manual_seed(seed + 1))
    _strengthen_hint_encoder(controlnet, torch.Generator().manual_seed(seed + 3))
    for model in (unet, controlnet, vae, text_encoder):
        model.eval()
    return {
        "unet": unet,
        "controlnet": controlnet,
        "vae": vae,
        "text_encoder": text_encoder,
        "tokenizer": build_tokenizer(),
        "scheduler": DDIMScheduler.from_pretrained(
            TINY_CONFIG_DIR, subfolder="scheduler", local_files_only=True
        ),
    }


def save_tiny_model(out_dir: str | Path, seed: int = 0) -> Path:
    """Write the tiny model as a diffusers ``StableDiffusionControlNetPipeline`` folder (safetensors).

    Loadable with ``StableDiffusionControlNetPipeline.from_pretrained(out_dir)``; the ControlNet is in
    its ``controlnet/`` subfolder.
    """
    from diffusers import StableDiffusionControlNetPipeline

    pipe = StableDiffusionControlNetPipeline(
        **build_tiny_components(seed),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    out = Path(out_dir)
    pipe.save_pretrained(out, safe_serialization=True)
    return out


def tiny_openclip_extras(seed: int = 0) -> dict[str, torch.Tensor]:
    """The OpenCLIP tensors diffusers drops, for the tiny text tower (keys without the cldm prefix).

    ``text_projection`` ``[hidden, TINY_EMBED_DIM]``, ``logit_scale`` (CLIP's ln(1/0.07)) and a random
    24th resblock (index 23), shaped like the others.
    """
    import torch

    config = TINY_OVERRIDES["text_encoder"]
    width, hidden = config["hidden_size"], config["intermediate_size"]
    g = torch.Generator().manual_seed(seed + 2)
    block = "transformer.resblocks.23."
    shapes = {
        "ln_1.weight": (width,),
        "ln_1.bias": (width,),
        "attn.in_proj_weight": (3 * width, width),
        "attn.in_proj_bias": (3 * width,),
        "attn.out_proj.weight": (width, width),
        "attn.out_proj.bias": (width,),
        "ln_2.weight": (width,),
        "ln_2.bias": (width,),
        "mlp.c_fc.weight": (hidden, width),
        "mlp.c_fc.bias": (hidden,),
        "mlp.c_proj.weight": (width, hidden),
        "mlp.c_proj.bias": (width,),
    }
    extras = {block + name: torch.randn(shape, generator=g) * 0.02 for name, shape in shapes.items()}
    extras["text_projection"] = torch.randn(width, TINY_EMBED_DIM, generator=g) * width**-0.5
    extras["logit_scale"] = torch.tensor(math.log(1 / 0.07))
    return extras


def tiny_cldm_state_dict(seed: int = 0) -> dict[str, torch.Tensor]:
    """The tiny model's weights in the original cldm layout (buffers first, then the four sub-models)."""
    from gazefusion.models.cldm import components_to_cldm

    components = build_tiny_components(seed)
    return components_to_cldm(
        {name: components[name] for name in ("unet", "vae", "text_encoder", "controlnet")},
        scheduler_config=components["scheduler"].config,
        openclip_extras=tiny_openclip_extras(seed),
    )


def save_tiny_cldm(path: str | Path, seed: int = 0, form: str = "bare") -> Path:
    """Write the tiny model as an original cldm checkpoint in one of the file forms of the original.

    ``form``: ``"bare"`` (the state dict itself, as ``tool_add_control_sd21.py`` writes it),
    ``"lightning"`` (a PyTorch-Lightning checkpoint with ``state_dict``, AdamW ``optimizer_states`` and
    every tensor tagged ``cuda:0``), ``"safetensors"`` (flat), ``"fp16"`` (every tensor in float16;
    safetensors if ``path`` ends in ``.safetensors``, else a bare torch file).
    """
    from gazefusion.models.cldm import write_cldm_file

    return write_cldm_file(tiny_cldm_state_dict(seed), path, form=form)
