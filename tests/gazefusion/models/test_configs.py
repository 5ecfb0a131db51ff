"""The shipped configs carry SD2.1-base's values (PAPER.md §11); the tiny ones differ only in width."""

import json

import pytest

from gazefusion.models import SD21_CONFIG_DIR, TINY_CONFIG_DIR
from gazefusion.models.tiny import TINY_OVERRIDES, write_tiny_configs


def _config(folder, sub, name="config.json"):
    return json.loads((folder / sub / name).read_text())


@pytest.mark.parametrize(
    ("sub", "key", "value"),
    [
        pytest.param("unet", "block_out_channels", [320, 640, 1280, 1280], id="unet-widths"),
        pytest.param("unet", "attention_head_dim", [5, 10, 20, 20], id="unet-heads"),
        pytest.param("unet", "cross_attention_dim", 1024, id="unet-context"),
        pytest.param("unet", "use_linear_projection", True, id="unet-linear"),
        pytest.param("unet", "upcast_attention", True, id="unet-upcast"),
        pytest.param("unet", "layers_per_block", 2, id="unet-layers"),
        pytest.param("unet", "sample_size", 64, id="unet-512px"),
        pytest.param("controlnet", "conditioning_channels", 3, id="cn-hint"),
        pytest.param(
            "controlnet", "conditioning_embedding_out_channels", [16, 32, 96, 256], id="cn-hint-enc"
        ),
        pytest.param("controlnet", "block_out_channels", [320, 640, 1280, 1280], id="cn-widths"),
        pytest.param("controlnet", "upcast_attention", True, id="cn-upcast"),
        pytest.param("vae", "block_out_channels", [128, 256, 512, 512], id="vae-widths"),
        pytest.param("vae", "latent_channels", 4, id="vae-latent"),
        pytest.param("vae", "scaling_factor", 0.18215, id="vae-scale"),
        pytest.param("text_encoder", "hidden_size", 1024, id="te-width"),
        pytest.param("text_encoder", "num_hidden_layers", 23, id="te-layers"),
        pytest.param("text_encoder", "num_attention_heads", 16, id="te-heads"),
        pytest.param("text_encoder", "intermediate_size", 4096, id="te-mlp"),
        pytest.param("text_encoder", "hidden_act", "gelu", id="te-gelu"),
        pytest.param("text_encoder", "layer_norm_eps", 1e-5, id="te-eps"),
        pytest.param("text_encoder", "max_position_embeddings", 77, id="te-positions"),
        pytest.param("text_encoder", "vocab_size", 49408, id="te-vocab"),
    ],
)
def test_sd21_base_config_values(sub, key, value):
    assert _config(SD21_CONFIG_DIR, sub)[key] == value


def test_scheduler_is_sd21_base_ddim():
    config = _config(SD21_CONFIG_DIR, "scheduler", "scheduler_config.json")
    expected = {
        "_class_name": "DDIMScheduler",
        "beta_schedule": "scaled_linear",
        "beta_start": 0.00085,
        "beta_end": 0.012,
        "num_train_timesteps": 1000,
        "prediction_type": "epsilon",
        "steps_offset": 1,
        "set_alpha_to_one": False,
        "clip_sample": False,
        "timestep_spacing": "leading",
    }
    assert {k: config[k] for k in expected} == expected


def test_scheduler_gives_the_originals_50_ddim_steps():
    from diffusers import DDIMScheduler

    scheduler = DDIMScheduler.from_pretrained(SD21_CONFIG_DIR, subfolder="scheduler", local_files_only=True)
    scheduler.set_timesteps(50)
    assert scheduler.timesteps.tolist() == list(range(981, 0, -20))


def test_model_index_names_the_controlnet_pipeline():
    index = json.loads((SD21_CONFIG_DIR / "model_index.json").read_text())
    assert index["_class_name"] == "StableDiffusionControlNetPipeline"
    assert index["controlnet"] == ["diffusers", "ControlNetModel"]
    assert index["scheduler"] == ["diffusers", "DDIMScheduler"]
    assert index["requires_safety_checker"] is False


def test_shipped_tiny_configs_are_sd21_plus_overrides(tmp_path):
    write_tiny_configs(tmp_path)
    for path in tmp_path.rglob("*.json"):
        assert json.loads(path.read_text()) == json.loads(
            (TINY_CONFIG_DIR / path.relative_to(tmp_path)).read_text()
        )
    for sub, overrides in TINY_OVERRIDES.items():
        full, small = _config(SD21_CONFIG_DIR, sub), _config(TINY_CONFIG_DIR, sub)
        assert {k for k in full if full[k] != small[k]} <= set(overrides)
