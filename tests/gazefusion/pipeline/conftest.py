"""Fixtures of the pipeline tests: tiny SD2.1-base-shaped components with random weights."""

from __future__ import annotations

import pytest


def _temporary_tiny_components(seed: int = 0) -> dict:
    # TEMPORARY until gazefusion.models.tiny lands; then this function goes.
    import json
    import tempfile
    from pathlib import Path

    import torch
    from diffusers import AutoencoderKL, ControlNetModel, DDIMScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64), layers_per_block=1, sample_size=8, in_channels=4, out_channels=4,
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"), cross_attention_dim=32,
        attention_head_dim=(2, 4), use_linear_projection=True, upcast_attention=True, norm_num_groups=8,
    )
    controlnet = ControlNetModel.from_unet(unet, conditioning_embedding_out_channels=(16, 32))
    torch.manual_seed(seed + 1)
    for p in controlnet.parameters():  # make the zero convolutions non-zero so the map matters
        p.data.normal_(0, 0.1)
    vae = AutoencoderKL(
        block_out_channels=(32, 64), in_channels=3, out_channels=3, latent_channels=4, norm_num_groups=8,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"), scaling_factor=0.18215,
    )
    text_encoder = CLIPTextModel(CLIPTextConfig(
        bos_token_id=0, eos_token_id=2, hidden_size=32, intermediate_size=37, layer_norm_eps=1e-05,
        num_attention_heads=4, num_hidden_layers=2, pad_token_id=1, vocab_size=514, hidden_act="gelu",
        max_position_embeddings=77,
    ))
    chars = list(bytes_to_unicode().values())
    vocab = {c: i for i, c in enumerate(chars)}
    vocab.update({c + "</w>": len(chars) + i for i, c in enumerate(chars)})
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    d = Path(tempfile.mkdtemp())
    (d / "vocab.json").write_text(json.dumps(vocab))
    (d / "merges.txt").write_text("#version: 0.2\n")
    tokenizer = CLIPTokenizer(str(d / "vocab.json"), str(d / "merges.txt"), pad_token="!", model_max_length=77)
    scheduler = DDIMScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
        set_alpha_to_one=False, steps_offset=1, timestep_spacing="leading", prediction_type="epsilon",
    )
    return dict(unet=unet, controlnet=controlnet, vae=vae, text_encoder=text_encoder, tokenizer=tokenizer,
                scheduler=scheduler)


def _build(seed: int = 0) -> dict:
    try:
        from gazefusion.models.tiny import build_tiny_components

        return build_tiny_components(seed=seed)
    except (ImportError, OSError):  # TEMPORARY while gazefusion.models.tiny is being written
        return _temporary_tiny_components(seed=seed)


@pytest.fixture(scope="session")
def tiny_components():
    """Tiny random components (built once per worker; tests must not modify them in place)."""
    return _build(seed=0)


@pytest.fixture()
def fresh_tiny_components():
    """The same tiny components, built anew for a test that modifies them."""
    return _build(seed=0)
