"""``ToyRecipe``: every size, step count, learning rate and seed of the toy build, in one place.

Units: sizes in pixels (images) or latent cells; steps are optimiser updates; batch sizes in
examples. ``full`` is the shipped model's recipe (sized to finish within 90 minutes on 2 CPU
cores); ``smoke`` runs every stage in seconds (tests).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import Field

from gazefusion.config import Config
from gazefusion.data.crops import CropResolution
from gazefusion.errors import UserInputError


def _vae_config() -> dict[str, Any]:
    return {
        "in_channels": 3,
        "out_channels": 3,
        "down_block_types": ["DownEncoderBlock2D"] * 3,
        "up_block_types": ["UpDecoderBlock2D"] * 3,
        "block_out_channels": [32, 64, 64],
        "layers_per_block": 1,
        "latent_channels": 4,
        "norm_num_groups": 16,
        "act_fn": "silu",
        "sample_size": 64,
    }


def _unet_config() -> dict[str, Any]:
    # SD2.1-base's options (linear projection, upcast attention, epsilon) at small widths, with
    # (cross-)attention only at the two lowest resolutions (8x8 and 4x4 latents).
    return {
        "sample_size": 16,
        "in_channels": 4,
        "out_channels": 4,
        "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
        "up_block_types": ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
        "block_out_channels": [32, 64, 128],
        "layers_per_block": 1,
        "cross_attention_dim": 32,
        "attention_head_dim": [1, 2, 4],
        "use_linear_projection": True,
        "upcast_attention": True,
        "norm_num_groups": 32,
    }


def _text_config() -> dict[str, Any]:
    return {
        "hidden_size": 32,
        "intermediate_size": 128,
        "num_attention_heads": 4,
        "num_hidden_layers": 4,
        "projection_dim": 32,
        "hidden_act": "gelu",
        "max_position_embeddings": 77,
        "vocab_size": 49408,
        "bos_token_id": 0,
        "eos_token_id": 2,
        "pad_token_id": 1,
    }


class ToyRecipe(Config):
    """The toy build, stage by stage (see :mod:`gazefusion.toy.build`); checked on creation."""

    preset: str = "full"
    seed: int = 0
    # scenes and data
    n_scenes: int = Field(8000, ge=1)
    size: CropResolution = 64
    saliency_model: str = "spectral-residual"
    #: Smoothing of the training smaps (sigma 1/16 of the width): OpenCV's spectral residual alone
    #: outlines objects with thin lines; smooth maps are what saliency maps look like.
    saliency_options: dict[str, Any] = Field(default_factory=lambda: {"blur": 0.0625})
    # autoencoder
    vae: dict[str, Any] = Field(default_factory=_vae_config)
    vae_steps: int = Field(2000, ge=1)
    vae_batch: int = Field(16, ge=1)
    vae_lr: float = 1e-3
    vae_kl_weight: float = 1e-6
    # base text-to-image model (UNet + text encoder, trained together)
    unet: dict[str, Any] = Field(default_factory=_unet_config)
    text_encoder: dict[str, Any] = Field(default_factory=_text_config)
    base_steps: int = Field(4000, ge=1)
    base_batch: int = Field(32, ge=1)
    base_lr: float = 5e-4
    base_warmup: int = 200
    base_prompt_dropout: float = 0.1
    ema_decay: float = 0.999
    # ControlNet (gazefusion train, base locked)
    controlnet_steps: int = Field(3000, ge=1)
    controlnet_batch: int = Field(32, ge=1)
    controlnet_lr: float = 5e-4
    controlnet_proportion_empty_prompts: float = 0.1
    # bookkeeping
    checkpoint_every: int = Field(250, ge=1)
    threads: int = Field(2, ge=1)

    @classmethod
    def field_label(cls, loc: Sequence[str | int]) -> str:
        return f"toy recipe {super().field_label(loc)}"

    def identity(self) -> dict[str, Any]:
        """What the recipe's results depend on (``recipe.json``): every field but ``threads``
        (which changes speed, not results), as JSON values; :meth:`from_json` reads it back."""
        return self.model_dump(mode="json", exclude={"threads"})

    @property
    def latent_size(self) -> int:
        return self.size // 2 ** (len(self.vae["block_out_channels"]) - 1)


def smoke_recipe(**overrides: Any) -> ToyRecipe:
    """Every stage at a few steps on a few scenes (the recipe test)."""
    small = {
        "preset": "smoke",
        "n_scenes": 24,
        "vae_steps": 3,
        "vae_batch": 4,
        "base_steps": 4,
        "base_batch": 4,
        "base_warmup": 1,
        "controlnet_steps": 3,
        "controlnet_batch": 4,
        "checkpoint_every": 2,
        "threads": 1,
    }
    small.update(overrides)
    return ToyRecipe(**small)


PRESETS = {"full": ToyRecipe, "smoke": smoke_recipe}


def recipe_from_preset(name: str, **overrides: Any) -> ToyRecipe:
    """The named preset (``full`` or ``smoke``), with field overrides."""
    if name not in PRESETS:
        raise UserInputError(f"--preset: expected one of {', '.join(PRESETS)}, found {name!r}")
    return PRESETS[name](**overrides)
