"""Tiny models: SD2.1-base's classes and options at tiny width, deterministic, fast, saved loadable."""

import pytest
import torch
from diffusers import (
    AutoencoderKL,
    ControlNetModel,
    DDIMScheduler,
    StableDiffusionControlNetPipeline,
    UNet2DConditionModel,
)
from transformers import CLIPTextModel, CLIPTokenizer

from gazefusion.models import tiny


def _states_equal(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_components_have_the_sd21_base_classes_and_options(tiny_components):
    c = tiny_components
    assert isinstance(c["unet"], UNet2DConditionModel) and isinstance(c["controlnet"], ControlNetModel)
    assert isinstance(c["vae"], AutoencoderKL) and isinstance(c["text_encoder"], CLIPTextModel)
    assert isinstance(c["tokenizer"], CLIPTokenizer) and isinstance(c["scheduler"], DDIMScheduler)
    for name in ("unet", "controlnet"):
        assert c[name].config.use_linear_projection and c[name].config.upcast_attention
        assert c[name].config.cross_attention_dim == c["text_encoder"].config.hidden_size
    assert c["controlnet"].config.conditioning_channels == 3
    assert c["text_encoder"].config.hidden_act == "gelu"
    assert c["text_encoder"].config.vocab_size == len(c["tokenizer"]) == 49408
    assert 2 ** (len(c["vae"].config.block_out_channels) - 1) == 8  # latents are 1/8 of the image, as in SD
    assert c["scheduler"].config.steps_offset == 1 and c["scheduler"].config.prediction_type == "epsilon"


def test_same_seed_same_weights_other_seed_other_weights(tiny_components):
    again, other = tiny.build_tiny_components(0), tiny.build_tiny_components(1)
    for name in ("unet", "controlnet", "vae", "text_encoder"):
        assert _states_equal(tiny_components[name], again[name])
        assert not _states_equal(tiny_components[name], other[name])


def test_building_leaves_the_global_rng_alone():
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    tiny.build_tiny_components(0)
    assert torch.equal(torch.rand(3), expected)


@pytest.fixture(scope="module")
def tiny_pipe(tiny_components):
    return StableDiffusionControlNetPipeline(
        **tiny_components, safety_checker=None, feature_extractor=None, requires_safety_checker=False
    ).to("cpu")


def _generate(pipe, hint, steps=2):
    return pipe(
        "a sailboat on the sea",
        image=hint,
        num_inference_steps=steps,
        generator=torch.Generator().manual_seed(0),
        output_type="np",
        height=64,
        width=64,
    ).images[0]


def test_64px_generation_runs_and_the_hint_matters(tiny_pipe):
    bright = _generate(tiny_pipe, torch.ones(1, 3, 64, 64))
    dark = _generate(tiny_pipe, torch.zeros(1, 3, 64, 64))
    assert bright.shape == dark.shape == (64, 64, 3)
    assert not torch.allclose(torch.from_numpy(bright), torch.from_numpy(dark))


def test_saved_model_loads_with_from_pretrained(tmp_path, tiny_components):
    folder = tiny.save_tiny_model(tmp_path / "tiny", seed=0)
    assert (folder / "controlnet" / "diffusion_pytorch_model.safetensors").is_file()
    pipe = StableDiffusionControlNetPipeline.from_pretrained(folder, local_files_only=True)
    for name in ("unet", "controlnet", "vae", "text_encoder"):
        assert _states_equal(getattr(pipe, name), tiny_components[name])
    assert pipe.tokenizer.pad_token_id == 0
