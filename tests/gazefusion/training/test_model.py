"""Where training's modules come from, and what is trained."""

import json
import shutil

import pytest
import torch

from gazefusion.errors import UserInputError
from gazefusion.training.model import UNLOCKED_UNET_MODULES, load_training_models, set_trainable


def test_default_controlnet_is_copied_from_the_unet(tiny_model_dir):
    models = load_training_models(str(tiny_model_dir), None)
    unet, net = models.unet.state_dict(), models.controlnet.state_dict()
    copied = [k for k in net if k.startswith(("conv_in.", "time_embedding.", "down_blocks.", "mid_block."))]
    assert copied and all(torch.equal(net[k], unet[k]) for k in copied)
    assert all(torch.count_nonzero(v) == 0 for k, v in net.items() if k.startswith("controlnet_down_blocks"))
    assert type(models.noise_scheduler).__name__ == "DDPMScheduler"
    assert models.noise_scheduler.config.prediction_type == "epsilon"


def test_controlnet_from_folder_and_from_cldm_checkpoint(tiny_model_dir, tmp_path):
    from safetensors.torch import load_file

    from gazefusion.models.cldm import load_cldm_state_dict
    from gazefusion.models.tiny import save_tiny_cldm

    saved = load_file(tiny_model_dir / "controlnet" / "diffusion_pytorch_model.safetensors")
    net = load_training_models(str(tiny_model_dir), str(tiny_model_dir)).controlnet.state_dict()
    assert all(torch.equal(net[k], v) for k, v in saved.items())

    ckpt = save_tiny_cldm(tmp_path / "init.ckpt", form="bare")
    models = load_training_models(None, str(ckpt))
    hint = load_cldm_state_dict(ckpt)["control_model.input_hint_block.0.weight"]
    torch.testing.assert_close(
        models.controlnet.controlnet_cond_embedding.conv_in.weight, hint, rtol=0, atol=0
    )


def test_plain_stable_diffusion_folder(tiny_model_dir, tmp_path):
    plain = tmp_path / "sd"
    shutil.copytree(tiny_model_dir, plain, ignore=shutil.ignore_patterns("controlnet"))
    index = json.loads((plain / "model_index.json").read_text())
    index.pop("controlnet")
    index["_class_name"] = "StableDiffusionPipeline"
    (plain / "model_index.json").write_text(json.dumps(index))
    models = load_training_models(str(plain), None)
    assert "no ControlNet" in models.description


def test_no_model_is_an_error_not_the_tiny_model(monkeypatch):
    monkeypatch.delenv("GAZEFUSION_MODEL", raising=False)
    with pytest.raises(UserInputError, match="--model"):
        load_training_models(None, None)


def test_unlock_sd_trains_exactly_the_output_blocks(tiny_model_dir):
    models = load_training_models(str(tiny_model_dir), None)
    params = set_trainable(models, unlock_sd=True)
    trained = {n.split(".")[0] for n, p in models.unet.named_parameters() if p.requires_grad}
    assert trained == set(UNLOCKED_UNET_MODULES)
    assert not any(p.requires_grad for p in models.vae.parameters())
    assert not any(p.requires_grad for p in models.text_encoder.parameters())
    n_unet = sum(
        p.numel() for n, p in models.unet.named_parameters() if n.split(".")[0] in UNLOCKED_UNET_MODULES
    )
    assert sum(p.numel() for p in params) == sum(p.numel() for p in models.controlnet.parameters()) + n_unet
