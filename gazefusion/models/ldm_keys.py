"""diffusers → original (ldm / cldm) state-dict layout: the inverse of diffusers' single-file conversion.

diffusers converts an original checkpoint to its own layout (``diffusers.loaders.single_file_utils``:
``convert_ldm_unet_checkpoint``, ``convert_controlnet_checkpoint``, ``convert_ldm_vae_checkpoint``,
``convert_open_clip_checkpoint``) but not back. This module holds only that way back: key renames,
the VAE mid-block attention (linear ``[C, C]`` → 1×1 conv ``[C, C, 1, 1]``) and OpenCLIP's fused
``in_proj`` (``q``, ``k``, ``v`` concatenated along dim 0). Tensors are never copied except by that
concatenation, so a memory-mapped input stays memory-mapped.

Functions take a diffusers component's state dict plus its config and return the ldm keys *without*
the cldm prefix (see :data:`CLDM_PREFIXES`). They follow diffusers' forward conversion, so that
converting their output forward again gives back every tensor unchanged (tested).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch

#: Prefix of each component inside a cldm checkpoint (the original ``ControlLDM`` module tree).
CLDM_PREFIXES = {
    "unet": "model.diffusion_model.",
    "vae": "first_stage_model.",
    "text_encoder": "cond_stage_model.model.",
    "controlnet": "control_model.",
}

#: Names of the 13 noise-schedule buffers of ldm's ``DDPM`` in state-dict order.
SCHEDULE_BUFFERS = (
    "betas",
    "alphas_cumprod",
    "alphas_cumprod_prev",
    "sqrt_alphas_cumprod",
    "sqrt_one_minus_alphas_cumprod",
    "log_one_minus_alphas_cumprod",
    "sqrt_recip_alphas_cumprod",
    "sqrt_recipm1_alphas_cumprod",
    "posterior_variance",
    "posterior_log_variance_clipped",
    "posterior_mean_coef1",
    "posterior_mean_coef2",
    "logvar",
)

_UNET_TOP = {
    "time_embedding.linear_1": "time_embed.0",
    "time_embedding.linear_2": "time_embed.2",
    "conv_in": "input_blocks.0.0",
    "conv_norm_out": "out.0",
    "conv_out": "out.2",
}
_CONTROLNET_TOP = {
    "time_embedding.linear_1": "time_embed.0",
    "time_embedding.linear_2": "time_embed.2",
    "conv_in": "input_blocks.0.0",
    "controlnet_cond_embedding.conv_in": "input_hint_block.0",
    "controlnet_mid_block": "middle_block_out.0",
}
_RESNET = {
    "norm1": "in_layers.0",
    "conv1": "in_layers.2",
    "time_emb_proj": "emb_layers.1",
    "norm2": "out_layers.0",
    "conv2": "out_layers.3",
    "conv_shortcut": "skip_connection",
}
_VAE_ATTENTION = {"group_norm": "norm", "to_q": "q", "to_k": "k", "to_v": "v", "to_out.0": "proj_out"}
_CLIP_LAYER = {
    "layer_norm1": "ln_1",
    "layer_norm2": "ln_2",
    "mlp.fc1": "mlp.c_fc",
    "mlp.fc2": "mlp.c_proj",
    "self_attn.out_proj": "attn.out_proj",
}
_CLIP_TOP = {
    "embeddings.token_embedding.weight": "token_embedding.weight",
    "embeddings.position_embedding.weight": "positional_embedding",
    "final_layer_norm.weight": "ln_final.weight",
    "final_layer_norm.bias": "ln_final.bias",
}


def _split(key: str, table: Mapping[str, str]) -> tuple[str, str] | None:
    """Match the longest module path of ``table`` that ``key`` starts with; return (ldm path, rest)."""
    for module in sorted(table, key=len, reverse=True):
        if key.startswith(module + "."):
            return table[module], key[len(module) + 1 :]
    return None


def _rename_all(
    state_dict: Mapping[str, torch.Tensor], rename: Callable[[str], str | None], what: str
) -> dict[str, torch.Tensor]:
    out: dict[str, torch.Tensor] = {}
    for key, value in state_dict.items():
        new = rename(key)
        if new is None:
            raise ValueError(f"{what}: no original (ldm) name for diffusers key {key!r}")
        out[new] = value
    return out


def _unet_encoder_key(key: str, layers_per_block: int) -> str | None:
    """Down blocks and middle block, shared by the UNet and the ControlNet."""
    step = layers_per_block + 1
    if m := re.fullmatch(r"down_blocks\.(\d+)\.resnets\.(\d+)\.(.+)", key):
        b, j, rest = int(m[1]), int(m[2]), m[3]
        module, tail = _split(rest, _RESNET) or (None, None)
        return None if module is None else f"input_blocks.{step * b + j + 1}.0.{module}.{tail}"
    if m := re.fullmatch(r"down_blocks\.(\d+)\.attentions\.(\d+)\.(.+)", key):
        return f"input_blocks.{step * int(m[1]) + int(m[2]) + 1}.1.{m[3]}"
    if m := re.fullmatch(r"down_blocks\.(\d+)\.downsamplers\.0\.conv\.(.+)", key):
        return f"input_blocks.{step * (int(m[1]) + 1)}.0.op.{m[2]}"
    if m := re.fullmatch(r"mid_block\.resnets\.(\d+)\.(.+)", key):
        module, tail = _split(m[2], _RESNET) or (None, None)
        return None if module is None else f"middle_block.{2 * int(m[1])}.{module}.{tail}"
    if m := re.fullmatch(r"mid_block\.attentions\.0\.(.+)", key):
        return f"middle_block.1.{m[1]}"
    return None


def unet_to_ldm(state_dict: Mapping[str, torch.Tensor], config: Mapping[str, Any]) -> dict[str, torch.Tensor]:
    """``UNet2DConditionModel`` state dict → ldm ``openaimodel.UNetModel`` keys (no prefix)."""
    step = config["layers_per_block"] + 1
    attention_up = ["CrossAttn" in t for t in config["up_block_types"]]

    def rename(key: str) -> str | None:
        if top := _split(key, _UNET_TOP):
            return f"{top[0]}.{top[1]}"
        if m := re.fullmatch(r"up_blocks\.(\d+)\.resnets\.(\d+)\.(.+)", key):
            module, tail = _split(m[3], _RESNET) or (None, None)
            return (
                None if module is None else f"output_blocks.{step * int(m[1]) + int(m[2])}.0.{module}.{tail}"
            )
        if m := re.fullmatch(r"up_blocks\.(\d+)\.attentions\.(\d+)\.(.+)", key):
            return f"output_blocks.{step * int(m[1]) + int(m[2])}.1.{m[3]}"
        if m := re.fullmatch(r"up_blocks\.(\d+)\.upsamplers\.0\.conv\.(.+)", key):
            b = int(m[1])
            return f"output_blocks.{step * b + step - 1}.{2 if attention_up[b] else 1}.conv.{m[2]}"
        return _unet_encoder_key(key, config["layers_per_block"])

    return _rename_all(state_dict, rename, "UNet")


def controlnet_to_ldm(
    state_dict: Mapping[str, torch.Tensor], config: Mapping[str, Any]
) -> dict[str, torch.Tensor]:
    """``ControlNetModel`` state dict → the original ``cldm.ControlNet`` keys (no prefix).

    The hint encoder's convolutions sit at even indices of ``input_hint_block`` (SiLU between them):
    ``conv_in`` → 0, ``blocks.k`` → 2(k+1), ``conv_out`` → the last even index, and never below 14:
    diffusers' single-file reader takes ``conv_out`` from index 14 whatever the encoder's depth, so a
    shallower hint encoder (e.g. 3 widths for a VAE of factor 4) leaves indices 10 and 12 empty.
    """
    n_blocks = 2 * (len(config["conditioning_embedding_out_channels"]) - 1)
    conv_out = max(2 * (n_blocks + 1), 14)
    top = {**_CONTROLNET_TOP, "controlnet_cond_embedding.conv_out": f"input_hint_block.{conv_out}"}

    def rename(key: str) -> str | None:
        if m := re.fullmatch(r"controlnet_cond_embedding\.blocks\.(\d+)\.(.+)", key):
            return f"input_hint_block.{2 * (int(m[1]) + 1)}.{m[2]}"
        if m := re.fullmatch(r"controlnet_down_blocks\.(\d+)\.(.+)", key):
            return f"zero_convs.{m[1]}.0.{m[2]}"
        if found := _split(key, top):
            return f"{found[0]}.{found[1]}"
        return _unet_encoder_key(key, config["layers_per_block"])

    return _rename_all(state_dict, rename, "ControlNet")


def vae_to_ldm(state_dict: Mapping[str, torch.Tensor], config: Mapping[str, Any]) -> dict[str, torch.Tensor]:
    """``AutoencoderKL`` state dict → ldm ``AutoencoderKL`` keys (no prefix).

    The decoder's up blocks are numbered in reverse in ldm; the mid-block attention's linear
    weights ``[C, C]`` become 1×1 convolutions ``[C, C, 1, 1]`` (a view, no copy).
    """
    n_up = len(config["up_block_types"])

    def resnet(rest: str) -> str:
        return rest.replace("conv_shortcut", "nin_shortcut")

    def rename(key: str) -> str | None:
        if m := re.fullmatch(r"(encoder|decoder)\.conv_norm_out\.(.+)", key):
            return f"{m[1]}.norm_out.{m[2]}"
        if re.fullmatch(r"(encoder|decoder)\.conv_(in|out)\..+|(post_)?quant_conv\..+", key):
            return key
        if m := re.fullmatch(r"encoder\.down_blocks\.(\d+)\.resnets\.(\d+)\.(.+)", key):
            return f"encoder.down.{m[1]}.block.{m[2]}.{resnet(m[3])}"
        if m := re.fullmatch(r"encoder\.down_blocks\.(\d+)\.downsamplers\.0\.conv\.(.+)", key):
            return f"encoder.down.{m[1]}.downsample.conv.{m[2]}"
        if m := re.fullmatch(r"decoder\.up_blocks\.(\d+)\.resnets\.(\d+)\.(.+)", key):
            return f"decoder.up.{n_up - 1 - int(m[1])}.block.{m[2]}.{resnet(m[3])}"
        if m := re.fullmatch(r"decoder\.up_blocks\.(\d+)\.upsamplers\.0\.conv\.(.+)", key):
            return f"decoder.up.{n_up - 1 - int(m[1])}.upsample.conv.{m[2]}"
        if m := re.fullmatch(r"(encoder|decoder)\.mid_block\.resnets\.(\d+)\.(.+)", key):
            return f"{m[1]}.mid.block_{int(m[2]) + 1}.{resnet(m[3])}"
        if m := re.fullmatch(r"(encoder|decoder)\.mid_block\.attentions\.0\.(.+)", key):
            found = _split(m[2], _VAE_ATTENTION)
            return None if found is None else f"{m[1]}.mid.attn_1.{found[0]}.{found[1]}"
        return None

    out = _rename_all(state_dict, rename, "VAE")
    for key, value in out.items():
        if ".mid.attn_1." in key and key.endswith(".weight") and value.ndim == 2:
            out[key] = value[:, :, None, None]
    return out


def text_encoder_to_openclip(state_dict: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """``CLIPTextModel`` state dict → OpenCLIP text-tower keys (no prefix).

    ``q_proj``, ``k_proj`` and ``v_proj`` are concatenated into ``attn.in_proj_weight/bias`` (the only
    copy this module makes). Keys diffusers never had (``text_projection``, ``logit_scale``, the last
    resblock) are not produced here; :mod:`gazefusion.models.cldm` carries them separately.
    """
    out: dict[str, torch.Tensor] = {}
    fused: dict[str, dict[str, torch.Tensor]] = {}
    for key, value in state_dict.items():
        key = key.removeprefix("text_model.")
        if key in _CLIP_TOP:
            out[_CLIP_TOP[key]] = value
        elif m := re.fullmatch(r"encoder\.layers\.(\d+)\.self_attn\.([qkv])_proj\.(weight|bias)", key):
            fused.setdefault(f"transformer.resblocks.{m[1]}.attn.in_proj_{m[3]}", {})[m[2]] = value
        elif m := re.fullmatch(r"encoder\.layers\.(\d+)\.(.+)", key):
            found = _split(m[2], _CLIP_LAYER)
            if found is None:
                raise ValueError(f"text encoder: no OpenCLIP name for diffusers key {key!r}")
            out[f"transformer.resblocks.{m[1]}.{found[0]}.{found[1]}"] = value
        else:
            raise ValueError(f"text encoder: no OpenCLIP name for diffusers key {key!r}")
    for key, parts in fused.items():
        if set(parts) != {"q", "k", "v"}:
            raise ValueError(f"text encoder: {key} needs q, k and v projections, found {sorted(parts)}")
        out[key] = torch.cat([parts["q"], parts["k"], parts["v"]], dim=0)
    return out


def ldm_schedule_buffers(
    beta_start: float = 0.00085,
    beta_end: float = 0.012,
    num_train_timesteps: int = 1000,
    dtype: torch.dtype = torch.float32,
) -> dict[str, torch.Tensor]:
    """The 13 schedule buffers exactly as ldm's ``DDPM.register_schedule`` computes them.

    ldm's "linear" schedule is linear in sqrt(beta) (diffusers calls it ``scaled_linear``): torch
    ``linspace`` in float64, squared, then numpy float64 arithmetic in ldm's order, stored as ``dtype``;
    ``v_posterior = 0`` and ``logvar_init = 0`` as in the SD2.1 config.
    """
    betas = (
        torch.linspace(beta_start**0.5, beta_end**0.5, num_train_timesteps, dtype=torch.float64) ** 2
    ).numpy()
    alphas = 1.0 - betas
    alphas_cumprod = np.cumprod(alphas, axis=0)
    alphas_cumprod_prev = np.append(1.0, alphas_cumprod[:-1])
    posterior_variance = betas * (1.0 - alphas_cumprod_prev) / (1.0 - alphas_cumprod)
    values = {
        "betas": betas,
        "alphas_cumprod": alphas_cumprod,
        "alphas_cumprod_prev": alphas_cumprod_prev,
        "sqrt_alphas_cumprod": np.sqrt(alphas_cumprod),
        "sqrt_one_minus_alphas_cumprod": np.sqrt(1.0 - alphas_cumprod),
        "log_one_minus_alphas_cumprod": np.log(1.0 - alphas_cumprod),
        "sqrt_recip_alphas_cumprod": np.sqrt(1.0 / alphas_cumprod),
        "sqrt_recipm1_alphas_cumprod": np.sqrt(1.0 / alphas_cumprod - 1),
        "posterior_variance": posterior_variance,
        "posterior_log_variance_clipped": np.log(np.maximum(posterior_variance, 1e-20)),
        "posterior_mean_coef1": betas * np.sqrt(alphas_cumprod_prev) / (1.0 - alphas_cumprod),
        "posterior_mean_coef2": (1.0 - alphas_cumprod_prev) * np.sqrt(alphas) / (1.0 - alphas_cumprod),
        "logvar": np.zeros(num_train_timesteps),
    }
    return {name: torch.tensor(values[name], dtype=dtype) for name in SCHEDULE_BUFFERS}
