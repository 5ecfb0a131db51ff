"""The inverse key map is the exact inverse of diffusers' own single-file conversion."""

import math

import pytest
import torch
from accelerate import init_empty_weights
from diffusers import AutoencoderKL, ControlNetModel, DDIMScheduler, UNet2DConditionModel
from diffusers.loaders.single_file_utils import (
    convert_controlnet_checkpoint,
    convert_ldm_unet_checkpoint,
    convert_ldm_vae_checkpoint,
    convert_open_clip_checkpoint,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from transformers import CLIPTextConfig, CLIPTextModel

from gazefusion.models import SD21_CONFIG_DIR
from gazefusion.models.cldm import components_to_cldm
from gazefusion.models.ldm_keys import (
    CLDM_PREFIXES,
    SCHEDULE_BUFFERS,
    controlnet_to_ldm,
    ldm_schedule_buffers,
    unet_to_ldm,
    vae_to_ldm,
)


@pytest.fixture(scope="module")
def sd21_on_meta():
    """Full-size SD2.1-base components without memory (meta tensors)."""
    with init_empty_weights():
        return {
            "unet": UNet2DConditionModel.from_config(
                UNet2DConditionModel.load_config(SD21_CONFIG_DIR / "unet")
            ),
            "controlnet": ControlNetModel.from_config(
                ControlNetModel.load_config(SD21_CONFIG_DIR / "controlnet")
            ),
            "vae": AutoencoderKL.from_config(AutoencoderKL.load_config(SD21_CONFIG_DIR / "vae")),
            "text_encoder": CLIPTextModel(CLIPTextConfig.from_pretrained(SD21_CONFIG_DIR / "text_encoder")),
        }


def test_full_size_key_counts_match_the_original_checkpoint(sd21_on_meta):
    """PAPER.md §11: 686 UNet, 248 VAE, 294 OpenCLIP (280 + the 14 diffusers drops), 340 ControlNet keys."""
    cldm = components_to_cldm(sd21_on_meta, scheduler_config=None, openclip_extras={})
    counts = {name: sum(k.startswith(p) for k in cldm) for name, p in CLDM_PREFIXES.items()}
    assert counts == {"unet": 686, "vae": 248, "text_encoder": 294 - 14, "controlnet": 340}
    hint = sorted(int(k.split(".")[2]) for k in cldm if "input_hint_block" in k and k.endswith("weight"))
    assert hint == [0, 2, 4, 6, 8, 10, 12, 14]
    assert sum(k.startswith("control_model.zero_convs.") for k in cldm) == 24
    assert "control_model.middle_block_out.0.weight" in cldm


@pytest.mark.parametrize(
    ("name", "forward"),
    [
        ("unet", convert_ldm_unet_checkpoint),
        ("controlnet", convert_controlnet_checkpoint),
        ("vae", convert_ldm_vae_checkpoint),
    ],
)
def test_full_size_inverse_then_diffusers_forward_restores_keys_and_shapes(sd21_on_meta, name, forward):
    model = sd21_on_meta[name]
    cldm = components_to_cldm(sd21_on_meta, scheduler_config=None, openclip_extras={})
    back = forward(cldm, dict(model.config))
    expected = model.state_dict()
    assert set(back) == set(expected)
    assert all(back[k].shape == expected[k].shape for k in expected)


def _random_state(model, seed):
    g = torch.Generator().manual_seed(seed)
    return {k: torch.randn(v.shape, generator=g) for k, v in model.state_dict().items()}


@settings(max_examples=6, deadline=None)
@given(
    levels=st.integers(2, 3),
    layers=st.integers(1, 2),
    attention_last=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_inverse_is_exact_for_varied_unet_and_controlnet_layouts(levels, layers, attention_last, seed):
    """unet_to_ldm / controlnet_to_ldm then diffusers' forward conversion give every tensor back unchanged."""
    down = ["CrossAttnDownBlock2D"] * (levels - 1) + [
        "CrossAttnDownBlock2D" if attention_last else "DownBlock2D"
    ]
    up = ["CrossAttnUpBlock2D" if attention_last else "UpBlock2D"] + ["CrossAttnUpBlock2D"] * (levels - 1)
    common = dict(
        block_out_channels=[32] * levels,
        layers_per_block=layers,
        down_block_types=down,
        cross_attention_dim=8,
        attention_head_dim=2,
        use_linear_projection=True,
        norm_num_groups=8,
    )
    unet = UNet2DConditionModel(up_block_types=up, sample_size=8, **common)
    controlnet = ControlNetModel(conditioning_embedding_out_channels=[4, 4, 8, 8], **common)
    for model, inverse, forward, prefix in (
        (unet, unet_to_ldm, convert_ldm_unet_checkpoint, CLDM_PREFIXES["unet"]),
        (controlnet, controlnet_to_ldm, convert_controlnet_checkpoint, CLDM_PREFIXES["controlnet"]),
    ):
        state = _random_state(model, seed)
        ldm = {prefix + k: v for k, v in inverse(state, dict(model.config)).items()}
        back = forward(ldm, dict(model.config))
        assert set(back) == set(state)
        assert all(torch.equal(back[k], state[k]) for k in state)


@settings(max_examples=4, deadline=None)
@given(levels=st.integers(1, 4), layers=st.integers(1, 2), seed=st.integers(0, 2**16))
def test_vae_inverse_is_exact(levels, layers, seed):
    vae = AutoencoderKL(
        block_out_channels=[8] * levels,
        layers_per_block=layers,
        norm_num_groups=4,
        down_block_types=["DownEncoderBlock2D"] * levels,
        up_block_types=["UpDecoderBlock2D"] * levels,
    )
    state = _random_state(vae, seed)
    ldm = {CLDM_PREFIXES["vae"] + k: v for k, v in vae_to_ldm(state, dict(vae.config)).items()}
    attn = [k for k in ldm if ".mid.attn_1." in k and k.endswith(("q.weight", "proj_out.weight"))]
    assert attn and all(ldm[k].shape == (8, 8, 1, 1) for k in attn)  # ldm stores them as 1x1 convolutions
    back = convert_ldm_vae_checkpoint(ldm, dict(vae.config))
    assert set(back) == set(state)
    assert all(torch.equal(back[k], state[k]) for k in state)


def test_text_encoder_inverse_fuses_qkv_and_converts_back(tiny_components):
    text_encoder = tiny_components["text_encoder"]
    state = text_encoder.state_dict()
    cldm = components_to_cldm(tiny_components, scheduler_config=None, openclip_extras={})
    fused = cldm["cond_stage_model.model.transformer.resblocks.0.attn.in_proj_weight"]
    assert fused.shape == (96, 32)
    assert torch.equal(fused[32:64], state["encoder.layers.0.self_attn.k_proj.weight"])
    back = {
        k.removeprefix("text_model."): v for k, v in convert_open_clip_checkpoint(text_encoder, cldm).items()
    }
    assert all(torch.equal(back[k], state[k]) for k in back)
    assert set(back) == set(state) - {"embeddings.position_ids"}


def test_schedule_buffers_follow_ldm_register_schedule():
    """Recomputed independently here in float64 from the published DDPM formulas."""
    buffers = ldm_schedule_buffers()
    assert tuple(buffers) == SCHEDULE_BUFFERS
    assert all(v.dtype == torch.float32 and v.shape == (1000,) for v in buffers.values())
    betas = [
        (math.sqrt(0.00085) + i * (math.sqrt(0.012) - math.sqrt(0.00085)) / 999) ** 2 for i in range(1000)
    ]
    acp, prod = [], 1.0
    for b in betas:
        prod *= 1 - b
        acp.append(prod)
    prev = [1.0, *acp[:-1]]
    var = [b * (1 - p) / (1 - a) for b, p, a in zip(betas, prev, acp, strict=True)]
    expected = {
        "betas": betas,
        "alphas_cumprod": acp,
        "alphas_cumprod_prev": prev,
        "sqrt_recipm1_alphas_cumprod": [math.sqrt(1 / a - 1) for a in acp],
        "posterior_variance": var,
        "posterior_log_variance_clipped": [math.log(max(v, 1e-20)) for v in var],
        "posterior_mean_coef2": [
            (1 - p) * math.sqrt(1 - b) / (1 - a) for b, p, a in zip(betas, prev, acp, strict=True)
        ],
        "logvar": [0.0] * 1000,
    }
    for name, values in expected.items():
        torch.testing.assert_close(
            buffers[name], torch.tensor(values, dtype=torch.float32), rtol=2e-7, atol=0, msg=name
        )


def test_schedule_matches_diffusers_scaled_linear_ddim():
    scheduler = DDIMScheduler.from_pretrained(SD21_CONFIG_DIR, subfolder="scheduler", local_files_only=True)
    buffers = ldm_schedule_buffers()
    torch.testing.assert_close(buffers["betas"], scheduler.betas, rtol=1e-6, atol=0)
    torch.testing.assert_close(buffers["alphas_cumprod"], scheduler.alphas_cumprod, rtol=1e-5, atol=0)
